"""The leak matrix registry. Each ``tests/leak/cases_<app>.py`` declares, for its URLs:

- ``FACTORIES``: name -> ``f(world, org_key) -> object`` (from tests/factories.py) creating a
  representative object owned by that organization, with ``marker(org_key)`` in a field its
  pages show;
- ``CASES``: url name -> ``Case`` (how to point the URL at an object, or which list it is);
- ``PUBLIC``: url name -> why it needs no tenant check (login, docs, pages without tenant data).

A URL pattern in neither CASES nor PUBLIC fails the suite.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    factory: str
    kind: str = "object"  # "object": kwargs point at one object; "list": the page lists objects
    kwargs: Callable[[Any], dict[str, Any]] = lambda obj: {"pk": obj.pk}
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    # Objects shared by every organization of a region (the entity registry): only other regions leak.
    shared: bool = False
    # Which organization owns the object each viewer may legitimately see ("own").
    own: dict[str, str] = field(default_factory=lambda: {"A1": "A1", "AO": "A1"})
    viewers: tuple[str, ...] = ("A1", "AO")
    # Response content type: "html" pages are searched for markers; "json" also fine (text search).
    expect_owner_ok: bool = True

    def foreign(self, viewer: str) -> list[str]:
        if self.shared or viewer == "AO":
            return ["B1"]
        return ["A2", "B1"]


def load() -> tuple[dict[str, Case], dict[str, str], dict[str, Callable[..., Any]]]:
    import tests.leak as package

    cases: dict[str, Case] = {}
    public: dict[str, str] = {}
    factories: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("cases_"):
            continue
        module = importlib.import_module(f"tests.leak.{info.name}")
        cases.update(getattr(module, "CASES", {}))
        public.update(getattr(module, "PUBLIC", {}))
        factories.update(getattr(module, "FACTORIES", {}))
    return cases, public, factories
