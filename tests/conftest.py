from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.browser.support import browser, demo, page  # noqa: F401  (fixtures for every browser test)
from tests.world import PASSWORD, World, build_world


@pytest.fixture(autouse=True)
def _default_language():
    # A request in English leaves English active in the thread (LocaleMiddleware does not reset
    # it): the next test of the same worker would read English messages where it expects Chinese.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def login(client: Client):
    """Log ``client`` in as a user (force_login skips axes; the lockout test logs in for real)."""

    def _login(user) -> Client:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD
