"""Errors that reach the user.

``InputError`` is raised for anything wrong with a file a user handed in (references,
predictions, manifests, task cards, suites).  It always names the file, and where known the line
and the field, and the command-line interface turns it into a one-line message and exit code 2
(no traceback).  ``UnknownNameError`` is raised by registries with "did you mean" suggestions.
"""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["TimebenchError", "InputError", "UnknownNameError", "MissingDependencyError"]


class TimebenchError(Exception):
    """Base class of every error timebench raises on purpose."""

    exit_code = 2


class InputError(TimebenchError, ValueError):
    """Bad input: names the file, the line (1-based) and the field when they are known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
        parts = []
        if where:
            parts.append(where)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def at(self, *, path: str | None = None, line: int | None = None,
           field: str | None = None) -> "InputError":
        """Return a copy with missing location parts filled in."""
        return InputError(
            self.message,
            path=self.path if self.path is not None else path,
            line=self.line if self.line is not None else line,
            field=self.field if self.field is not None else field,
        )


class UnknownNameError(TimebenchError, KeyError):
    """A name that is not registered; the message suggests the closest registered names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        close = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        msg = f"unknown {kind} '{name}'"
        if close:
            msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        elif self.known:
            msg += f"; known: {', '.join(self.known)}"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:
        return self.message


class MissingDependencyError(TimebenchError, ImportError):
    """An optional dependency (an extra) is needed for what was asked."""

    def __init__(self, package: str, extra: str, purpose: str, *, hint: str | None = None):
        self.package = package
        self.extra = extra
        install = hint if hint is not None else f"install it with: pip install 'timebench[{extra}]'"
        self.message = f"{purpose} needs the optional dependency '{package}'; {install}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
