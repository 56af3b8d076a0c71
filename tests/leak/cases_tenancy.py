"""Leak-matrix entries for tenancy and config URLs."""

from __future__ import annotations

from django_scopes import scopes_disabled

from tenancy.models import AuditEntry

from .registry import Case, marker


def make_audit_entry(world, org_key: str) -> AuditEntry:
    org = world.orgs[org_key]
    with scopes_disabled():
        return AuditEntry.objects.create(
            organization=org, region=org.region, actor_name="tester", action="update",
            target_type="tenancy.organization", target_id=str(org.pk), target_repr=marker(org_key),
        )


FACTORIES = {"audit_entry": make_audit_entry}

CASES = {
    "audit_list": Case(factory="audit_entry", kind="list"),
}

PUBLIC = {
    "dashboard": "own organization's summary only (cards come from scoped selectors)",
    "login": "authentication",
    "logout": "authentication",
    "switch_organization": "changes the active organization only among the user's own memberships (tested)",
    "set_language": "language preference",
    "api_schema": "OpenAPI schema, no data",
    "api_docs": "Swagger UI, no data",
    "healthz": "health check for docker-compose, no data",
}


def make_organization_ref(world, org_key: str):
    """Organizations are listed by region: A's viewers must not reach B's organizations."""
    org = world.orgs[org_key]
    with scopes_disabled():
        org.short_name = marker(org_key)
        org.save(update_fields=["short_name"])
    return org


FACTORIES["organization"] = make_organization_ref
CASES["api:organization-list"] = Case(factory="organization", kind="list", shared=True)
CASES["api:organization-detail"] = Case(factory="organization", kwargs=lambda org: {"code": org.code}, shared=True)
PUBLIC["api:region-list"] = "GB/T 2260 divisions: public reference data"
PUBLIC["api:region-detail"] = "GB/T 2260 divisions: public reference data"
