"""The OpenAI-compatible server adapter against a local mock server (127.0.0.1 only).

Covers the request shape, the concurrency limit, retries with backoff and Retry-After, timeouts,
immediate 4xx failures, the cache semantics through ``timebench run`` (failed samples re-requested
on the next run, finished ones never), and data-parallel runs (RANK/WORLD_SIZE, torchrun,
accelerate launch) that request every sample exactly once and give the single-process results.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from model_adapters import create_adapter
from model_adapters.base import Request
from model_adapters.openai_server import (OpenAIChatAdapter, audio_content_part, backoff_delay,
                                          encode_wav, parse_retry_after)
from timebench.cli import main
from timebench.errors import InputError
from timebench.results import strip_volatile

HELPERS = Path(__file__).parent / "helpers"
if str(HELPERS) not in sys.path:
    sys.path.insert(0, str(HELPERS))

from mock_openai_server import MockOpenAIServer  # noqa: E402 (needs HELPERS on sys.path)
from procs import default_sigint  # noqa: E402

MODEL = "mock-audio"


@pytest.fixture
def server():
    srv = MockOpenAIServer(model=MODEL).start()
    try:
        yield srv
    finally:
        srv.stop()


def _adapter(srv, **settings) -> OpenAIChatAdapter:
    settings = {"base_url": srv.url, "model": MODEL, "backoff": 0.01, "timeout": 10, **settings}
    return create_adapter("openai", **settings)


def _request(i: int, seconds: float = 1.0, sr: int = 16000, **kw) -> Request:
    t = np.arange(int(seconds * sr)) / sr
    wav = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return Request(id=f"s{i}", prompt=f"When does sound {i} happen?", task="tag", kind="grounding",
                   waveform=wav, sample_rate=sr, duration=seconds, seed=1000 + i, **kw)


def _wav_info(b64: str) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(base64.b64decode(b64)), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()


# -- pure parts -----------------------------------------------------------------------------------

def test_encode_wav_is_16bit_pcm_with_hand_derived_values():
    import soundfile as sf

    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 0.25], dtype=np.float32)
    # by hand: round-half-even(clip(x) * 32767): 0.5 * 32767 = 16383.5 -> 16384;
    # 0.25 * 32767 = 8191.75 -> 8192; |x| >= 1 -> +-32767
    expected = [0, 16384, -16384, 32767, -32767, 32767, -32767, 8192]
    blob = encode_wav(x, sample_rate=16000)
    data, sr = sf.read(io.BytesIO(blob), dtype="int16")
    assert sr == 16000 and data.tolist() == expected
    assert sf.info(io.BytesIO(blob)).subtype == "PCM_16"
    assert sf.info(io.BytesIO(blob)).channels == 1
    assert encode_wav(x.reshape(1, -1), sample_rate=8000)[44:] == blob[44:]  # (1, n) is mono
    with pytest.raises(ValueError, match="mono"):
        encode_wav(np.zeros((2, 10)), sample_rate=16000)
    with pytest.raises(ValueError, match="NaN"):
        encode_wav(np.array([0.0, np.nan]), sample_rate=16000)


def test_audio_content_parts_follow_openai_and_vllm_shapes():
    part = audio_content_part(b"RIFF", mode="input_audio")
    assert part == {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    part = audio_content_part(b"RIFF", mode="audio_url")
    assert part == {"type": "audio_url", "audio_url": {"url": "data:audio/wav;base64,UklGRg=="}}
    with pytest.raises(ValueError):
        audio_content_part(b"", mode="mp3_url")


def test_retry_after_parsing_and_backoff_schedule():
    assert parse_retry_after(None) is None and parse_retry_after("  ") is None
    assert parse_retry_after("3") == 3.0 and parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-2") == 0.0 and parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 10, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(10.0)
    assert parse_retry_after(email.utils.formatdate(now - 50, usegmt=True), now=now) == 0.0
    # base * 2**attempt * (0.5 + u), capped; Retry-After wins (capped too)
    assert backoff_delay(0, base=1.0, cap=60, rng=lambda: 0.0) == 0.5
    assert backoff_delay(3, base=1.0, cap=60, rng=lambda: 0.5) == 8.0
    assert backoff_delay(10, base=1.0, cap=60, rng=lambda: 0.5) == 60
    assert backoff_delay(0, base=1.0, cap=60, retry_after=7.0, rng=lambda: 0.9) == 7.0
    assert backoff_delay(0, base=1.0, cap=5, retry_after=7.0) == 5


def test_settings_are_validated_and_the_key_never_recorded(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret")
    base = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}
    a = create_adapter("openai", **base)
    assert a._api_key == "sk-env-secret"
    with pytest.warns(UserWarning, match="api_key_env"):
        b = create_adapter("openai", **base, api_key="sk-inline-secret")
    for adapter, key in ((a, "sk-env-secret"), (b, "sk-inline-secret")):
        assert key not in json.dumps(adapter.config()) + repr(adapter) + str(adapter.settings)
    # the fingerprint: generation settings and the model, not the server or runtime knobs
    fp = a.fingerprint()
    assert b.fingerprint() == fp
    for same in ({"base_url": "http://10.0.0.2:8000/v1"}, {"concurrency": 2}, {"timeout": 5},
                 {"max_retries": 0}, {"backoff": 0.1}, {"api_key_env": "OTHER"}):
        assert create_adapter("openai", **{**base, **same}).fingerprint() == fp, same
    for other in ({"model": "m2"}, {"temperature": 0.7}, {"max_tokens": 64}, {"system": "Be brief"},
                  {"audio_input": "audio_url"}, {"sample_rate": 24000}, {"send_seed": False}):
        assert create_adapter("openai", **{**base, **other}).fingerprint() != fp, other
    assert create_adapter("openai", **base, temperature=0).settings["temperature"] == 0.0
    bad = [({"model": "m", "base_url": "ftp://x/v1"}, "base_url"),
           ({"base_url": base["base_url"]}, "model"),
           ({**base, "concurency": 2}, "concurency"), ({**base, "concurrency": 0}, "concurrency"),
           ({**base, "audio_input": "url"}, "audio_input"),
           ({**base, "max_tokens": "many"}, "max_tokens"), ({**base, "send_seed": 1}, "send_seed")]
    for settings, field in bad:
        with pytest.raises(InputError) as info:
            create_adapter("openai", **settings)
        assert info.value.field == field
    with pytest.raises(InputError, match="did you mean 'concurrency'"):
        create_adapter("openai", **base, concurency=2)


def test_importing_the_adapter_does_not_import_torch():
    code = ("import sys, model_adapters.openai_server, timebench; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- against the mock server ----------------------------------------------------------------------

def test_request_shape(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server.api_key = "sk-test"
    a = _adapter(server, system="You are precise.", max_tokens=64)
    reqs = [_request(0, 1.5), _request(1, 0.5, sr=8000)]  # the second is resampled to 16 kHz
    gens = a.generate(reqs)
    assert [g.error for g in gens] == [None, None]
    calls = {c.sample: c for c in server.chat_calls()}
    for r, g in zip(reqs, gens, strict=True):
        c = calls[r.id]
        assert c.status == 200 and c.authorization == "Bearer sk-test"
        body = c.body
        assert body["model"] == MODEL and body["temperature"] == 0.0 and body["max_tokens"] == 64
        assert body["seed"] == r.seed and body["stream"] is False
        assert body["messages"][0] == {"role": "system", "content": "You are precise."}
        audio, text = body["messages"][1]["content"]
        assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "wav"
        assert _wav_info(audio["input_audio"]["data"]) == (1, 2, 16000, int(r.duration * 16000))
        assert text == {"type": "text", "text": r.prompt}
        assert c.duration == pytest.approx(r.duration)
        assert g.text.startswith("The sound occurs from ")
        assert g.meta["attempts"] == 1 and g.meta["finish_reason"] == "stop"
    b = _adapter(server, audio_input="audio_url", send_seed=False)
    assert b.generate([_request(2)])[0].error is None
    last = server.chat_calls()[-1]
    assert last.audio_kind == "audio_url" and "seed" not in last.body
    assert len(last.body["messages"]) == 1
    # same prompt + audio -> same answer
    assert gens[0].text == b.generate([_request(0, 1.5)])[0].text


def test_a_bad_sample_is_an_error_and_never_raises(server):
    a = _adapter(server)
    broken = Request(id="nan", prompt="x", task="tag", waveform=np.array([0.0, np.nan], np.float32),
                     sample_rate=16000)
    gens = a.generate([_request(0), broken, _request(1)])
    assert gens[0].error is None and gens[2].error is None
    assert "cannot encode the request" in gens[1].error and "NaN" in gens[1].error
    assert "nan" not in server.calls_per_sample()


def test_concurrency_limit_is_respected(server):
    server.delay = 0.15
    a = _adapter(server, concurrency=3)
    t0 = time.perf_counter()
    gens = a.generate([_request(i, 0.2) for i in range(12)])
    elapsed = time.perf_counter() - t0
    assert all(g.error is None for g in gens)
    assert server.max_in_flight == 3
    assert elapsed >= 4 * 0.15 * 0.95  # 12 requests, 3 at a time, 0.15 s each: >= 4 rounds
    a.close()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_with_backoff_then_success(server, status):
    server.fail_first, server.fail_status = 2, status
    gen = _adapter(server, backoff=0.1).generate([_request(0)])[0]
    assert gen.error is None and gen.meta["attempts"] == 3
    calls = server.chat_calls()
    assert [c.status for c in calls] == [status, status, 200]
    # waits: 0.1 * 2**k * jitter in [0.5, 1.5) -> at least 0.05 then 0.1
    gaps = [b.t_start - a.t_end for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] >= 0.05 * 0.9 and gaps[1] >= 0.1 * 0.9, gaps
    assert gaps[0] < 0.15 + 0.5 and gaps[1] < 0.3 + 0.5, gaps


def test_retry_after_is_honoured(server):
    server.fail_first, server.fail_status, server.retry_after = 1, 429, "0.4"
    gen = _adapter(server, backoff=0.001).generate([_request(0)])[0]
    assert gen.error is None and gen.meta["attempts"] == 2
    first, second = server.chat_calls()
    assert 0.4 * 0.95 <= second.t_start - first.t_end < 0.4 + 1.0


def test_retries_exhausted_is_an_error(server):
    server.fail_first, server.fail_status = 10, 502
    gen = _adapter(server, max_retries=2).generate([_request(0)])[0]
    assert gen.text is None and gen.error.startswith("HTTP 502: mock failure 502")
    assert "gave up after 3 attempts" in gen.error and gen.meta["status"] == 502
    assert server.calls_per_sample()["s0"] == 3


def test_timeout_becomes_an_error(server):
    server.delay = 3.0
    t0 = time.perf_counter()
    gen = _adapter(server, timeout=0.2, max_retries=1).generate([_request(0)])[0]
    elapsed = time.perf_counter() - t0
    assert gen.error is not None and "timeout of 0.2 s" in gen.error, gen.error
    assert "gave up after 2 attempts" in gen.error
    assert server.calls_per_sample()["s0"] == 2
    assert elapsed < 2.0


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_client_errors_fail_at_once_with_the_server_message(server, status):
    server.fail_samples = {"s0": status}
    t0 = time.perf_counter()
    gens = _adapter(server, backoff=1.0).generate([_request(0), _request(1)])
    assert time.perf_counter() - t0 < 0.9  # no backoff wait
    assert gens[0].error == f"HTTP {status}: mock says no to s0"
    assert gens[0].meta["status"] == status
    assert gens[1].error is None
    assert server.calls_per_sample() == {"s0": 1, "s1": 1}


def test_unknown_model_is_the_servers_404_message(server):
    gen = _adapter(server, model="no-such-model").generate([_request(0)])[0]
    assert gen.error == "HTTP 404: The model `no-such-model` does not exist."
    assert len(server.chat_calls()) == 1


def _dead_port() -> int:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_every_sample_at_once():
    port = _dead_port()
    a = create_adapter("openai", base_url=f"http://127.0.0.1:{port}/v1", model=MODEL,
                       backoff=1.0, max_retries=5, timeout=2)
    t0 = time.perf_counter()
    gens = a.generate([_request(0), _request(1)])
    assert time.perf_counter() - t0 < 1.0  # no retries against a refused port
    for gen in gens:
        assert gen.error.startswith(f"cannot reach http://127.0.0.1:{port}/v1: ")
        assert "is the server running" in gen.error and gen.meta["attempts"] == 0


def test_unreachable_server_without_preflight_is_retried_then_an_error():
    port = _dead_port()
    a = create_adapter("openai", base_url=f"http://127.0.0.1:{port}/v1", model=MODEL,
                       backoff=0.01, max_retries=2, timeout=2, preflight=False)
    gen = a.generate([_request(0)])[0]
    assert gen.error.startswith(f"cannot reach http://127.0.0.1:{port}/v1/chat/completions")
    assert gen.meta["attempts"] == 3


def test_cli_run_against_a_dead_server_exits_1_fast_naming_the_cause(tmp_path, capsys):
    spec = f"openai[base_url=http://127.0.0.1:{_dead_port()}/v1,model={MODEL}]"
    t0 = time.perf_counter()
    rc = main(["run", "--tasks", "tag", "--models", spec, "--out", str(tmp_path / "run"),
               "--limit", "3", "--bootstrap", "0", "-q", "--no-progress"])
    assert rc == 1 and time.perf_counter() - t0 < 20
    err = capsys.readouterr().err
    assert "all 3 sample(s) failed in the adapter" in err and "is the server running" in err


def test_close_stops_retrying(server):
    server.fail_first, server.fail_status = 100, 503
    a = _adapter(server, backoff=5.0, backoff_max=5.0, max_retries=10)
    out = []
    th = threading.Thread(target=lambda: out.extend(a.generate([_request(0)])))
    t0 = time.perf_counter()
    th.start()
    time.sleep(0.3)
    a.close()
    th.join(timeout=10)
    assert not th.is_alive() and time.perf_counter() - t0 < 3
    assert out[0].error.startswith("HTTP 503") and len(server.chat_calls()) == 1


# -- through `timebench run` ----------------------------------------------------------------------

def _spec(srv, **extra) -> str:
    settings = {"base_url": srv.url, "model": MODEL, "backoff": 0.01, **extra}
    return "openai[" + ",".join(f"{k}={v}" for k, v in settings.items()) + "]"


def _run(out: Path, spec: str, limit: int = 5) -> dict:
    rc = main(["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--limit", str(limit),
               "--bootstrap", "0", "-q", "--no-progress"])
    assert rc == 0
    return json.loads((out / "results.json").read_text())


def _refs(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "references" / "tag.jsonl").read_text().splitlines()]


def _texts(out: Path, results: dict) -> dict[str, str | None]:
    r = next(iter(results["results"].values()))["tag"]
    rows = [json.loads(x) for x in (out / r["predictions"]).read_text().splitlines()]
    return {row["id"]: row.get("text") for row in rows}


def test_cli_run_writes_results_and_a_rerun_requests_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-written")
    server.api_key = "sk-never-written"
    out = tmp_path / "run"
    spec = _spec(server)
    res = _run(out, spec)
    r = res["results"][spec]["tag"]
    assert r["n"] == 5 and r["n_generation_errors"] == 0 and r["parse_failure_rate"] == 0.0
    refs = _refs(out)
    assert server.calls_per_sample() == {ref["id"]: 1 for ref in refs}
    calls = {c.sample: c for c in server.chat_calls()}
    for ref in refs:  # the clip the server decoded is the reference clip
        assert calls[ref["id"]].duration == pytest.approx(ref["duration"])
    assert res["models"][spec]["config"]["model"] == MODEL
    assert "base_url" not in res["models"][spec]["config"]
    texts = _texts(out, res)
    assert all(t and t.startswith("The sound occurs from") for t in texts.values())
    server.reset()
    again = _run(out, spec)
    assert server.chat_calls() == []  # every sample came from the cache
    assert strip_volatile(again)["results"] == strip_volatile(res)["results"]
    for path in out.rglob("*"):
        if path.is_file():
            assert "sk-never-written" not in path.read_text(errors="replace"), path


def test_failed_samples_are_errors_and_only_they_are_requested_again(server, tmp_path):
    out = tmp_path / "run"
    spec = _spec(server, max_retries=1)
    bad = {"mini-tag-0001": 500, "mini-tag-0003": 503}
    server.fail_samples = dict(bad)
    first = _run(out, spec)["results"][spec]["tag"]
    assert first["n"] == 5 and first["n_generation_errors"] == 2
    ids = [ref["id"] for ref in _refs(out)]
    assert set(bad) < set(ids)
    counts = server.calls_per_sample()
    assert {i: counts[i] for i in bad} == {i: 2 for i in bad}  # first try + one retry
    assert all(counts[i] == 1 for i in ids if i not in bad)
    server.reset()  # the server is healthy again
    second = _run(out, spec)
    assert server.calls_per_sample() == {i: 1 for i in bad}  # only the failures, once each
    r = second["results"][spec]["tag"]
    assert r["n_generation_errors"] == 0 and r["parse_failure_rate"] == 0.0
    server.reset()
    _run(out, spec)
    assert server.chat_calls() == []


# -- data-parallel ranks --------------------------------------------------------------------------

def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                "MASTER_PORT", "OPENAI_API_KEY"):
        env.pop(key, None)
    env["HF_HOME"] = str(tmp_path / "hf-home")  # no user accelerate config
    return env


def _run_args(spec: str, out: Path, limit: int) -> list[str]:
    return ["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--limit", str(limit),
            "--bootstrap", "0", "-q", "--no-progress", "--shard-timeout", "120"]


def _check_sharded_matches_single(server, tmp_path, spec, single, sharded_out, limit):
    counts = server.calls_per_sample()
    ids = [ref["id"] for ref in _refs(sharded_out)]
    assert len(ids) == limit and counts == {i: 1 for i in ids}  # every sample exactly once
    parts = sorted(p.name for p in (sharded_out / "cache").rglob("*.jsonl"))
    assert any(".part-0." in p for p in parts) and any(".part-1." in p for p in parts), parts
    sharded = json.loads((sharded_out / "results.json").read_text())
    assert strip_volatile(sharded)["results"] == strip_volatile(single)["results"]
    assert _texts(sharded_out, sharded) == _texts(tmp_path / "single", single)


def test_two_ranks_request_each_sample_once_and_match_one_process(server, tmp_path):
    spec, limit = _spec(server), 6
    single = _run(tmp_path / "single", spec, limit)
    server.reset()
    out = tmp_path / "sharded"
    procs = []
    for rank in (1, 0):
        env = _clean_env(tmp_path)
        env.update(RANK=str(rank), WORLD_SIZE="2")
        cmd = [sys.executable, "-m", "timebench", *_run_args(spec, out, limit)]
        procs.append(subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    for p in procs:
        output, _ = p.communicate(timeout=180)
        assert p.returncode == 0, output
    _check_sharded_matches_single(server, tmp_path, spec, single, out, limit)


def _launcher(name: str) -> str | None:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else shutil.which(name)


@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_documented_launch_commands_shard_over_two_processes(server, tmp_path, launcher):
    """The commands in docs/MULTI_GPU.md, on CPU: two processes, every sample requested once."""
    pytest.importorskip("torch")
    exe = _launcher(launcher)
    if exe is None:
        pytest.skip(f"{launcher} is not installed")
    spec, limit = _spec(server), 6
    single = _run(tmp_path / "single", spec, limit)
    server.reset()
    out = tmp_path / "sharded"
    if launcher == "torchrun":
        cmd = [exe, "--standalone", "--nproc_per_node=2", "-m", "timebench"]
    else:
        pytest.importorskip("accelerate")
        cmd = [exe, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "timebench"]
    res = subprocess.run(cmd + _run_args(spec, out, limit), env=_clean_env(tmp_path), cwd=tmp_path,
                         capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stdout + res.stderr
    _check_sharded_matches_single(server, tmp_path, spec, single, out, limit)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery to a child process")
def test_ctrl_c_does_not_wait_for_requests_in_flight(server, tmp_path):
    """Ctrl-C during slow requests ends the run at once (the workers are daemon threads)."""
    import signal

    server.delay = 30.0
    args = _run_args(_spec(server, timeout=60), tmp_path / "r", 3)
    cmd = [sys.executable, "-m", "timebench", *args]
    proc = subprocess.Popen(cmd, env=_clean_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while len(server.chat_calls()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.chat_calls()) == 3  # all three requests are in flight
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 10, output
    assert proc.returncode == 130 and "interrupted" in output, output
