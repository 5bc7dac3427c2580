"""Secrets and cost traps at the HTTP boundary (issue 15, class "Secrets").

Against hostile servers on 127.0.0.1 (``tests/helpers/hostile_http.py``): a redirect never
carries the key to another origin, a key echoed by a server is stored nowhere, a server that
drips bytes is cut off at the sample's deadline, and an oversized answer fails without being
read whole.  Plus the redaction rules themselves.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostile_http import HostileServer
from model_adapters import create_adapter
from model_adapters.base import Request
from timebench.cli import main
from timebench.redact import MASK, Redactor, env_secrets, redact_command

KEY = "sk-test-0123456789abcdefSECRET"


def _adapter(url: str, **settings):
    base = {"base_url": url, "model": "m", "backoff": 0.01, "max_retries": 1, "timeout": 5.0,
            "api_key_env": "TIMEBENCH_TEST_KEY"}
    return create_adapter("openai", **{**base, **settings})


def _req(i: int = 0) -> Request:
    return Request(id=f"s{i}", prompt="When?", task="tag", kind="grounding", seed=i)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TIMEBENCH_TEST_KEY", KEY)


# -- redaction rules ------------------------------------------------------------------------------

def test_known_values_and_credential_shapes_are_masked():
    r = Redactor(["my-very-secret-value"], environ={})
    assert r.text("x my-very-secret-value y") == f"x {MASK} y"
    assert r.text("Authorization: Bearer abcdefgh12345678") == f"Authorization: Bearer {MASK}"
    assert r.text(f"key {KEY} end") == f"key {MASK} end"
    assert r.text("token hf_ABCDEFGHIJKLMNOPQRSTUV") == f"token {MASK}"
    assert r.text("openai[api_key=abc,model=m]") == f"openai[api_key={MASK},model=m]"
    assert r.text('{"api_key": "zzz"}') == '{"api_key": "' + MASK + '"}'


def test_ordinary_answers_are_left_alone():
    r = Redactor([], environ={})
    for text in ("The dog barks from sk-8 seconds to 9 s.", "bearer of news at 3.5 s",
                 "hf_ 12 to 14", "0.5 - 3.25", "token ring from 1 to 2 seconds"):
        assert r.text(text) == text


def test_longest_secret_wins_and_values_nest():
    r = Redactor(["abcdefgh", "abcdefgh-longer"], environ={})
    assert r.text("abcdefgh-longer") == MASK
    assert r.value({"a": ["x abcdefgh", {"abcdefgh": 1.5}], "n": 3}) == \
        {"a": [f"x {MASK}", {MASK: 1.5}], "n": 3}


def test_environment_secrets_by_name_only():
    env = {"OPENAI_API_KEY": "k" * 12, "HF_TOKEN": "t" * 10, "MY_PASSWORD": "p" * 9,
           "HOME": "/root/somewhere", "SHORT_TOKEN": "abc", "PATH": "/usr/bin:/bin"}
    assert set(env_secrets(env)) == {"k" * 12, "t" * 10, "p" * 9}
    assert Redactor([], environ=env).text("/root/somewhere " + "k" * 12) == f"/root/somewhere {MASK}"


def test_recorded_command_hides_settings_and_environment_keys(monkeypatch):
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-1234567890")
    cmd = redact_command("timebench run --models openai[api_key=plain,model=m] # tok-1234567890")
    assert "plain" not in cmd and "tok-1234567890" not in cmd


# -- redirects ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_the_key_never_leaves(status):
    with HostileServer("capture") as other, \
            HostileServer("redirect", status=status,
                          target=other.url.replace("/v1", "/steal?x=1")) as srv:
        gen = _adapter(srv.url).generate([_req()])[0]
    assert other.requests == 0 and not other.authorizations
    assert srv.requests == 1  # a redirect is not retried
    assert gen.text is None and f"HTTP {status}" in gen.error and "redirected to" in gen.error
    assert "steal" in gen.error and "x=1" not in gen.error


def test_a_redirect_location_with_credentials_is_not_repeated():
    with HostileServer("redirect", target="http://user:hunter2pass@127.0.0.1:9/v1") as srv:
        gen = _adapter(srv.url).generate([_req()])[0]
    assert "hunter2pass" not in gen.error and "user" not in gen.error


# -- deadline and size caps -----------------------------------------------------------------------

def test_a_dripping_server_is_cut_off_at_the_deadline():
    with HostileServer("drip", interval=0.2, max_seconds=60) as srv:
        t0 = time.monotonic()
        gen = _adapter(srv.url, timeout=5.0, deadline=1.5, max_retries=3).generate([_req()])[0]
        took = time.monotonic() - t0
    assert gen.text is None and "deadline" in gen.error
    assert took < 4.0, took  # each byte came within the 5 s socket timeout


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_answer_fails_without_being_read_whole(chunked):
    size = 40 * 1024 * 1024
    with HostileServer("huge", size=size, chunked=chunked) as srv:
        t0 = time.monotonic()
        gen = _adapter(srv.url, max_response_bytes=1024 * 1024).generate([_req()])[0]
        took = time.monotonic() - t0
    assert gen.text is None and "max_response_bytes" in gen.error
    assert srv.requests == 1  # not retried
    assert took < 10


def test_settings_for_the_caps_are_validated():
    from timebench.errors import InputError

    for bad in ({"deadline": 0}, {"deadline": -1.0}, {"max_response_bytes": 0}):
        with pytest.raises(InputError):
            _adapter("http://127.0.0.1:9/v1", **bad)
    adapter = _adapter("http://127.0.0.1:9/v1", deadline=30, max_response_bytes=10)
    # runtime settings: they change no answer, so they stay out of the fingerprint
    assert "deadline" not in adapter.config() and "max_response_bytes" not in adapter.config()


# -- a key echoed by the server is stored nowhere -------------------------------------------------

def _files_holding(out: Path, needle: str) -> list[str]:
    return [p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.is_file() and needle in p.read_text(errors="replace")]


@pytest.mark.parametrize("status", [401, 500, 200])
def test_a_key_echoed_by_the_server_is_stored_nowhere(tmp_path, status):
    out = tmp_path / "run"
    with HostileServer("echo", status=status) as srv:
        spec = (f"openai[base_url={srv.url},model=m,backoff=0.01,max_retries=0,"
                "api_key_env=TIMEBENCH_TEST_KEY]")
        main(["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--limit", "2",
              "--bootstrap", "0", "-q", "--no-progress"])
    assert srv.requests >= 1 and all(a == f"Bearer {KEY}" for a in srv.authorizations)
    cache = [p for p in out.rglob("*.jsonl") if "cache" in p.parts]
    assert cache, "the run stored no cache"
    assert _files_holding(out, KEY) == []
    assert _files_holding(out, "0123456789abcdef") == []
    assert any(MASK in p.read_text() for p in cache)


def test_a_key_given_as_a_setting_is_not_recorded(tmp_path):
    out = tmp_path / "run"
    with HostileServer("echo", status=200) as srv:
        spec = f"openai[base_url={srv.url},model=m,api_key=plainkey-4242424242,max_retries=0]"
        with pytest.warns(UserWarning):
            main(["run", "--tasks", "tag", "--models", spec, "--out", str(out), "--limit", "1",
                  "--bootstrap", "0", "-q", "--no-progress"])
    assert srv.authorizations == ["Bearer plainkey-4242424242"]
    assert _files_holding(out, "plainkey-4242424242") == []
