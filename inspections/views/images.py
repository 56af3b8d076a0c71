"""Evidence images as pages show them: the display copy stored at upload (``Evidence.display``,
at most ``DISPLAY_EDGE`` pixels on its longer edge; ``services.images``) — a phone on a slow
connection loads tens of kilobytes, not the camera's megabytes.

A row from before display copies (or whose copy is missing on this server) gets one made from
the original on its first view, stored, and named on the row: the next view reads it. The
original is only read."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse

from inspections.models import Evidence
from inspections.services import images
from inspections.services.images import DISPLAY_EDGE
from tenancy.scoping import current_actor

__all__ = ["DISPLAY_EDGE", "display_response"]


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
        with evidence.file.open("rb") as handle:
            copy = images.display_copy(handle, name=evidence.original_name)
    except (OSError, ValueError) as exc:
        raise Http404("evidence file missing") from exc
    except ValidationError:  # a stored file that is no longer a readable image
        raise Http404("not a readable image") from None
    _keep(evidence, copy)
    return _response(copy.data, copy.content_type)


def _keep(evidence: Evidence, copy: images.DisplayCopy) -> None:
    """Store the copy made on view and name it on the row, when the viewer's department may
    write the row (a derived file: the row's evidence — the original, its hash — is untouched;
    another department's viewer is served the copy, not stored). Two first views at once: the
    later copy is dropped."""
    actor = current_actor()
    if actor is None or not evidence.writable_by(actor):
        return
    storage = evidence.file.storage
    try:
        name = images.display_store(evidence, copy)
    except OSError:  # a read-only storage: the copy is made again next time
        return
    if Evidence.objects.filter(pk=evidence.pk, display=evidence.display).update(display=name):
        evidence.display = name
    else:
        storage.delete(name)


def _response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
