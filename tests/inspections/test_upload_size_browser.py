"""A file over the size limit is refused on the phone before it is sent (walk report: a 12 MB photo
went up in full — ~11 minutes on a 150 kbit/s uplink — before the server refused it): the check
form carries the server's limit ({% upload_limits %}) and its message, word for word; a file of no
accepted extension is refused the same way (a hint: the server still checks content); a photo
within the limit still goes up. Chromium at 390×844; requests counted with page.on("request")."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tenancy.uploads import check_upload
from tests.browser.support import PHONE, log_in, open_page, shot
from tests.factories import ship_result_codes
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, first, points_of
from tests.world import build_world

pytestmark = [pytest.mark.browser]

TWELVE_MB = 12 * 1024 * 1024


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 190)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _server_says(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile(name, content, content_type="image/jpeg"))
    return refused.value.messages[0]


def test_a_file_over_the_limit_is_refused_at_once_without_a_request(
    browser, live_server, transactional_db, settings, tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    [p1, _p2] = points_of(inspection)
    inspector = d.users[inspection.team[0]]

    context, page = open_page(browser, live_server.url, PHONE)
    log_in(page, inspector.username, "x")
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    assert int(page.get_attribute("#draft-form", "data-max-bytes")) == settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024

    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    big = b"\xff\xd8\xff" + b"\0" * (TWELVE_MB - 3)  # a JPEG's start, 12 MB
    page.set_input_files(f'[data-testid="evidence-input-{p1.pk}"]',
                         files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": big}])
    status = page.locator(f'.upload-row:has([data-testid="evidence-input-{p1.pk}"]) [data-upload-status]')
    expect_text = _server_says("现场照片.jpg", big)
    assert expect_text == "“现场照片.jpg”超过了 10 MB 的大小上限（12 MB），请压缩或分页扫描后重新上传。"
    page.wait_for_function("el => el.textContent.length > 0", arg=status.element_handle())
    assert status.inner_text() == expect_text and "text-bad" in status.get_attribute("class")
    assert page.input_value(f'[data-testid="evidence-input-{p1.pk}"]') == ""  # cleared: choose again
    shot(page, "inspection-upload-too-large-phone")

    # Not a photo or PDF by its name: refused here too, naming the kinds.
    page.set_input_files(f'[data-testid="evidence-input-{p1.pk}"]',
                         files=[{"name": "说明.docx", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04x"}])
    page.wait_for_function("el => el.textContent.indexOf('说明.docx') >= 0", arg=status.element_handle())
    assert status.inner_text() == "“说明.docx”不是 PDF、JPG、PNG 文件，只能上传这几种格式。"
    assert sent == [], sent  # neither file left the phone

    # A photo within the limit goes up as before, and the refusal's colour is gone.
    page.set_input_files(f'[data-testid="evidence-input-{p1.pk}"]',
                         files=[{"name": "现场照片.JPG", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector(f'[data-testid="evidence-{p1.pk}"] [data-testid="evidence-thumb"]')
    assert [r for r in sent if r.startswith("POST ") and f"/inspections/{inspection.pk}/" in r]
    assert "text-bad" not in (status.get_attribute("class") or "") and status.inner_text() == ""
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not page.console_errors, page.console_errors

    # The site icon: /favicon.ico (asked for by pages without the layout's link) is the static one.
    icon = page.goto(f"{live_server.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert icon.url.endswith("/static/img/favicon.ico") and icon.body()[:4] == b"\0\0\1\0"
    context.close()
