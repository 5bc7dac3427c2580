"""Shared pieces of the reliability attacks (``benchmarks/reliability.py``, issue 7 and 15).

``Attacks`` collects rows; each ``benchmarks/attacks_*.py`` module defines ``attacks(A)`` and
calls ``A.run(area, tried, expected, fn, name=...)`` once per attack, where ``fn()`` returns
``(what happened, passed)``.  ``A.work`` is a fresh temporary folder, ``A.fuzz`` the number of
cases per fuzz campaign.  An attack's name (``name=``, else :func:`attack_name` of ``tried``)
lets ``reliability.py --only MODULE:NAME`` run it alone: ``A.select`` (a set of names, or None
for all) skips the others, and ``A.dry`` only records the names in ``A.names``.  Helpers here
drive the CLI in-process and inspect run folders; :func:`patched` fails an attack whose patch
target is gone or no longer on the code path.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import errno
import importlib.util
import io
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "tests" / "helpers"
FIXTURES = ROOT / "tests" / "fixtures" / "datasets"
CORPUS = ROOT / "tests" / "corpus" / "lalm_outputs.jsonl"
sys.path[:0] = [str(ROOT), str(HELPERS)]

from timebench import __version__  # noqa: E402
from timebench.cli import main as cli_main  # noqa: E402
import timebench.io as tio  # noqa: E402

ECHO = "fake_adapters:SlowEcho"

# -- bookkeeping --------------------------------------------------------------------------------

@dataclass
class Row:
    area: str
    tried: str
    expected: str
    happened: str = ""
    seconds: float = 0.0
    passed: bool = False


class Attacks:
    def __init__(self, work: Path):
        self.work = work
        self.rows: list[Row] = []
        self.fuzz = 500
        self.select: set[str] | None = None  # the attack names to run; None: every one
        self.dry = False  # True: record the names in self.names, run nothing
        self.names: list[str] = []

    def clean(self, text: str) -> str:
        """Temporary paths -> ``$TMP``, one line, at most 140 characters."""
        text = text.replace(str(self.work), "$TMP").replace(tempfile.gettempdir(), "$TMPDIR")
        text = " ".join(text.split())
        return text if len(text) <= 140 else text[:137] + "..."

    def run(self, area: str, tried: str, expected: str, fn: Callable[[], tuple[str, bool]],
            name: str | None = None):
        key = name or attack_name(tried)
        self.names.append(key)
        if self.dry or (self.select is not None and key not in self.select):
            return
        row = Row(area, tried, expected)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                happened, ok = fn()
        except BaseException as exc:  # noqa: BLE001 - an escaping exception is the finding
            happened, ok = f"uncaught {type(exc).__name__}: {exc}", False
        row.seconds = time.perf_counter() - t0
        row.happened, row.passed = self.clean(happened), bool(ok)
        self.rows.append(row)
        mark = "pass" if row.passed else "FAIL"
        print(f"[{mark}] {area}: {tried} ({row.seconds:.2f} s)", file=sys.stderr)


def attack_name(tried: str) -> str:
    """The default name of an attack: ``tried`` lowered, runs of other characters -> ``-``,
    at most 40 characters (``--only MODULE:NAME``)."""
    return re.sub(r"[^a-z0-9]+", "-", tried.lower()).strip("-")[:40].rstrip("-")


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli_main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def first_line(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[0] if lines else ""


def one_line_error(rc: int, err: str, *must: str) -> tuple[str, bool]:
    lines = err.strip().splitlines()
    ok = rc == 2 and len(lines) == 1 and lines[0].startswith("error: ") and \
        "Traceback" not in err and all(m in err for m in must)
    return f"exit {rc}; {first_line(err)}", ok


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(HELPERS), str(ROOT), e.get("PYTHONPATH", "")])
    e.pop("RANK", None)
    e.pop("WORLD_SIZE", None)
    return e


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def cache_records(out: Path) -> tuple[list[dict], int]:
    good, bad = [], 0
    for part in sorted((out / "cache").rglob("*.jsonl")):
        for raw in part.read_bytes().splitlines():
            try:
                good.append(json.loads(raw))
            except ValueError:
                bad += 1
    return good, bad


def stable_results(out: Path) -> str:
    from timebench.results import strip_volatile

    return tio.dumps_json(strip_volatile(json.loads((out / "results.json").read_text())))


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "results.json" and "cache" not in p.relative_to(out).parts}



REFS = [{"id": "c1#q0", "audio": "c1.wav", "duration": 20.0, "query": "a dog barks",
         "events": [{"onset": 2.0, "offset": 6.0}]},
        {"id": "c2#q0", "audio": "c2.wav", "duration": 20.0, "query": "a bell",
         "events": [{"onset": 10.0, "offset": 12.0}]}]
GOOD = '{"id": "c1#q0", "text": "2.0 - 6.0"}\n{"id": "c2#q0", "events": [[10, 12]]}\n'

def corpus_records() -> list[dict]:
    with open(CORPUS, encoding="utf-8") as fh:
        return [json.loads(x) for x in fh if x.strip()]


NASTY = ["\u200b", "\u202e", "\ufeff", "\x00", "\x1b[31m", "\n", "\r\n", " - ", " to ", "秒",
         "%", "NaN", "inf", "1e309", "9" * 50, "-3.5", "<a_1><f_2>", "<12.5>", "[[", "]]",
         "{\"start\": ", "99:99:99", "١٢", "１２", "</s>", "<think>"]


def enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def eacces(*_a, **_k):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@contextlib.contextmanager
def patched(obj, name, value):
    """``obj.name = value`` inside the block, restored after.  ``obj.name`` must exist
    (AttributeError otherwise), and a callable ``value`` must be called at least once inside
    the block (AssertionError otherwise): a patch of something the code no longer goes through
    (a module split, a renamed helper) fails the attack instead of testing nothing."""
    old = getattr(obj, name)
    calls = 0
    if callable(value):
        def counted(*a, **k):
            nonlocal calls
            calls += 1
            return value(*a, **k)
        setattr(obj, name, counted)
    else:
        setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)
    if callable(value) and not calls:
        owner = getattr(obj, "__name__", type(obj).__name__)
        raise AssertionError(f"patched {owner}.{name} was never called: the code path no "
                             "longer goes through it (patch where it is used now)")


def run_args(out, *extra, tasks="tag,spotsound", models="random", limit="8"):
    return ["run", "--tasks", tasks, "--models", models, "--out", out, "--bootstrap", "20",
            "--limit", limit, "-q", "--no-progress", *extra]


