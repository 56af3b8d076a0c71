"""The one place that asks which database runs underneath.

Production runs on PostgreSQL; the embedded default (``make run`` with nothing configured) on
SQLite, and CI runs the suite on both. Code that uses a PostgreSQL feature asks ``is_postgresql``
and keeps a plain path that gives the same answer on SQLite:

* ``COPY … FROM STDIN`` for bulk inserts, sequences for reserved ids (``tenancy/bulk.py``;
  SQLite: ``bulk_create``), and ``ANALYZE`` during long writes (SQLite: none needed);
* ``= ANY(array)`` for long membership lists (``tenancy/lookups.py``; SQLite: ``IN``);
* a second, autocommitted connection for progress and heartbeats while the work's transaction
  is open (``tenancy/bulk.py``, the importer; SQLite allows one writer: progress shows at the end);
* the planner's row estimate for a huge list's total (``inventory/selectors/entities.py``; SQLite: exact);
* grouping a pool's codes in the database (``sampling/selectors/pool.py``; SQLite: in Python);
* ``COLLATE "C"`` for codes (``inventory/fields.py``; SQLite compares bytes already).

Data migrations that install triggers check ``schema_editor.connection.vendor`` themselves:
migrations are frozen once landed and must not depend on this module.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


def is_postgresql(connection: Any = None) -> bool:
    """Whether ``connection`` (default: the default database's) is PostgreSQL."""
    return (connection if connection is not None else connections[DEFAULT_DB_ALIAS]).vendor == "postgresql"
