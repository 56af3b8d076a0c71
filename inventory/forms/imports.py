"""Forms of the import pages: the upload (the kinds the actor may import) and the mode of a confirmation.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory import policies
from inventory.models import ImportJob
from tenancy.context import Actor
from tenancy.forms import Form


def kind_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(k, label) for k, label in ImportJob.Kind.choices if policies.can_import_kind(actor, k)]


class UploadForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入类型"))
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码）；表头上方可以有标题行，列的顺序不限。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt", "data-testid": "import-file"}),
    )

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(actor)
        self.fields["kind"].widget.attrs["data-testid"] = "import-kind"

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(_("文件过大：上限为 %(mb)s MB") % {"mb": round(limit / 2**20, 1)})
        return upload


class ConfirmForm(Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("导入方式"), choices=ImportJob.Mode.choices, widget=forms.RadioSelect, initial=ImportJob.Mode.ALL
    )
