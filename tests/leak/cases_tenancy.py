"""Leak-matrix entries for tenancy and config URLs."""

from __future__ import annotations

from tests.factories import make_audit_entry, mark_organization

from .registry import Case

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
    "favicon": "redirect to the static site icon, no data",
}

# Organizations are listed by region: A's viewers must not reach B's organizations.
FACTORIES["organization"] = mark_organization
CASES["api:organization-list"] = Case(factory="organization", kind="list", shared=True)
CASES["api:organization-detail"] = Case(factory="organization", kwargs=lambda org: {"code": org.code}, shared=True)
PUBLIC["api:region-list"] = "GB/T 2260 divisions: public reference data"
PUBLIC["api:region-detail"] = "GB/T 2260 divisions: public reference data"
