"""The default suite -- every task, every baseline, scoring and bootstrap intervals included --
runs where scipy cannot be imported (the quick start no longer installs it): a subprocess blocks
``scipy`` with a meta-path finder, runs ``timebench run --suite default``, and checks that no
scipy module was loaded; the results pass ``timebench check`` against the stored baseline."""

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
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "scipy":
            raise ImportError(f"blocked for this test: {name}")
        return None
sys.meta_path.insert(0, Block())
from timebench.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "scipy")
assert not loaded, loaded
sys.exit(code)
"""


@pytest.mark.java
def test_default_suite_without_scipy(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKER, "run", "--suite", "default", "-q", "--no-progress",
         "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    results = json.loads((out / "results.json").read_text())
    suite = {"tag", "spotsound", "sed", "dac", "tss", "tqa"}
    for model in ("oracle", "random", "energy"):
        assert set(results["results"][model]) == suite
    assert "scipy" not in results["environment"]
    check = subprocess.run(
        [sys.executable, "-m", "timebench", "check", "--results", str(out / "results.json"),
         "--baseline", str(ROOT / "leaderboards" / "baselines" / "default.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]


def test_polyphase_resampling_names_scipy_when_missing(tmp_path):
    code = BLOCKER.split("from timebench.cli")[0] + (
        "import numpy as np\n"
        "from timebench.datasets.audio import resample\n"
        "from timebench.errors import MissingDependencyError\n"
        "try:\n"
        "    resample(np.zeros(100, dtype=np.float32), 22050, 16000, method='polyphase')\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr[-2000:]
    line = proc.stdout.strip()
    assert "\n" not in line and "scipy" in line and "polyphase" in line
