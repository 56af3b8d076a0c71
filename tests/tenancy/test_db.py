"""tenancy.db answers for the database the suite runs on (CI runs it on both)."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import MarketEntity
from tenancy import audit, db
from tenancy.bulk import bulk_insert, bulk_update_values
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope


def test_is_postgresql_names_the_database_under_the_suite():
    expected = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql://"))
    assert db.is_postgresql() is expected
    assert db.is_postgresql(connection) is expected


@pytest.mark.skipif(not db.is_postgresql(), reason="only PostgreSQL runs both paths (SQLite runs the plain one everywhere)")
@pytest.mark.django_db
def test_the_plain_path_stores_what_the_postgresql_path_stores(world, monkeypatch):
    """Each branch of tenancy.bulk and tenancy.lookups, taken both ways in one run: the plain path
    (bulk_create, bulk_update, IN) must leave the same rows as COPY, the JSON update and ANY."""
    actor, org = world.actor("A1"), world.orgs["A1"]

    def plain() -> None:
        monkeypatch.setattr(db, "is_postgresql", lambda connection=None: False)

    def audit_rows(tag: str) -> list[dict]:
        return [
            {**audit.row_template(actor=actor, target_type="inventory.marketentity", note="批量"), "action": tag,
             "target_id": str(i), "target_repr": f"对象{i}", "changes": {"risk_class": ["B", "D"], "名称": [None, f"对象{i}"]},
             "at": timezone.now()}
            for i in range(3)
        ]

    def stored(tag: str) -> list[tuple]:
        return list(AuditEntry.objects.filter(action=tag).order_by("target_id").values_list(
            "organization_id", "region_id", "user_id", "via", "target_type", "target_id", "target_repr", "changes", "note"))

    def entities(prefix: str) -> list[int]:
        rows = [{"organization_id": org.pk, "region_id": org.region_id, "code": f"{prefix}{i}", "name": f"对象{i}"} for i in range(3)]
        return bulk_insert(actor=actor, model=MarketEntity, rows=rows, with_ids=True)

    with actor_scope(actor):
        copied, copied_ids = audit.record_many(actor=actor, entries=audit_rows("copy")), entities("PG")
        bulk_update_values(model=MarketEntity, rows={pk: {"risk_class": "D", "complaint_count": n} for n, pk in enumerate(copied_ids)},
                           fields=["risk_class", "complaint_count"], now=timezone.now())
        by_any = sorted(MarketEntity.objects.filter(code__any=["PG0", "PG2", "NONE"]).values_list("code", flat=True))
        plain()
        created, created_ids = audit.record_many(actor=actor, entries=audit_rows("create")), entities("SQ")
        bulk_update_values(model=MarketEntity, rows={pk: {"risk_class": "D", "complaint_count": n} for n, pk in enumerate(created_ids)},
                           fields=["risk_class", "complaint_count"], now=timezone.now())
        by_in = sorted(MarketEntity.objects.filter(code__any=["PG0", "PG2", "NONE"]).values_list("code", flat=True))
        monkeypatch.undo()

        assert copied == created == 3 and stored("copy") == stored("create")
        updated = {code: (risk, count) for code, risk, count in MarketEntity.objects.values_list("code", "risk_class", "complaint_count")}
        assert [updated[f"PG{i}"] for i in range(3)] == [updated[f"SQ{i}"] for i in range(3)] == [("D", 0), ("D", 1), ("D", 2)]
        assert by_any == by_in == ["PG0", "PG2"]
