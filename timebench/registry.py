"""A small generic registry with lazy targets and "did you mean" errors.

Entries are either objects or lazy ``"package.module:attr"`` strings that are imported on first
use, so listing adapters never imports torch.  Third-party packages add entries through the
entry-point group given at construction (``timebench.adapters`` for model adapters).
"""

from __future__ import annotations

import importlib
from typing import Callable, Generic, Iterator, TypeVar

from .errors import TimebenchError, UnknownNameError

T = TypeVar("T")

__all__ = ["Registry", "import_target"]


def import_target(target: str):
    """Import ``"package.module:attr"`` and return ``attr``."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"lazy target must look like 'package.module:attr', got {target!r}")
    module = importlib.import_module(module_name)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Name -> object, with lazy import targets, aliases and entry points."""

    def __init__(self, kind: str, *, entry_point_group: str | None = None):
        self.kind = kind
        self._entries: dict[str, T | str] = {}
        self._aliases: dict[str, str] = {}
        self._entry_point_group = entry_point_group
        self._entry_points_loaded = entry_point_group is None

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, target: T | str | None = None, *, aliases: tuple[str, ...] = (),
                 overwrite: bool = False):
        """Register ``target`` under ``name``; usable as a decorator when ``target`` is None."""

        def _do(obj):
            if name in self._entries and not overwrite and self._entries[name] is not obj:
                raise TimebenchError(f"{self.kind} '{name}' is already registered")
            self._entries[name] = obj
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        if target is None:
            return _do
        return _do(target)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        try:
            from importlib.metadata import entry_points

            for ep in entry_points(group=self._entry_point_group):
                if ep.name not in self._entries:
                    self._entries[ep.name] = ep.value
        except Exception:  # pragma: no cover - broken third-party metadata must not break us
            return

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def resolve_name(self, name: str) -> str:
        self._load_entry_points()
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise UnknownNameError(self.kind, name, list(self._entries) + list(self._aliases))

    def get(self, name: str) -> T:
        key = self.resolve_name(name)
        obj = self._entries[key]
        if isinstance(obj, str):
            obj = import_target(obj)
            self._entries[key] = obj
        return obj  # type: ignore[return-value]

    def is_loaded(self, name: str) -> bool:
        return not isinstance(self._entries.get(self.resolve_name(name)), str)

    def map(self, fn: Callable[[str], T]) -> dict[str, T]:
        return {name: fn(name) for name in self.names()}
