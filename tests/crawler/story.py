"""A realistic story for the crawler: the demo county, then what its users do through the services.

On top of ``seed_demo`` (small: a few dozen entities per department) the 阳城县文化和旅游局 and the
阳城县双随机办 live through a season, every step through the services as the pages call them:

- a new plan drafted, its items edited (an audit entry whose changes hold the key ``items``),
  submitted, returned by the leader with a reason, edited again, submitted, approved, published;
  the demo's own plan adjusted (a new draft version);
- a task created under the new plan and made ready; its draw committed, abandoned, committed again
  (an open commitment stays on the pages);
- the demo's ready task drawn in a ceremony (commit, then execute with witnesses and public
  entropy); an inspector asks to be recused for a target, the leader approves (a substitute is
  drawn and the substitution filed; a scanned application attached), another request stays
  pending; a target is replaced from the reserve list (filed too);
- the draw is filed; the office returns it with a reason; the department resubmits with a scanned
  page attached; the office acknowledges; the worker's half (备案表 and .xlsx annex) is played for
  the department's filings; the office's joint task is drawn and filed (acknowledged at once; a
  PDF past FILING_PDF_MAX_ROWS stays pending, as no worker runs); a batch-draw job queued and one
  failed;
- an import with errors, previewed and confirmed "good rows only", and one refused ("all or none");
- the deadlines scan two weeks on (items overdue, reminders and escalations sent), one item waived;
- old data the validation of today would refuse, written straight into the table (a migrated
  registry): control characters in an entity's, an inspector's and a check item's name;
- API tokens for the department's planner, the office's planner and the platform's admin;
- the demo's inspections of the department (``inspections.demo``: one in each state — not
  confirmed, not started, a draft, submitted, returned, approved, approved with a follow-up open
  and one closed) and a zip of their 检查记录表 the worker built for the department's planner.

Everything the crawl needs to find is returned in ``Story`` so the test can check it was reached.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from deadlines.jobs import scan_now
from deadlines.models import DueItem
from deadlines.scan import may_send
from deadlines.services import due_item_waive
from inventory.codes import make_uscc
from inventory.models import CheckItem, ImportJob, Inspector, MarketEntity, RegistryEntry
from inventory.services import imports as import_services
from inventory.services import inspectors as inspector_services
from sampling.models import Draw, DrawSelection, Filing, FilingDecision, SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from sampling.services import plans as plan_services
from sampling.services import recusals as recusal_services
from tenancy import services as tenancy_services
from tenancy.actors import actor_for
from tenancy.context import Actor, Role
from tenancy.jobs import job_create, job_update
from tenancy.models import Job, Organization, User
from tenancy.scoping import actor_scope, system_scope

PASSWORD = "Demo-Pass-2026"
DEPARTMENT = "140522-WLJ"  # 阳城县文化和旅游局: in the county's joint plan too
OFFICE = "140522-SSJB"  # 阳城县双随机办
PLATFORM = "130000-PLAT"  # 河北省平台 (a platform client: admin and viewer)
LOGINS = {DEPARTMENT: "yc_wl", OFFICE: "yc_office", PLATFORM: "hb_platform"}
ENTITIES_PER_DEPARTMENT = 48
# Settings the story and the crawl run under: a 备案表 lists at most 4 targets and 4 reserves, the
# rest go to its .xlsx annex (a county's long filing, on a small demo).
SETTINGS = {"FILING_PDF_MAX_ROWS": 4}
# A scanned page as a browser uploads it (a PDF by its first bytes: tenancy.uploads sniffs them).
SCAN = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Old rows no form would accept today (C0 control characters in names).
CONTROL_ENTITY_NAME = "阳城县\x01旧数据\x1f迁移商贸有限公司"
CONTROL_ENTITY_NAME_2 = "阳城县\x0b换行\x08旧数据网吧"
CONTROL_INSPECTOR_NAME = "旧\x02数据检查员"
CONTROL_ITEM_NAME = "旧数据\x0c抽查事项"


@dataclass
class Story:
    orgs: dict[str, Organization]
    users: dict[tuple[str, str], User]
    plan: SamplingPlan = None  # type: ignore[assignment]  # the plan drafted, returned, approved
    adjusted_plan: SamplingPlan = None  # type: ignore[assignment]  # the demo plan's new version (draft)
    draw: Draw = None  # type: ignore[assignment]  # the demo task's completed draw
    open_draw: Draw = None  # type: ignore[assignment]  # a committed (not yet executed) draw
    abandoned_draw: Draw = None  # type: ignore[assignment]
    joint_draw: Draw = None  # type: ignore[assignment]  # the office's joint draw
    returned_filing: Filing = None  # type: ignore[assignment]
    resubmitted_filing: Filing = None  # type: ignore[assignment]
    draw_jobs: list[Job] = field(default_factory=list)  # a batch draw queued, one that failed
    import_job: ImportJob = None  # type: ignore[assignment]  # confirmed "good rows only"
    refused_job: ImportJob = None  # type: ignore[assignment]
    control_entity: MarketEntity = None  # type: ignore[assignment]
    control_inspector: Inspector = None  # type: ignore[assignment]
    control_item: CheckItem = None  # type: ignore[assignment]
    # The names the old data replaced: what the demo's notices (written before) still say.
    former_names: list[str] = field(default_factory=list)
    api_keys: dict[str, str] = field(default_factory=dict)  # "dept_planner" / "office_planner" / "platform_admin"
    inspections: dict[str, Any] = field(default_factory=dict)  # the demo's inspections by state (inspections.demo)
    records_job: Job = None  # type: ignore[assignment]  # the department planner's zip of the records, built
    combined_visit: Any = None  # the office's 综合查一次 (the demo's, or arranged here), when the draws allow one
    cancelled_combined_visit: Any = None  # the demo's, called off before it is arranged again
    notes: list[str] = field(default_factory=list)

    def user(self, org_code: str, role: str) -> User:
        return self.users[(org_code, role)]

    def actor(self, org_code: str, role: str) -> Actor:
        return actor_for(self.user(org_code, role), self.orgs[org_code])


def _users(orgs: dict[str, Organization]) -> dict[tuple[str, str], User]:
    out: dict[tuple[str, str], User] = {}
    with system_scope():
        for code, login in LOGINS.items():
            for role in Role.ALL:
                user = User.objects.filter(username=f"{login}_{role}").first()
                if user is not None:
                    out[(code, role)] = user
    return out


def build_story() -> Story:
    call_command("seed_demo", "--entities", str(ENTITIES_PER_DEPARTMENT), "--password", PASSWORD, "--quiet-accounts",
                 stdout=io.StringIO())
    with system_scope():
        orgs = {o.code: o for o in Organization.objects.all()}
    story = Story(orgs=orgs, users=_users(orgs))
    _plans(story)
    _tasks_and_commitments(story)
    _ceremony(story)
    _recusal_and_replacement(story)
    _filing(story)
    _joint_draw(story)
    _filing_worker(story)
    _jobs(story)
    _imports(story)
    _deadlines(story)
    _old_data(story)
    _api_tokens(story)
    _inspections(story)
    _combined_visit(story)
    return story


# ---------------------------------------------------------------------------------------- helpers


def _attachments(service: Callable[..., Any], name: str) -> dict[str, Any]:
    """A scanned PDF for a service that takes ``attachments`` (checked as the form checks an upload)."""
    if "attachments" not in inspect.signature(service).parameters:
        return {}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.uploads import check_upload

    return {"attachments": [check_upload(SimpleUploadedFile(name, SCAN, content_type="application/pdf"))]}


def _with_text(service: Callable[..., Any], text: str, **kwargs: Any) -> Any:
    """Call a leader's decision with its text, whichever name the service gives it today
    (``opinion``, the plan review's 审批意见, or the older ``reason``)."""
    name = "opinion" if "opinion" in inspect.signature(service).parameters else "reason"
    return service(**kwargs, **{name: text})


# ------------------------------------------------------------------------------------------ plans


def _plans(story: Story) -> None:
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    leader = story.actor(DEPARTMENT, Role.LEADER)
    year = timezone.localdate().year
    with actor_scope(planner):
        items = list(CheckItem.objects.filter(organization_id=planner.organization_id, is_current=True).order_by("code"))
        assert len(items) >= 3, "the demo gives every department its check items"
        data: dict[str, Any] = {
            "year": year, "name": f"{year}年度文化市场专项抽查计划", "doc_no": f"阳文旅〔{year}〕9号",
            "frequency": "semiannual", "strata_mode": "risk", "items": items[:2], "annual_cap": 2,
            "coverage_target": "0.2", "focus_ratio": "0.3", "focus_complaints": 3,
        }
        plan = plan_services.plan_create(actor=planner, data=data)
        # The edit a user makes first: another item (the audit entry's changes hold "items").
        plan = plan_services.plan_update(actor=planner, plan=plan, data=data | {"items": items[:3], "doc_no": f"阳文旅〔{year}〕10号"})
        plan = plan_services.plan_submit(actor=planner, plan=plan)
    with actor_scope(leader):
        plan = _with_text(plan_services.plan_return, "请补充重点对象的抽查比例依据", actor=leader, plan=plan)
    with actor_scope(planner):
        plan = plan_services.plan_update(actor=planner, plan=plan, data=data | {"items": items[:3], "focus_ratio": "0.5"})
        plan = plan_services.plan_submit(actor=planner, plan=plan)
    with actor_scope(leader):
        plan = plan_services.plan_approve(actor=leader, plan=plan)
        plan = plan_services.plan_publish(actor=leader, plan=plan)
    story.plan = plan
    with actor_scope(planner):
        demo_plan = SamplingPlan.objects.filter(
            organization_id=planner.organization_id, status=SamplingPlan.Status.APPROVED
        ).exclude(pk=plan.pk).get()
        story.adjusted_plan = plan_services.plan_adjust(
            actor=planner, plan=demo_plan, reason="上级部署新增剧本娱乐场所检查",
            data={**{f: getattr(demo_plan, f) for f in plan_services.PLAN_FIELDS}, "items": items},
        )


def _tasks_and_commitments(story: Story) -> None:
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    dept = story.orgs[DEPARTMENT]
    today = timezone.localdate()
    with actor_scope(planner):
        items = list(story.plan.items.order_by("code"))
        task = plan_services.task_create(actor=planner, plan=story.plan, data={
            "batch_no": 1, "name": f"{story.plan.year}年上半年文化市场专项抽查", "items": items, "reserve_size": 2,
            "team_requirements": [{"department": dept.pk, "count": 2}], "window_start": today,
            "window_end": min(today + dt.timedelta(days=60), dt.date(today.year, 12, 31)), "ready": True,
        })
        plan_services.task_create(actor=planner, plan=story.plan, data={
            "batch_no": 2, "name": f"{story.plan.year}年下半年文化市场专项抽查", "items": items[:1],
            "team_requirements": [{"department": dept.pk, "count": 2}],
        })  # stays a draft
        first = draw_services.draw_commit(actor=planner, task=task)
        story.abandoned_draw = draw_services.draw_abandon(actor=planner, draw=first, reason="对象池冻结后名录有更新，重新冻结")
        story.open_draw = draw_services.draw_commit(actor=planner, task=task, scheduled_at=timezone.now() + dt.timedelta(days=1))


# ----------------------------------------------------------------------------------------- draws


def _ceremony(story: Story) -> None:
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    with actor_scope(planner):
        task = SamplingTask.objects.get(
            organization_id=planner.organization_id, plan__status=SamplingPlan.Status.APPROVED,
            status=SamplingTask.Status.READY, plan__kind=SamplingPlan.Kind.DEPARTMENT,
        )
        draw = draw_services.draw_commit(actor=planner, task=task)
        story.draw = draw_services.draw_execute(
            actor=planner, draw=draw, public_entropy="上证综指收盘 3088.12", witnesses=["县纪委监委派驻纪检组 王敏", "经营户代表 李强"],
        )
        assert story.draw.status == Draw.Status.COMPLETED


def _recusal_and_replacement(story: Story) -> None:
    admin = story.actor(DEPARTMENT, Role.ADMIN)
    leader = story.actor(DEPARTMENT, Role.LEADER)
    draw = story.draw
    with actor_scope(admin):
        first = DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank").first()
        assert first is not None and first.team, "the demo draw selects targets with teams"
        member = Inspector.objects.get(pk=first.team[0])
        # The inspector's account is linked to the inspector drawn (the admin does it on the inspector page).
        inspector_services.inspector_update(actor=admin, inspector=member, data={"user": story.user(DEPARTMENT, Role.INSPECTOR)})
    inspector = story.actor(DEPARTMENT, Role.INSPECTOR)
    with actor_scope(inspector):
        request = recusal_services.recusal_request(
            actor=inspector, draw=draw, selection=DrawSelection.objects.get(pk=first.pk),
            inspector=Inspector.objects.get(pk=member.pk), kind="recusal", reason="本人配偶在该单位任职，依法申请回避",
            **_attachments(recusal_services.recusal_request, "回避申请表.pdf"),
        )
    with actor_scope(leader):
        recusal_services.recusal_decide(actor=leader, request=request, approve=True, note="同意回避，按规则递补")
    # A second request stays pending (the leader's inbox is not empty).
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    with actor_scope(planner):
        selection = DrawSelection.objects.get(pk=first.pk)
        other = Inspector.objects.get(pk=selection.team[-1])
        recusal_services.recusal_request(
            actor=planner, draw=draw, selection=selection, inspector=other, kind="absence", reason="参加省厅培训，无法到场",
        )
    with actor_scope(leader):
        # The lowest-ranked target of a stratum that still has a reserve (the draw's secret is random).
        selected = DrawSelection.objects.filter(draw=draw, rank__isnull=False, status=DrawSelection.Status.SELECTED)
        last = next((s for s in selected.order_by("-rank") if recusal_services.next_reserve(draw, s.stratum) is not None), None)
        if last is not None:
            recusal_services.replacement_create(actor=leader, draw=draw, selection=last, reason="该对象已注销，无法检查")
        else:
            story.notes.append("no stratum of the draw has a reserve left for a replacement")


def _filing(story: Story) -> None:
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    office_leader = story.actor(OFFICE, Role.LEADER)
    office_planner = story.actor(OFFICE, Role.PLANNER)
    with actor_scope(planner):
        filing = filing_services.filing_submit(actor=planner, draw=story.draw, note="抽取结果请备案")
    with actor_scope(office_leader):
        filing_services.filing_return(actor=office_leader, filing=Filing.objects.get(pk=filing.pk), reason="缺少见证人签字页，请补充后重新报送")
    with actor_scope(planner):
        again = filing_services.filing_resubmit(actor=planner, filing=Filing.objects.get(pk=filing.pk), note="已补充见证人签字页")
    with actor_scope(planner):
        if hasattr(filing_services, "filing_attach"):
            filing_services.filing_attach(
                actor=planner, filing=Filing.objects.get(pk=again.pk), **_attachments(filing_services.filing_attach, "见证人签字页.pdf"),
            )
        else:
            story.notes.append("filings: no filing_attach service")
    with actor_scope(office_planner):
        filing_services.filing_acknowledge(actor=office_planner, filing=Filing.objects.get(pk=again.pk), reason="材料齐全，准予备案")
        # The substitution and replacement filings made by the leader's decisions wait in the inbox.
        assert Filing.objects.filter(draw=story.draw, kind=Filing.Kind.SUBSTITUTION).exists()
        assert FilingDecision.objects.filter(filing_id=filing.pk, decision=FilingDecision.Decision.RETURNED).exists()
    story.returned_filing, story.resubmitted_filing = filing, again


def _joint_draw(story: Story) -> None:
    """The office's joint task drawn (unless the demo drew it already, leaving it unfiled: then the
    office files that draw late), and filed with itself (acknowledged at once)."""
    planner = story.actor(OFFICE, Role.PLANNER)
    with actor_scope(planner):
        task = SamplingTask.objects.filter(organization_id=planner.organization_id, status=SamplingTask.Status.READY).first()
        if task is not None:
            story.joint_draw = draw_services.draw_run(
                actor=planner, task=task, public_entropy="深证成指收盘 9876.54", witnesses=["县司法局 赵六"],
            )
        else:
            story.joint_draw = (
                Draw.objects.filter(organization_id=planner.organization_id, status=Draw.Status.COMPLETED, filings__isnull=True)
                .order_by("pk").first()
            )
        if story.joint_draw is None:
            story.notes.append("the demo has no joint task ready and no joint draw to file")
            return
        filing_services.filing_submit(actor=planner, draw=story.joint_draw, note="联合抽查结果")


def _filing_worker(story: Story) -> None:
    """What the worker does after the commit (the story never commits): the 备案表 and its annex of
    the department's filings. The joint draw's filing keeps its PDF pending (its page polls)."""
    planner = story.actor(DEPARTMENT, Role.PLANNER)
    with actor_scope(planner):
        for filing in Filing.objects.filter(draw=story.draw, pdf="").order_by("pk"):
            filing_services.filing_attach_pdf(actor=planner, filing=filing)


def _jobs(story: Story) -> None:
    """A batch draw as the plan page's button starts it (its worker never ran: still queued), and
    one whose worker failed: the progress page is only reached through the button's redirect."""
    planner = story.actor(OFFICE, Role.PLANNER)
    with actor_scope(planner):
        plan = SamplingPlan.objects.filter(organization_id=planner.organization_id).order_by("pk").first()
        queued = job_create(actor=planner, kind="draw_plan", label=f"批量抽取：{plan.name}", params={"plan_id": plan.pk})
        failed = job_create(actor=planner, kind="draw_plan", label=f"批量抽取：{plan.name}", params={"plan_id": plan.pk})
        job_update(failed.pk, status=Job.Status.FAILED, progress=40, message="抽取失败：执法人员不足")
        story.draw_jobs = [queued, Job.objects.get(pk=failed.pk)]


# --------------------------------------------------------------------------------------- imports


def _imports(story: Story) -> None:
    admin = story.actor(DEPARTMENT, Role.ADMIN)
    region = story.orgs[DEPARTMENT].region.code
    good = [make_uscc("91", region, f"8{n:08d}") for n in range(1, 5)]
    rows = [
        "统一社会信用代码,主体名称,信用风险分类,成立日期,投诉举报数",
        f"{good[0]},阳城县新开张网络会所,B,2024-03-01,0",
        f"{good[1]},阳城县星河KTV,C,2023/7/15,2",
        "91140522MA0XXXXXX1,代码校验位错误的旅行社,A,2020-01-01,0",  # bad check character
        f"{good[2]},,B,2021-01-01,0",  # no name
        f"{good[3]},风险等级写错的剧本杀馆,Z,0300-11-05,-4",  # bad risk, absurd date, negative count
    ]
    data = ("\n".join(rows) + "\n").encode("utf-8-sig")
    with actor_scope(admin):
        job = import_services.import_preview(actor=admin, kind=ImportJob.Kind.ENTITIES, data=data, filename="新增文化经营场所.csv")
        assert job.rejected_count >= 3 and job.valid_rows >= 2, (job.rejected_count, job.valid_rows, job.errors)
        story.import_job = import_services.import_confirm(actor=admin, job=job, mode=ImportJob.Mode.VALID)
        refused = import_services.import_preview(actor=admin, kind=ImportJob.Kind.ENTITIES, data=data, filename="再次上传.csv")
        story.refused_job = import_services.import_confirm(actor=admin, job=refused, mode=ImportJob.Mode.ALL)
        assert story.refused_job.status == ImportJob.Status.REFUSED


# ------------------------------------------------------------------------------------- deadlines


def _deadlines(story: Story) -> None:
    """The filings and recusals opened due items; the scan, run as if two weeks had passed on a
    working morning, makes them overdue and sends reminders and escalations; the leader waives one."""
    # Two weeks on, at 10:00 on the first day reminders may go out (a working day, after 08:30).
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=14)
    later = next((d for d in (start + dt.timedelta(days=n) for n in range(30)) if may_send(d)), start)
    with system_scope():  # as ``manage.py deadlines_scan`` runs it (a SystemCommand)
        scan_now(now=later)
    leader = story.actor(DEPARTMENT, Role.LEADER)
    with actor_scope(leader):
        items = DueItem.objects.filter(organization_id=leader.organization_id, state__in=DueItem.ACTIVE).order_by("pk")
        if not items.exists():
            story.notes.append("deadlines: the story opened no due item of the department")
            return
        due_item_waive(actor=leader, item=items.first(), reason="已电话报告县双随机办，延期办理")


# -------------------------------------------------------------------------------------- old data


def _old_data(story: Story) -> None:
    """Rows written before today's validation (a migrated registry): ``update()`` bypasses it."""
    admin = story.actor(DEPARTMENT, Role.ADMIN)
    with actor_scope(admin):
        drawn = DrawSelection.objects.filter(draw=story.draw, rank__isnull=False).order_by("rank").values_list("entity_id", flat=True)
        entity_id = drawn[0]
        other = RegistryEntry.objects.filter(organization_id=admin.organization_id).exclude(entity_id=entity_id).order_by("entity_id")
        other_id = other.values_list("entity_id", flat=True)[0]
        story.former_names = list(MarketEntity.objects.filter(pk__in=[entity_id, other_id]).values_list("name", flat=True))
        MarketEntity.objects.filter(pk=entity_id).update(name=CONTROL_ENTITY_NAME)
        MarketEntity.objects.filter(pk=other_id).update(name=CONTROL_ENTITY_NAME_2)
        story.control_entity = MarketEntity.objects.get(pk=entity_id)
        inspector = Inspector.objects.filter(organization_id=admin.organization_id).order_by("cert_no").last()
        Inspector.objects.filter(pk=inspector.pk).update(name=CONTROL_INSPECTOR_NAME)
        story.control_inspector = Inspector.objects.get(pk=inspector.pk)
        item = CheckItem.objects.filter(organization_id=admin.organization_id, is_current=True).order_by("code").last()
        CheckItem.objects.filter(pk=item.pk).update(name=CONTROL_ITEM_NAME)
        story.control_item = CheckItem.objects.get(pk=item.pk)


def _api_tokens(story: Story) -> None:
    for key, org, user_role in (
        ("dept_planner", DEPARTMENT, Role.PLANNER), ("office_planner", OFFICE, Role.PLANNER), ("platform_admin", PLATFORM, Role.ADMIN),
    ):
        if (org, user_role) not in story.users:
            continue
        admin = story.actor(org, Role.ADMIN)
        with actor_scope(admin):
            _, story.api_keys[key] = tenancy_services.api_token_create(actor=admin, user=story.user(org, user_role), name=f"爬虫测试{key}")


# ----------------------------------------------------------------------------------- inspections


def _inspections(story: Story) -> None:
    """The demo's inspections in every state, and the worker's half of a zip of their records
    (its progress page is reached only after the POST that starts it)."""
    from inspections import demo
    from inspections.documents.archive import JOB_KIND
    from inspections.models import Handling, Inspection
    from inspections.tasks import task_records_zip_task
    from tenancy.tasks import actor_ref

    planner = story.actor(DEPARTMENT, Role.PLANNER)
    with actor_scope(planner):
        task = SamplingTask.objects.filter(uid=demo.task_uid(story.orgs[DEPARTMENT], timezone.localdate().year)).first()
        if task is None:
            story.notes.append("inspections: the demo drew no task of the department")
            return
        for inspection in Inspection.objects.filter(task=task).order_by("selection__rank", "pk"):
            handling = Handling.objects.filter(inspection=inspection).first()
            state = inspection.status if handling is None else (
                "followup_closed" if handling.status == Handling.Status.CLOSED else "followup_open"
            )
            story.inspections.setdefault(state, inspection)
        missing = set(demo.STATES) - set(story.inspections)
        if missing:
            story.notes.append(f"inspections: the demo reached no {sorted(missing)}")
        job = job_create(actor=planner, kind=JOB_KIND, label=f"检查记录表打包：{task.name}", params={"task_id": task.pk})
    task_records_zip_task(task.pk, job.pk, actor=actor_ref(planner))
    with actor_scope(planner):
        story.records_job = Job.objects.get(pk=job.pk)


def _combined_visit(story: Story) -> None:
    """综合查一次: the one the demo arranged (cancelled, then arranged again), else one the office
    arranges now for a firm the department's and the joint draw both took, if any did."""
    from inspections.models import CombinedVisit, CombinedVisitMember
    from inspections.selectors.ledger import joint_visit_offers
    from inspections.services import combined as combined_services

    office = story.actor(OFFICE, Role.PLANNER)
    today = timezone.localdate()
    with actor_scope(office):
        # The demo's is called off (a cancelled one, its notices) and arranged again for the
        # same inspections and day.
        arranged = CombinedVisit.objects.filter(cancelled_at__isnull=True).first()
        if arranged is not None:
            members = list(CombinedVisitMember.objects.filter(combined_visit=arranged).values_list("inspection_id", flat=True))
            story.cancelled_combined_visit = combined_services.combined_visit_cancel(
                actor=office, combined=arranged, reason="企业临时停业，改期",
            )
            try:
                story.combined_visit = combined_services.combined_visit_accept(
                    actor=office, inspections=members, visit_on=arranged.visit_on, note="改期后再次安排",
                )
            except ValidationError as exc:
                story.notes.append(f"inspections: the demo's 综合查一次 could not be arranged again: {exc}")
                return
        for offer in [] if arranged is not None else joint_visit_offers(actor=office, today=today):
            day = combined_services.first_day(offer.start, offer.end, today=today)
            try:
                story.combined_visit = combined_services.combined_visit_accept(
                    actor=office, inspections=offer.inspections, visit_on=day, note="两部门一同上门",
                )
            except ValidationError:
                continue
            break
    # Whether two departments' draws took the same firm is chance (the draws are random): when
    # none did, there is no 综合查一次 to crawl; tests/inspections/test_combined.py builds one.
