"""Evidence images' display copies: the smaller copy pages show and record sheets embed, made
once, when the image is uploaded (``evidence_add``), and stored beside the original through the
same storage; ``Evidence.display`` names it. The original is stored as uploaded, never changed.

Memory stays bounded whatever the camera: a JPEG is decoded at a reduced scale (``draft``: the
decoder scales by 1/2 to 1/8, an 8000×6000 photo decodes at 2000×1500, ~9 MB instead of 144 MB);
a PNG cannot be, so PNGs have a lower pixel limit. An image over its limit — a decompression
bomb: a small file declaring a huge canvas — is refused at upload with a clear error, before
anything is decoded.
"""

from __future__ import annotations

import io
import posixpath
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _

from inspections.models import Evidence
from tenancy.scoping import current_actor
from tenancy.uploads import attachment_path

DISPLAY_EDGE = 640
# Pixels an uploaded image may have. A JPEG is decoded through draft() at 1/8 to 1/2 scale
# (80 megapixels decode to ~5–20 MB); Pillow's own bomb limit (Image.MAX_IMAGE_PIXELS, 89.5 MP)
# is of the same order. A PNG is decoded whole (4 bytes a pixel): 20 MP is 80 MB at most, far
# above a phone's screenshot (3 MP) or an A4 scan at 300 dpi (8.7 MP).
JPEG_MAX_PIXELS = 80_000_000
PNG_MAX_PIXELS = 20_000_000


@dataclass(frozen=True)
class DisplayCopy:
    """The original's pixel size and the reduced copy (bytes, content type, extension)."""

    width: int
    height: int
    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return ".png" if self.content_type == "image/png" else ".jpg"


def pixel_count(pixels: int) -> str:
    """A pixel limit as the message's language counts it: in 万 (10,000) in Chinese, in megapixels
    elsewhere (the English message says "megapixels"; 8000 万 reads as 80)."""
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh"):
        return f"{pixels // 10_000}"
    return f"{pixels / 1_000_000:g}"


def _too_large(name: str, limit: int) -> ValidationError:
    return ValidationError(
        {"file": _("“%(name)s”的图像尺寸过大（超过 %(limit)s 万像素），无法处理，请缩小后重新上传。")
         % {"name": name, "limit": pixel_count(limit)}},
        code="too_many_pixels",
    )


def _unreadable(name: str) -> ValidationError:
    return ValidationError({"file": _("“%(name)s”无法作为图片读取。") % {"name": name}}, code="unreadable")


def display_copy(file: IO[bytes], *, name: str, edge: int = DISPLAY_EDGE) -> DisplayCopy:
    """``file`` (a PNG or JPEG, read from its start, left rewound) reduced to fit ``edge`` ×
    ``edge``, turned upright by its EXIF orientation, without its metadata. A PNG stays PNG (a
    signature's sharp strokes and transparency); a photo becomes JPEG. Raises a
    ``ValidationError`` (on ``file``) for an image over its pixel limit or one that cannot be read."""
    from PIL import Image  # noqa: PLC0415  (only images need it)

    file.seek(0)
    is_jpeg = file.read(3) == b"\xff\xd8\xff"
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # Past Image.MAX_IMAGE_PIXELS Pillow only warns (past twice that it raises): our own
            # limits below decide.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file)
    except Image.DecompressionBombError:
        raise _too_large(name, JPEG_MAX_PIXELS if is_jpeg else PNG_MAX_PIXELS) from None
    except Exception:  # noqa: BLE001 — a corrupt body behind valid magic bytes
        raise _unreadable(name) from None
    try:
        with image:
            width, height = image.size
            limit = JPEG_MAX_PIXELS if image.format == "JPEG" else PNG_MAX_PIXELS
            if width * height > limit:
                raise _too_large(name, limit)
            try:
                data, content_type = _reduce(image, edge)
            except Exception:  # noqa: BLE001 — truncated or corrupt pixel data
                raise _unreadable(name) from None
    finally:
        file.seek(0)
    return DisplayCopy(width=width, height=height, data=data, content_type=content_type)


def _reduce(image: Any, edge: int) -> tuple[bytes, str]:
    from PIL import ImageOps  # noqa: PLC0415

    kind = image.format
    if kind == "JPEG":
        # Decode at the smallest DCT scale still twice the target (as thumbnail()'s reducing_gap):
        # before exif_transpose, which would otherwise decode the whole frame.
        image.draft(image.mode, (edge * 2, edge * 2))
    image = ImageOps.exif_transpose(image)
    image.thumbnail((edge, edge))
    out = io.BytesIO()
    if kind == "PNG" or image.mode in ("RGBA", "LA", "P", "PA"):
        if image.mode not in ("1", "L", "LA", "P", "PA", "RGB", "RGBA"):
            image = image.convert("RGBA")  # 16-bit and 32-bit PNGs
        image.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    image.convert("RGB").save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue(), "image/jpeg"


def display_name(evidence: Any, copy: DisplayCopy) -> str:
    """Where a display copy is stored: a generated name beside the attachments, ``-display``."""
    stem, ext = posixpath.splitext(attachment_path(evidence, f"display{copy.extension}"))
    return f"{stem}-display{ext}"


def display_store(evidence: Any, copy: DisplayCopy) -> str:
    """Store ``copy`` through the storage of the evidence's files; returns its storage name."""
    storage = evidence.file.storage
    return storage.save(display_name(evidence, copy), ContentFile(copy.data))


def display_fill(evidence: Evidence) -> DisplayCopy:
    """The display copy of a row that has none (stored before copies were made at upload, or its
    copy missing on this server), made from the original; stored and named on the row when the
    current actor's department may write the row (a derived file: the original and its hash are
    untouched; another department's viewer is served the copy, not stored). Two at once: the
    later copy is dropped. Raises ``OSError`` when the original is missing, ``ValidationError``
    when it is no longer a readable image."""
    with evidence.file.open("rb") as handle:
        copy = display_copy(handle, name=evidence.original_name)
    actor = current_actor()
    if actor is None or not evidence.writable_by(actor):
        return copy
    storage = evidence.file.storage
    try:
        name = display_store(evidence, copy)
    except OSError:  # a read-only storage: the copy is made again next time
        return copy
    if Evidence.objects.filter(pk=evidence.pk, display=evidence.display).update(display=name):
        evidence.display = name
    else:
        storage.delete(name)
    return copy


def content_type_of(data: bytes) -> str:
    """A stored copy's type from its bytes (both kinds are checked images), never its name."""
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
