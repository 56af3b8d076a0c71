"""Demo inspections for ``seed_demo`` (registered in ``tenancy.demo.DEMO_SEEDERS``; runs unscoped,
after deadlines' demo; idempotent: a second run finds the task and adds nothing).

阳城县文化和旅游局 draws a task of its plan (文化市场专项检查) in a ceremony; the draw makes its
inspections, and each team member gets an account of their own (an inspector's login: the
account holds the team's grant on the inspections they are on). The task asks for a specialty
of the department's demo inspector, ``yc_wl_inspector``, so that account is on several teams;
their inspections take the states first. Then, every step through the services as the pages take
it, the inspections stand in every state:

1. 待确认 — dispatched, not yet checked and confirmed by the department;
2. 待检查 — confirmed, not started;
3. 草稿 — half filled on site (method, dates, some answers and a note);
4. 已提交 — filled, signed on the screen, submitted;
5. 已退回 — submitted and returned by the leader with comments;
6. 已通过 — 未发现问题, approved;
7. 已通过 with a follow-up open — 发现问题待后续处理, 责令改正 due in 15 days;
8. 已通过 with the follow-up closed — 责令改正 re-checked and closed; the firm refused to sign
   and the refusal is recorded.

Log in as ``yc_wl_leader`` (the review and the follow-up), ``yc_wl_planner`` (confirmation,
documents) or ``yc_office_leader`` (progress).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from inspections.models import Inspection, InspectionPart
from inspections.selectors.ledger import joint_visit_offers
from inspections.services import combined as combined_services
from inspections.services import handling as handling_services
from inspections.services import inspections as inspection_services
from inspections.services import reviews, teams
from inventory.models import CheckPoint, Inspector
from inventory.services import inspectors as inspector_services
from sampling.models import SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import plans as plan_services
from tenancy import demo as tenancy_demo
from tenancy.actors import actor_for
from tenancy.context import Actor
from tenancy.models import Membership, Organization, User
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload

DEPARTMENT = "140522-WLJ"  # 阳城县文化和旅游局
COUNTY_OFFICE = "140522-SSJB"  # 阳城县双随机办: arranges a 综合查一次 of the demo's draws
# Per stratum of the plan's risk classes: at least eight targets on the demo's registry.
STRATA = [{"stratum": "A", "count": 3}, {"stratum": "B", "count": 3}, {"stratum": "C", "count": 2}, {"stratum": "D", "count": 2}]
STATES = ("pending", "todo", "draft", "submitted", "returned", "approved", "followup_open", "followup_closed")
# Which states go first to the inspections the demo inspector is on (they see those).
FOR_THE_DEMO_INSPECTOR = ("draft", "returned", "submitted", "followup_open", "todo", "approved", "followup_closed", "pending")


def _user(org: Organization, role: str) -> User | None:
    row = (
        Membership.objects.filter(organization=org, is_active=True, **{f"is_{role}": True})
        .select_related("user").order_by("id").first()
    )
    return row.user if row else None


def _actor(org: Organization, role: str) -> Actor:
    user = _user(org, role)
    if user is None:
        raise LookupError(f"no {role} in {org.name}")
    return actor_for(user, org)


def task_uid(org: Organization, year: int) -> str:
    return f"{org.code}-{year}-JC"


def _photo(n: int) -> SimpleUploadedFile:
    """A site photo as a phone uploads it (JPEG): a storefront of a colour of its own."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    image = Image.new("RGB", (640, 480), (90 + 30 * (n % 5), 120, 160 - 20 * (n % 4)))
    ImageDraw.Draw(image).rectangle([(120, 160), (520, 440)], outline="white", width=8)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return SimpleUploadedFile(f"现场照片{n}.jpg", buffer.getvalue(), "image/jpeg")


def _signature_png() -> SimpleUploadedFile:
    """A signature as a phone's canvas sends it: dark strokes on white (PNG)."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    image = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(20, 80), (70, 30), (110, 90), (160, 40), (210, 85), (260, 35), (330, 70)], fill="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("签字.png", buffer.getvalue(), "image/png")


# --------------------------------------------------------------------------------------------
# The task, its draw and the team's accounts


def _specialty(org: Organization) -> str | None:
    """A specialty of the department's demo inspector (``yc_wl_inspector``'s record) that enough
    eligible colleagues share: the task asks for it, so the demo inspector is on several teams
    (a new user logged in as the inspector sees their inspections in several states)."""
    user = _user(org, "inspector")
    today = timezone.localdate()
    own = Inspector.objects.filter(organization=org, user=user).order_by("pk").first() if user else None
    if own is None:
        return None
    eligible = Inspector.objects.filter(organization=org, status=Inspector.Status.ACTIVE).exclude(cert_expires_on__lt=today)
    counts = [(eligible.filter(specialties=tag).count(), tag.name) for tag in own.specialties.order_by("name")]
    counts = [(n, name) for n, name in counts if n >= 4]
    return max(counts)[1] if counts else None


def _task(org: Organization, stdout: Any) -> SamplingTask | None:
    planner = _actor(org, "planner")
    today = timezone.localdate()
    with actor_scope(planner):
        specialty = _specialty(org)
        plan = (
            SamplingPlan.objects.filter(organization=org, kind=SamplingPlan.Kind.DEPARTMENT, year=today.year,
                                        status__in=(SamplingPlan.Status.APPROVED, SamplingPlan.Status.PUBLISHED))
            .order_by("pk").first()
        )
        if plan is None:
            stdout.write("inspections demo: no approved plan of 阳城县文化和旅游局 this year")
            return None
        quarter = (today.month - 1) // 3 + 1
        return plan_services.task_create(actor=planner, plan=plan, data={
            "batch_no": min(quarter, plan.batches), "name": f"{today.year}年文化市场专项检查（检查实施演示）",
            "uid": task_uid(org, today.year), "items": list(plan.items.order_by("code")[:2]), "reserve_size": 1,
            "strata": STRATA, "team_requirements": [{"department": org.pk, "count": 2}],
            "specialties": [specialty] if specialty else [],
            "window_start": max(today - dt.timedelta(days=20), dt.date(today.year, 1, 1)),
            "window_end": min(today + dt.timedelta(days=40), dt.date(today.year, 12, 31)), "ready": True,
        })


def _team_accounts(org: Organization, inspections: list[Inspection]) -> None:
    """Each team member an account of their own (the department's demo inspector keeps theirs),
    linked to their registry row by the administrator, and the team's grants given."""
    admin = _actor(org, "admin")
    members = sorted({i for inspection in inspections for i in inspection.team})
    with actor_scope(admin):
        for inspector in Inspector.objects.filter(pk__in=members, user__isnull=True).order_by("pk"):
            user, _created = User.objects.get_or_create(
                username=f"yc_wl_i{inspector.pk}", defaults={"display_name": inspector.name},
            )
            if _created:
                user.set_unusable_password()  # an account to hold grants; its owner sets a password
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user, organization=org, defaults={"region_id": org.region_id, "is_inspector": True, "is_viewer": False},
            )
            inspector_services.inspector_update(actor=admin, inspector=inspector, data={"user": user})
        teams.grant_team(actor=admin, inspection_ids=[i.pk for i in inspections], inspector_ids=members)


# --------------------------------------------------------------------------------------------
# Each inspection to its state, through the services


class Demo:
    def __init__(self, org: Organization) -> None:
        self.org = org
        self.planner = _actor(org, "planner")
        self.leader = _actor(org, "leader")
        self.today = timezone.localdate()

    def fresh(self, inspection: Inspection) -> Inspection:
        with actor_scope(self.planner):
            return Inspection.objects.get(pk=inspection.pk)

    def member(self, inspection: Inspection) -> Actor:
        """The team member who fills it: the demo inspector when on the team, else the first
        member with an account (the grant holder)."""
        with actor_scope(self.planner):
            users = dict(Inspector.objects.filter(pk__in=inspection.team, user__isnull=False).values_list("pk", "user_id"))
        demo_user = _user(self.org, "inspector")
        if demo_user is not None and demo_user.pk in users.values():
            return actor_for(demo_user, self.org)
        user = User.objects.get(pk=next(users[i] for i in inspection.team if i in users))
        return actor_for(user, self.org)

    def confirm(self, inspection: Inspection) -> None:
        with actor_scope(self.planner):
            inspection_services.inspection_confirm(actor=self.planner, inspection=inspection, note="已与名录库比对，信息一致")

    def fill(self, inspection: Inspection, *, problem: bool = False, half: bool = False, sign: bool = True) -> None:
        actor = self.member(inspection)
        with actor_scope(actor):
            inspection = Inspection.objects.get(pk=inspection.pk)
            part = InspectionPart.objects.get(inspection=inspection, organization_id=self.org.pk)
            points = list(CheckPoint.objects.filter(item__in=part.items.all()).order_by("item__code", "order", "pk"))
            answers = {p.pk: _answer(p, problem=problem and n == 0) for n, p in enumerate(points)}
            answers = {pk: values for pk, values in answers.items() if values}  # a photo point: its photos
            if half:
                answers = dict(list(answers.items())[: max(1, len(answers) // 2)])
            visit: dict[str, Any] = {"method": "onsite", "started_on": self.today}
            if not half:
                visit |= {
                    "ended_on": self.today,
                    "results": ["05"] if problem else ["01"],
                    "result_reason": "经营场所未在醒目位置公示许可证件，已责令限期改正" if problem else "",
                }
                if not sign:
                    visit |= {"signature_refused": True, "refusal_reason": "经营者称需请示投资人，拒绝在检查记录上签字"}
            inspection_services.inspection_save(
                actor=actor, inspection=inspection, visit=visit, part=part, answers=answers,
                note="现场检查，经营者在场配合" if not half else "现场检查中，尚未完成",
            )
            if not half:
                for n, point in enumerate(p for p in points if p.answer_kind == CheckPoint.AnswerKind.PHOTO or p.photo_required):
                    inspection_services.evidence_add(
                        actor=actor, inspection=Inspection.objects.get(pk=inspection.pk), upload=check_upload(_photo(n)),
                        point_id=point.pk, caption=f"{point.project}（现场拍摄）",
                    )
            if sign and not half:
                inspection_services.evidence_add(
                    actor=actor, inspection=Inspection.objects.get(pk=inspection.pk), upload=check_upload(_signature_png()),
                    kind="signature",
                )

    def submit(self, inspection: Inspection) -> None:
        actor = self.member(inspection)
        with actor_scope(actor):
            reviews.inspection_submit(actor=actor, inspection=Inspection.objects.get(pk=inspection.pk))

    def approve(self, inspection: Inspection) -> None:
        with actor_scope(self.leader):
            reviews.inspection_approve(actor=self.leader, inspection=Inspection.objects.get(pk=inspection.pk), comment="同意")

    def return_(self, inspection: Inspection) -> None:
        with actor_scope(self.leader):
            reviews.inspection_return(
                actor=self.leader, inspection=Inspection.objects.get(pk=inspection.pk),
                comment="请补充经营场所现场照片，并写明消防通道的检查情况",
            )

    def rectify(self, inspection: Inspection, *, close: bool) -> None:
        with actor_scope(self.planner):
            row = handling_services.handling_add(
                actor=self.planner, inspection=Inspection.objects.get(pk=inspection.pk), measure="rectify",
                description="责令于期限内在经营场所醒目位置公示许可证件", due_on=self.today + dt.timedelta(days=15),
            )
            if close:
                row = handling_services.handling_update(
                    actor=self.planner, handling=row, revision=row.revision, status="recheck", note="经营者报告已整改",
                    recheck_on=self.today,
                )
                handling_services.handling_close(
                    actor=self.planner, handling=row, outcome="复查确认已整改到位，予以办结",
                    recheck_result="许可证件已在入口处公示",
                )


def _answer(point: CheckPoint, *, problem: bool) -> dict[str, Any]:
    kind = point.answer_kind
    if kind == CheckPoint.AnswerKind.STATUS:
        return {"status": "abnormal" if problem else "normal", **({"note": "未公示许可证件"} if problem else {})}
    if kind == CheckPoint.AnswerKind.TEXT:
        return {"text": "经营情况与登记一致"}
    if kind == CheckPoint.AnswerKind.NUMBER:
        return {"number": "2"}
    if kind == CheckPoint.AnswerKind.DATE:
        return {"date": timezone.localdate().isoformat()}
    return {}


STEPS: dict[str, Callable[[Demo, Inspection], None]] = {
    "pending": lambda demo, i: None,
    "todo": lambda demo, i: demo.confirm(i),
    "draft": lambda demo, i: (demo.confirm(i), demo.fill(i, half=True)),
    "submitted": lambda demo, i: (demo.confirm(i), demo.fill(i), demo.submit(i)),
    "returned": lambda demo, i: (demo.confirm(i), demo.fill(i), demo.submit(i), demo.return_(i)),
    "approved": lambda demo, i: (demo.confirm(i), demo.fill(i), demo.submit(i), demo.approve(i)),
    "followup_open": lambda demo, i: (
        demo.confirm(i), demo.fill(i, problem=True), demo.submit(i), demo.approve(i), demo.rectify(i, close=False),
    ),
    "followup_closed": lambda demo, i: (
        demo.confirm(i), demo.fill(i, problem=True, sign=False), demo.submit(i), demo.approve(i), demo.rectify(i, close=True),
    ),
}


def assign_states(inspections: list[Inspection], theirs: set[int]) -> dict[str, Inspection]:
    """State → inspection: the demo inspector's inspections (``theirs``) take the states of
    ``FOR_THE_DEMO_INSPECTOR`` first, the others the remaining states in their order."""
    mine = [i for i in inspections if i.pk in theirs]
    others = [i for i in inspections if i.pk not in theirs]
    chosen: dict[str, Inspection] = dict(zip(FOR_THE_DEMO_INSPECTOR, mine, strict=False))
    rest = [s for s in STATES if s not in chosen]
    chosen.update(zip(rest, others, strict=False))
    return chosen


def _states(demo: Demo, inspections: list[Inspection]) -> dict[str, int]:
    user = _user(demo.org, "inspector")
    with actor_scope(demo.planner):
        own = set(Inspector.objects.filter(organization=demo.org, user=user).values_list("pk", flat=True)) if user else set()
    theirs = {i.pk for i in inspections if own & set(i.team)}
    reached: dict[str, int] = {}
    for state, inspection in assign_states(inspections, theirs).items():
        STEPS[state](demo, demo.fresh(inspection))
        reached[state] = inspection.pk
    return reached


def seed(*, orgs: dict[str, Organization], entities: int, stdout: Any) -> None:
    org = orgs.get(DEPARTMENT)
    if org is None:
        stdout.write("inspections demo: 阳城县文化和旅游局 is not in the demo")
        return
    year = timezone.localdate().year
    if SamplingTask._base_manager.filter(uid=task_uid(org, year)).exists():
        stdout.write("inspections demo: nothing to add")
        return
    with transaction.atomic():
        task = _task(org, stdout)
        if task is None:
            return
        planner = _actor(org, "planner")
        with actor_scope(planner):
            try:
                draw = draw_services.draw_run(
                    actor=planner, task=task, public_entropy="上证综指收盘 3156.08（演示）",
                    witnesses=["县司法局 王敏（演示）", "经营户代表 李强（演示）"],
                )
            except ValidationError as exc:
                stdout.write(f"inspections demo: no draw: {'；'.join(exc.messages)}")
                return
            inspections = list(Inspection.objects.filter(draw=draw).order_by("selection__rank", "pk"))
        _team_accounts(org, inspections)
        demo = Demo(org)
        reached = _states(demo, inspections)
        # The targets beyond the eight wait for their department's confirmation, as drawn.
    combined = combine_one(orgs)
    missing = [s for s in STATES if s not in reached]
    stdout.write(
        f"inspections demo: {draw.task_uid} drawn, {len(inspections)} inspections in 阳城县文化和旅游局"
        + (f" (not reached: {', '.join(missing)})" if missing else "")
        + "; log in as yc_wl_inspector, yc_wl_leader or yc_wl_planner"
    )
    stdout.write(f"inspections demo: 综合查一次 {combined}")


def combine_one(orgs: dict[str, Organization]) -> str:
    """综合查一次: of the firms the county's departments drew in overlapping windows (the demo's
    draws, by chance), the office arranges the first as one visit and leaves the others offered
    — nothing is drawn for it. Says what it did."""
    office = orgs.get(COUNTY_OFFICE)
    if office is None:
        return "not arranged: no 阳城县双随机办 in the demo"
    actor = _actor(office, "planner")
    today = timezone.localdate()
    with actor_scope(actor):
        offers = joint_visit_offers(actor=actor, today=today)
        for offer in offers:
            day = combined_services.first_day(offer.start, offer.end, today=today)
            if day is None:
                continue
            try:
                combined_services.combined_visit_accept(
                    actor=actor, inspections=offer.inspections, visit_on=day,
                    note="两部门检查组上午九点在企业门口集合，进一次门、查多项事（演示）",
                )
            except ValidationError:
                continue
            return f"arranged for {offer.entity.name} on {day:%Y-%m-%d}; {len(offers) - 1} offer(s) left open"
    return "not arranged: no firm was drawn by two departments in overlapping windows"


def register() -> None:
    """Called from ``InspectionsConfig.ready``: after deadlines' demo (its draws come first)."""
    tenancy_demo.DEMO_SEEDERS.register(tenancy_demo.DemoSeeder(key="inspections.demo", seed=seed, order=40))
