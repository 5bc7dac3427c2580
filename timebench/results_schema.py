"""The shape of a ``results.json`` as ``check``, ``leaderboard`` and the reports read it.

A results file is untrusted input (it may come from another machine, a pull request, a hand
edit).  :func:`check_results_shape` checks every field those commands read, before they read
it, and raises one :class:`InputError` naming the file and the field (exit 2) -- so a malformed
shape never reaches the table, Markdown or HTML code as a traceback (issue 15).  Optional fields
may be absent or ``null``; present ones must have the documented type (``timebench.results``).
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InputError

__all__ = ["check_results_shape"]

_NUM = (int, float)


def _is_num(x: Any) -> bool:
    if not isinstance(x, _NUM) or isinstance(x, bool):
        return False
    try:
        float(x)
    except OverflowError:  # a 400-digit integer
        return False
    return True


def check_results_shape(data: Any, path: str) -> None:
    def fail(msg: str, field: str):
        raise InputError(msg, path=path, field=field)

    def mapping(value, field, *, optional=False):
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            fail(f"expected an object, got {type(value).__name__}", field)
        for k in value:
            if not isinstance(k, str) or not k:
                fail("expected non-empty string keys", field)
        return value

    def opt(value, types, field, what):
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)
                                  and bool not in (types if isinstance(types, tuple) else (types,))):
            fail(f"expected {what}, got {type(value).__name__}", field)

    def number(value, field, *, optional=True):
        if value is None and optional:
            return
        if not _is_num(value):
            fail(f"expected a number, got {type(value).__name__}", field)
        if isinstance(value, float) and not math.isfinite(value):
            return  # NaN/inf: a number that is undefined; shown as such, failed closed by check

    if not isinstance(data, dict):
        fail(f"expected an object, got {type(data).__name__}", "(top level)")
    if "results" not in data:
        fail("not a timebench results file (no 'results' key)", "results")
    for key in ("suite", "git_hash", "timebench_version", "created", "run_dir", "command"):
        opt(data.get(key), str, key, "a string")
    if data.get("suite") is not None and not data["suite"].strip():
        fail("expected a non-empty string", "suite")
    opt(data.get("seed"), int, "seed", "an integer")
    boot = mapping(data.get("bootstrap"), "bootstrap", optional=True)
    opt(boot.get("iterations"), int, "bootstrap.iterations", "an integer")
    number(boot.get("confidence"), "bootstrap.confidence")
    mapping(data.get("environment"), "environment", optional=True)
    mapping(data.get("models"), "models", optional=True)
    tasks = mapping(data.get("tasks"), "tasks", optional=True)
    for task, info in tasks.items():
        where = f"tasks.{task}"
        mapping(info, where)
        for key in ("version", "samples_hash", "primary_metric", "kind", "source", "references",
                    "prompt", "card_hash"):
            opt(info.get(key), str, f"{where}.{key}", "a string")
        opt(info.get("n"), int, f"{where}.n", "an integer")
        parser = info.get("parser")
        if parser is not None and not isinstance(parser, str):
            for k, v in mapping(parser, f"{where}.parser").items():
                opt(v, str, f"{where}.parser.{k}", "a string")
        for key in ("leaderboard_metrics", "labels"):
            value = info.get(key)
            if value is not None and not (isinstance(value, list)
                                          and all(isinstance(x, str) for x in value)):
                fail("expected a list of strings", f"{where}.{key}")
        suites = info.get("metric_suites")
        if suites is not None and not (isinstance(suites, list)
                                       and all(isinstance(x, dict) for x in suites)):
            fail("expected a list of objects", f"{where}.metric_suites")
    for model, per_task in mapping(data["results"], "results").items():
        for task, res in mapping(per_task, f"results.{model}").items():
            where = f"results.{model}.{task}"
            mapping(res, where)
            if "skipped" in res:
                opt(res["skipped"], str, where + ".skipped", "a string")
                continue
            for metric, value in mapping(res.get("metrics"), where + ".metrics",
                                         optional=True).items():
                number(value, f"{where}.metrics.{metric}")
            for metric, ci in mapping(res.get("ci"), where + ".ci", optional=True).items():
                if not (isinstance(ci, list) and len(ci) == 2 and all(_is_num(x) for x in ci)):
                    fail("expected [low, high]", f"{where}.ci.{metric}")
            for key in ("n", "n_missing", "n_parse_failed", "n_generation_errors"):
                opt(res.get(key), int, f"{where}.{key}", "an integer")
            number(res.get("parse_failure_rate"), where + ".parse_failure_rate")
            for key in ("predictions", "scores"):
                opt(res.get(key), str, f"{where}.{key}", "a string")
            parsers = mapping(res.get("parsers"), where + ".parsers", optional=True)
            for k, v in parsers.items():
                opt(v, int, f"{where}.parsers.{k}", "an integer")
            notes = res.get("notes")
            if notes is not None and not (isinstance(notes, list)
                                          and all(isinstance(x, str) for x in notes)):
                fail("expected a list of strings", where + ".notes")
