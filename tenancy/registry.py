"""Typed registries: how a later app plugs into an earlier one without being imported by it.

An earlier app declares a ``Registry`` of entries with a documented contract; a later app fills
it from its ``AppConfig.ready()``; the earlier app only asks the registry. Unlike signals, a
registry can be listed and tested: a test asserts what is registered and in which order.

Entries are frozen dataclasses with a ``key`` (unique per registry, ``"<app>.<name>"``) and an
``order`` (a stable sort key: never the translated label).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Entry(Protocol):
    key: str
    order: int


E = TypeVar("E", bound=Entry)


class Registry(Generic[E]):
    """Entries of one kind, unique by ``key``, listed by ``(order, key)``."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc or f"Registry {name}"
        self._entries: dict[str, E] = {}

    def register(self, entry: E) -> E:
        """Add ``entry``. Registering the same key twice is a programming error, unless the
        entry is equal (``ready()`` may run twice in some test runners)."""
        existing = self._entries.get(entry.key)
        if existing is not None and existing != entry:
            raise ValueError(f"{self.name}: {entry.key!r} is already registered")
        self._entries[entry.key] = entry
        return entry

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def get(self, key: str) -> E:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"{self.name}: nothing registered as {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(sorted(self._entries.values(), key=lambda e: (e.order, e.key)))

    def __len__(self) -> int:
        return len(self._entries)

    def filter(self, predicate: Callable[[E], Any]) -> list[E]:
        return [e for e in self if predicate(e)]

    def keys(self) -> list[str]:
        return [e.key for e in self]
