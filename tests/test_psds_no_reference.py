"""The default suite's SED scoring (PSDS, its interval, compare) works where sed_scores_eval and
pandas cannot be imported: a subprocess blocks both, runs the energy baseline on the sed task,
and the PSDS it stores equals what the sed_scores_eval backend computes from the same outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = r"""
import importlib.abc, sys
BLOCKED = ("sed_scores_eval", "pandas", "sed_eval", "dcase_util", "psds_eval")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked for this test: {name}")
        return None
sys.meta_path.insert(0, Block())
from timebench.cli import main
code = main(sys.argv[1:])
loaded = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
assert not loaded, loaded
sys.exit(code)
"""


def test_sed_psds_without_sed_scores_eval_or_pandas(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKER, "run", "--suite", "default", "--tasks", "sed",
         "--models", "energy", "--bootstrap", "20", "--limit", "8", "-q", "--no-progress",
         "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    res = json.loads((out / "results.json").read_text())["results"]["energy"]["sed"]
    for name in ("psds1", "psds2"):
        assert 0.0 <= res["metrics"][name] <= 1.0
        low, high = res["ci"][name]
        assert low <= high
        assert "bootstrapped_psds" in res["ci_method"][name]

    # the same outputs through the reference package give the same numbers
    pytest.importorskip("pandas")
    pytest.importorskip("sed_scores_eval")
    from model_adapters.base import FrameScores
    from timebench.metrics.psds import psds
    from timebench.types import Event

    refs = {}
    for line in (out / "references" / "sed.jsonl").read_text().splitlines():
        r = json.loads(line)
        refs[r["id"]] = r
    frames = {}
    for line in (out / "energy" / "sed" / "predictions.jsonl").read_text().splitlines():
        p = json.loads(line)
        fs = p.get("frame_scores")
        frames[p["id"]] = None if not fs else FrameScores(
            times=fs["times"], scores=fs["scores"], labels=tuple(fs["labels"]))
    events = {k: [Event(e["onset"], e["offset"], e.get("label")) for e in r.get("events") or []]
              for k, r in refs.items()}
    durations = {k: r.get("duration") for k, r in refs.items()}
    for name in ("psds1", "psds2"):
        ref = psds(frames, events, durations, params=name, backend="sed_scores_eval")
        assert res["metrics"][name] == pytest.approx(ref.value, abs=1e-9)
