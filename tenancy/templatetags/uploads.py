"""``{% load uploads %}``, ``<form … {% upload_limits %}>``: the limits of tenancy.uploads as data
attributes, so a page's script refuses a file the server would refuse before sending it (on a
150 kbit/s uplink a 12 MB photo took ~11 minutes to upload for a refusal). The server still checks
every file (by content); the script's check by extension is a hint."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tenancy.uploads import DEFAULT_KINDS, KINDS, kinds_label, max_bytes, too_large_message

register = template.Library()


@register.simple_tag
def upload_limits(kinds: str = "") -> SafeString:
    """``data-max-bytes``, ``data-extensions`` and the two messages (``{name}`` and ``{size}`` filled
    in by the script): the size message is the server's own (``too_large_message``, check_upload's)."""
    keys = tuple(k for k in kinds.split(",") if k) or DEFAULT_KINDS
    limit = max_bytes()
    too_large = too_large_message("{name}", limit, "{size}")
    wrong_type = _("“%(name)s”不是 %(kinds)s 文件，只能上传这几种格式。") % {"name": "{name}", "kinds": kinds_label(keys)}
    return format_html(
        'data-max-bytes="{}" data-extensions="{}" data-text-too-large="{}" data-text-wrong-type="{}"',
        limit, ",".join(e for k in keys for e in KINDS[k].extensions), too_large, wrong_type,
    )
