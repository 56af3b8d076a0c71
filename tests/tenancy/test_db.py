"""tenancy.db answers for the database the suite runs on (CI runs it on both)."""

from __future__ import annotations

import os

from django.db import connection

from tenancy import db


def test_is_postgresql_names_the_database_under_the_suite():
    expected = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql://"))
    assert db.is_postgresql() is expected
    assert db.is_postgresql(connection) is expected
