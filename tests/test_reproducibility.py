"""Reproducibility (issue 7, item 4): same run, same bytes; batch size and shards do not matter.

* the same ``timebench run`` twice (two fresh processes, as a user runs it), into two
  directories: ``results.json`` is identical byte for
  byte once the volatile keys (``created``, ``timings``, ``command``, ``run_dir``) are removed
  -- compared on the serialised JSON text of :func:`~timebench.results.strip_volatile` -- and
  every per-sample ``scores.jsonl`` / ``predictions.jsonl`` and the written references are
  byte-identical;
* batch sizes 1, 3 and 16 give the same bytes;
* 1, 2 and 3 shards (``RANK``/``WORLD_SIZE`` subprocesses, as torchrun starts them) give the
  same bytes, and every sample is generated exactly once.

Models: the seeded ``random`` baseline on four tasks and the ``energy`` detector on two, from
a suite file (``--limit`` keeps it fast).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from timebench.io import dumps_json
from timebench.results import VOLATILE_KEYS, strip_volatile

SUITE = """name: repro
tasks: [tag, spotsound, sed, tqa]
models:
  - {name: random, adapter: random, settings: {seed: 7}}
  - {name: energy, adapter: energy, tasks: [tag, spotsound]}
seed: 3
bootstrap: 50
"""
LIMIT = "6"


def _env(rank: int, world: int) -> dict:
    env = dict(os.environ)
    env.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
               TIMEBENCH_NO_DEVICE_PINNING="1")
    return env


@pytest.fixture(scope="module")
def suite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "repro.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def _run(suite: Path, out: Path, *extra: str) -> None:
    """A fresh ``python -m timebench run`` (``results.json`` records the versions of the
    packages the run imported, so runs are compared process against process)."""
    cmd = [sys.executable, "-m", "timebench", "run", "--suite", str(suite), "--out", str(out),
           "--limit", LIMIT, "-q", "--no-progress", *extra]
    res = subprocess.run(cmd, env=_env(0, 1), cwd=out.parent, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr


def stable_text(out: Path) -> str:
    """The serialised JSON text of results.json without its volatile keys."""
    return dumps_json(strip_volatile(json.loads((out / "results.json").read_text("utf-8"))))


def output_files(out: Path) -> dict[str, bytes]:
    """Every file the run wrote except results.json and the cache, by relative path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "results.json" and "cache" not in p.relative_to(out).parts}


def assert_same_run(a: Path, b: Path) -> None:
    assert stable_text(a) == stable_text(b)
    fa, fb = output_files(a), output_files(b)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs"
    assert any(n.endswith("scores.jsonl") for n in fa) and any(n.endswith("predictions.jsonl")
                                                               for n in fa)


@pytest.fixture(scope="module")
def baseline_run(suite_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("base") / "run"
    _run(suite_file, out)
    return out


def test_volatile_keys_are_the_documented_ones(baseline_run):
    data = json.loads((baseline_run / "results.json").read_text())
    assert set(VOLATILE_KEYS) == {"created", "timings", "command", "run_dir"}
    assert all(k in data for k in VOLATILE_KEYS)
    assert set(data["results"]) == {"random", "energy"}
    assert set(data["results"]["energy"]) == {"tag", "spotsound"}
    for model in data["results"].values():
        for res in model.values():
            assert res["n"] == int(LIMIT) and res["ci"]  # something real was compared


def test_same_run_twice_gives_the_same_bytes(suite_file, baseline_run, tmp_path):
    again = tmp_path / "again"
    _run(suite_file, again)
    assert_same_run(baseline_run, again)
    # and the volatile keys really are the only difference in the file
    a = json.loads((baseline_run / "results.json").read_text())
    b = json.loads((again / "results.json").read_text())
    differing = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    assert differing <= set(VOLATILE_KEYS), differing


@pytest.mark.parametrize("batch", ["1", "3", "16"])
def test_batch_size_does_not_change_anything(batch, suite_file, baseline_run, tmp_path):
    out = tmp_path / f"batch{batch}"
    _run(suite_file, out, "--batch-size", batch)
    assert_same_run(baseline_run, out)




@pytest.mark.parametrize("world", [1, 2, 3])
def test_number_of_shards_does_not_change_anything(world, suite_file, baseline_run, tmp_path):
    out = tmp_path / f"shards{world}"
    cmd = [sys.executable, "-m", "timebench", "run", "--suite", str(suite_file), "--out", str(out),
           "--limit", LIMIT, "-q", "--no-progress", "--shard-timeout", "120"]
    procs = [subprocess.Popen(cmd, env=_env(rank, world), cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for rank in reversed(range(world))]
    for p in procs:
        output, _ = p.communicate(timeout=300)
        assert p.returncode == 0, output
    assert_same_run(baseline_run, out)
    keys = []  # (model fingerprint, task, sample key): the sample key does not name the model
    parts = sorted((out / "cache").rglob("*.jsonl"))
    for part in parts:
        task = part.name.split(".part-")[0]
        keys += [(part.parent.name, task, json.loads(x)["key"])
                 for x in part.read_text().splitlines() if x.strip()]
    assert len(keys) == len(set(keys)) == 6 * (4 + 2)  # each sample generated exactly once
    assert {p.name.rsplit(".part-", 1)[1] for p in parts} == {f"{r}.jsonl" for r in range(world)}
