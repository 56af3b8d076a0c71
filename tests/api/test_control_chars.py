"""Control characters: every input refuses them (by construction: every model text field, every
form and every serializer of our apps), and every export writes out what older rows hold."""

from __future__ import annotations

import csv
import importlib
import io
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import load_workbook
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.test import APIClient

from inventory.codes import make_uscc
from inventory.models import CheckItem, CheckPoint, Inspector, MarketEntity
from tenancy.forms import TextInputsMixin as FormTextInputs
from tenancy.serializers import TextInputsMixin as SerializerTextInputs
from tenancy.validators import guard_form_field, our_app_configs
from tests.factories import make_entity, make_inspector, make_item

CONFIGS = tuple(our_app_configs())
APPS = tuple(config.name for config in CONFIGS)  # module paths (a test app's label is not one)
BAD = "阳城\x01县"


def our_modules():
    for name in APPS:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".migrations" in info.name or info.name.endswith(".tests"):
                continue
            yield importlib.import_module(info.name)


def our_classes(base: type) -> list[type]:
    found = {}
    for module in our_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, base) and value.__module__.startswith(tuple(f"{name}." for name in APPS)):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


# ----------------------------------------------------------------------------------- models


def text_model_fields():
    for config in CONFIGS:
        for model in config.get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.CharField | models.TextField) and field.model is model:
                    yield pytest.param(field, id=f"{model._meta.label}.{field.name}")


@pytest.mark.parametrize("field", list(text_model_fields()))
def test_every_model_text_field_refuses_control_characters(field):
    with pytest.raises(ValidationError) as refused:
        field.run_validators(BAD)
    assert "U+0001" in str(refused.value)
    with pytest.raises(ValidationError):
        field.run_validators("a\x00b")
    if isinstance(field, models.TextField):
        field.run_validators("第一行\n第二行\r\n\t缩进")  # several lines are what a TextField is for
    else:
        with pytest.raises(ValidationError):
            field.run_validators("一行\n两行")


def test_the_apps_of_the_project_are_walked():
    assert {"tenancy", "inventory", "sampling"} <= set(APPS) and "auth" not in APPS and "django_filters" not in APPS


def test_the_walk_covers_the_fields_of_the_issue():
    names = {p.id for p in text_model_fields()}
    assert {"inventory.MarketEntity.name", "inventory.Inspector.name", "inventory.Inspector.phone",
            "inventory.CheckItem.content", "sampling.SamplingPlan.name", "tenancy.Organization.name"} <= names
    assert len(names) > 60


def test_the_rule_does_not_change_migrations():
    field = MarketEntity._meta.get_field("name")
    assert "validators" not in field.deconstruct()[3]


# ----------------------------------------------------------------------------------- forms


FORMS = our_classes(forms.BaseForm)


def test_the_form_walk_finds_the_forms():
    names = {f"{c.__module__}.{c.__qualname__}" for c in FORMS}
    assert {"inventory.forms.inspectors.InspectorForm", "inventory.forms.entities.EntityForm", "sampling.forms.plans.PlanForm",
            "sampling.forms.recusals.RecusalRequestForm", "sampling.forms.filings.FilingDecisionForm"} <= names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_form_of_our_apps_guards_its_text_fields(form_class):
    # The mixin puts the rule on self.fields at clean time: fields added in __init__ are covered.
    assert issubclass(form_class, FormTextInputs), "derive from tenancy.forms.Form/ModelForm"
    assert form_class.full_clean is FormTextInputs.full_clean or "full_clean" not in vars(form_class)
    for name, field in form_class.base_fields.items():
        if not isinstance(field, forms.CharField):
            continue
        copy = field.__deepcopy__({})
        guard_form_field(copy)
        copy.required = False
        with pytest.raises(ValidationError):
            copy.clean("甲\x01乙")
        if isinstance(copy.widget, forms.Textarea):
            assert copy.clean("第一行\n第二行") == "第一行\n第二行", name
        else:
            with pytest.raises(ValidationError):
                copy.clean("甲\x0b乙")


@pytest.mark.django_db
def test_the_inspector_form_refuses_a_vertical_tab_in_the_name_and_keeps_what_was_typed(world, login):
    client = login(world.user("A1", "admin"))
    response = client.post(reverse("inventory:inspector_create"), {"name": "张\x0b三", "cert_no": "14052200099", "status": "active"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "U+000B" in body and "控制字符" in body and "张\x0b三" in body  # the typed value is kept
    with scopes_disabled():
        assert not Inspector.objects.filter(cert_no="14052200099").exists()


def test_a_form_field_added_in_init_is_guarded_and_a_textarea_keeps_lines():
    from sampling.forms.recusals import RecusalRequestForm

    class WithExtra(RecusalRequestForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["extra"] = forms.CharField(required=False)

    form = WithExtra(data={"slot": "1:2", "kind": "recusal", "reason": "第一行\n第二行\x01", "extra": "a\x02"}, slots=[("1:2", "x")])
    assert "U+0001" in str(form.errors["reason"]) and "U+0002" in str(form.errors["extra"])
    form = WithExtra(data={"slot": "1:2", "kind": "recusal", "reason": "第一行\n第二行"}, slots=[("1:2", "x")])
    assert form.is_valid() and form.cleaned_data["reason"] == "第一行\n第二行"


# ----------------------------------------------------------------------------------- serializers


SERIALIZERS = [c for c in our_classes(serializers.BaseSerializer) if c.__module__ != "tenancy.serializers" or c.__name__ not in ("Serializer", "ModelSerializer")]


def writable_text_fields(serializer, path=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        here = f"{path}{name}"
        if isinstance(field, serializers.ListSerializer):
            yield from writable_text_fields(field.child, here + "[].")
        elif isinstance(field, serializers.BaseSerializer):
            yield from writable_text_fields(field, here + ".")
        elif isinstance(field, serializers.ListField | serializers.DictField):
            if isinstance(field.child, serializers.CharField):
                yield here + "[]", field.child
        elif isinstance(field, serializers.CharField):
            yield here, field


@pytest.mark.django_db
@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_serializer_of_our_apps_refuses_control_characters(serializer_class):
    assert issubclass(serializer_class, SerializerTextInputs), "derive from tenancy.serializers.(Model)Serializer"
    with scopes_disabled():
        serializer = serializer_class(context={})
        for name, field in writable_text_fields(serializer):
            with pytest.raises(ApiValidationError):
                field.run_validation("甲\x01乙")
            multiline = field.style.get("base_template") == "textarea.html"
            if multiline:
                assert field.run_validation("第一行\n第二行") == "第一行\n第二行", name


def test_the_serializer_walk_finds_the_writable_ones():
    names = {f"{c.__module__}.{c.__qualname__}" for c in SERIALIZERS}
    assert {"inventory.serializers.entities.EntitySerializer", "inventory.serializers.inspectors.InspectorSerializer",
            "inventory.serializers.items.CheckItemSerializer", "sampling.serializers.filings.FilingDecideSerializer"} <= names


def api(world, org: str = "A1", role: str = "admin") -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.django_db
def test_the_api_refuses_a_control_character_with_a_field_error(world):
    client = api(world)
    code = make_uscc("91", "140522", "MA0K11111")
    response = client.post("/api/v1/entities/", {"code": code, "name": BAD}, format="json")
    assert response.status_code == 400 and "U+0001" in response.json()["name"][0]
    response = client.post("/api/v1/inspectors/", {"name": "孙一", "cert_no": "A-9", "specialties": ["网\x1f吧"]}, format="json")
    assert response.status_code == 400 and "specialties" in response.json()
    response = client.post(
        "/api/v1/check-items/", {"code": "N-1", "name": "事项", "change_reason": "x\x7f", "points": [{"project": "一\x02"}]}, format="json"
    )
    assert response.status_code == 400
    assert "change_reason" in response.json() and "project" in response.json()["points"]["0"]
    # Several lines are fine where the field holds several lines.
    ok = client.post("/api/v1/check-items/", {"code": "N-2", "name": "事项", "content": "一、\n二、\t说明"}, format="json")
    assert ok.status_code == 201 and ok.json()["content"] == "一、\n二、\t说明"
    with scopes_disabled():
        assert not MarketEntity.objects.filter(code=code).exists()


# ----------------------------------------------------------------------------------- exports


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_write_out_rows_that_hold_control_characters(world, login, fmt):
    entity = make_entity(world, "A1", name="甲公司")
    inspector = make_inspector(world, "A1", name="张三")
    item = make_item(world, "A1", name="事项")
    with scopes_disabled():
        # Older rows, stored before inputs refused them (update() bypasses every validator).
        MarketEntity.objects.filter(pk=entity.pk).update(name="甲\x01公司", address="=1+1\x02")
        Inspector.objects.filter(pk=inspector.pk).update(name="张\x0b三", position="\x01=cmd")
        CheckItem.objects.filter(pk=item.pk).update(name="事\x1f项", content="一\n二\x03")
        CheckPoint.objects.filter(item=item).update(project="项\x08目")
    client = login(world.user("A1", "planner"))
    for url, expected in (
        ("inventory:entity_export", {"甲公司", "'=1+1"}),
        ("inventory:inspector_export", {"张三", "'=cmd"}),
        ("inventory:item_export", {"事项", "一\n二", "项目"}),
    ):
        response = client.get(reverse(url), {"format": fmt})
        assert response.status_code == 200, url
        if fmt == "csv":
            cells = {c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row}
        else:
            cells = {c for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for c in row}
        assert expected <= cells, (url, expected - cells)


def test_every_spreadsheet_writer_cleans_its_cells():
    """Every module of ours that writes .xlsx/.csv passes its cells through inventory.xlsx.escape_cell
    (inventory/xlsx.py's workbook_bytes and CSV stream, sampling/xlsx.py): a new exporter
    that writes cells as they are stored fails here."""
    import inspect

    writers, unclean = [], []
    for module in our_modules():
        try:
            source = inspect.getsource(module)
        except OSError:
            continue
        if any(marker in source for marker in ("Workbook(", "csv.writer(", "csv.DictWriter(")):
            writers.append(module.__name__)
            if "escape_cell(" not in source:
                unclean.append(module.__name__)
    assert "inventory.xlsx" in writers and unclean == []


@pytest.mark.django_db
def test_the_rejected_rows_file_writes_out_cells_that_hold_control_characters(world, settings, tmp_path):
    from inventory.services.imports import import_preview
    from inventory.xlsx import rejected_bytes
    from tenancy.scoping import actor_scope
    from tests.inventory.fixtures.sheets import csv_bytes

    settings.MEDIA_ROOT = tmp_path
    actor = world.actor("A1", "planner")
    data = csv_bytes([["统一社会信用代码", "名称"], ["91140522MA0K00000X", "乙\x01公司"], ["=2+3\x02", "丙\x0c公司"]])
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=data, filename="名录.csv")
        rows = list(load_workbook(io.BytesIO(rejected_bytes(job))).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误原因"
    assert [r[:2] for r in rows[1:]] == [("91140522MA0K00000X", "乙公司"), ("'=2+3", "丙公司")]


@pytest.mark.django_db
def test_the_draw_target_list_exports_names_that_hold_control_characters(world, login):
    from tests.factories import make_completed_draw

    draw = make_completed_draw(world, "A1")
    with scopes_disabled():
        drawn = list(draw.selections.values_list("entity_id", flat=True))
        MarketEntity.objects.filter(pk__in=drawn).update(name="某\x01公司", address="\x02=HYPERLINK()")
    response = login(world.user("A1", "planner")).get(reverse("sampling:draw_targets_xlsx", args=[draw.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    cells = {c for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for c in row}
    assert "某公司" in cells and "'=HYPERLINK()" in cells
