"""Evidence images as pages show them: the display copy stored at upload (``Evidence.display``,
at most ``DISPLAY_EDGE`` pixels on its longer edge; ``services.images``) — a phone on a slow
connection loads tens of kilobytes, not the camera's megabytes.

A row from before display copies (or whose copy is missing on this server) gets one made from
the original on its first view (``images.display_fill``), stored, and named on the row: the next
view reads it (``manage.py evidence_display_copies`` makes them all at once). The original is
only read."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse

from inspections.models import Evidence
from inspections.services import images

__all__ = ["display_response"]


def display_response(evidence: Evidence) -> HttpResponse:
    storage = evidence.file.storage
    if evidence.display:
        try:
            with storage.open(evidence.display, "rb") as handle:
                data = handle.read()
        except (OSError, ValueError):  # the copy is missing on this server: made again below
            data = b""
        if data:
            return _response(data, images.content_type_of(data))
    try:
        copy = images.display_fill(evidence)
    except (OSError, ValueError) as exc:
        raise Http404("evidence file missing") from exc
    except ValidationError:  # a stored file that is no longer a readable image
        raise Http404("not a readable image") from None
    return _response(copy.data, copy.content_type)


def _response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
