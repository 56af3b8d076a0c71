"""API shapes of inspections: the list row, the detail (answers per check point, the result in
the national result codes, follow-up with its history, the review), the bodies of the writes
(confirm, draft, submit, approve, return), and a task's progress numbers.

Writes carry what a service takes and no more; the services check the values (and the policies
who may): their errors come back as 400 with the same field keys (``point_<id>`` for a check
point) the pages show.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inspections.models import Answer, Handling, HandlingStep, Inspection, InspectionPart, ResultCode, Review
from tenancy.serializers import ModelSerializer, Serializer

MULTILINE = {"base_template": "textarea.html"}


def _code_of(org: Any) -> str | None:
    return org.code if org is not None else None


class ResultCodeSerializer(ModelSerializer):
    class Meta:
        model = ResultCode
        fields = ["code", "name", "is_problem", "needs_followup"]
        read_only_fields = fields


class InspectionSerializer(ModelSerializer):
    """An inspection as listed (and synced): the target, its state, the result codes."""

    task_uid = serializers.CharField(source="task.uid", read_only=True)
    task_name = serializers.CharField(source="task.name", read_only=True)
    organization = serializers.CharField(source="organization.code", read_only=True, help_text="组织单位代码 / owner")
    entity_code = serializers.CharField(source="entity.code", read_only=True, help_text="统一社会信用代码/编码")
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    # Blank until the team chooses one: the schema's enum says so.
    method = serializers.ChoiceField(choices=Inspection.Method.choices, allow_blank=True, read_only=True)
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    results = ResultCodeSerializer(many=True, read_only=True, help_text="检查结果（全国统一表述） / result codes, national wording")
    # Annotated by selectors.combined.with_combined.
    combined_visit = serializers.IntegerField(
        source="combined_visit_pk", read_only=True, allow_null=True, default=None,
        help_text="综合查一次 id（/api/v1/combined-visits/{id}/），未安排为 null / the combined visit it is in",
    )
    combined_visit_on = serializers.DateField(
        read_only=True, allow_null=True, default=None, help_text="综合查一次的上门日期 / the agreed visit day",
    )

    class Meta:
        model = Inspection
        fields = [
            "id", "task", "task_uid", "task_name", "draw", "plan", "organization", "entity_code", "entity_name",
            "status", "status_label", "window_start", "window_end", "confirmed_at", "method", "method_label",
            "started_on", "ended_on", "results", "result_reason", "version", "previous", "is_current",
            "submitted_at", "approved_at", "created_at", "updated_at", "combined_visit", "combined_visit_on",
        ]
        read_only_fields = fields


class AnswerSerializer(ModelSerializer):
    point = serializers.IntegerField(source="point_id", read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    status = serializers.ChoiceField(choices=Answer.Status.choices, allow_blank=True, read_only=True,
                                     help_text="正常/不正常/不涉及；其他结果类型的要点为空")
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Answer
        fields = ["point", "item", "status", "status_label", "text", "number", "date", "note", "updated_at"]
        read_only_fields = fields


class CheckPointOutSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    project = serializers.CharField(read_only=True)
    sub_item = serializers.CharField(read_only=True)
    content = serializers.CharField(read_only=True)
    answer_kind = serializers.CharField(read_only=True)
    photo_required = serializers.BooleanField(read_only=True)


class PartItemSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    points = CheckPointOutSerializer(many=True, read_only=True)


class TeamMemberSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    department = serializers.CharField(read_only=True, allow_null=True, help_text="部门代码 / department code")


class PartSerializer(ModelSerializer):
    """One department's part of the visit: its items (with their check points), inspectors, answers."""

    department = serializers.CharField(source="organization.code", read_only=True)
    department_name = serializers.CharField(source="organization.name", read_only=True)
    items = serializers.SerializerMethodField()
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = InspectionPart
        fields = [
            "id", "department", "department_name", "revision", "inspectors", "items", "answers", "note",
            "confirmed_at", "completed_at", "approved_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PartItemSerializer(many=True))
    def get_items(self, part: InspectionPart) -> list[dict[str, Any]]:
        # The view reads each part's items with their points (a joint visit's other departments'
        # too: ``documents.records.items_of_parts``) and hands them over in the context.
        out = []
        for item in self.context.get("part_items", {}).get(part.pk, []):
            points = [
                {"id": p.pk, "order": p.order, "project": p.project, "sub_item": p.sub_item, "content": p.content,
                 "answer_kind": p.answer_kind, "photo_required": p.photo_required}
                for p in item.point_list
            ]
            out.append({"id": item.pk, "code": item.code, "name": item.name, "version": item.version, "points": points})
        return out


class HandlingStepSerializer(ModelSerializer):
    status_from = serializers.ChoiceField(choices=Handling.Status.choices, allow_blank=True, read_only=True,
                                          help_text="原状态；登记时为空")

    class Meta:
        model = HandlingStep
        fields = ["status_from", "status_to", "note", "at"]
        read_only_fields = fields


class HandlingSerializer(ModelSerializer):
    """后续处置: a measure, its status and dates, and every change of its status."""

    department = serializers.CharField(source="organization.code", read_only=True)
    measure_label = serializers.CharField(source="get_measure_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    transfer_to = serializers.SerializerMethodField()
    steps = HandlingStepSerializer(many=True, read_only=True)

    class Meta:
        model = Handling
        fields = [
            "id", "department", "measure", "measure_label", "status", "status_label", "description", "due_on",
            "recheck_on", "recheck_result", "case_no", "transfer_to", "transfer_to_name", "outcome", "closed_at",
            "revision", "steps", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_transfer_to(self, handling: Handling) -> str | None:
        return _code_of(handling.transfer_to)


class ReviewSerializer(ModelSerializer):
    department = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["action", "department", "comment", "version", "by", "at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_department(self, review: Review) -> str | None:
        return _code_of(review.department)

    @extend_schema_field(OpenApiTypes.STR)
    def get_by(self, review: Review) -> str:
        return str(review.by) if review.by_id else ""


class InspectionDetailSerializer(InspectionSerializer):
    """An inspection with everything recorded on it."""

    entity_address = serializers.CharField(source="entity.address", read_only=True)
    team = serializers.SerializerMethodField(help_text="检查组 / the team, with names as the draw froze them")
    signed = serializers.SerializerMethodField(help_text="被检查对象已签字 / the firm's signature is on file")
    parts = PartSerializer(many=True, read_only=True)
    handlings = HandlingSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    record_pdf = serializers.SerializerMethodField(help_text="检查记录表 PDF")

    class Meta(InspectionSerializer.Meta):
        fields = [
            *InspectionSerializer.Meta.fields, "entity_address", "team", "revision", "signed", "signature_refused",
            "refusal_reason", "correction_reason", "parts", "handlings", "reviews", "record_pdf",
        ]
        read_only_fields = fields

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_team(self, inspection: Inspection) -> list[dict[str, Any]]:
        names = self.context.get("inspector_names", {})
        return [
            {"id": i, "name": names.get(i, {}).get("name", ""), "department": names.get(i, {}).get("department")}
            for i in inspection.team
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_signed(self, inspection: Inspection) -> bool:
        return inspection.signature_id is not None and inspection.signature.withdrawn_at is None

    @extend_schema_field(OpenApiTypes.URI)
    def get_record_pdf(self, inspection: Inspection) -> str:
        path = f"/api/v1/inspections/{inspection.pk}/record.pdf"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


# --------------------------------------------------------------------------------------------
# Writes


class CommentSerializer(Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="", style=MULTILINE)


class ConfirmSerializer(Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="", style=MULTILINE)


class VisitSerializer(Serializer):
    """The visit's fields the team fills; send only those that changed."""

    method = serializers.ChoiceField(choices=Inspection.Method.choices, required=False, allow_blank=True)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)
    results = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=20,
        help_text="检查结果代码 / result codes (GET /api/v1/inspections/ shows them with their names)",
    )
    result_reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, style=MULTILINE)
    signature_refused = serializers.BooleanField(required=False)
    refusal_reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class AnswerValueSerializer(Serializer):
    """One check point's answer: the key the point's answer kind takes (status, text, number or
    date), and a note."""

    status = serializers.ChoiceField(choices=Answer.Status.choices, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000, style=MULTILINE)
    number = serializers.DecimalField(max_digits=16, decimal_places=4, required=False, allow_null=True)
    date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, style=MULTILINE)


class DraftSerializer(Serializer):
    """A save of the draft, as the form's autosave sends it: the revisions the client loaded and
    only the values changed since. A save based on an older revision keeps both texts and
    reports the conflict (nothing is lost)."""

    revision = serializers.IntegerField(required=False, min_value=1, help_text="检查的修订号（读取时的 revision）")
    visit = VisitSerializer(required=False)
    part_revision = serializers.IntegerField(required=False, min_value=1, help_text="本部门检查情况的修订号")
    answers = serializers.DictField(
        child=AnswerValueSerializer(), required=False,
        help_text="检查要点 id → 结果 / check point id → answer",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, style=MULTILINE)

    def validate_answers(self, value: dict[str, Any]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for key, answer in value.items():
            if not str(key).isdigit() or len(str(key)) > 12:
                raise serializers.ValidationError(f"检查要点 id 应为整数：{str(key)[:20]}")
            out[int(key)] = dict(answer)
        return out

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("visit") and not data.get("answers") and "note" not in data:
            raise serializers.ValidationError({"non_field_errors": ["没有要保存的内容。"]})
        return data


class ConflictSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    fields = serializers.ListField(child=serializers.DictField(), read_only=True)


class DraftResultSerializer(Serializer):
    applied = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="已保存的字段")
    conflict = ConflictSerializer(read_only=True, allow_null=True, help_text="他人已先保存时的冲突（两份内容均已保留）")
    inspection = InspectionDetailSerializer(read_only=True)


# --------------------------------------------------------------------------------------------
# Progress


class TaskProgressSerializer(Serializer):
    """抽查进度: a task's numbers (``inspections.selectors.progress.task_progress``)."""

    task = serializers.IntegerField(read_only=True)
    task_uid = serializers.CharField(read_only=True)
    task_name = serializers.CharField(read_only=True)
    organization = serializers.CharField(read_only=True, help_text="任务所属单位代码")
    window_start = serializers.DateField(read_only=True, allow_null=True)
    window_end = serializers.DateField(read_only=True, allow_null=True)
    drawn = serializers.IntegerField(read_only=True, help_text="抽中检查对象数")
    confirmed = serializers.IntegerField(read_only=True, help_text="已比对确认")
    inspected = serializers.IntegerField(read_only=True, help_text="已检查（结果已提交或已通过）")
    approved = serializers.IntegerField(read_only=True, help_text="结果已审核通过")
    problems = serializers.IntegerField(read_only=True, help_text="发现问题")
    handled = serializers.IntegerField(read_only=True, help_text="发现问题且后续处置均已办结")
    overdue = serializers.IntegerField(read_only=True, help_text="逾期事项（比对确认、结果录入、后续处置）/ due items past their day")
    updated_at = serializers.DateTimeField(read_only=True)

