"""tenancy/uploads.py: an attachment is checked by its content (magic bytes), its size and its
declared name/type, and hashed while it is read. (The model base and the download are tested
through a concrete attachment model: tests/sampling/test_filings.py.)"""

from __future__ import annotations

import hashlib

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from tenancy.uploads import AttachmentsField, check_upload, clean_name, human_size

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "declared", "kind", "content_type"),
    [
        ("签字扫描件.pdf", PDF, "application/pdf", "pdf", "application/pdf"),
        ("IMG_0001.JPG", JPEG, "image/jpeg", "jpeg", "image/jpeg"),
        ("photo.jpeg", JPEG, "image/pjpeg", "jpeg", "image/jpeg"),
        ("scan.png", PNG, "", "png", "image/png"),
        ("scan.png", PNG, "application/octet-stream", "png", "image/png"),  # no claim: content decides
    ],
)
def test_accepted_by_content_with_its_hash(name, content, declared, kind, content_type):
    checked = check_upload(upload(name, content, declared))
    assert checked.kind.key == kind and checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.name == name
    assert checked.file.read() == content  # left rewound for storing


@pytest.mark.parametrize(
    ("name", "content", "declared", "message"),
    [
        # An HTML page renamed to .pdf: the content decides.
        ("scan.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "内容不是 PDF、JPG、PNG 文件"),
        ("签字.pdf", b"", "application/pdf", "空文件"),
        # Real PNG content under a .pdf name, or declared as a PDF.
        ("签字.pdf", PNG, "", "扩展名与文件内容（PNG）不符"),
        ("签字.png", PNG, "application/pdf", "声明的类型（application/pdf）与文件内容（PNG）不符"),
        ("签字", PDF, "application/pdf", "扩展名与文件内容（PDF）不符"),
        ("report.exe", b"MZ\x90\x00", "application/octet-stream", "内容不是"),
    ],
)
def test_refused_with_a_chinese_message_naming_the_file(name, content, declared, message):
    with pytest.raises(ValidationError) as exc:
        check_upload(upload(name, content, declared))
    text = " ".join(exc.value.messages)
    assert message in text and (name or "附件") in text


def test_size_limit_is_a_setting(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    assert check_upload(upload("a.pdf", PDF)).size == len(PDF)
    with pytest.raises(ValidationError, match="超过了 100 B 的大小上限") as exc:
        check_upload(upload("大.pdf", PDF + b"x" * 100))
    assert exc.value.code == "too_large"
    # Counted while streaming too, whatever size the upload object claims.
    lying = upload("大.pdf", PDF + b"x" * 100)
    lying.size = 10
    with pytest.raises(ValidationError, match="大小上限"):
        check_upload(lying)


def test_a_name_keeps_no_path_or_control_characters():
    assert clean_name("C:\\Users\\x\\签字\x07扫描.pdf") == "签字扫描.pdf"
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    long = "长" * 300 + ".pdf"
    assert clean_name(long).endswith(".pdf") and len(clean_name(long)) == 200
    assert human_size(10 * 1024 * 1024) == "10 MB" and human_size(1536) == "1.5 KB"


class _Form(forms.Form):
    files = AttachmentsField(max_files=2)


def _bound(*files):
    return _Form(data={}, files=MultiValueDict({"files": list(files)}))


def test_the_field_takes_several_files_and_names_each_bad_one(settings):
    form = _bound(upload("a.pdf", PDF), upload("b.png", PNG))
    assert form.is_valid(), form.errors
    assert [c.kind.key for c in form.cleaned_data["files"]] == ["pdf", "png"]
    empty = _Form(data={}, files=MultiValueDict())
    assert empty.is_valid() and empty.cleaned_data["files"] == []
    bad = _bound(upload("a.pdf", PNG), upload("b.png", b"GIF89a"))
    assert not bad.is_valid()
    errors = bad.errors["files"]
    assert len(errors) == 2 and "a.pdf" in errors[0] and "b.png" in errors[1]
    too_many = _bound(upload("a.pdf", PDF), upload("b.pdf", PDF), upload("c.pdf", PDF))
    assert not too_many.is_valid() and "最多上传 2 个附件" in too_many.errors["files"][0]
    html = str(_Form()["files"])
    assert "multiple" in html and 'accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"' in html
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    assert "2 MB" in str(_Form().fields["files"].help_text)  # the limit in force, read when shown
    assert str(_Form().fields["files"].help_text).startswith("可选")
    assert not str(AttachmentsField(required=True).help_text).startswith("可选")
