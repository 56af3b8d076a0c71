"""Leak-matrix entries for the import pages (inventory/urls.py, inventory/views/imports.py)."""

from __future__ import annotations

from tests.factories import make_import_job

from .registry import Case

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
