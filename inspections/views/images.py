"""Evidence images as pages show them: the stored display copy (``Evidence.display``) when there
is one, else a reduced JPEG rendition of the original (at most ``DISPLAY_EDGE`` pixels on its
longer edge), cached by the file's SHA-256 — a phone on a slow connection loads a thumbnail of
tens of kilobytes, not the camera's megabytes. Reads only; the stored evidence is never changed."""

from __future__ import annotations

import io

from django.core.cache import cache
from django.http import Http404, HttpResponse

from inspections.models import Evidence

DISPLAY_EDGE = 640
CACHE_SECONDS = 7 * 24 * 3600


def rendition(data: bytes, *, edge: int = DISPLAY_EDGE) -> tuple[bytes, str]:
    """``data`` (a PNG or JPEG) reduced to fit ``edge`` × ``edge``: ``(bytes, content type)``.
    A PNG stays PNG (a signature's transparency and sharp strokes); a photo becomes JPEG."""
    from PIL import Image, ImageOps  # noqa: PLC0415  (only image pages need it)

    with Image.open(io.BytesIO(data)) as image:
        kind = image.format
        image = ImageOps.exif_transpose(image)
        image.thumbnail((edge, edge))
        out = io.BytesIO()
        if kind == "PNG" or image.mode in ("RGBA", "LA", "P"):
            image.save(out, format="PNG", optimize=True)
            return out.getvalue(), "image/png"
        image.convert("RGB").save(out, format="JPEG", quality=80, optimize=True)
        return out.getvalue(), "image/jpeg"


def display_response(evidence: Evidence) -> HttpResponse:
    if evidence.display:
        try:
            with evidence.display.open("rb") as handle:
                data, content_type = handle.read(), "image/jpeg"
        except (FileNotFoundError, ValueError):
            data, content_type = b"", ""
        if data:
            return _response(data, "image/png" if data.startswith(b"\x89PNG") else content_type)
    key = f"inspections:display:{evidence.sha256}:{DISPLAY_EDGE}"
    cached = cache.get(key)
    if cached is None:
        try:
            with evidence.file.open("rb") as handle:
                original = handle.read()
        except (FileNotFoundError, ValueError) as exc:
            raise Http404("evidence file missing") from exc
        try:
            cached = rendition(original)
        except Exception:  # noqa: BLE001 — a stored file that is no longer a readable image
            raise Http404("not a readable image") from None
        cache.set(key, cached, CACHE_SECONDS)
    data, content_type = cached
    return _response(data, content_type)


def _response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
