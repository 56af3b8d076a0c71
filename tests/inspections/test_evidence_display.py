"""Evidence images' display copies: made once at upload, stored beside the original (which stays
byte for byte as uploaded), served to pages; a camera's 8000×6000 photo is reduced without
decoding it whole; a decompression bomb is refused at upload with a clear error; an older row
without a copy gets one on its first view."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from inspections.models import Evidence, Inspection
from inspections.services import images
from inspections.services import inspections as svc
from tenancy.models import Organization
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload
from tests.factories import ship_result_codes
from tests.inspections.conftest import Drawn, drawn
from tests.inspections.support import first, member_of, png, points_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def camera_jpeg() -> bytes:
    """An 8000×6000 photo as a phone camera stores it: ~9 MB of JPEG (smooth noise, which does
    not compress away), taken with the phone turned (EXIF orientation 6: shown rotated 90°)."""
    noise = Image.effect_noise((500, 375), 90).resize((8000, 6000), Image.Resampling.BILINEAR)
    image = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_canvas(width: int, height: int) -> bytes:
    """A valid 1-bit grayscale PNG of ``width`` × ``height`` white pixels, written row by row:
    a few hundred kilobytes that decode to ``width × height`` pixels (a decompression bomb when
    that is huge)."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def upload(name: str, data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def member_client(d: Drawn, inspection: Inspection) -> Client:
    client = Client()
    client.force_login(d.users[inspection.team[0]], backend="django.contrib.auth.backends.ModelBackend")
    return client


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_camera_photo_gets_a_display_copy_at_upload_and_the_original_is_kept(world, settings):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [point, *_] = points_of(inspection)
    client = member_client(d, inspection)
    photo = camera_jpeg()
    assert 8 * 2**20 < len(photo) < 10 * 2**20
    response = client.post(reverse("inspections:evidence_add", args=[inspection.pk]),
                           {"point": point.pk, "file": upload("现场.jpg", photo), "caption": "门头"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    with scopes_disabled():
        evidence = Evidence.objects.get(inspection=inspection)
    # The original: as uploaded, its size and hash recorded; the copy: stored, named on the row.
    assert (evidence.width, evidence.height, evidence.size) == (8000, 6000, len(photo))
    assert evidence.sha256 == hashlib.sha256(photo).hexdigest()
    with evidence.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == evidence.sha256
    assert evidence.display and evidence.display != evidence.file.name
    assert evidence.display.endswith("-display.jpg") and default_storage.exists(evidence.display)
    # Served: the stored copy (upright: the camera's orientation applied), ≤ 640 px, small.
    thumb = client.get(reverse("inspections:evidence_display", args=[inspection.pk, evidence.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with default_storage.open(evidence.display, "rb") as handle:
        assert thumb.content == handle.read()
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.format == "JPEG" and image.size == (480, 640)
        assert not image.getexif()  # no camera metadata (a phone's GPS position) on pages
    assert len(thumb.content) < 200 * 1024
    # Serving changed nothing stored.
    with scopes_disabled():
        assert Evidence.objects.get(pk=evidence.pk).display == evidence.display
    with evidence.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(photo).hexdigest()


def test_reducing_a_camera_photo_does_not_decode_it_whole(tmp_path):
    """Decoded whole, 8000×6000 RGB is 144 MB (twice that with the upright copy); through the
    JPEG decoder's reduced scale it is a few megabytes. Measured in a fresh process."""
    source = tmp_path / "camera.jpg"
    source.write_bytes(camera_jpeg())
    script = (
        "import json, os, resource, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test')\n"
        "import django; django.setup()\n"
        "from PIL import Image\n"
        "from inspections.services import images\n"
        "Image.new('RGB', (64, 64)).save(os.devnull, format='JPEG')  # codecs loaded before the baseline\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "with open(sys.argv[1], 'rb') as handle:\n"
        "    copy = images.display_copy(handle, name='camera.jpg')\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'grew_mb': (after - before) / 1024, 'size': [copy.width, copy.height], 'bytes': len(copy.data)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(source)], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["size"] == [8000, 6000] and result["bytes"] > 0
    assert result["grew_mb"] < 60, result


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (5_000, 5_000)])
def test_an_image_with_too_many_pixels_is_refused_at_upload_with_a_clear_error(world, settings, width, height):
    """30000×30000 is a decompression bomb (900 megapixels in ~100 KB; Pillow itself refuses
    it); 5000×5000 is over the PNG limit (decoded whole, it would take 100 MB). Both: a 400
    naming the file and the limit, nothing stored."""
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [point, *_] = points_of(inspection)
    client = member_client(d, inspection)
    bomb = png_canvas(width, height)
    assert len(bomb) < 2 * 2**20
    before = stored_files(Path(settings.MEDIA_ROOT))
    response = client.post(reverse("inspections:evidence_add", args=[inspection.pk]),
                           {"point": point.pk, "file": upload("签到表.png", bomb)}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "“签到表.png”的图像尺寸过大（超过 2000 万像素）" in error and "请缩小后重新上传" in error
    with scopes_disabled():
        assert not Evidence.objects.filter(inspection=inspection).exists()
    assert stored_files(Path(settings.MEDIA_ROOT)) == before
    # The same through the service (the API's path).
    actor = member_of(d, inspection)
    with actor_scope(actor), pytest.raises(ValidationError) as caught:
        svc.evidence_add(actor=actor, inspection=inspection, point_id=point.pk,
                         upload=check_upload(SimpleUploadedFile("签到表.png", bomb, "image/png")))
    assert "图像尺寸过大" in caught.value.message_dict["file"][0]
    with scopes_disabled():
        assert not Evidence.objects.filter(inspection=inspection).exists()


def test_a_signature_stays_png_in_its_display_copy(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    client = member_client(d, inspection)
    response = client.post(reverse("inspections:signature", args=[inspection.pk]), {"file": png("签字.png", (1200, 400))},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    with scopes_disabled():
        signature = Inspection.objects.get(pk=inspection.pk).signature
    assert signature.display.endswith("-display.png")
    served = client.get(response.json()["url"])
    assert served["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and image.size == (640, 213)


def test_an_older_row_without_a_copy_gets_one_on_its_first_view(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [point, *_] = points_of(inspection)
    actor = member_of(d, inspection)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (120, 160, 200)).save(buffer, format="JPEG", quality=90)
    with actor_scope(actor):
        evidence = svc.evidence_add(actor=actor, inspection=inspection, point_id=point.pk,
                                    upload=check_upload(SimpleUploadedFile("旧照片.jpg", buffer.getvalue(), "image/jpeg")))
    # As rows stored before display copies were made at upload.
    default_storage.delete(evidence.display)
    with scopes_disabled():
        Evidence.objects.filter(pk=evidence.pk).update(display="")
    client = member_client(d, inspection)
    url = reverse("inspections:evidence_display", args=[inspection.pk, evidence.pk])
    first_view = client.get(url)
    assert first_view.status_code == 200 and first_view["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(first_view.content)) as image:
        assert image.size == (640, 480)
    with scopes_disabled():
        stored = Evidence.objects.get(pk=evidence.pk).display
    assert stored and default_storage.exists(stored)
    with default_storage.open(stored, "rb") as handle:
        assert handle.read() == first_view.content
    assert client.get(url).content == first_view.content
    with scopes_disabled():
        assert Evidence.objects.get(pk=evidence.pk).display == stored


def test_display_copy_of_an_unreadable_image_is_a_clear_error():
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(ValidationError) as caught:
        images.display_copy(io.BytesIO(broken), name="坏图.png")
    assert caught.value.message_dict["file"] == ["“坏图.png”无法作为图片读取。"]


def test_the_demos_images_have_display_copies():
    """seed_demo stores its photos and signatures through evidence_add: each with its copy."""
    call_command("seed_demo", "--entities", "48", "--password", "Demo-Pass-2026", "--quiet-accounts", stdout=io.StringIO())
    with scopes_disabled():
        rows = list(Evidence.objects.filter(content_type__startswith="image/"))
    assert {r.kind for r in rows} == {"photo", "signature"}
    for row in rows:
        assert row.display and row.display != row.file.name
        with default_storage.open(row.display, "rb") as handle, Image.open(handle) as image:
            assert image.format == ("PNG" if row.kind == "signature" else "JPEG")
            assert max(image.size) <= images.DISPLAY_EDGE


def test_the_command_makes_the_missing_copies_of_an_organizations_images(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [point, *_] = points_of(inspection)
    actor = member_of(d, inspection)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (120, 160, 200)).save(buffer, format="JPEG", quality=90)
    with actor_scope(actor):
        rows = [svc.evidence_add(actor=actor, inspection=inspection, point_id=point.pk,
                                 upload=check_upload(SimpleUploadedFile(f"旧照片{n}.jpg", buffer.getvalue(), "image/jpeg")))
                for n in range(2)]
    for row in rows:
        default_storage.delete(row.display)
    with scopes_disabled():
        Evidence.objects.filter(pk__in=[r.pk for r in rows]).update(display="")
        org = Organization.objects.get(pk=rows[0].organization_id)
    out = io.StringIO()
    call_command("evidence_display_copies", "--org", org.name, stdout=out)
    assert "已生成显示图 2 张" in out.getvalue()
    with scopes_disabled():
        filled = list(Evidence.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    for row in filled:
        with default_storage.open(row.display, "rb") as handle, Image.open(handle) as image:
            assert image.size == (640, 480)
    # A second run has nothing left to make.
    out = io.StringIO()
    call_command("evidence_display_copies", "--org", org.name, stdout=out)
    assert "已生成显示图 0 张" in out.getvalue()
