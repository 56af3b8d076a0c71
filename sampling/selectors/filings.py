"""Reads of filings (备案) for views, the API, the PDF and the dashboard.

A filing's state is derived, never stored: no decision yet → 待确认 (overdue once ``due_at`` has
passed — the deadline of 阳城县发改局方案: "随机抽取检查对象和检查人员 2 日内报领导小组办公室备案"),
an ``acknowledged`` decision → 已确认, a ``returned`` one → 已退回 (answered by a resubmission).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.models import Inspector
from sampling import hashrank, pdf
from sampling.models import (
    Draw,
    DrawSelection,
    Filing,
    FilingAttachment,
    FilingDecision,
    Substitution,
    TargetReplacement,
)
from sampling.policies import can_read_filed_record
from sampling.record_codec import record_chunks
from sampling.selectors.draws import draw_record
from tenancy.context import Actor

# Tabs of the inbox; "pending" lists every undecided filing (overdue ones in red).
TABS = ("pending", "overdue", "acknowledged", "returned", "all")


class State:
    PENDING = "pending"
    OVERDUE = "overdue"
    ACKNOWLEDGED = "acknowledged"
    RETURNED = "returned"


STATE_LABELS = {
    State.PENDING: gettext_lazy("待确认"),
    State.OVERDUE: gettext_lazy("已逾期"),
    State.ACKNOWLEDGED: gettext_lazy("已确认备案"),
    State.RETURNED: gettext_lazy("已退回"),
}
STATE_BADGES = {State.PENDING: "info", State.OVERDUE: "bad", State.ACKNOWLEDGED: "ok", State.RETURNED: "warn"}


# --------------------------------------------------------------------------------------------
# The record


def canonical_json(data: Any) -> bytes:
    """One byte string per record: sorted keys, no spaces, UTF-8 (what ``record_sha256`` hashes)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def filed_record(filing: Filing) -> dict[str, Any]:
    """The record as filed (filing variant), as stored: its pool is usually a reference to the
    draw's frozen pool. Filings older than the stored record are rebuilt from the draw."""
    return filing.record or draw_record(filing.draw, variant="filing")


def filing_record_chunks(*, actor: Actor, filing: Filing, variant: str) -> Iterator[bytes]:
    """The record as filed, in ``variant``, as the compact JSON the download sends — the pool
    written whole from the draw's frozen pool, a megabyte at a time. The caller checks
    ``sampling.policies.can_read_filed_record`` first for the filing variant."""
    record = filed_record(filing)
    if variant != "filing":
        record = hashrank.public_record(record)
    return record_chunks(record, draw=filing.draw)


# --------------------------------------------------------------------------------------------
# Lists and states


def filing_queryset(*, actor: Actor) -> QuerySet[Filing]:
    """Every filing the actor sees, with what the pages show joined in. The filed records are
    left out (tens of megabytes for a large draw): the sheet reads the parts it shows
    (``record_source``), a download loads its own."""
    return _with_state(Filing.objects.all()).defer("record", "previous__record", "resubmission__record")


def _with_state(filings: QuerySet[Filing]) -> QuerySet[Filing]:
    return filings.select_related(
        "draw", "draw__task", "plan", "office", "organization", "decision", "submitted_by", "previous", "resubmission"
    )


def filing_state(filing: Filing, *, now: dt.datetime | None = None) -> str:
    decision = getattr(filing, "decision", None) if _has_decision(filing) else None
    if decision is not None:
        return State.ACKNOWLEDGED if decision.decision == FilingDecision.Decision.ACKNOWLEDGED else State.RETURNED
    return State.OVERDUE if filing.due_at < (now or timezone.now()) else State.PENDING


def _has_decision(filing: Filing) -> bool:
    try:
        filing.decision  # noqa: B018  (reverse one-to-one: raises when absent)
    except FilingDecision.DoesNotExist:
        return False
    return True


def filing_list(
    *,
    actor: Actor,
    tab: str = "pending",
    department_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    text: str = "",
) -> QuerySet[Filing]:
    """Filings the actor sees: an office its inbox (addressed to it), a department its own."""
    filings = Filing.objects.all()
    if actor.is_office:
        filings = filings.filter(office_id=actor.organization_id)
    decided = FilingDecision.objects.filter(filing_id=OuterRef("pk"))
    now = timezone.now()
    if tab == "pending":
        filings = filings.filter(~Exists(decided))
    elif tab == "overdue":
        filings = filings.filter(~Exists(decided), due_at__lt=now)
    elif tab in ("acknowledged", "returned"):
        filings = filings.filter(Exists(decided.filter(decision=tab)))
    if department_id:
        filings = filings.filter(organization_id=department_id)
    if date_from:
        filings = filings.filter(submitted_at__date__gte=date_from)
    if date_to:
        filings = filings.filter(submitted_at__date__lte=date_to)
    if text:
        filings = filings.filter(Q(draw__task__name__icontains=text) | Q(draw__task_uid__icontains=text))
    # A list never shows the filed records or the frozen pools: megabytes a row for a large draw.
    heavy = ("record", "previous__record", "resubmission__record", "draw__pool_blob", "draw__excluded_blob",
             "draw__inspector_pool", "draw__conflicts")
    return _with_state(filings).defer(*heavy).order_by("due_at" if tab in ("pending", "overdue") else "-submitted_at", "-id")


def filing_tab_counts(*, actor: Actor) -> dict[str, int]:
    return {tab: filing_list(actor=actor, tab=tab).count() for tab in TABS}


def filing_departments(*, actor: Actor) -> list[tuple[int, str]]:
    """The filers seen in the actor's filings, for the department filter."""
    rows = filing_list(actor=actor, tab="all").values_list("organization_id", "organization__name").distinct()
    return sorted(set(rows), key=lambda r: r[1])


def filing_get(*, actor: Actor, pk: int) -> Filing:
    return _with_state(Filing.objects.all()).get(pk=pk)


def draws_awaiting_filing(*, actor: Actor) -> QuerySet[Draw]:
    """待报送: the actor's completed draws with no draw filing that still stands (none, or only
    returned ones not yet answered by a resubmission)."""
    standing = Filing.objects.filter(draw_id=OuterRef("pk"), kind=Filing.Kind.DRAW).exclude(
        decision__decision=FilingDecision.Decision.RETURNED
    )
    return (
        Draw.objects.filter(organization_id=actor.organization_id, status=Draw.Status.COMPLETED)
        .filter(~Exists(standing))
        .select_related("task")
        .order_by("drawn_at")
    )


def returned_unanswered(*, actor: Actor) -> QuerySet[Filing]:
    """被退回: the actor's returned filings not yet resubmitted."""
    return _with_state(
        Filing.objects.filter(
            organization_id=actor.organization_id, decision__decision=FilingDecision.Decision.RETURNED
        ).filter(resubmission__isnull=True)
    ).order_by("-submitted_at")


def latest_filing_of_draw(*, actor: Actor, draw: Draw, kind: str = Filing.Kind.DRAW) -> Filing | None:
    return _with_state(Filing.objects.filter(draw=draw, kind=kind)).order_by("-submitted_at", "-id").first()


# --------------------------------------------------------------------------------------------
# The sheet: what the detail page, the HTML preview and the PDF show


# The filing page lists this many targets; the 备案表 (PDF and preview) settings.FILING_PDF_MAX_ROWS.
PAGE_ROWS = 200
# The record's short fields the sheet shows; its long lists are read an element at a time.
SHEET_FIELDS = ("spec", "task_uid", "commitment", "secret", "public_entropy", "seed", "pool_hash", "allocation")
_NAMES_PER_QUERY = 2000
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def json_array_items(text: str | None) -> Iterator[Any]:
    """The elements of a JSON array given as text, decoded one at a time: the list of dicts of
    tens of thousands of targets takes several times the memory of their text."""
    if not text:
        return
    pos = _SPACE.match(text, 0).end()
    if text[pos : pos + 1] != "[":
        raise ValueError("not a JSON array")
    pos = _SPACE.match(text, pos + 1).end()
    if text[pos : pos + 1] == "]":
        return
    while True:
        value, pos = _DECODER.raw_decode(text, pos)
        yield value
        pos = _SPACE.match(text, pos).end()
        if text[pos : pos + 1] == "]":
            return
        if text[pos : pos + 1] != ",":
            raise ValueError(f"a JSON array broken at {pos}")
        pos = _SPACE.match(text, pos + 1).end()


class RecordSource:
    """A filed record as the sheet and the annex read it: its short fields, and its long lists
    (``selected``, ``reserve``, ``assignments``) an element at a time, with their lengths."""

    fields: dict[str, Any]

    def items(self, name: str) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def count(self, name: str) -> int:
        if name not in self._counts:
            self._counts[name] = sum(1 for _ in self.items(name))
        return self._counts[name]

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}


class _RecordInMemory(RecordSource):
    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__()
        self.record = record
        self.fields = {k: record.get(k) for k in SHEET_FIELDS}

    def items(self, name: str) -> Iterator[dict[str, Any]]:
        return iter(self.record.get(name) or ())

    def count(self, name: str) -> int:
        return len(self.record.get(name) or ())


class _RecordInDatabase(RecordSource):
    """The stored record read in parts: the short fields as values, each long list as the JSON
    text the database gives for it: a long record is never decoded whole in a worker that then
    lays out the PDF."""

    def __init__(self, filing: Filing, fields: dict[str, Any]) -> None:
        super().__init__()
        self.filing_id = filing.pk
        self.fields = fields
        self._texts: dict[str, str | None] = {}

    def count(self, name: str) -> int:
        allocation = self.fields.get("allocation")
        if name == "selected" and isinstance(allocation, list) and all(isinstance(a.get("selected"), int) for a in allocation):
            return sum(a["selected"] for a in allocation)  # one ranked target per allocated place (hashrank)
        return super().count(name)

    def items(self, name: str) -> Iterator[dict[str, Any]]:
        if name not in self._texts:
            self._texts[name] = (
                Filing.objects.filter(pk=self.filing_id).values_list(KeyTextTransform(name, "record"), flat=True).get()
            )
        return json_array_items(self._texts[name])


def record_source(filing: Filing, record: dict[str, Any] | None = None) -> RecordSource:
    """How the sheet reads ``filing``'s record: ``record`` when given, the stored one in parts
    when the filing was loaded without it (``defer("record")``), else the loaded one."""
    if record is not None:
        return _RecordInMemory(record)
    if "record" in filing.get_deferred_fields():
        fields = (
            Filing.objects.filter(pk=filing.pk)
            .values(**{f"field_{k}": KeyTransform(k, "record") for k in SHEET_FIELDS})
            .get()
        )
        fields = {k: fields[f"field_{k}"] for k in SHEET_FIELDS}
        if fields["commitment"] is not None:
            return _RecordInDatabase(filing, fields)
    return _RecordInMemory(filed_record(filing))  # loaded, or an old filing's rebuilt from the draw


def _inspector_names(draw: Draw) -> dict[str, str]:
    """Names of drawn inspectors by certificate number: the frozen inspector pool carries them
    (server-side only); the registry fills in for older draws (``_fill_inspectors``)."""
    return {e["key"]: e.get("name", "") for e in draw.inspector_pool or [] if e.get("name")}


def _entity_names(draw: Draw, keys: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for start in range(0, len(keys), _NAMES_PER_QUERY):
        part = keys[start : start + _NAMES_PER_QUERY]
        names |= dict(DrawSelection.objects.filter(draw=draw, key__any=part).values_list("key", "entity__name"))
    return names


class _TargetRows:
    """The target and reserve rows of a filed record, with names from the registries, a chunk
    at a time (one query of names per chunk): the first ones for the sheet, all for the annex."""

    def __init__(self, filing: Filing, source: RecordSource) -> None:
        self.draw = filing.draw
        self.source = source
        self.inspectors = _inspector_names(self.draw)
        self._registry = Inspector
        self.replaced = set(
            TargetReplacement.objects.filter(draw=self.draw, created_at__lte=filing.submitted_at)
            .values_list("replaced__key", flat=True)
        )
        self._teams: dict[str, list[str]] | None = None

    def _teamed(self) -> Iterator[tuple[dict[str, Any], list[str]]]:
        """Each selected target with its team as filed. ``assignments`` follow ``selected`` in
        rank order (sampling.records); should they not, the teams are looked up by target."""
        assignments = self.source.items("assignments")
        for s in self.source.items("selected"):
            if self._teams is None:
                a = next(assignments, None)
                if a is None or a.get("target") == s.get("key"):
                    yield s, (a or {}).get("inspectors", [])
                    continue
                self._teams = {a["target"]: a.get("inspectors", []) for a in self.source.items("assignments") if "target" in a}
            yield s, self._teams.get(s.get("key"), [])

    def _names_of_inspectors(self, keys: set[str]) -> None:
        missing = keys - set(self.inspectors)
        if missing:
            self.inspectors |= dict(self._registry.objects.filter(cert_no__in=missing).values_list("cert_no", "name"))
            self.inspectors |= {k: "—" for k in missing if k not in self.inspectors}

    def targets(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        rows = itertools.islice(self._teamed(), limit)
        while chunk := list(itertools.islice(rows, _NAMES_PER_QUERY)):
            names = _entity_names(self.draw, [s.get("key") for s, _team in chunk])
            self._names_of_inspectors({k for _s, team in chunk for k in team})
            for s, team in chunk:
                yield {
                    "rank": s.get("rank"),
                    "code": s.get("key"),
                    "name": names.get(s.get("key"), ""),
                    "stratum": s.get("stratum"),
                    "replaced": s.get("key") in self.replaced,
                    "team": [self.inspectors.get(k, "—") for k in team],
                }

    def reserves(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        rows = enumerate(itertools.islice(self.source.items("reserve"), limit), start=1)
        while chunk := list(itertools.islice(rows, _NAMES_PER_QUERY)):
            names = _entity_names(self.draw, [s.get("key") for _n, s in chunk])
            for n, s in chunk:
                yield {"order": n, "code": s.get("key"), "name": names.get(s.get("key"), ""), "stratum": s.get("stratum")}


def annex_needed(filing: Filing, source: RecordSource | None = None) -> bool:
    """Whether the 备案表 lists only part of the targets or reserves, the rest in the annex."""
    source = record_source(filing) if source is None else source
    limit = settings.FILING_PDF_MAX_ROWS
    return source.count("selected") > limit or source.count("reserve") > limit


def filing_annex_rows(
    *, actor: Actor, filing: Filing, source: RecordSource
) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Every target and every reserve of the filed record, with names, as the annex lists them
    (generators: a chunk of rows in memory at a time)."""
    rows = _TargetRows(filing, source)
    return rows.targets(), rows.reserves()


def filing_sheet(
    *, actor: Actor, filing: Filing, limit: int | None = None, source: RecordSource | None = None
) -> dict[str, Any]:
    """Everything the 抽取结果备案表 shows. Results come from the record as filed (later
    substitutions do not rewrite a filed sheet); names come from the registries.

    At most ``limit`` targets and reserves (``settings.FILING_PDF_MAX_ROWS`` by default; the
    filing page asks for ``PAGE_ROWS``): the counts say how many there are, the annex lists all.
    The sheet holds those rows only, never the record's long lists."""
    limit = settings.FILING_PDF_MAX_ROWS if limit is None else limit
    draw = filing.draw
    source = record_source(filing) if source is None else source
    cutoff = filing.submitted_at
    subs = list(
        Substitution.objects.filter(draw=draw, created_at__lte=cutoff)
        .select_related("selection__entity", "out_inspector", "in_inspector")
        .order_by("seq")
    )
    repls = list(
        TargetReplacement.objects.filter(draw=draw, created_at__lte=cutoff)
        .select_related("replaced__entity", "replacement__entity")
        .order_by("seq")
    )
    rows = _TargetRows(filing, source)
    targets, reserve = list(rows.targets(limit)), list(rows.reserves(limit))
    # The event a substitution/replacement filing is about comes first on its page.
    substitutions = [
        {"seq": s.seq, "target": s.selection.entity.name, "code": s.selection.key, "out": s.out_inspector.name,
         "in": s.in_inspector.name, "reason": s.reason, "at": s.created_at, "filed": s.pk == filing.substitution_id}
        for s in subs
    ]
    replacements = [
        {"seq": r.seq, "replaced": r.replaced.entity.name, "replaced_code": r.replaced.key,
         "replacement": r.replacement.entity.name, "replacement_code": r.replacement.key, "reason": r.reason,
         "at": r.created_at, "filed": r.pk == filing.replacement_id}
        for r in repls
    ]
    allocation = [
        {"stratum": a.get("stratum"), "eligible": a.get("eligible") or 0, "selected": a.get("selected") or 0}
        for a in source.fields.get("allocation") or []
    ]
    witnesses = [str(w) for w in draw.witnesses or []]
    targets_total, reserve_total = source.count("selected"), source.count("reserve")
    return {
        "filing": filing,
        "draw": draw,
        "task": draw.task,
        "plan": filing.plan,
        "record": dict(source.fields),
        "state": filing_state(filing),
        "allocation": allocation,
        "allocation_total": {
            "eligible": sum(a["eligible"] for a in allocation),
            "selected": sum(a["selected"] for a in allocation),
        },
        "targets": targets,
        "targets_total": targets_total,
        "reserve": reserve,
        "reserve_total": reserve_total,
        "rows_limit": limit,
        "truncated": targets_total > len(targets) or reserve_total > len(reserve),
        "annex_needed": targets_total > settings.FILING_PDF_MAX_ROWS or reserve_total > settings.FILING_PDF_MAX_ROWS,
        "substitutions": substitutions,
        "replacements": replacements,
        "filed_event": next((e for e in substitutions + replacements if e["filed"]), None),
        "witnesses": witnesses,
        "may_see_record": can_read_filed_record(actor, filing),
    }


def pdf_rendered_in_background(filing: Filing, source: RecordSource | None = None) -> bool:
    """Whether the filing's 备案表 is too long to render within a request: its rows (at most
    FILING_PDF_MAX_ROWS each of targets and reserves), or an annex to write first."""
    source = record_source(filing) if source is None else source
    limit = settings.FILING_PDF_MAX_ROWS
    selected, reserve = source.count("selected"), source.count("reserve")
    if selected > limit or reserve > limit:
        return True
    return selected + reserve > settings.ASYNC_FILING_PDF_ROWS


def filing_pdf_get(*, actor: Actor, filing: Filing) -> bytes | None:
    """The attached PDF; a short one is rendered again from the filed record if the file has
    gone missing. None while a long one is not attached yet (a worker renders it)."""
    if filing.pdf:
        try:
            with filing.pdf.open("rb") as fh:
                return fh.read()
        except FileNotFoundError:
            pass
    if pdf_rendered_in_background(filing):
        return None
    return pdf.filing_form_pdf(filing_sheet(actor=actor, filing=filing))


def filing_annex_file(*, actor: Actor, filing: Filing) -> Any | None:
    """The attached annex (an open file), or None when the filing has none (yet)."""
    if not filing.annex:
        return None
    try:
        return filing.annex.open("rb")
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
# Attachments


def filing_attachments(*, actor: Actor, filing: Filing) -> list[FilingAttachment]:
    """The files sent with the filing and with the office's decision on it, oldest first."""
    return list(FilingAttachment.objects.filter(filing=filing).select_related("uploaded_by").order_by("created_at", "id"))


def filing_attachment_queryset(*, actor: Actor) -> QuerySet[FilingAttachment]:
    return FilingAttachment.objects.select_related("filing")


# --------------------------------------------------------------------------------------------
# Dashboard


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    """An office: 待确认备案 (overdue in red). A department: 待报送 and 被退回."""
    if not actor.is_member:
        return []
    url = reverse("sampling:filing_list")
    if actor.is_office:
        pending = filing_list(actor=actor, tab="pending").count()
        overdue = filing_list(actor=actor, tab="overdue").count()
        return [
            {
                "key": "filings-pending",
                "label": _("待确认备案"),
                "value": pending,
                "url": url,
                "state": "bad" if overdue else "",
                "note": _("其中已逾期 %(n)d 件") % {"n": overdue} if overdue else "",
            }
        ]
    if actor.is_department:
        awaiting = draws_awaiting_filing(actor=actor).count()
        returned = returned_unanswered(actor=actor).count()
        return [
            {"key": "filings-awaiting", "label": _("待报送备案"), "value": awaiting, "url": url,
             "state": "bad" if awaiting else ""},
            {"key": "filings-returned", "label": _("备案被退回"), "value": returned, "url": url + "?tab=returned",
             "state": "bad" if returned else ""},
        ]
    return []
