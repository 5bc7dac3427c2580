"""The runner: cache and resume, failures, determinism across batch sizes and shards, SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from timebench.cli import main
from timebench.results import strip_volatile

from procs import ECHO  # noqa: E402 (tests/helpers, put on sys.path by conftest.py)
from procs import helper_env as _env  # noqa: E402


def _run(out, *extra):
    rc = main(["run", "--tasks", "tag,spotsound", "--models", ECHO, "--out", str(out),
               "--bootstrap", "50", "--limit", "12", "-q", "--no-progress", *extra])
    assert rc == 0
    return json.loads((out / "results.json").read_text())


def _cache_lines(out):
    lines = []
    for p in sorted((out / "cache").rglob("*.jsonl")):
        lines += [json.loads(x) for x in p.read_text().splitlines() if x.strip()]
    return lines


def test_run_writes_results_and_resumes_without_recomputing(tmp_path):
    out = tmp_path / "run"
    first = _run(out)
    assert set(first["results"][ECHO]) == {"tag", "spotsound"}
    assert first["results"][ECHO]["tag"]["n"] == 12
    assert (out / "references" / "tag.jsonl").is_file()
    assert len((out / first["results"][ECHO]["tag"]["scores"]).read_text().splitlines()) == 12
    lines = _cache_lines(out)
    assert len(lines) == 24 and len({x["key"] for x in lines}) == 24
    second = _run(out)
    assert len(_cache_lines(out)) == 24  # nothing recomputed
    assert strip_volatile(first) == strip_volatile(second)


def test_results_do_not_depend_on_batch_size(tmp_path):
    a = _run(tmp_path / "a", "--batch-size", "1")
    b = _run(tmp_path / "b", "--batch-size", "5")
    assert strip_volatile(a) == strip_volatile(b)


def test_failing_sample_is_recorded_and_run_continues(tmp_path):
    out = tmp_path / "run"
    rc = main(["run", "--tasks", "tag", "--models", "fake_adapters:Flaky[fail=mini-tag-0003]",
               "--out", str(out), "--bootstrap", "20", "--limit", "6", "-q", "--no-progress"])
    assert rc == 0
    res = json.loads((out / "results.json").read_text())["results"]
    r = next(iter(res.values()))["tag"]
    assert r["n_generation_errors"] == 1 and r["n"] == 6
    assert r["parse_failure_rate"] == pytest.approx(1 / 6)
    assert r["parse_failures"] == {"generation_error": 1}


def test_errors_are_retried_on_resume(tmp_path):
    out = tmp_path / "run"
    marker = tmp_path / "marker"
    spec = f"fake_adapters:FailOnce[marker={marker},id=mini-tag-0002]"
    args = ["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--bootstrap", "0",
            "--limit", "4", "-q", "--no-progress"]
    assert main(args) == 0
    r1 = next(iter(json.loads((out / "results.json").read_text())["results"].values()))["tag"]
    assert r1["n_generation_errors"] == 1
    assert main(args) == 0
    r2 = next(iter(json.loads((out / "results.json").read_text())["results"].values()))["tag"]
    assert r2["n_generation_errors"] == 0
    assert len(_cache_lines(out)) == 5  # 4 results + the recorded error line


def test_two_shards_give_the_same_results_and_each_sample_once(tmp_path):
    single = _run(tmp_path / "single")
    out = tmp_path / "sharded"
    base = [sys.executable, "-m", "timebench", "run", "--tasks", "tag,spotsound", "--models", ECHO,
            "--out", str(out), "--bootstrap", "50", "--limit", "12", "-q", "--no-progress",
            "--shard-timeout", "120"]
    procs = []
    for rank in (1, 0):
        env = _env()
        env.update(RANK=str(rank), WORLD_SIZE="2")
        procs.append(subprocess.Popen(base, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    for p in procs:
        output, _ = p.communicate(timeout=300)
        assert p.returncode == 0, output
    sharded = json.loads((out / "results.json").read_text())
    lines = _cache_lines(out)
    assert len(lines) == 24 and len({x["key"] for x in lines}) == 24
    parts = sorted(p.name for p in (out / "cache").rglob("*.jsonl"))
    assert any(".part-1." in p for p in parts) and any(".part-0." in p for p in parts)
    assert strip_volatile(single)["results"] == strip_volatile(sharded)["results"]
    assert strip_volatile(single)["tasks"] == strip_volatile(sharded)["tasks"]


def test_sigkill_mid_run_then_resume_scores_each_sample_once(tmp_path):
    """A real subprocess is SIGKILLed part-way; the restart repeats no finished sample."""
    reference = tmp_path / "uninterrupted"
    out = tmp_path / "killed"
    spec = f"{ECHO}[latency=0.15]"
    cmd = [sys.executable, "-m", "timebench", "run", "--tasks", "tag", "--models", spec,
           "--bootstrap", "50", "--batch-size", "1", "-q", "--no-progress"]
    subprocess.run(cmd + ["--out", str(reference)], env=_env(), cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    proc = subprocess.Popen(cmd + ["--out", str(out)], env=_env(), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "cache").exists() and len(_cache_lines(out)) >= 10:
            break
        time.sleep(0.05)
    done_before = len(_cache_lines(out))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 10 <= done_before < 40, done_before
    assert not (out / "results.json").exists()
    res = subprocess.run(cmd + ["--out", str(out)], env=_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    lines = _cache_lines(out)
    keys = [x["key"] for x in lines]
    assert len(keys) == 40 and len(set(keys)) == 40  # every sample exactly once
    a = json.loads((reference / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    assert strip_volatile(a)["results"] == strip_volatile(b)["results"]


def test_torn_cache_line_is_skipped_and_recomputed(tmp_path):
    out = tmp_path / "run"
    first = _run(out)
    part = sorted((out / "cache").rglob("tag-*.jsonl"))[0]
    lines = part.read_text().splitlines()
    part.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])  # torn
    with pytest.warns(UserWarning, match="unreadable cache line"):
        second = _run(out)
    assert strip_volatile(first)["results"] == strip_volatile(second)["results"]
    text = part.read_text()
    assert text.count("\n") == len(lines) + 1  # torn line kept on its own line, sample re-added


@pytest.mark.parametrize("policy", ["truncate", "fail"])
def test_truncation_is_counted_per_task(tmp_path, policy):
    """Audio over the adapter's limit: cut and counted (``n_truncated``), or failed (named setting)."""
    from timebench.cli import main

    out = tmp_path / "run"
    model = f"fake_adapters:Cutter[limit=22.5,over_limit={policy}]"
    assert main(["run", "--tasks", "tag", "--models", model, "--out", str(out), "--no-progress",
                 "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    res = next(iter(results["results"].values()))["tag"]
    refs = [json.loads(line) for line in (out / "references" / "tag.jsonl").read_text().splitlines()]
    over = sum(1 for r in refs if r["duration"] > 22.5)
    assert 0 < over < len(refs)
    if policy == "truncate":
        assert res["n_truncated"] == over and res["n_generation_errors"] == 0
    else:
        assert res["n_truncated"] == 0 and res["n_generation_errors"] == over
