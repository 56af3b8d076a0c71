"""The team's object grants (``tenancy.grants``): each inspector on an inspection's team whose
record is linked to a user account holds ``policies.TEAM_PERMISSION`` on it — given when the
inspection is made, moved when the team changes. An inspector without an account holds none
(their department's staff fill in for them)."""

from __future__ import annotations

from collections.abc import Iterable

from inspections.models import Inspection
from inspections.policies import TEAM_PERMISSION
from inventory.models import Inspector
from tenancy import grants
from tenancy.context import Actor
from tenancy.models import Membership, User


def users_of(inspector_ids: Iterable[int]) -> dict[int, User]:
    """Inspector id → the user account linked to it (those the actor's scope shows)."""
    links = dict(
        Inspector.objects.filter(pk__in=set(inspector_ids), user__isnull=False).values_list("pk", "user_id")
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=set(links.values()), is_active=True)}
    return {inspector: users[user] for inspector, user in links.items() if user in users}


def team_accounts(organization_ids: Iterable[int], inspector_ids: Iterable[int]) -> dict[tuple[int, int], User]:
    """``(department id, inspector id)`` → the active user account linked to the inspector (those
    the actor's scope shows) while it is still an active inspector member of that department: the
    team as it stands, for the reminders of its results (``due``) and the notices of its combined
    visits (``notices``). Two queries, whatever the number of departments and inspectors."""
    links = dict(
        Inspector.objects.filter(pk__in=set(inspector_ids), user__isnull=False).values_list("pk", "user_id")
    )
    members = {
        (m.organization_id, m.user_id): m.user
        for m in Membership.objects.filter(
            organization_id__in=set(organization_ids), user_id__in=set(links.values()), is_active=True,
            is_inspector=True, user__is_active=True,
        ).select_related("user")
    }
    return {
        (organization_id, inspector): user
        for (organization_id, user_id), user in members.items()
        for inspector, linked in links.items()
        if linked == user_id
    }


def grant_team(*, actor: Actor, inspection_ids: Iterable[int], inspector_ids: Iterable[int]) -> int:
    """Grant every linked member of each inspection's team, all at once (a draw's thousands of
    inspections: a handful of queries); returns how many grants were added."""
    users = users_of(inspector_ids)
    if not users:
        return 0
    pairs = [
        (users[inspector_id], inspection)
        for inspection in (
            # What the grants' audit names each row by (str(inspection)), and never a draw's pool.
            Inspection.objects.filter(pk__in=list(inspection_ids)).select_related("entity", "draw")
            .only("pk", "team", "version", "entity_id", "draw_id", "entity__name", "draw__task_uid").order_by("pk")
        )
        for inspector_id in inspection.team
        if inspector_id in users
    ]
    return grants.grant_many(TEAM_PERMISSION, pairs, actor=actor)


def move_grants(*, actor: Actor, inspection: Inspection, removed: set[int], added: set[int]) -> None:
    """A team change: the members who left lose the grant (unless the same account is still on
    the team through another record), the new ones get it."""
    users = users_of(removed | added | set(inspection.team))
    staying = {users[i].pk for i in inspection.team if i in users}
    for inspector_id in sorted(removed):
        user = users.get(inspector_id)
        if user is not None and user.pk not in staying:
            grants.revoke(user, TEAM_PERMISSION, inspection, actor=actor)
    for inspector_id in sorted(added):
        user = users.get(inspector_id)
        if user is not None:
            grants.grant(user, TEAM_PERMISSION, inspection, actor=actor)
