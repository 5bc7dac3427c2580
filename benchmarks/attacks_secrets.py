"""Attacks of the class "Secrets" (issue 15), run by ``benchmarks/reliability.py``.

Hostile servers on 127.0.0.1 (``tests/helpers/hostile_http.py``) try to get the API key sent to
another origin, stored in a run folder, or to hold a run forever and exhaust memory.  Each attack
records what happened and whether it matches the expected behaviour; ``tests/test_secrets.py``
asserts the same behaviours.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "tests" / "helpers"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from hostile_http import HostileServer  # noqa: E402
from model_adapters import create_adapter  # noqa: E402
from model_adapters.base import Request  # noqa: E402
from timebench.cli import main as cli_main  # noqa: E402

ORDER = 67
CLASS = "Secrets"
ROOT_FIX = ("one redaction pass (`timebench/redact.py`) over every text the runner stores and over "
            "the recorded command and the model's display name (adapter-declared keys, secret-named "
            "environment variables, bearer/`sk-`/`hf_` shapes, `api_key=`); bounded, redirect-safe "
            "HTTP (`model_adapters/http_client.py`): no redirect is followed, a watchdog enforces "
            "an overall deadline per sample, answers are capped at `max_response_bytes`")
AREA = "secrets"
KEY = "sk-reliability-0123456789abcdef"
ENV = "TIMEBENCH_RELIABILITY_KEY"


def _adapter(url: str, **settings):
    base = {"base_url": url, "model": "m", "backoff": 0.01, "max_retries": 1, "timeout": 5.0,
            "api_key_env": ENV}
    return create_adapter("openai", **{**base, **settings})


def _one(url: str, **settings):
    req = Request(id="s0", prompt="When?", task="tag", kind="grounding", seed=0)
    t0 = time.monotonic()
    gen = _adapter(url, **settings).generate([req])[0]
    return gen, time.monotonic() - t0


def _run(out: Path, spec: str, limit: int = 2) -> int:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        return cli_main(["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--limit",
                         str(limit), "--bootstrap", "0", "-q", "--no-progress"])


def _holding(out: Path, needle: str) -> list[str]:
    return [p.relative_to(out).as_posix() for p in out.rglob("*")
            if needle in p.name or (p.is_file() and needle in p.read_text(errors="replace"))]


def _redirect(status: int, target_suffix: str = "/steal"):
    def fn():
        with HostileServer("capture") as other, \
                HostileServer("redirect", status=status,
                              target=other.url.replace("/v1", target_suffix)) as srv:
            gen, _ = _one(srv.url)
        ok = other.requests == 0 and srv.requests == 1 and gen.error and "redirected" in gen.error
        return (f"other origin got {other.requests} request(s); sample error: {gen.error}",
                bool(ok))
    return fn


def _redirect_credentials():
    with HostileServer("redirect", target="http://admin:hunter2pw@127.0.0.1:9/v1?token=t0k3n") as srv:
        gen, _ = _one(srv.url)
    leaked = [w for w in ("hunter2pw", "admin", "t0k3n") if w in (gen.error or "")]
    return f"error: {gen.error}; leaked: {leaked or 'nothing'}", not leaked and bool(gen.error)


def _echo_run(work: Path, status: int, name: str):
    def fn():
        out = work / name
        with HostileServer("echo", status=status) as srv:
            spec = f"openai[base_url={srv.url},model=m,backoff=0.01,max_retries=0,api_key_env={ENV}]"
            rc = _run(out, spec)
        sent = all(a == f"Bearer {KEY}" for a in srv.authorizations) and srv.requests > 0
        files = _holding(out, KEY)
        return (f"exit {rc}; server saw the key: {sent}; files holding it: {files or 'none'}",
                sent and not files and (out / "cache").is_dir())
    return fn


def _env_token_echo(work: Path):
    out = work / "hf-token"
    token = "hf_" + "Q" * 24
    os.environ["HF_TOKEN"] = token
    try:
        with HostileServer("echo", status=200) as srv:
            spec = f"openai[base_url={srv.url},model=m,max_retries=0,api_key_env=HF_TOKEN]"
            rc = _run(out, spec, limit=1)
    finally:
        os.environ.pop("HF_TOKEN", None)
    files = _holding(out, token)
    return f"exit {rc}; files holding the token: {files or 'none'}", not files


def _key_in_spec(work: Path):
    out = work / "spec-key"
    secret = "plainkey-98765432100"
    with HostileServer("echo", status=200) as srv:
        spec = f"openai[base_url={srv.url},model=m,api_key={secret},max_retries=0]"
        rc = _run(out, spec, limit=1)
    files = _holding(out, secret)
    return f"exit {rc}; files or folders holding it: {files or 'none'}", not files


def _drip():
    with HostileServer("drip", interval=0.25, max_seconds=60) as srv:
        gen, took = _one(srv.url, deadline=1.5, max_retries=3)
    return f"{took:.1f} s; {gen.error}", bool(gen.error) and "deadline" in gen.error and took < 4


def _silent():
    with HostileServer("silent", max_seconds=30) as srv:
        gen, took = _one(srv.url, timeout=60.0, deadline=1.0, max_retries=5)
    return f"{took:.1f} s; {gen.error}", bool(gen.error) and took < 3


def _huge(chunked: bool):
    def fn():
        with HostileServer("huge", size=64 * 1024 * 1024, chunked=chunked) as srv:
            gen, took = _one(srv.url, max_response_bytes=1024 * 1024)
        ok = bool(gen.error) and "max_response_bytes" in gen.error and srv.requests == 1
        return f"{took:.1f} s, {srv.requests} request(s); {gen.error}", ok and took < 10
    return fn


def attacks(A) -> None:
    """Run every secrets attack on the :class:`Attacks` recorder ``A``."""
    os.environ[ENV] = KEY
    work = A.work / "secrets"
    work.mkdir(parents=True, exist_ok=True)
    try:
        for status in (301, 302, 303, 307, 308):
            A.run(AREA, f"server answers {status} to another origin",
                  "not followed, no request (no key) reaches the other origin, sample fails "
                  "naming the redirect", _redirect(status))
        A.run(AREA, "redirect Location holds user:password and a token query",
              "the sample's error names the target without them", _redirect_credentials)
        A.run(AREA, "server echoes the key in a 401 error body",
              "the key is in no file of the run folder (masked as ***)",
              _echo_run(work, 401, "echo-401"))
        A.run(AREA, "server echoes the key in a 500 error body (retried)",
              "the key is in no file of the run folder", _echo_run(work, 500, "echo-500"))
        A.run(AREA, "server echoes the key inside a successful answer",
              "the stored answer has *** instead", _echo_run(work, 200, "echo-200"))
        A.run(AREA, "server echoes an HF_TOKEN taken from the environment",
              "the token is in no file", lambda: _env_token_echo(work))
        A.run(AREA, "api_key=... given in the --models text",
              "the key is in no file and no folder name", lambda: _key_in_spec(work))
        A.run(AREA, "server drips one byte every 0.25 s (socket timeout 5 s, deadline 1.5 s)",
              "the sample fails at the deadline, retries included", _drip)
        A.run(AREA, "server accepts and never answers (timeout 60 s, deadline 1 s)",
              "the sample fails at the deadline", _silent)
        A.run(AREA, "64 MiB answer with Content-Length (cap 1 MiB)",
              "fails at once without reading the body, not retried", _huge(False))
        A.run(AREA, "64 MiB chunked answer without a length (cap 1 MiB)",
              "fails after reading at most 1 MiB, not retried", _huge(True))
    finally:
        os.environ.pop(ENV, None)
