"""Leak-matrix entries for filing (备案) URLs, and the factories filing tests share.

``make_filing(world, org_key)`` files a fresh completed draw of ``org_key`` with its office; the
task name carries ``marker(org_key)``. Uses S2a's ``make_completed_draw`` when it exists, else
``make_simple_draw`` below (a real hashrank-v1 run persisted straight into the models).
"""

from __future__ import annotations

import datetime as dt
import itertools
from unittest.mock import patch

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from inventory.models import Inspector, MarketEntity
from sampling import hashrank
from sampling.models import Draw, DrawSelection, Filing, SamplingPlan, SamplingTask
from sampling.records import encode_pool
from tenancy.context import Role
from tenancy.scoping import actor_scope

from .registry import Case, marker

_seq = itertools.count(1)


def make_simple_draw(
    world, org_key: str, *, drawn_at: dt.datetime | None = None, name: str = "", status: str = Draw.Status.COMPLETED,
    targets: int = 3,
) -> Draw:
    """A completed draw of ``org_key``: by default 6 entities in strata A/B (1 and 2 drawn, 1
    reserve each), 3 inspectors, teams of 2; ``targets`` draws more (a third from A)."""
    org = world.orgs[org_key]
    n = next(_seq)
    in_a = max(1, targets // 3)
    in_b = targets - in_a
    size = in_a + 2 + in_b + 1
    with scopes_disabled():
        plan = SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name=f"{marker(org_key)} 年度计划{n}")
        task = SamplingTask.objects.create(
            organization=org, region=org.region, plan=plan, name=name or f"{marker(org_key)} 第{n}批抽查",
            uid=f"T{org_key}-2026-{n:04d}", status=SamplingTask.Status.DRAWN,
            team_requirements=[{"department": org.pk, "count": 2}],
        )
        entities = [
            MarketEntity.objects.create(
                organization=org, region=org.region, code=f"91{org_key}{n:04d}{i:02d}",
                name=f"阳城县{'甲乙丙丁戊己'[i] if i < 6 else f'第{i}号'}商贸有限公司{n}",
                risk_class="A" if i < in_a + 2 else "B",
            )
            for i in range(size)
        ]
        inspectors = [
            Inspector.objects.create(organization=org, region=org.region, name=f"{'张王李'[i]}检查{n}", cert_no=f"C{org_key}{n}-{i}")
            for i in range(3)
        ]
        secret = bytes(range(32))
        record = hashrank.run_draw(
            task_uid=task.uid, secret=secret, public_entropy="上证指数 3088.12",
            pool=[hashrank.Candidate(e.code, e.risk_class) for e in entities],
            strata=[hashrank.Stratum("A", count=in_a), hashrank.Stratum("B", count=in_b)],
            reserve_size=1,
            inspector_pool=[hashrank.InspectorRef(i.cert_no, str(org.pk)) for i in inspectors],
            requirements=[hashrank.Requirement(str(org.pk), 2)],
        )
        pool_blob, _ = encode_pool(hashrank.Candidate(e.code, e.risk_class) for e in entities)
        draw = Draw.objects.create(
            organization=org, region=org.region, task=task, plan=plan, status=status,
            task_uid=task.uid, commitment=record["commitment"], secret=record["secret"],
            public_entropy=record["public_entropy"], seed=record["seed"], pool_hash=record["pool_hash"],
            pool_size=size, pool_blob=pool_blob, strata=record["strata"], reserve_size=1, allocation=record["allocation"],
            inspector_pool=[
                {"key": i.cert_no, "department": str(org.pk), "id": i.pk, "name": i.name, "org": org.pk} for i in inspectors
            ],
            requirements=record["requirements"],
            witnesses=[{"name": "见证人赵六"}], drawn_at=drawn_at or timezone.now(),
        )
        by_code = {e.code: e for e in entities}
        by_cert = {i.cert_no: i.pk for i in inspectors}
        teams = {a["target"]: [by_cert[k] for k in a["inspectors"]] for a in record["assignments"]}
        for s in record["selected"]:
            DrawSelection.objects.create(
                organization=org, region=org.region, draw=draw, plan=plan, entity=by_code[s["key"]], key=s["key"],
                stratum=s["stratum"], score=s["score"], rank=s["rank"], status=DrawSelection.Status.SELECTED,
                initial_team=teams[s["key"]], team=teams[s["key"]],
            )
        for order, s in enumerate(record["reserve"], start=1):
            DrawSelection.objects.create(
                organization=org, region=org.region, draw=draw, plan=plan, entity=by_code[s["key"]], key=s["key"],
                stratum=s["stratum"], score=s["score"], reserve_order=order, status=DrawSelection.Status.RESERVE,
            )
    return draw


def make_draw(world, org_key: str) -> Draw:
    try:
        from tests.leak.cases_sampling_draws import make_completed_draw  # noqa: PLC0415  (S2a's)
    except ImportError:
        return make_simple_draw(world, org_key)
    return make_completed_draw(world, org_key)


def make_filing(world, org_key: str) -> Filing:
    from sampling.services.filings import filing_submit  # noqa: PLC0415

    draw = make_draw(world, org_key)
    # The matrix checks visibility, not the PDF (tests/sampling/test_pdf_filing.py does): a stub
    # keeps hundreds of filings from costing a WeasyPrint run each.
    with (
        patch("sampling.pdf.filing_form_pdf", return_value=b"%PDF-1.7 stub " + marker(org_key).encode()),
        actor_scope(world.actor(org_key, Role.PLANNER)) as actor,
    ):
        return filing_submit(actor=actor, draw=draw, note=marker(org_key))


def make_filing_with_annex(world, org_key: str) -> Filing:
    """A filing whose 备案表 lists only its first target: the full list is in its .xlsx annex."""
    from django.test import override_settings  # noqa: PLC0415

    from sampling.services.filings import filing_attach_pdf  # noqa: PLC0415

    with override_settings(FILING_PDF_MAX_ROWS=1):
        filing = make_filing(world, org_key)  # the annex makes it a worker's job: run it here
        with (
            patch("sampling.pdf.filing_form_pdf", return_value=b"%PDF-1.7 stub"),
            actor_scope(world.actor(org_key, Role.PLANNER)) as actor,
        ):
            return filing_attach_pdf(actor=actor, filing=filing)


class _Scan:
    """A signed scan as the test client uploads it: read afresh for every request of the matrix."""

    name = "签字扫描件.pdf"
    content_type = "application/pdf"

    def read(self) -> bytes:
        return b"%PDF-1.7\n% signed scan\n%%EOF\n"


def make_filing_attachment(world, org_key: str):
    from sampling.services.filings import filing_attach  # noqa: PLC0415
    from tenancy.uploads import check_upload  # noqa: PLC0415

    filing = make_filing(world, org_key)
    upload = SimpleUploadedFile(f"{marker(org_key)}.pdf", b"%PDF-1.7\n" + marker(org_key).encode(), "application/pdf")
    with actor_scope(world.actor(org_key, Role.PLANNER)) as actor:
        return filing_attach(actor=actor, filing=filing, attachments=[check_upload(upload)])[0]


FACTORIES = {
    "filing": make_filing,
    "filing_draw": make_draw,
    "filing_annex": make_filing_with_annex,
    "filing_attachment": make_filing_attachment,
}

_ALL_VIEWERS = {"A1": "A1", "AO": "A1"}

CASES = {
    "sampling:filing_list": Case(factory="filing", kind="list", query="tab=all"),
    "sampling:filing_detail": Case(factory="filing"),
    "sampling:filing_pdf": Case(factory="filing"),
    "sampling:filing_annex": Case(factory="filing_annex"),
    "sampling:filing_attachment": Case(factory="filing_attachment"),
    # The filer adds files; an office sees the filing but did not file it (403), others get 404.
    "sampling:filing_attach": Case(factory="filing", method="post", data={"attachments": _Scan()}, viewers=("A1",)),
    "sampling:filing_preview": Case(factory="filing"),
    "sampling:filing_record": Case(factory="filing"),
    "sampling:filing_decide": Case(
        factory="filing", method="post", data={"decision": "acknowledged", "reason": ""}, viewers=("AO",),
        own={"AO": "A1"},
    ),
    "sampling:filing_resubmit": Case(factory="filing", method="post", data={"note": "x"}, viewers=("A1",), expect_owner_ok=False),
    "sampling:filing_submit": Case(factory="filing_draw", method="post", data={"note": "x"}, viewers=("A1",)),
    "api:filing-list": Case(factory="filing", kind="list"),
    "api:filing-detail": Case(factory="filing"),
    "api:filing-decide": Case(
        factory="filing", method="post", data={"decision": "acknowledged"}, viewers=("AO",), own={"AO": "A1"}
    ),
}
