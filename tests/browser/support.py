"""Browser tests: Debian chromium (/usr/bin/chromium) driven by Playwright against live_server.

The fixtures are registered once, in tests/conftest.py: a session fixture defined in several
modules would start Playwright twice in one thread, which its sync API refuses."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def open_page(browser, base: str, viewport: dict[str, int] = DESKTOP, *, touch: bool = False,
              timeout: int = 15000, ignore: tuple[str, ...] = ()):
    """A page in a context of its own (a phone's when the viewport is narrow), Chinese, on
    ``base``; ``(context, page)``. Any script blocked by CSP or failing would be a bug: the console's
    errors are collected in ``page.console_errors``, but those containing a string of ``ignore``."""
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=touch)
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.base = base
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and not any(s in msg.text for s in ignore)
            and page.console_errors.append(msg.text))
    return context, page


@pytest.fixture
def page(browser, live_server):
    context, page = open_page(browser, live_server.url)
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo county, small: what `make run` loads, with 60 entities per department."""
    from django.core.management import call_command

    call_command("seed_demo", "--entities", "60", "--password", "Demo-Pass-2026", "--quiet-accounts")
    return "Demo-Pass-2026"


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str, password: str, to: str = "/") -> None:
    """Log in through the form, landing on ``to`` (the dashboard unless said)."""
    page.goto(page.base + "/accounts/login/" + (f"?{urlencode({'next': to})}" if to != "/" else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base + to)
