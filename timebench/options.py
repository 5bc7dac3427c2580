"""Range checks for run settings given on the command line, in a suite or as model settings.

A value outside its range is a bad input (exit 2, one line naming the option), never a
traceback and never silently replaced: ``--seed -1``, ``--limit -1``/``0``, ``--batch-size 0``,
``batch_size=1e9`` (a string to YAML) or ``batch_size=1.0e9`` (beyond :data:`MAX_BATCH`),
``--bootstrap -5``, ``--shard-timeout nan``.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InputError

__all__ = ["MAX_BATCH", "MAX_SEED", "MAX_BOOTSTRAP", "check_int", "check_run_options",
           "batch_size_setting"]

MAX_BATCH = 65_536
MAX_SEED = 2 ** 63 - 1
MAX_BOOTSTRAP = 1_000_000


def check_int(value: Any, *, field: str, low: int, high: int) -> int:
    """An integer in ``[low, high]`` (an integral float such as ``8.0`` is accepted)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"expected an integer, got {value!r}"[:120], field=field)
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}, got {value}", field=field)
    return value


def check_run_options(options) -> None:
    """Validate a :class:`timebench.run_spec.RunOptions` before anything runs."""
    check_int(options.seed, field="--seed", low=0, high=MAX_SEED)
    if options.batch_size is not None:
        check_int(options.batch_size, field="--batch-size", low=1, high=MAX_BATCH)
    if options.limit is not None:
        check_int(options.limit, field="--limit", low=1, high=2 ** 62)
    check_int(options.bootstrap, field="--bootstrap", low=0, high=MAX_BOOTSTRAP)
    t = options.shard_timeout
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        raise InputError(f"must be a finite number of seconds >= 0, got {t!r}",
                         field="--shard-timeout")
    if not (isinstance(options.confidence, float) and 0 < options.confidence < 1):
        raise InputError("must be between 0 and 1", field="confidence")


def batch_size_setting(settings, default: int) -> int:
    """The ``batch_size`` model setting, checked (``default`` when absent, ``0`` or ``None``)."""
    value = settings.get("batch_size") if hasattr(settings, "get") else None
    if value is None or value == 0 and not isinstance(value, bool):
        return default
    return check_int(value, field="batch_size", low=1, high=MAX_BATCH)
