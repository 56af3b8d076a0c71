"""Who is told when a combined visit (综合查一次) is arranged, cancelled or loses an inspection: the
bell and the e-mail of the deadlines engine (``deadlines.notices.notify``), from inspections' own
handlers of its own events (``register``, from ``InspectionsConfig.ready``).

The people concerned, for each inspection involved: the inspectors on each department's part who
have an account and are still that department's inspectors (the team as it stands), and that
department's leaders. Each is told once per event (the notice's key), whatever the number of
parts they are on. Texts are stored in Chinese (``stored_format``) and read back translated.

``register`` also subscribes ``services.combined.on_target_replaced``: an inspection whose target
a replacement took leaves its combined visit (cancelled when fewer than two remain).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from deadlines.notices import notify
from deadlines.scan import members_with
from tenancy import events
from tenancy.context import Actor, Role
from tenancy.i18n import STORED_LIST_SEPARATOR, stored_format
from tenancy.models import Organization, User
from tenancy.periodic import organization_scope

from .models import CombinedVisit, CombinedVisitMember, InspectionPart
from .services.teams import team_accounts

ACCEPTED = "inspections.combined_visit.accepted"
CANCELLED = "inspections.combined_visit.cancelled"
WITHDRAWN = "inspections.combined_visit.member_withdrawn"


def people(inspection_ids: Iterable[int]) -> dict[int, list[User]]:
    """``{department id: [user]}``: each part's inspectors with an account who are still its
    department's inspectors, and the department's leaders (read in each department's scope)."""
    inspectors: dict[int, set[int]] = defaultdict(set)
    # The parts of every department involved: an office's or one department's actor reads past its scope here.
    for organization_id, ids in InspectionPart._base_manager.filter(inspection_id__in=list(inspection_ids)).values_list(
        "organization_id", "inspectors"
    ):
        inspectors[organization_id].update(int(i) for i in ids or [])
    found: dict[int, list[User]] = {}
    for organization_id, ids in sorted(inspectors.items()):
        with organization_scope(organization_id):
            accounts = team_accounts([organization_id], ids)
            team = sorted({u.pk: u for u in accounts.values()}.values(), key=lambda u: u.pk)  # by user id
            leaders = members_with(organization_id, (Role.LEADER,))
        found[organization_id] = list({u.pk: u for u in [*team, *leaders]}.values())
    return found


def _departments(combined: CombinedVisit, *, active: bool = False) -> str:
    """The departments of the inspections the visit was arranged with (``active``: still holds), by name."""
    members = CombinedVisitMember._base_manager.filter(combined_visit=combined)
    ids = (members.filter(active=True) if active else members).values("inspection_id")
    orgs = list(
        InspectionPart._base_manager.filter(inspection_id__in=ids).order_by("pk").values_list("organization_id", flat=True)
    )
    names = dict(Organization.objects.filter(pk__in=orgs).values_list("pk", "name"))
    # Stored in Chinese whatever the actor's language; a page joins it again in its own
    # (tenancy.i18n.NAME_LISTS).
    return STORED_LIST_SEPARATOR.join(dict.fromkeys(names[o] for o in orgs if o in names))


def _params(combined: CombinedVisit, *, active: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "name": combined.entity.name, "date": combined.visit_on.isoformat(),
        "orgs": _departments(combined, active=active), **extra,
    }


def _url(combined: CombinedVisit) -> str:
    return reverse("inspections:combined_detail", kwargs={"pk": combined.pk})


def on_accepted(*, event: str, actor: Actor, obj: CombinedVisit, **data: Any) -> None:
    ids = CombinedVisitMember._base_manager.filter(combined_visit=obj).values_list("inspection_id", flat=True)
    params = _params(obj)
    notify(
        recipients=people(ids), key=f"{ACCEPTED}.{obj.pk}",
        title=stored_format(pgettext_lazy("stored format", "综合查一次：%(name)s，%(date)s"), params),
        body=stored_format(pgettext_lazy(
            "stored format",
            "%(date)s，%(orgs)s的检查组一同到“%(name)s”上门检查（综合查一次）；各部门仍各自填写、审核本部门的检查结果。",
        ), params),
        url=_url(obj),
    )


def on_cancelled(*, event: str, actor: Actor, obj: CombinedVisit, inspection_ids: Iterable[int] = (), **data: Any) -> None:
    params = _params(obj, reason=obj.cancel_reason)
    notify(
        recipients=people(inspection_ids), key=f"{CANCELLED}.{obj.pk}",
        title=stored_format(pgettext_lazy("stored format", "综合查一次已取消：%(name)s，%(date)s"), params),
        body=stored_format(pgettext_lazy(
            "stored format", "原定 %(date)s 由%(orgs)s一同到“%(name)s”的综合查一次已取消，各部门按原计划各自上门。原因：%(reason)s",
        ), params),
        url=_url(obj),
    )


def on_withdrawn(*, event: str, actor: Actor, obj: CombinedVisitMember, reason: str = "", **data: Any) -> None:
    """The inspection that left is told (the others still go on the day)."""
    combined = CombinedVisit._base_manager.select_related("entity").get(pk=obj.combined_visit_id)
    params = _params(combined, active=True, reason=reason)
    notify(
        recipients=people([obj.inspection_id]), key=f"{WITHDRAWN}.{obj.pk}",
        title=stored_format(pgettext_lazy("stored format", "已退出综合查一次：%(name)s，%(date)s"), params),
        body=stored_format(pgettext_lazy(
            "stored format", "你们的检查已退出 %(date)s 到“%(name)s”的综合查一次，不再随%(orgs)s一同上门。原因：%(reason)s",
        ), params),
        url=_url(combined),
    )


def register() -> None:
    from .services.combined import on_target_replaced  # noqa: PLC0415  (ready(): models loaded)

    events.subscribe(key="inspections.notices", events=[ACCEPTED], handler=on_accepted)
    events.subscribe(key="inspections.notices", events=[CANCELLED], handler=on_cancelled)
    events.subscribe(key="inspections.notices", events=[WITHDRAWN], handler=on_withdrawn)
    events.subscribe(
        key="inspections.combined", events=["inspections.inspection.replaced", "inspections.inspection.moved"],
        handler=on_target_replaced,
    )
