"""Reads of recusal requests (回避) and their files, and the target choices of the recusal and
replacement forms. Every query is scoped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from inventory.models import Inspector, MarketEntity
from sampling.models import Draw, DrawSelection, RecusalAttachment, RecusalRequest
from sampling.selectors.draws import (
    TargetFilter,
    TeamMember,
    current_targets,
    my_targets,
    selection_entities,
    team_members,
)
from tenancy.context import Actor, Role

# A large draw has tens of thousands of targets: the forms list this many and find the rest.
TARGETS_LISTED = 100


Choices = list[tuple[str, list[tuple[str, str]]]]


def _short_label(s: DrawSelection, entity: MarketEntity | None) -> str:
    """"17 · 阳城县黄河商店": what a chosen option still says once the list is closed."""
    return f"{s.rank or _('递补')} · {entity.name if entity is not None else s.key}"


def target_label(s: DrawSelection, entity: MarketEntity | None) -> str:
    """"17 · 阳城县黄河商店 · 凤城镇东关街12号 · 91140522…": a target as a person reads it — by its
    name and address, the code last (it tells two firms of one name apart)."""
    parts = [_short_label(s, entity)]
    if entity is not None and entity.address:
        parts.append(entity.address)
    parts.append(s.key)
    return " · ".join(parts)


@dataclass
class SlotGroup:
    """A target of a recusal form with the team places one may ask to leave ("selection:inspector")."""

    selection: DrawSelection
    entity: MarketEntity | None
    label: str  # name, address, code
    short: str  # rank and name
    members: list[tuple[str, str]]  # (value, "黄海鹏（文旅局）")


def slot_choices(groups: list[SlotGroup]) -> Choices:
    """The form's choices: grouped by target; an option names the target too (a closed list shows
    only the chosen option)."""
    return [(g.label, [(value, f"{g.short} · {member}") for value, member in g.members]) for g in groups]


def _slot_groups(targets: list[DrawSelection], members: dict[int, TeamMember], only_ids: set[int] | None = None) -> list[SlotGroup]:
    entities = selection_entities([s.entity_id for s in targets])
    groups = []
    for s in targets:
        entity = entities.get(s.entity_id)
        places = [
            (f"{s.pk}:{i}", _("%(name)s（%(department)s）") % {"name": members[i].name, "department": members[i].department})
            for i in s.team if i in members and (only_ids is None or i in only_ids)
        ]
        if places:
            groups.append(SlotGroup(s, entity, target_label(s, entity), _short_label(s, entity), places))
    return groups


def team_choices(*, draw: Draw, only: TargetFilter | None = None) -> list[SlotGroup]:
    """A planner's recusal form: every current team member, under their target (name, address, code)."""
    return _slot_groups(list(current_targets(draw=draw, only=only)), team_members(draw))


def my_slot_choices(*, actor: Actor, draw: Draw) -> list[SlotGroup]:
    """An inspector's recusal form: their own place on each team they are on, by target."""
    members = team_members(draw)
    mine = set(Inspector.objects.filter(user_id=actor.user_id).values_list("pk", flat=True)) if actor.user_id else set()
    return _slot_groups(my_targets(actor=actor, draw=draw, members=members), members, only_ids=mine)


def replaceable_choices(*, draw: Draw, only: TargetFilter | None = None) -> Choices:
    """A leader's replacement choices: current targets by stratum (a reserve of the same stratum
    takes the place), each by name, address and code."""
    targets = list(current_targets(draw=draw, only=only))
    entities = selection_entities([s.entity_id for s in targets])
    groups: dict[str, list[tuple[str, str]]] = {}
    for s in targets:
        groups.setdefault(s.stratum, []).append((str(s.pk), target_label(s, entities.get(s.entity_id))))
    return list(groups.items())


def recusal_get(*, actor: Actor, pk: int) -> RecusalRequest:
    return get_object_or_404(
        RecusalRequest.objects.select_related("draw", "draw__task", "selection", "selection__entity", "inspector"), pk=pk
    )


def recusal_attachments(*, actor: Actor, request: RecusalRequest) -> list[RecusalAttachment]:
    return list(RecusalAttachment.objects.filter(request=request).select_related("uploaded_by").order_by("created_at", "id"))


def recusal_attachment_queryset(*, actor: Actor) -> QuerySet[RecusalAttachment]:
    """Files of the recusal requests the actor sees (the download looks one up here: 404 otherwise)."""
    return RecusalAttachment.objects.all()


def inspector_visible(*, actor: Actor, inspector_id: int) -> bool:
    """Whether the actor may open the inspector's page (a joint draw names other departments' too)."""
    return Inspector.objects.filter(pk=inspector_id).exists()


def recusal_list(*, actor: Actor, status: str = "") -> QuerySet[RecusalRequest]:
    """Requests the actor may decide (a leader: inspectors of their unit) or has made."""
    requests = RecusalRequest.objects.select_related("draw", "draw__task", "selection", "selection__entity", "inspector")
    mine = Q(requested_by_id=actor.user_id) if actor.user_id else Q(pk__in=[])
    if actor.has_role(Role.LEADER):
        mine |= Q(inspector__organization_id=actor.organization_id)
    if actor.has_role(Role.PLANNER, Role.ADMIN):
        mine |= Q(draw__organization_id=actor.organization_id)
    requests = requests.filter(mine)
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("status", "-created_at")


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    if actor.has_role(Role.LEADER):
        pending = RecusalRequest.objects.filter(
            status=RecusalRequest.Status.PENDING, inspector__organization_id=actor.organization_id
        ).count()
        cards.append(
            {
                "key": "recusals-pending",
                "label": _("待审批回避申请"),
                "value": pending,
                "state": "bad" if pending else "ok",
                "url": reverse("sampling:recusal_list") + "?status=pending",
            }
        )
    return cards
