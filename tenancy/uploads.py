"""Attachments (a signed scan of a 备案表, a recusal's proof, an inspection's evidence photo):
an uploaded file is checked by what it contains, not by what it is called, and hashed as it is read.

- ``check_upload(upload)`` reads the upload once, in chunks: its type comes from its first bytes
  (PDF ``%PDF-``, JPEG ``FF D8 FF``, PNG ``89 50 4E 47 0D 0A 1A 0A``); an extension or a declared
  content type naming another type is refused (a renamed file, a script sent as ``scan.pdf``);
  its size is counted against ``settings.ATTACHMENT_MAX_BYTES``; its SHA-256 is computed on the
  way. It returns a ``CheckedUpload`` or raises a ``ValidationError`` in Chinese naming the file.
- ``AttachmentsField``: a form field taking several files (``<input type=file multiple>``),
  each checked; ``cleaned_data`` holds a list of ``CheckedUpload``.
- ``AttachmentBase``: the abstract model every app's attachment model derives from (file,
  original name, content type, size, SHA-256, uploader, tenant columns). The stored file name is
  generated (``attachments/<app>/<model>/YYYY/MM/<uuid>.<ext>``): no user text reaches the disk.
- ``attachment_store(actor=, attachment=, upload=)``: fill, save and audit one attachment (the
  concrete model's own links set by the caller's service).
- ``attachment_response(attachment)``: the download, always as an attachment with the type the
  content was found to be, never sniffed.
"""

from __future__ import annotations

import hashlib
import posixpath
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from . import audit
from .context import Actor
from .i18n import join_list
from .scoping import TenantModel
from .text import strip_control_chars

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]
    # Other names clients give the same type (older browsers, Windows).
    aliases: tuple[str, ...]
    magic: bytes

    def declared_by(self, content_type: str) -> bool:
        return content_type in (self.content_type, *self.aliases)


KINDS: dict[str, FileKind] = {
    "pdf": FileKind("pdf", "PDF", "application/pdf", (".pdf",), ("application/x-pdf", "application/acrobat"), b"%PDF-"),
    "jpeg": FileKind("jpeg", "JPG", "image/jpeg", (".jpg", ".jpeg"), ("image/jpg", "image/pjpeg"), b"\xff\xd8\xff"),
    "png": FileKind("png", "PNG", "image/png", (".png",), ("image/x-png",), b"\x89PNG\r\n\x1a\n"),
}
DEFAULT_KINDS = ("pdf", "jpeg", "png")
# What a client says when it does not know the type: no claim, so nothing to disagree with.
_UNDECLARED = {"", "application/octet-stream", "binary/octet-stream", "application/unknown", "application/x-unknown"}
_HEAD = 16  # bytes of the start the magic numbers need


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def human_size(n: int) -> str:
    """1536 → "1.5 KB", 10485760 → "10 MB" (for messages)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            text = f"{size:.1f}".rstrip("0").rstrip(".") if unit != "B" else str(int(size))
            return f"{text} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def kinds_label(kinds: tuple[str, ...]) -> str:
    return join_list(KINDS[k].label for k in kinds)


def too_large_message(name: str, limit: int, size: str) -> str:
    """The refusal of a file over ``limit`` bytes whose size is known (``size``, already readable:
    ``human_size``): check_upload's, and the upload form's script's ({% upload_limits %}, with
    ``{name}`` and ``{size}`` placeholders it fills in)."""
    return _("“%(name)s”超过了 %(limit)s 的大小上限（%(size)s），请压缩或分页扫描后重新上传。") % {
        "name": name, "limit": human_size(limit), "size": size,
    }


def clean_name(name: str) -> str:
    """The file's own name as shown and offered on download: no path (a browser may send one),
    no control characters, at most 200 characters with its extension kept."""
    base = posixpath.basename(str(name or "").replace("\\", "/"))
    base = strip_control_chars(base, multiline=False).strip() or "附件"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def sniff(head: bytes, kinds: tuple[str, ...] = tuple(KINDS)) -> FileKind | None:
    """The kind whose magic number ``head`` starts with."""
    for key in kinds:
        if head.startswith(KINDS[key].magic):
            return KINDS[key]
    return None


@dataclass(frozen=True)
class CheckedUpload:
    """An upload found to be what it says: its kind by content, its size, its SHA-256."""

    file: UploadedFile
    name: str
    kind: FileKind
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def check_upload(
    upload: UploadedFile, *, kinds: tuple[str, ...] = DEFAULT_KINDS, limit: int | None = None
) -> CheckedUpload:
    """Check one uploaded file (see the module docstring); the file is left rewound."""
    limit = max_bytes() if limit is None else limit
    name = clean_name(getattr(upload, "name", "") or "")
    params = {"name": name, "limit": human_size(limit), "kinds": kinds_label(kinds)}
    # Refused before reading when the size Django counted while receiving it is already too big.
    if upload.size is not None and upload.size > limit:
        raise ValidationError(too_large_message(name, limit, human_size(upload.size)), code="too_large")
    digest = hashlib.sha256()
    head = b""
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < _HEAD:
            head += chunk[: _HEAD - len(head)]
        size += len(chunk)
        if size > limit:
            raise ValidationError(
                _("“%(name)s”超过了 %(limit)s 的大小上限，请压缩或分页扫描后重新上传。") % params, code="too_large"
            )
        digest.update(chunk)
    upload.seek(0)
    if size == 0:
        raise ValidationError(_("“%(name)s”是空文件。") % params, code="empty")
    kind = sniff(head, kinds)
    if kind is None:
        raise ValidationError(
            _("“%(name)s”的内容不是 %(kinds)s 文件，只能上传这几种格式（按文件内容判断，改扩展名无效）。") % params,
            code="type",
        )
    ext = _extension(name)
    if ext not in kind.extensions:
        raise ValidationError(
            _("“%(name)s”的扩展名与文件内容（%(kind)s）不符，请使用 %(ext)s 扩展名。")
            % {**params, "kind": kind.label, "ext": kind.extensions[0]},
            code="extension",
        )
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in _UNDECLARED and not kind.declared_by(declared):
        raise ValidationError(
            _("“%(name)s”声明的类型（%(declared)s）与文件内容（%(kind)s）不符。")
            % {**params, "declared": declared, "kind": kind.label},
            code="content_type",
        )
    return CheckedUpload(file=upload, name=name, kind=kind, size=size, sha256=digest.hexdigest())


# --------------------------------------------------------------------------------------------
# Forms


def _help_text(kinds: tuple[str, ...], limit: int | None, max_files: int, required: bool) -> str:
    params = {"kinds": kinds_label(kinds), "limit": human_size(limit or max_bytes()), "n": max_files}
    if required:
        return _("支持 %(kinds)s，单个文件不超过 %(limit)s，最多 %(n)d 个。") % params
    return _("可选，支持 %(kinds)s，单个文件不超过 %(limit)s，最多 %(n)d 个。") % params


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; ``clean`` gives ``list[CheckedUpload]`` (empty when none)."""

    widget = MultipleFileInput

    def __init__(
        self, *, kinds: tuple[str, ...] = DEFAULT_KINDS, max_files: int = 5, limit: int | None = None, **kwargs: Any
    ) -> None:
        self.kinds = kinds
        self.max_files = max_files
        self.limit = limit
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        accept = ",".join([KINDS[k].content_type for k in kinds] + [e for k in kinds for e in KINDS[k].extensions])
        self.widget.attrs.setdefault("accept", accept)
        if not self.help_text:
            # Lazy: the language of the request, and the limit of the settings in force.
            self.help_text = lazy(_help_text, str)(kinds, limit, max_files, self.required)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedUpload]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise ValidationError(_("最多上传 %(n)d 个附件。") % {"n": self.max_files}, code="max_files")
        checked, errors = [], []
        for f in files:
            try:
                checked.append(check_upload(f, kinds=self.kinds, limit=self.limit))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return checked


# --------------------------------------------------------------------------------------------
# Models


def attachment_path(instance: models.Model, filename: str) -> str:
    """Where an attachment is stored: generated, only the extension (checked) comes from the file."""
    opts = instance._meta
    ext = _extension(filename) or ".bin"
    return f"attachments/{opts.app_label}/{opts.model_name}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class AttachmentBase(TenantModel):
    """An uploaded file of a tenant: derive a concrete model with the link to what it is attached
    to (a filing, a recusal request, an inspection), and create rows through ``attachment_store``.
    Attachments are evidence: append-only, never replaced or edited."""

    file = models.FileField("文件", upload_to=attachment_path, max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=60)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="上传人"
    )

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def size_label(self) -> str:
        return human_size(self.size)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@transaction.atomic
def attachment_store(*, actor: Actor, attachment: AttachmentBase, upload: CheckedUpload, note: str = "") -> AttachmentBase:
    """Save ``upload`` as ``attachment`` (unsaved, its own links set by the caller), owned by the
    actor, and audit it (name, type, size, SHA-256 and stored path; never the content)."""
    if attachment.pk is not None:
        raise ValueError("attachments are append-only")
    attachment.set_tenant(actor)
    attachment.uploaded_by_id = actor.user_id
    attachment.original_name = upload.name
    attachment.content_type = upload.content_type
    attachment.size = upload.size
    attachment.sha256 = upload.sha256
    upload.file.seek(0)
    attachment.file.save(f"upload{upload.kind.extensions[0]}", upload.file, save=False)
    attachment.save()
    fields = [f.name for f in attachment._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at", "file")]
    after = audit.snapshot(attachment, fields) | {"file": attachment.file.name}  # the stored path, not the file object
    audit.record(
        actor=actor, action="create", target=attachment, changes={k: [None, v] for k, v in after.items()},
        note=note or _("上传附件：%(name)s（%(size)s，SHA-256 %(sha)s）")
        % {"name": upload.name, "size": human_size(upload.size), "sha": upload.sha256[:12]},
    )
    return attachment


def attachment_response(attachment: AttachmentBase) -> FileResponse:
    """The stored file as a download under its original name (404 when the file has gone)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("attachment file missing") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

