"""Every script in ``benchmarks/`` runs, in its small mode, and prints its key lines.

Benchmarks are not run by anything else, so one that broke (an import, a renamed function, a
task card an older release refuses) went unnoticed.  Each test runs one script as a user would
(``sys.executable benchmarks/SCRIPT ...``, cwd = the repository root, this checkout first on
``PYTHONPATH``, a timeout), asserts exit code 0 and the lines a reader looks for (ratios, rates,
the equality checks).  The sizes are the scripts' own small modes (an existing size option or
``--quick``): the same code paths as the full run in a few seconds.  Speeds are printed, never
asserted (speed goals live in the benchmarks' output, not in timed tests).

Dependencies beyond the core: the ``test`` extra installs all of them except those in
:data:`NOT_IN_TEST_EXTRA`, so a missing one fails here (a skip would hide a broken benchmark in
CI); the others skip with the reason.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
TIMEOUT = 180  # seconds per script; each takes a few on a 2-core machine

#: optional modules the benchmarks need that ``.[test]`` installs: missing -> the test fails
IN_TEST_EXTRA = ("sed_eval", "sed_scores_eval", "pandas", "scipy", "transformers", "torch")
#: optional modules some benchmarks need that no install of ``.[test]`` brings: missing -> skip
NOT_IN_TEST_EXTRA = {
    "librosa": "the reference resampler of benchmarks/resampling.py (in no extra)",
}
#: the reliability attack modules too slow for a smoke run (25 s and 11 s of the ~50 s);
#: ``.ci/run`` runs every attack with ``--check``, and tests/test_reproducibility.py and
#: tests/test_faults.py assert the same behaviours
SLOW_ATTACKS = {"repro", "faults"}
#: the attacks of a slow module the smoke run still runs (``--only MODULE:NAME``): every one
#: that patches timebench (``patched``: the target must exist and be called), about 1 s in all;
#: only the two signal attacks of ``faults`` (subprocesses, ~10 s) are left to ``.ci/run``
SMOKE_PICKS = {"faults": ("fsync", "replace", "eacces", "results-enospc", "cache-full",
                          "adapter-raises", "corrupt-cache")}


def needs(*modules: str) -> None:
    for name in modules:
        assert name in IN_TEST_EXTRA or name in NOT_IN_TEST_EXTRA, f"classify {name} above"
        if importlib.util.find_spec(name) is not None:
            continue
        if name in NOT_IN_TEST_EXTRA:
            pytest.skip(f"{name} not installed: {NOT_IN_TEST_EXTRA[name]}")
        pytest.fail(f"{name} is not installed, but the test extra installs it "
                    "(pip install -e '.[test]'); the benchmark cannot be smoke-tested")


def test_skips_only_for_modules_outside_the_test_extra():
    """The two lists above agree with pyproject.toml's ``test`` extra (and the extras it
    names), so a benchmark is never skipped in CI for a module CI installs."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["optional-dependencies"]
    names: set[str] = set()
    todo, seen = ["test"], set()
    while todo:
        extra = todo.pop()
        seen.add(extra)
        for req in extras[extra]:
            m = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", req)
            if m[1].lower() == "timebench":
                todo += [e.strip() for e in m[2].split(",") if e.strip() not in seen]
            else:
                names.add(m[1].lower().replace("-", "_"))
    assert set(IN_TEST_EXTRA) <= names, set(IN_TEST_EXTRA) - names
    assert not set(NOT_IN_TEST_EXTRA) & names


def run_bench(script: str, *args: str) -> str:
    """stdout of ``benchmarks/script args`` (exit 0 asserted, the output shown when not)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    try:
        proc = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} {' '.join(args)} ran past {TIMEOUT} s:\n{exc.stdout or ''}")
    assert proc.returncode == 0, (
        f"{script} {' '.join(args)} exited {proc.returncode}\n--- stdout (end)\n"
        f"{proc.stdout[-4000:]}\n--- stderr (end)\n{proc.stderr[-4000:]}")
    return proc.stdout


def assert_lines(out: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, out, re.MULTILINE), f"no line matching {pattern!r} in:\n{out}"


def test_every_benchmark_script_is_smoke_tested():
    """A new benchmark script gets a smoke test here (or is an attack module)."""
    scripts = {p.name for p in BENCH.glob("*.py")
               if not p.name.startswith(("attacks_", "attack_tools"))}
    source = Path(__file__).read_text(encoding="utf-8")
    untested = sorted(s for s in scripts if f'run_bench("{s}"' not in source)
    assert not untested, f"benchmarks without a smoke test in {Path(__file__).name}: {untested}"


def test_bench_compare():
    out = run_bench("bench_compare.py", "--samples", "2000", "--iterations", "50")
    assert_lines(out, r"^samples per run: 2,000;", r"^compare: +[\d.]+ s wall, +[\d.]+ s CPU",
                 r"^diff: +[\d.]+ s wall", r"^total: .*target < 10 s on one core: (met|NOT met)",
                 r"^statistics alone .*: [\d.]+x faster")


def test_bench_labels():
    out = run_bench("bench_labels.py")  # the whole corpus: already a fraction of a second
    assert_lines(out, r"^combined\s+all\s+\d+\s+[\d.]+%",
                 r"ontology cold [\d,]+/s, cached [\d,]+/s; exact \(reference, uncached\) "
                 r"[\d,]+/s; cold/exact time ratio [\d.]+x",
                 r"^targets: .*: met$")


def test_bench_metrics():
    needs("sed_eval")
    out = run_bench("bench_metrics.py", "--files", "200", "--repeat", "1")
    assert_lines(out, r"^event-based +sed_eval +[\d.]+ s +timebench +[\d.]+ s .*ratio +[\d.]+x",
                 r"^segment-based sed_eval +[\d.]+ s +timebench +[\d.]+ s +ratio +[\d.]+x",
                 r"^numbers identical: True$")


PARSER_LINES = (r"^exact \(held-out, blind\) +[\d.]+% ", r"^answers/s \(one core, CPU\) +[\d,]+ ",
                r"^one-regex pass \(the minimal script's regex\) answers/s: [\d,]+ ",
                r"^ratio to minimal script +[\d.]+x ",
                r"^  of which not parsing +[\d.]+ +\(the same call with the answers already "
                r"parsed: [\d.]+ us a sample\)$",
                r"^the 3x target allows [\d.]+ s \([\d.]+ us a sample\); score's work besides "
                r"parsing takes \d+% of it, leaving [\d.]+ us a sample for the parser \(this "
                r"checkout's parser: [\d.]+ us\)$",
                r"^parse_failures \(this checkout\): ")


def test_bench_parser():
    out = run_bench("bench_parser.py", "--samples", "2000")
    assert_lines(out, r"^real-output corpus: .* \d+ answers", *PARSER_LINES)
    if "not available from git" in out:  # a shallow clone: one line, this checkout only
        assert_lines(out, r"^previous release '3f96147' not available from git")
    else:
        assert_lines(out, r"^ratio to minimal script +[\d.]+x +[\d.]+x +<= 3x")


def test_bench_parser_without_the_previous_release():
    """What a shallow clone gets: one line saying so, then this checkout's numbers."""
    out = run_bench("bench_parser.py", "--samples", "500", "--base", "0" * 40)
    assert_lines(out, r"^previous release '0{40}' not available from git \(.*\): measuring "
                      r"this checkout only$", *PARSER_LINES,
                 r"^ratio to minimal script +[\d.]+x +n/a +<= 3x")
    assert out.count("not available from git") == 1


def test_bench_run():
    out = run_bench("bench_run.py", "--samples", "24", "--latency", "0.001",
                    "--bootstrap", "50")
    assert_lines(out, r"^samples 24, batch 8, ", r"^wall [\d.]+ s +inside the model [\d.]+ s",
                 r"^harness overhead [\d.]+ % +\(target < 5 %: (met|NOT met)\)")


def test_bench_token_merge():
    needs("torch")
    out = run_bench("bench_token_merge.py", "--quick", "--device", "cpu")
    assert_lines(out, r"^ +600 +4 +1764 +1040 +[\d.]+ +[\d.]+ +[\d.]+x .* [=x]/[=x] ",
                 r"^LLM input audio tokens per minute of audio",
                 r"^ +600 +1764 +1040 +176\.4 +104\.0 +59\.0%")


def test_psds_native():
    needs("sed_scores_eval", "pandas")
    out = run_bench("psds_native.py", "--files", "10", "--frames", "200", "--classes", "4")
    for name in ("psds1", "psds2"):
        assert_lines(out, rf"^{name}: native [\d.]+ in [\d.]+ s, sed_scores_eval [\d.]+ in "
                          rf"[\d.]+ s, \|diff\| [\d.e+-]+, time ratio native/reference [\d.]+$")
        # a value of 0 (or 1) would make the equality line void: the synthetic set must give
        # a PSDS strictly inside (0, 1) for both settings
        value = float(re.search(rf"^{name}: native ([\d.]+)", out, re.M).group(1))
        assert 0.0 < value < 1.0, f"{name} = {value}: a degenerate comparison"


def test_resampling():
    needs("scipy", "transformers", "librosa")
    out = run_bench("resampling.py", "--quick")
    for label in ("speech", "events"):
        assert_lines(out, rf"^44100 Hz -> 16 kHz, {label} \([\d.]+ s\); time ours [\d.]+ ms vs "
                          r"librosa [\d.]+ ms \(ratio [\d.]+\)")
    assert_lines(out, r"^  vs soxr VHQ: waveform SNR [-\d.]+ dB",
                 r"^     whisper log-mel \(80\): all cells: mean",
                 r"^  \(spread between the references\)")


def test_reliability(tmp_path):
    listed = run_bench("reliability.py", "--list")  # imports every attack module
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert sorted(names) == sorted(p.stem[len("attacks_"):] for p in BENCH.glob("attacks_*.py"))
    assert SLOW_ATTACKS <= set(names)
    quick = [n for n in names if n not in SLOW_ATTACKS]
    picks = [f"{module}:{name}" for module, names in SMOKE_PICKS.items() for name in names]
    report = tmp_path / "RELIABILITY.md"
    out = run_bench("reliability.py", "--check", "--fuzz", "5", "--only",
                    ",".join(quick + picks), "--output", str(report))
    m = re.search(r"^(\d+)/(\d+) attacks behaved as expected; wrote ", out, re.MULTILINE)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) > 50, out
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Reliability")
    # the picked attacks ran, and nothing else of their modules
    assert len(re.findall(r"^\| \d+ \| faults: ", text, re.MULTILINE)) == len(SMOKE_PICKS["faults"])


def test_reliability_unknown_attack_exits_2():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(BENCH / "reliability.py"), "--only",
                           "faults:no-such-attack"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: --only: no attack no-such-attack in attacks_faults.py "
                                  "(known: fsync, replace, eacces, "), proc.stderr


def _patching_attacks(path: Path) -> tuple[set[str], list[str]]:
    """The names of the attacks in an attack module whose function patches (calls ``patched``,
    ``setattr`` or ``monkeypatch``, directly or through a function of the module), and the
    lines of such attacks without a literal ``name=``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    patchers = {"patched", "setattr", "monkeypatch"}

    def called(node) -> set[str]:
        return {(c.func.id if isinstance(c.func, ast.Name) else c.func.attr)
                for c in ast.walk(node) if isinstance(c, ast.Call)
                and isinstance(c.func, (ast.Name, ast.Attribute))}
    defs: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.setdefault(node.name, set()).update(called(node))
    patching = {n for n, calls in defs.items() if calls & patchers}
    while True:  # a function that calls a patching function of the module patches too
        more = {n for n, calls in defs.items() if calls & patching} - patching
        if not more:
            break
        patching |= more
    names, unnamed = set(), []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run" and len(node.args) >= 4):
            continue
        fn = node.args[3]
        uses = called(fn) | ({fn.id} if isinstance(fn, ast.Name) else set())
        if not uses & (patching | patchers):
            continue
        name = next((k.value.value for k in node.keywords if k.arg == "name"
                     and isinstance(k.value, ast.Constant)), None)
        if name is None:
            unnamed.append(f"{path.name}:{node.lineno}")
        else:
            names.add(name)
    return names, unnamed


def test_every_patching_attack_runs_in_the_smoke_test():
    """An attack that patches timebench (say ``timebench.atomic.os.replace``) breaks silently
    when the code moves (a module split): ``patched`` then fails it (the attribute must exist
    and the substitute be called), but only where the attack runs.  So every patching attack
    runs here: its module is not in SLOW_ATTACKS, or it is one of SMOKE_PICKS."""
    found, missing, unnamed = 0, [], []
    for path in sorted(BENCH.glob("attacks_*.py")):
        module = path.stem[len("attacks_"):]
        names, no_name = _patching_attacks(path)
        found += len(names) + len(no_name)
        if module in SLOW_ATTACKS:
            unnamed += no_name
            missing += [f"{module}:{n}" for n in sorted(names - set(SMOKE_PICKS.get(module, ())))]
    assert found >= 5, "the scan finds no patching attack: it no longer reads the modules"
    assert not unnamed, f"give these patching attacks a name= (for --only MODULE:NAME): {unnamed}"
    assert not missing, f"add to SMOKE_PICKS (or make the module quick): {missing}"


def test_patched_requires_an_existing_target_on_the_code_path(tmp_path):
    saved = sys.path[:]
    sys.path.insert(0, str(BENCH))
    try:
        from attack_tools import patched  # puts the checkout and tests/helpers first
    finally:
        sys.path[:] = saved
    import timebench.atomic as tatomic
    import timebench.io as tio

    with pytest.raises(AttributeError):  # the old home of tempfile, gone since the io split
        with patched(tio, "tempfile", None):
            pass
    with pytest.raises(AssertionError, match="never called"):
        with patched(tatomic.os, "fsync", lambda *_: None):
            pass  # nothing writes: the substitute is not on the code path
    real = tatomic.os.fsync
    with patched(tatomic.os, "fsync", lambda *_: None):
        tatomic.atomic_write_text(tmp_path / "x.json", "{}")  # an atomic write fsyncs
    assert tatomic.os.fsync is real and (tmp_path / "x.json").read_text() == "{}"
