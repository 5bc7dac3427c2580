#!/usr/bin/env python
"""Attack timebench and write what happened to ``docs/RELIABILITY.md`` (issue 7).

    python benchmarks/reliability.py                      # about a minute on 2 CPU cores
    python benchmarks/reliability.py --output /tmp/R.md   # somewhere else
    python benchmarks/reliability.py --check              # exit 1 when an attack failed

A fixed list of attacks and faults, run in plain Python (no pytest), deterministic apart from
the timings: hostile prediction and reference files through ``timebench score``, hostile
manifests through every dataset loader, YAML with Python tags, a full disk and a read-only
folder while writing results, an adapter that raises, SIGINT and SIGKILL mid-run, corrupt cache
lines, and the reproducibility checks (same run twice, batch sizes, shards).  Three seeded fuzz
campaigns (parsers, ``score``, loaders) add counts.  For each it records what was tried, the
expected behaviour, what happened (exit code, first line of the message, files left behind),
the time, and pass/fail; the Markdown is written atomically.

The same behaviours are asserted by the test suite (``tests/test_fuzz_*.py``,
``tests/test_faults.py``, ``tests/test_reproducibility.py``); this script exists to produce the
human-readable record, and anyone can rerun it.
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
import shutil
import signal
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

    def clean(self, text: str) -> str:
        """Temporary paths -> ``$TMP``, one line, at most 140 characters."""
        text = text.replace(str(self.work), "$TMP").replace(tempfile.gettempdir(), "$TMPDIR")
        text = " ".join(text.split())
        return text if len(text) <= 140 else text[:137] + "..."

    def run(self, area: str, tried: str, expected: str, fn: Callable[[], tuple[str, bool]]):
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


# -- attacks on `timebench score` -----------------------------------------------------------------

REFS = [{"id": "c1#q0", "audio": "c1.wav", "duration": 20.0, "query": "a dog barks",
         "events": [{"onset": 2.0, "offset": 6.0}]},
        {"id": "c2#q0", "audio": "c2.wav", "duration": 20.0, "query": "a bell",
         "events": [{"onset": 10.0, "offset": 12.0}]}]
GOOD = '{"id": "c1#q0", "text": "2.0 - 6.0"}\n{"id": "c2#q0", "events": [[10, 12]]}\n'


def score_attacks(A: Attacks) -> None:
    d = A.work / "score"
    refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
    out = d / "m.json"

    def scored(content, *, expect_rc, must=(), name="preds.jsonl"):
        def fn():
            preds = write(d / name, content)
            out.unlink(missing_ok=True)
            rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                             preds, "-o", out, "-q")
            if expect_rc == 0:
                ok = rc == 0 and "Traceback" not in err
                if ok:
                    m = json.loads(out.read_text())["metrics"]
                    ok = all(v is None or 0 <= v <= 1 for v in m.values())
                    return f"exit 0; mIoU={m['mIoU']:.3f}, parse_failure_rate=" \
                           f"{m['parse_failure_rate']:.3f}", ok
                return f"exit {rc}; {first_line(err)}", False
            return one_line_error(rc, err, *must)
        return fn

    ok2 = "exit 2, one line naming file:line and field"
    deep = '{"id": "a", "text": ' + "[" * 10_000 + "]" * 10_000 + "}\n"
    cases = [  # (what was tried, expected, file content, exit code, fragments of the message)
        ("UTF-8 BOM + CRLF line ends", "exit 0, same scores as plain",
         "\ufeff" + GOOD.replace("\n", "\r\n"), 0, ()),
        ("JSON list form with BOM", "exit 0",
         "\ufeff[\n" + GOOD.strip().replace("\n", ",\n") + "\n]", 0, ()),
        ("`NaN` literal as onset", ok2,
         '{"id": "c1#q0", "events": [{"onset": NaN, "offset": 2}]}\n', 2, ("preds.jsonl:1",)),
        ("`Infinity` as offset", ok2,
         '{"id": "c1#q0", "events": [[0, Infinity]]}\n', 2, ("preds.jsonl:1",)),
        ("a 400-digit integer as time", ok2,
         '{"id": "c1#q0", "events": [[0, ' + "9" * 400 + "]]}\n", 2, ("field 'events[0][1]'",)),
        ("negative onset", ok2,
         '{"id": "c1#q0", "events": [[-1, 2]]}\n', 2, ("field 'events[0][0]'",)),
        ("onset after offset", ok2,
         '{"id": "c1#q0", "events": [[5, 2]]}\n', 2, ("field 'events[0]'",)),
        ("id not in the references", ok2,
         '{"id": "nope", "text": "1 - 2"}\n', 2, ("preds.jsonl:1: field 'id'",)),
        ("duplicate id", ok2,
         GOOD + '{"id": "c1#q0", "text": "x"}\n', 2, ("preds.jsonl:3: field 'id'",)),
        ("`text` is a number", ok2, '{"id": "c1#q0", "text": 5}\n', 2, ("field 'text'",)),
        ("truncated JSON", "exit 2 naming file:line", GOOD[:30], 2, ("preds.jsonl:1",)),
        ("10 000 nested brackets", "exit 2 (depth limit 64)", deep, 2, ("nested deeper",)),
        ("random bytes (invalid UTF-8)", "exit 2 naming file:line",
         b"\x00\xff\xfe\x80garbage\n", 2, ("not valid UTF-8",)),
        ("id with a newline and an ANSI escape", "exit 2, still one line (escaped)",
         '{"id": "a\\n\\u001b[31mb", "text": "1 - 2"}\n', 2, ("\\x1b",)),
        ("unicode ids (RTL override, CJK)", "exit 2 unknown id, one line",
         '{"id": "\u6807\u8bc6\u202e", "text": "1 - 2"}\n', 2, ("is not in the references",)),
        ("empty predictions file", "exit 0, every sample a failure", "", 0, ()),
        ("raw U+2028 / U+0085 inside a JSON string", "exit 0 (valid JSON Lines, one record)",
         '{"id": "c1#q0", "text": "2.0 - 6.0\u2028s\x85"}\n', 0, ()),
    ]
    for tried, expected, content, rc, must in cases:
        A.run("score: predictions", tried, expected, scored(content, expect_rc=rc, must=must))

    big = "The audio contains many sounds. " * 330_000 + "The dog barks from 2.0 to 6.0 s."
    A.run("score: predictions", "a 10 MB prediction line", "exit 0, parsed (limit is 16 MiB)",
          scored(json.dumps({"id": "c1#q0", "text": big}) + "\n", expect_rc=0))
    over = json.dumps({"id": "c1#q0", "text": "x" * (tio.MAX_LINE_BYTES + 10)})
    A.run("score: predictions", "a 16 MiB + 10 B line", "exit 2 naming file:line",
          scored(GOOD + over + "\n", expect_rc=2, must=("preds.jsonl:3: line longer",)))

    def not_a_file(target):
        def fn():
            rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                             target, "-q")
            return one_line_error(rc, err, str(target))
        return fn
    A.run("score: predictions", "`--predictions /dev/zero`", "exit 2 (not a regular file), no endless read",
          not_a_file(Path("/dev/zero")))
    A.run("score: predictions", "`--predictions` a directory", "exit 2", not_a_file(d))

    def bad_refs(content, must):
        def fn():
            r = write(d / "bad_refs.jsonl", content)
            p = write(d / "p.jsonl", GOOD)
            rc, _, err = cli("score", "--task", "tag", "--references", r, "--predictions", p, "-q")
            return one_line_error(rc, err, *must)
        return fn
    A.run("score: references", "reference event beyond the clip duration", ok2,
          bad_refs('{"id": "c1#q0", "duration": 5, "query": "q", "events": [[1, 9]]}\n',
                   ("bad_refs.jsonl:1: field 'events[0].offset'",)))
    A.run("score: references", "reference without the task's `query`", ok2,
          bad_refs('{"id": "c1#q0", "duration": 5, "events": [[1, 2]]}\n',
                   ("bad_refs.jsonl:1: field 'query'",)))

    def tqa_huge_answer():
        r = write(d / "tqa.jsonl", json.dumps({"id": "q", "question": "How many times?",
                                               "answer": 10**400, "extra": {"qtype": "count"}}) + "\n")
        p = write(d / "tqa_p.jsonl", json.dumps({"id": "q", "answer": 10**400}) + "\n")
        rc, _, err = cli("score", "--task", "tqa", "--references", r, "--predictions", p, "-q",
                         "-o", out)
        return f"exit {rc}; {first_line(err) or 'scored'}", rc in (0, 2) and "Traceback" not in err
    A.run("score: references", "temporal-QA answer 10**400 (reference and prediction)",
          "exit 0 or 2, no OverflowError", tqa_huge_answer)


# -- attacks on the dataset loaders ---------------------------------------------------------------

def loader_attacks(A: Attacks) -> None:
    from timebench.datasets import load_dataset
    from timebench.errors import InputError

    def copy_fixture(sub: str) -> Path:
        dst = A.work / "loaders" / f"{sub}-{len(A.rows)}"
        shutil.copytree(FIXTURES / sub, dst)
        return dst

    def expect_error(fmt, path, must, **opts):
        try:
            load_dataset(fmt, path, **opts)
        except InputError as e:
            ok = e.path == str(path) and all(m in str(e) for m in must)
            return f"InputError: {e}", ok
        return "loaded", False

    def spotsound_path(value, must):
        def fn():
            d = copy_fixture("spotsound")
            rows = json.loads((d / "spotsound_bench.json").read_text())
            rows[0]["audio_path"] = value
            write(d / "spotsound_bench.json", "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]")
            return expect_error("spotsound", d / "spotsound_bench.json", must)
        return fn
    for value, what in [("../../etc/passwd", "`../../etc/passwd`"), ("/etc/passwd", "absolute `/etc/passwd`"),
                        ("..\\..\\etc\\passwd", "Windows `..\\..\\etc\\passwd`"),
                        ("a" * 300 + ".wav", "a 300-byte file name")]:
        A.run("loaders: paths", f"SpotSound audio_path {what}",
              "InputError naming file:line and field", spotsound_path(value, (":2: field 'audio_path'",)))

    def ftar_escape():
        d = copy_fixture("ftar")
        items = json.loads((d / "ftar_sample.json").read_text())
        items[1]["audio"] = "/data/WavCaps/../../etc/shadow"
        write(d / "ftar_sample.json", json.dumps(items, indent=2))
        return expect_error("ftar", d / "ftar_sample.json", (":12: field 'audio'",),
                            strip_prefix="/data/WavCaps/")
    A.run("loaders: paths", "FTAR audio `/data/WavCaps/../../etc/shadow`",
          "InputError naming file:line and field", ftar_escape)

    def table_escape(sub, name, row, fmt, **opts):
        def fn():
            d = copy_fixture(sub)
            with open(d / name, "a", encoding="utf-8") as fh:
                fh.write(row + "\n")
            opts2 = {k: str(d / v) for k, v in opts.items()}
            return expect_error(fmt, d / name, ("escapes the dataset root",), **opts2)
        return fn
    A.run("loaders: paths", "DESED TSV filename `../../etc/passwd`", "InputError naming the file",
          table_escape("dcase_tsv", "desed_validation.tsv", "../../etc/passwd\t0\t1\tDog",
                       "dcase_tsv", durations="desed_durations.tsv"))
    A.run("loaders: paths", "TACOS filename `../../../etc/passwd.mp3`", "InputError naming the file",
          table_escape("tacos", "annotations_strong.csv", "../../../etc/passwd.mp3,0,1,x", "tacos"))

    def symlink():
        root = A.work / "loaders" / "symlink"
        outside = A.work / "loaders" / "outside"
        outside.mkdir(parents=True)
        root.mkdir(parents=True)
        (root / "audio").symlink_to(outside, target_is_directory=True)
        write(root / "refs.jsonl", json.dumps({"id": "a", "audio": "audio/x.wav"}) + "\n")
        ds = load_dataset("jsonl", root / "refs.jsonl")
        followed = ds.audio_path(ds.references[0]).resolve().parent == outside.resolve()
        return (f"loaded; audio 'audio/x.wav' resolves outside the root through the link "
                f"(followed={followed})"), followed
    A.run("loaders: paths", "a symbolic link inside the root pointing outside",
          "followed (documented in datasets/base.py); the manifest alone cannot escape", symlink)

    def lighthouse_nan():
        d = copy_fixture("lighthouse")
        write(d / "x.jsonl", '{"qid": 1, "query": "q", "duration": NaN, "vid": "v", '
                             '"relevant_windows": [[1, 2]]}\n')
        return expect_error("lighthouse", d / "x.jsonl", (":1:",))
    A.run("loaders: values", "Lighthouse `duration: NaN`", "InputError naming file:line", lighthouse_nan)

    def ftar_dupes():
        d = copy_fixture("ftar")
        items = json.loads((d / "ftar_sample.json").read_text())
        items[2]["id"] = items[1]["id"]
        write(d / "ftar_sample.json", json.dumps(items))
        ds = load_dataset("ftar", d / "ftar_sample.json", strip_prefix="/data/WavCaps/")
        ids = ds.ids()
        ok = len(ids) == len(set(ids)) and any("renamed" in n for n in ds.notes)
        return f"loaded; ids {ids[1:3]}; note: {ds.notes[0]}", ok
    A.run("loaders: values", "FTAR with a repeated id", "loaded, later copy renamed `#2`, noted", ftar_dupes)


# -- no code execution ------------------------------------------------------------------------------

def code_execution_attacks(A: Attacks) -> None:
    d = A.work / "yaml"
    marker = d / "pwned"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    card = ("name: evil\nversion: 1\nkind: grounding\nprompts: {default: x}\n"
            "metrics: [{suite: grounding}]\nprimary_metric: mIoU\n"
            f"data: {payload}\n")
    write(d / "cards" / "evil.yaml", card)
    write(d / "evil_suite.yaml", f"tasks: [tag]\nmodels: [random]\nout: {payload}\n")
    refs = write(d / "r.jsonl", '{"id": "a", "duration": 9, "query": "q", "events": [[1, 2]]}\n')
    preds = write(d / "p.jsonl", '{"id": "a", "text": "1 - 2"}\n')

    def attempt(*argv):
        def fn():
            rc, _, err = cli(*argv)
            happened, ok = one_line_error(rc, err)
            return happened + f"; payload ran: {marker.exists()}", ok and not marker.exists()
        return fn
    expected = "exit 2 naming file:line, payload never runs"
    A.run("no code execution", "task card with `!!python/object/apply:os.system`", expected,
          attempt("tasks", "evil", "--include-tasks", d / "cards"))
    A.run("no code execution", "suite with `!!python/object/apply:os.system`", expected,
          attempt("run", "--suite", d / "evil_suite.yaml", "--out", d / "run"))
    A.run("no code execution", "`--metric-arg` with a Python tag", "exit 2, payload never runs",
          attempt("score", "--task", "tag", "--references", refs, "--predictions", preds, "-q",
                  "--metric-arg", f"grounding.mode={payload}"))
    A.run("no code execution", "model setting with a Python tag", "exit 2, payload never runs",
          attempt("run", "--tasks", "tag", "--models", f"random[seed={payload}]", "--out",
                  d / "run2", "--limit", "1", "-q", "--no-progress"))

    def bomb():
        lines = ["name: evil", "version: 1", "kind: grounding", "prompts: {default: x}",
                 "metrics: [{suite: grounding}]", "primary_metric: mIoU",
                 'notes: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"n{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
        write(d / "bomb" / "bomb.yaml", "\n".join(lines) + "\n")
        rc, _, err = cli("tasks", "bomb", "--include-tasks", d / "bomb")
        return one_line_error(rc, err, "values")
    A.run("no code execution", "YAML alias bomb (9 levels of 9 aliases)",
          "exit 2 (over 100 000 values), no memory blow-up", bomb)

    def static_scan():
        spec = importlib.util.spec_from_file_location(
            "_scan", ROOT / "tests" / "test_fuzz_no_code_execution.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        bad = [v for p in mod.SOURCES for v in mod.scan(p)[0]]
        return (f"{len(mod.SOURCES)} files scanned, {len(bad)} violation(s)"
                + (f": {bad[0]}" if bad else "")), not bad
    A.run("no code execution", "static scan: pickle, eval/exec, yaml.load, torch.load without "
          "weights_only, shell=True, os.system", "no occurrence outside the allow-list",
          static_scan)


# -- faults -----------------------------------------------------------------------------------------

def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _eacces(*_a, **_k):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def run_args(out, *extra, tasks="tag,spotsound", models="random", limit="8"):
    return ["run", "--tasks", tasks, "--models", models, "--out", out, "--bootstrap", "20",
            "--limit", limit, "-q", "--no-progress", *extra]


def fault_attacks(A: Attacks) -> None:
    from timebench.cache import ResultCache

    d = A.work / "faults"
    refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
    preds = write(d / "preds.jsonl", GOOD)

    def output_fault(kind):
        def fn():
            target = write(d / kind / "out.json", "OLD\n")
            patch = {"fsync": (tio.os, "fsync", _enospc),
                     "replace": (tio.os, "replace", _enospc),
                     "eacces": (tio.tempfile, "mkstemp", _eacces)}[kind]
            with patched(*patch):
                rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                                 preds, "-q", "--output", target)
            happened, ok = one_line_error(rc, err, str(target))
            intact = target.read_text() == "OLD\n"
            left = leftovers(target.parent)
            return (f"{happened}; old file intact: {intact}; temp files left: {len(left)}",
                    ok and intact and not left)
        return fn
    expected = "exit 2 naming the path; old file intact; no temp file"
    A.run("faults: writing", "disk full (ENOSPC) at fsync of `score --output`", expected,
          output_fault("fsync"))
    A.run("faults: writing", "disk full (ENOSPC) at the rename of `score --output`", expected,
          output_fault("replace"))
    A.run("faults: writing", "permission denied (EACCES) on the output folder", expected,
          output_fault("eacces"))

    def results_fault():
        out = d / "run_results"
        rc0 = cli(*run_args(out))[0]
        before = (out / "results.json").read_bytes()
        real_replace = os.replace

        def replace(src, dst, *a, **k):  # the disk fills up as results.json is renamed in
            if Path(dst).name == "results.json":
                _enospc()
            return real_replace(src, dst, *a, **k)
        with patched(tio.os, "replace", replace):
            rc, _, err = cli(*run_args(out))
        happened, ok = one_line_error(rc, err, str(out / "results.json"), "ENOSPC")
        intact = (out / "results.json").read_bytes() == before
        return (f"{happened}; old results.json intact: {intact}; temp files left: "
                f"{len(leftovers(out))}", rc0 == 0 and ok and intact and not leftovers(out))
    A.run("faults: writing", "disk full while `run` writes results.json",
          "exit 2 naming results.json; old file intact; no temp file", results_fault)

    def cache_full():
        reference = d / "cache_ref"
        cli(*run_args(reference, "--batch-size", "2"))
        out = d / "cache_full"
        real_append = ResultCache.append
        calls = {"n": 0}

        def append(self, records):
            calls["n"] += 1
            if calls["n"] >= 3:
                if calls["n"] == 3:  # a torn half line, then the disk is full
                    line = json.dumps({"v": 1, **records[0]})
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with open(self.path, "ab") as fh:
                        fh.write(line[: len(line) // 2].encode())
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            return real_append(self, records)
        with patched(ResultCache, "append", append):
            rc1, _, err1 = cli(*run_args(out, "--batch-size", "2"))
        done, torn = cache_records(out)
        rc2, _, err2 = cli(*run_args(out, "--batch-size", "2"))
        recs, torn2 = cache_records(out)
        keys = [r["key"] for r in recs]
        same = stable_results(reference) == stable_results(out)
        ok = rc1 == 2 and "rerun resumes" in err1 and rc2 == 0 and len(keys) == len(set(keys)) == 16 \
            and same
        return (f"exit {rc1}: {first_line(err1)} | {len(done)} samples cached, {torn} torn line; "
                f"rerun exit {rc2}: {len(keys)} records, {len(set(keys))} distinct, results "
                f"identical: {same}"), ok
    A.run("faults: cache", "disk full on the 3rd cache append (a torn half line first)",
          "run stops, exit 2 with the cache path; rerun resumes, no duplicates, same results",
          cache_full)

    def adapter_raises():
        out = d / "flaky"
        spec = "fake_adapters:Flaky[fail=mini-tag-0003]"
        rc, _, err = cli("run", "--tasks", "tag", "--models", spec, "--out", out, "--bootstrap",
                         "0", "--limit", "6", "--no-progress", "-q")
        res = json.loads((out / "results.json").read_text())["results"][spec]["tag"]
        warn = first_line(err)
        ok = rc == 0 and res["n_generation_errors"] == 1 and "1 of 6 sample(s) failed" in warn
        return f"exit {rc}; n_generation_errors={res['n_generation_errors']}; {warn}", ok
    A.run("faults: adapter", "adapter raises on 1 of 6 samples",
          "that sample scored as a failure, run continues, results and output say 1 of 6",
          adapter_raises)

    def signal_run(sig):
        def fn():
            reference, out = d / f"sig{sig}_ref", d / f"sig{sig}"
            cmd = [sys.executable, "-m", "timebench", "run", "--tasks", "tag", "--models",
                   f"{ECHO}[latency=0.1]", "--bootstrap", "30", "--batch-size", "2", "-q",
                   "--no-progress"]
            subprocess.run(cmd + ["--out", str(reference)], env=env(), cwd=d, check=True,
                           capture_output=True, timeout=300)
            proc = subprocess.Popen(cmd + ["--out", str(out)], env=env(), cwd=d,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if (out / "cache").exists() and len(cache_records(out)[0]) >= 8:
                    break
                time.sleep(0.02)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            before, torn = cache_records(out)
            res = subprocess.run(cmd + ["--out", str(out)], env=env(), cwd=d,
                                 capture_output=True, text=True, timeout=300)
            recs, _ = cache_records(out)
            keys = [r["key"] for r in recs]
            same = stable_results(reference) == stable_results(out)
            want_rc = 130 if sig == signal.SIGINT else -signal.SIGKILL
            msg_ok = sig != signal.SIGINT or ("rerun resumes" in err and "Traceback" not in err)
            ok = proc.returncode == want_rc and msg_ok and res.returncode == 0 and \
                len(keys) == len(set(keys)) == 40 and same and (sig != signal.SIGINT or torn == 0)
            msg = first_line(err) if sig == signal.SIGINT else "(killed)"
            return (f"exit {proc.returncode}: {msg} | {len(before)} samples cached, {torn} torn; "
                    f"rerun: {len(keys)} records, {len(set(keys))} distinct, results identical: "
                    f"{same}"), ok
        return fn
    A.run("faults: signals", "SIGINT after 8 of 40 samples (subprocess)",
          "exit 130, one-line 'rerun resumes' message, whole cache lines; rerun: no duplicates, "
          "same results", signal_run(signal.SIGINT))
    A.run("faults: signals", "SIGKILL after 8 of 40 samples (subprocess)",
          "rerun: no duplicates, same results", signal_run(signal.SIGKILL))

    def corrupt_cache():
        out = d / "corrupt"
        args = run_args(out, tasks="tag", models=ECHO)
        cli(*args)
        before = stable_results(out)
        part = next((out / "cache").rglob("tag-*.part-0.jsonl"))
        lines = part.read_bytes().splitlines()
        recs = [json.loads(x) for x in lines]
        r0 = copy.deepcopy(recs[0])
        r0["generation"]["text"] = 5
        r1 = copy.deepcopy(recs[1])
        r1["generation"] = {"events": [{"onset": 5, "offset": 2}]}
        bad = [json.dumps(r0).encode(), b"garbage in the middle",
               json.dumps(r1).encode(), json.dumps({"v": 1, "key": recs[2]["key"]}).encode(),
               recs[3]["key"].encode() + b"\xff", *lines[4:],
               json.dumps({"v": 1, "key": "0" * 32, "generation": {"text": "1 - 2"}}).encode()]
        part.write_bytes(b"\n".join(bad) + b"\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rc, _, err = cli(*args)
        n_warn = len({str(w.message) for w in caught if "unreadable cache line" in str(w.message)})
        same = stable_results(out) == before
        return (f"exit {rc}; {n_warn} distinct warnings; results identical: {same}",
                rc == 0 and n_warn == 5 and same)
    A.run("faults: cache", "cache with garbage, wrong types, wrong schema, invalid UTF-8, an "
          "unknown key", "5 lines skipped with a warning, samples recomputed, same results",
          corrupt_cache)


# -- reproducibility --------------------------------------------------------------------------------

SUITE = """name: repro
tasks: [tag, spotsound, sed, tqa]
models:
  - {name: random, adapter: random, settings: {seed: 7}}
  - {name: energy, adapter: energy, tasks: [tag, spotsound]}
seed: 3
bootstrap: 50
"""


def reproducibility_attacks(A: Attacks) -> None:
    d = A.work / "repro"
    suite = write(d / "repro.yaml", SUITE)
    base = d / "base"

    def run(out, *extra):  # fresh processes: results.json records the packages a run imported
        subprocess.run([sys.executable, "-m", "timebench", "run", "--suite", str(suite), "--out",
                        str(out), "--limit", "6", "-q", "--no-progress", *extra], env=env(),
                       cwd=d, check=True, capture_output=True, timeout=300)

    def same_as_base(out):
        files_a, files_b = outputs(base), outputs(out)
        same_files = files_a == files_b
        same = stable_results(base) == stable_results(out)
        return same and same_files, f"results.json (volatile keys removed) identical: {same}; " \
            f"{len(files_a)} scores/predictions/references files byte-identical: {same_files}"

    def twice():
        run(base)
        out = d / "again"
        run(out)
        ok, text = same_as_base(out)
        return text, ok
    A.run("reproducibility", "the same run twice into two folders (random on 4 tasks, energy on 2)",
          "byte-identical apart from created/timings/command/run_dir", twice)

    def batches():
        texts, ok = [], True
        for b in ("1", "3", "16"):
            out = d / f"batch{b}"
            run(out, "--batch-size", b)
            same, _ = same_as_base(out)
            ok &= same
            texts.append(f"batch {b}: {'identical' if same else 'DIFFERENT'}")
        return "; ".join(texts), ok
    A.run("reproducibility", "batch sizes 1, 3, 16", "identical bytes", batches)

    def shards():
        texts, ok = [], True
        for world in (1, 2, 3):
            out = d / f"shards{world}"
            cmd = [sys.executable, "-m", "timebench", "run", "--suite", str(suite), "--out",
                   str(out), "--limit", "6", "-q", "--no-progress", "--shard-timeout", "120"]
            procs = []
            for rank in reversed(range(world)):
                e = env()
                e.update(RANK=str(rank), WORLD_SIZE=str(world), TIMEBENCH_NO_DEVICE_PINNING="1")
                procs.append(subprocess.Popen(cmd, env=e, cwd=d, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
            rcs = [p.wait(timeout=300) for p in procs]
            same, _ = same_as_base(out)
            ok &= same and rcs == [0] * world
            texts.append(f"{world} shard(s): {'identical' if same else 'DIFFERENT'}")
        return "; ".join(texts), ok
    A.run("reproducibility", "1, 2, 3 shards (RANK/WORLD_SIZE subprocesses)", "identical bytes",
          shards)


# -- seeded fuzz campaigns --------------------------------------------------------------------------

def _corpus() -> list[dict]:
    with open(CORPUS, encoding="utf-8") as fh:
        return [json.loads(x) for x in fh if x.strip()]


NASTY = ["\u200b", "\u202e", "\ufeff", "\x00", "\x1b[31m", "\n", "\r\n", " - ", " to ", "秒",
         "%", "NaN", "inf", "1e309", "9" * 50, "-3.5", "<a_1><f_2>", "<12.5>", "[[", "]]",
         "{\"start\": ", "99:99:99", "١٢", "１２", "</s>", "<think>"]


def fuzz_campaigns(A: Attacks, n: int) -> None:
    from timebench.datasets import load_dataset
    from timebench.errors import InputError
    from timebench.parsing import PIPELINES, parse

    rng = random.Random(7)
    texts = [r["text"] for r in _corpus() if "text" in r]

    def parsers():
        cases = bad = 0
        for _ in range(n * 10):
            pieces = [rng.choice(texts) if rng.random() < 0.5 else rng.choice(NASTY)
                      for _ in range(rng.randint(1, 6))]
            text = "".join(pieces)
            dur = rng.choice([None, 30.0, 0.5, float("nan"), 1e9])
            for name in PIPELINES.names():
                cases += 1
                try:
                    ans = parse(text, pipeline=name, duration=dur,
                                labels=("A", "B") if name in ("choice", "mcq") else None)
                    limit = dur if dur is not None and math.isfinite(dur) else math.inf
                    if any(not (0 <= e.onset <= e.offset <= limit) for e in ans.events):
                        bad += 1
                except Exception:  # noqa: BLE001
                    bad += 1
        return f"{cases} parses ({len(PIPELINES.names())} pipelines): {bad} exception(s) or " \
               f"invalid event(s)", bad == 0
    A.run("fuzz (seed 7)", "parsers: corpus fragments spliced with hostile characters",
          "never raises; events finite, 0 <= onset <= offset <= duration", parsers)

    def score():
        d = A.work / "fuzz_score"
        refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
        values = [None, True, 5, -1, 1e308, 10**400, float("nan"), "x", [], {}, [1, 2], [5, 2],
                  [[0, 1e400]], "c1#q0", "\u202e", "a\nb"]
        counts = {0: 0, 2: 0, "other": 0}
        for i in range(n):
            recs = []
            for _ in range(rng.randint(0, 4)):
                rec = {"id": rng.choice(["c1#q0", "c2#q0", "c1#q0", rng.choice(values)]),
                       rng.choice(["text", "events", "present", "answer"]):
                       rng.choice(texts + values + [[[1, 2]], [{"onset": 1, "offset": 3}]])}
                if rng.random() < 0.2:
                    del rec["id"]
                recs.append(rec)
            raw = "\n".join(json.dumps(r, allow_nan=True, default=str) for r in recs).encode()
            if rng.random() < 0.3 and raw:
                j = rng.randrange(len(raw))
                raw = raw[:j] + bytes([rng.randrange(256)]) + raw[j + 1:]
            if rng.random() < 0.2:
                raw = b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
            preds = write(d / f"p{i}.jsonl", raw)
            out = d / "m.json"
            out.unlink(missing_ok=True)
            try:
                rc, _, err = cli("score", "--task", "tag", "--references", refs,
                                 "--predictions", preds, "-o", out, "-q")
            except BaseException:  # noqa: BLE001
                counts["other"] += 1
                continue
            if rc == 0:
                m = json.loads(out.read_text())["metrics"]
                ok = all(v is None or 0 <= v <= 1 for v in m.values())
            else:
                ok = rc == 2 and len(err.strip().splitlines()) == 1 and str(preds) in err
            counts[rc if ok and rc in (0, 2) else "other"] += 1
        return f"{n} files: {counts[0]} exit 0 (metrics in [0, 1]), {counts[2]} exit 2 " \
               f"(one line naming the file), {counts['other']} other", counts["other"] == 0
    A.run("fuzz (seed 7)", "`timebench score` on mutated prediction files",
          "exit 0 with metrics in [0, 1], or exit 2 naming the file", score)

    def loaders():
        formats = {"spotsound": ("spotsound", "spotsound_bench.json", {}),
                   "lighthouse": ("lighthouse", "tut2017_test_release.jsonl", {}),
                   "jsonl": ("jsonl", "refs.jsonl", {}),
                   "ftar": ("ftar", "ftar_sample.json", {"strip_prefix": "/data/WavCaps/"}),
                   "audiogrounding": ("audiogrounding", "test.json", {})}
        hostile = ["../../etc/passwd", "/etc/passwd", float("nan"), 10**400, -1, None, "", [],
                   {}, [[5, 2]], [[0, 1e400]], "a" * 300, "\x00", True, "1.0 - 0.5"]
        counts = {"loaded": 0, "InputError": 0, "other": 0}
        for i in range(n):
            fmt = rng.choice(sorted(formats))
            sub, name, opts = formats[fmt]
            dst = A.work / "fuzz_loaders" / str(i)
            shutil.copytree(FIXTURES / sub, dst)
            path = dst / name
            text = path.read_text()
            as_list = text.lstrip().startswith("[")
            recs = json.loads(text) if as_list else [json.loads(x) for x in text.splitlines() if x]
            rec = rng.choice(recs)
            rec[rng.choice(sorted(rec))] = rng.choice(hostile)
            body = "\n".join(json.dumps(r, allow_nan=True) for r in recs)
            path.write_text("[\n" + body.replace("\n", ",\n") + "\n]" if as_list else body)
            try:
                load_dataset(fmt, path, **opts)
                counts["loaded"] += 1
            except InputError as e:
                counts["InputError" if e.path == str(path) and e.line else "other"] += 1
            except Exception:  # noqa: BLE001
                counts["other"] += 1
        return f"{n} manifests: {counts['loaded']} loaded, {counts['InputError']} InputError " \
               f"with file and line, {counts['other']} other", counts["other"] == 0
    A.run("fuzz (seed 7)", "loaders: one field of a fixture row set to a hostile value",
          "loads, or InputError naming file and line", loaders)


# -- the report -------------------------------------------------------------------------------------

def known_parser_issues() -> list[dict]:
    return [r for r in _corpus() if "known_issue" in r]


def markdown(rows: list[Row], seconds: float) -> str:
    passed = sum(r.passed for r in rows)
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    out = [
        "# Reliability: what was tried and what happened",
        "",
        "Generated by `python benchmarks/reliability.py` (rerun it to regenerate this file; "
        "`--check` exits 1 when an attack fails). Do not edit by hand.",
        "",
        f"timebench {__version__} · Python {platform.python_version()} · "
        f"{platform.system()} {platform.machine()} · total {seconds:.0f} s",
        "",
        f"**{passed} of {len(rows)} attacks behaved as expected.**",
        "",
        "The same behaviours are asserted in CI by `tests/test_fuzz_parsing.py`, "
        "`tests/test_fuzz_score.py`, `tests/test_fuzz_loaders.py`, "
        "`tests/test_fuzz_no_code_execution.py`, `tests/test_faults.py` and "
        "`tests/test_reproducibility.py` (hypothesis, with more cases). Paths under the "
        "temporary work folder are shown as `$TMP`.",
        "",
        "| # | area | what was tried | expected | what happened | time | result |",
        "|---:|---|---|---|---|---:|---|",
    ]
    for i, r in enumerate(rows, 1):
        out.append(f"| {i} | {esc(r.area)} | {esc(r.tried)} | {esc(r.expected)} | "
                   f"{esc(r.happened)} | {r.seconds:.2f} s | {'pass' if r.passed else '**FAIL**'} |")
    issues = known_parser_issues()
    corpus = (f"The corpus `tests/corpus/lalm_outputs.jsonl` ({len(_corpus())} real-looking LALM "
              "answers)")
    xfail = ("strict xfails in `tests/test_fuzz_parsing.py`, so a fix shows up as a test to "
             "update")
    out += ["", "## Known parser issues", ""]
    if not issues:
        out += [f"{corpus} records no answer the lenient parser gets wrong. An answer marked "
                f"`known_issue` there becomes one of the {xfail}, and is listed here."]
    else:
        out += [f"{corpus} records {len(issues)} answer(s) the lenient parser gets wrong; they "
                f"are {xfail}.",
                "", "| corpus id | answer | expected | observed | issue |",
                "|---|---|---|---|---|"]
    for r in issues:
        text = "".join(c if c.isprintable() and unicodedata.category(c) != "Cf"
                       else c.encode("unicode_escape").decode("ascii")
                       for c in r.get("text", "(generated)"))
        exp = r["expect"]["outcome"] + (f" {r['expect']['events']}" if "events" in r["expect"] else "")
        out.append(f"| {r['id']} | `{esc(text[:70])}` | {esc(exp)} | {esc(r['observed'])} | "
                   f"{esc(r['known_issue'])} |")
    out += ["", "## Decisions", "",
            "- Symbolic links inside a dataset root are followed (the root check is lexical, "
            "`timebench/datasets/base.py`): users link audio folders in from other disks. A "
            "manifest alone cannot name a file outside the root.",
            "- A cache line for a sample key the run does not ask for is ignored without a "
            "warning: `--limit` runs and edited reference sets leave such lines legitimately.",
            "- `--models package.module:Class` (and a suite's `adapter:`) imports user code on "
            "purpose (the plugin mechanism); task cards, data files and settings never can.",
            "- `--output /dev/stdout` (or any existing non-regular file) is written directly; "
            "a symbolic link to a regular file is followed and its target replaced atomically.",
            ""]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default=str(ROOT / "docs" / "RELIABILITY.md"))
    ap.add_argument("--fuzz", type=int, default=500, help="cases per fuzz campaign (x10 parses)")
    ap.add_argument("--check", action="store_true", help="exit 1 when an attack failed")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="timebench-reliability-") as tmp:
        A = Attacks(Path(tmp).resolve())
        os.environ.pop("RANK", None)
        os.environ.pop("WORLD_SIZE", None)
        score_attacks(A)
        loader_attacks(A)
        code_execution_attacks(A)
        fault_attacks(A)
        reproducibility_attacks(A)
        fuzz_campaigns(A, args.fuzz)
    text = markdown(A.rows, time.perf_counter() - t0)
    tio.atomic_write_text(args.output, text)
    passed = sum(r.passed for r in A.rows)
    print(f"{passed}/{len(A.rows)} attacks behaved as expected; wrote {args.output}")
    return 1 if args.check and passed < len(A.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
