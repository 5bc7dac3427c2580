"""One redaction pass for every text timebench stores.

A secret must never reach a file: not the cache, ``predictions.jsonl``, per-sample scores,
``results.json`` or the HTML report.  Everything those files hold about a model's answers comes
from the cache records the runner writes, and the recorded command line comes from
:func:`redact_command`, so redacting at those two entry points covers every file (the score path
reads files a user already holds and stores nothing new of an adapter's).

What is a secret (:class:`Redactor`):

* the values an adapter declares (:meth:`model_adapters.base.ModelAdapter.secrets`, e.g. the
  OpenAI-compatible adapter's API key);
* the values of environment variables whose names say they hold one (``*API_KEY*``, ``*TOKEN*``,
  ``*SECRET*``, ``*PASSWORD*``, ``*PASSWD*``, ``*CREDENTIAL*``), at least 8 characters long;
* anything shaped like a credential whatever its source: ``Authorization: Bearer <token>``,
  OpenAI-style ``sk-...`` keys, Hugging Face ``hf_...`` tokens, and ``api_key=...`` /
  ``"api_key": "..."`` assignments.

Every match becomes ``***``.  Known values are replaced first (longest first, so a key that
contains another is hidden whole), then the shapes.  The shapes need at least 16 characters of
token alphabet after the prefix, so an answer such as "sk-8 seconds" is left alone.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable, Mapping

__all__ = ["MASK", "Redactor", "env_secrets", "redact_command", "redact_text"]

MASK = "***"

#: Environment variable names that hold secrets.
_SECRET_ENV = re.compile(r"API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_MIN_SECRET = 8

_SHAPES = (
    # Authorization headers / bearer tokens echoed by a server
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1" + MASK),
    # OpenAI-style keys (sk-..., sk-proj-...)
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), MASK),
    # Hugging Face user access tokens
    (re.compile(r"\bhf_[A-Za-z0-9]{16,}"), MASK),
    # api_key=VALUE in a command line or a --models setting
    (re.compile(r"(\bapi[_-]?key\s*=\s*)[^,\]\s]+", re.IGNORECASE), r"\1" + MASK),
    # "api_key": "VALUE" / 'api_key': 'VALUE' in JSON or a repr
    (re.compile(r"""(["']api[_-]?key["']\s*:\s*["'])[^"']+""", re.IGNORECASE), r"\1" + MASK),
)


def env_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of the environment variables whose names say they hold a secret."""
    env = os.environ if environ is None else environ
    return tuple(v for k, v in env.items()
                 if _SECRET_ENV.search(k) and isinstance(v, str) and len(v) >= _MIN_SECRET)


class Redactor:
    """Replaces known secret values and credential shapes by ``***`` in text and JSON values."""

    def __init__(self, secrets: Iterable[str] = (), *, environ: Mapping[str, str] | None = None):
        values = {s for s in (*secrets, *env_secrets(environ))
                  if isinstance(s, str) and len(s) >= _MIN_SECRET and s != "EMPTY"}
        self.secrets: tuple[str, ...] = tuple(sorted(values, key=len, reverse=True))
        self._known = re.compile("|".join(re.escape(s) for s in self.secrets)) \
            if self.secrets else None

    def text(self, text: str) -> str:
        """``text`` with every secret replaced."""
        if not text:
            return text
        if self._known is not None:
            text = self._known.sub(MASK, text)
        for pattern, repl in _SHAPES:
            text = pattern.sub(repl, text)
        return text

    def value(self, value: Any) -> Any:
        """A JSON-like value with every string in it (keys included) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """One-off :meth:`Redactor.text` with the environment's secrets and ``secrets``."""
    return Redactor(secrets).text(text)


def redact_command(command: str) -> str:
    """A command line as recorded in results: settings such as ``api_key=...`` and any secret
    from the environment hidden."""
    return redact_text(command)
