"""Leak-matrix entries for the import pages (inventory/urls_import.py)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from inventory.codes import make_uscc
from inventory.models import ImportJob

from .registry import Case, marker


def make_import_job(world, org_key: str) -> ImportJob:
    """A previewed entity import of ``org_key`` with one good and one rejected row; the marker is in
    the file name (list, detail) and in the rejected row's value (error table)."""
    org = world.orgs[org_key]
    code = make_uscc("91", org.region.code, "MA0000001")
    content = f"统一社会信用代码,名称\n{code},{marker(org_key)}公司\nBAD,{marker(org_key)}\n".encode()
    with scopes_disabled():
        job = ImportJob(
            organization=org, region=org.region, kind=ImportJob.Kind.ENTITIES, filename=f"{marker(org_key)}.csv",
            status=ImportJob.Status.PREVIEWED, total_rows=2, valid_rows=1, rejected_count=1,
            errors=[{"row": 3, "column": "统一社会信用代码", "value": "BAD", "reason": marker(org_key)}],
        )
        job.file.save(f"{marker(org_key)}.csv", ContentFile(content), save=False)
        job.save()
    return job


FACTORIES = {"import_job": make_import_job}

CASES = {
    "inventory:import_list": Case(factory="import_job", kind="list"),
    "inventory:import_detail": Case(factory="import_job"),
    "inventory:import_progress": Case(factory="import_job"),
    "inventory:import_rejected": Case(factory="import_job"),
    "inventory:import_confirm": Case(factory="import_job", method="post", data={"mode": "valid"}),
}

PUBLIC = {
    "inventory:import_upload": "upload form without tenant data (admin/planner only; tested)",
    "inventory:import_template": "blank workbook template, no tenant data",
}
