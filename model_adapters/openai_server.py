"""OpenAI-compatible chat-completions adapter (vLLM, SGLang, LiteLLM, OpenAI itself).

Each request becomes one ``POST {base_url}/chat/completions`` whose user message carries the
clip as base64 16-bit PCM WAV and the task prompt::

    {"model": "Qwen/Qwen2-Audio-7B-Instruct", "temperature": 0, "max_tokens": 512, "seed": 123,
     "messages": [{"role": "user", "content": [
         {"type": "input_audio", "input_audio": {"data": "<base64 wav>", "format": "wav"}},
         {"type": "text", "text": "What are the start and end times of ...?"}]}]}

``input_audio`` is the OpenAI chat-completions audio part, which vLLM's OpenAI server accepts
too; ``audio_input=audio_url`` sends the vLLM form
``{"type": "audio_url", "audio_url": {"url": "data:audio/wav;base64,..."}}`` instead (both shapes
are shown in vLLM's ``openai_chat_completion_client_for_multimodal.py`` example).

Reliability (docs/SERVING.md):

* at most ``concurrency`` requests are in flight (that many daemon worker threads per call);
* 429, 408, 5xx, connection errors and timeouts are retried up to ``max_retries`` times with
  exponential backoff ``backoff * 2**attempt`` times a random jitter in [0.5, 1.5), or exactly the
  server's ``Retry-After`` when it sends one, each wait capped at ``backoff_max`` seconds;
* any other 4xx fails at once with the server's own message;
* a request that still fails comes back as ``Generation(error=...)`` -- :meth:`generate` never
  raises for one bad sample.  The runner caches it as an error, so the next run requests that
  sample again and never a sample that already has an answer;
* ``timeout`` bounds each socket operation and ``deadline`` one sample in all (attempts, waits
  and reads): a server that drips bytes cannot hold a run; an answer longer than
  ``max_response_bytes`` fails without being held in memory; redirects are never followed, so
  the key is never sent to another origin (:mod:`model_adapters.http_client`).

Only the standard library does the HTTP (``urllib.request``); no ``openai``/``requests``
dependency, and no torch.  The API key (``api_key`` setting, else the environment variable named
by ``api_key_env``, default ``OPENAI_API_KEY``, else ``"EMPTY"``) is kept out of
:attr:`settings`, :meth:`config` and the fingerprint, and :meth:`secrets` hands it to the
runner, which replaces it by ``***`` wherever a server echoes it (:mod:`timebench.redact`).  The fingerprint holds what can change an
answer: the served ``model`` name and the generation settings -- not the server address, so a
restarted or moved server resumes the same cache.
"""

from __future__ import annotations

import base64
import difflib
import io
import ipaddress
import json
import os
import random
import socket
import threading
import time
import urllib.parse
import urllib.request
import warnings
import wave
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from timebench.errors import InputError

from .base import Generation, ModelAdapter, Request
from .http_client import (RETRY_STATUSES, HttpFailure, backoff_delay, build_opener,  # noqa: F401
                          parse_retry_after, post_json, server_message)

__all__ = ["OpenAIChatAdapter", "encode_wav", "audio_content_part", "parse_retry_after",
           "backoff_delay", "completion_text", "SAMPLE_HEADER"]

#: Header carrying the (percent-encoded) sample id, for server-side logs.
SAMPLE_HEADER = "X-Timebench-Sample"

AUDIO_INPUTS = ("input_audio", "audio_url")


# -- audio ----------------------------------------------------------------------------------------

def encode_wav(waveform: Any, *, sample_rate: int) -> bytes:
    """A mono float waveform in [-1, 1] as a 16-bit PCM WAV file (bytes), via :mod:`wave`.

    Samples are clipped to [-1, 1] and scaled by 32767 with round-half-to-even, so full scale
    maps to +-32767 (the symmetric convention; libsndfile reads it back as x * 32767 / 32768).
    """
    x = np.asarray(waveform, dtype=np.float32)  # the runner's dtype; float32 math is 3x faster
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(f"expected a mono waveform, got an array of shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("the waveform holds NaN or infinite samples")
    pcm = np.rint(np.clip(x, -1.0, 1.0) * np.float32(32767.0)).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def audio_content_part(wav: bytes, *, mode: str = "input_audio", audio_format: str = "wav"
                       ) -> dict[str, Any]:
    """The chat content part for a clip: OpenAI ``input_audio`` or vLLM ``audio_url`` data URL."""
    data = base64.b64encode(wav).decode("ascii")
    if mode == "input_audio":
        return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
    if mode == "audio_url":
        url = f"data:audio/{audio_format};base64,{data}"
        return {"type": "audio_url", "audio_url": {"url": url}}
    raise ValueError(f"unknown audio_input {mode!r}; expected one of {', '.join(AUDIO_INPUTS)}")


# -- responses ------------------------------------------------------------------------------------

_Failure = HttpFailure
_server_message = server_message


def completion_text(data: Any) -> tuple[str, dict[str, Any]]:
    """``(text, meta)`` from a chat-completions response body.

    The text is ``choices[0].message.content`` (a list of text parts is joined; ``null`` is
    ``""``); meta keeps ``finish_reason``, ``usage`` and the answering ``model``.
    """
    if not isinstance(data, dict):
        raise _Failure("the server's answer is not a JSON object", retryable=False)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        detail = _server_message(json.dumps(data).encode()) if "error" in data else "no choices"
        raise _Failure(f"the server's answer has no completion: {detail}", retryable=False)
    message = choices[0].get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    meta: dict[str, Any] = {}
    if choices[0].get("finish_reason") is not None:
        meta["finish_reason"] = choices[0]["finish_reason"]
    if isinstance(data.get("usage"), dict):
        meta["usage"] = data["usage"]
    if data.get("model") is not None:
        meta["model"] = data["model"]
    return ("" if content is None else str(content)), meta


# -- settings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Setting:
    default: Any
    types: tuple[type, ...]
    doc: str
    runtime: bool = False
    check: Callable[[Any], bool] | None = None
    rule: str = ""


def _positive(v: Any) -> bool:
    return v > 0


def _non_negative(v: Any) -> bool:
    return v >= 0


SETTINGS: dict[str, _Setting] = {
    "base_url": _Setting(None, (str,), "server root including /v1, e.g. http://127.0.0.1:8000/v1",
                         runtime=True),
    "model": _Setting(None, (str,), "the served model name (vLLM --served-model-name)"),
    "api_key_env": _Setting("OPENAI_API_KEY", (str,), "environment variable holding the key",
                            runtime=True),
    "concurrency": _Setting(8, (int,), "requests in flight at most", True, _positive,
                            "must be >= 1"),
    "timeout": _Setting(120.0, (float,), "seconds per socket operation (connect, each read)",
                        True, _positive, "must be > 0"),
    "deadline": _Setting(600.0, (float,), "seconds for one sample in all: every attempt, wait and "
                         "read (a server that drips bytes is cut off)", True, _positive,
                         "must be > 0"),
    "max_response_bytes": _Setting(16 * 1024 * 1024, (int,), "longest answer body read; a "
                                   "longer one fails the sample", True, _positive, "must be >= 1"),
    "max_retries": _Setting(5, (int,), "retries after the first attempt", True, _non_negative,
                            "must be >= 0"),
    "backoff": _Setting(1.0, (float,), "base wait in seconds (doubles per retry, jittered)", True,
                        _non_negative, "must be >= 0"),
    "backoff_max": _Setting(60.0, (float,), "longest single wait, Retry-After included", True,
                            _non_negative, "must be >= 0"),
    "max_audio_seconds": _Setting(None, (float,), "longer clips are recorded as failures", True,
                                  _positive, "must be > 0"),
    "batch_size": _Setting(None, (int,), "samples per adapter call (default 4 x concurrency)",
                           True, _positive, "must be >= 1"),
    "temperature": _Setting(0.0, (float,), "sampling temperature", False, _non_negative,
                            "must be >= 0"),
    "max_tokens": _Setting(512, (int,), "longest answer in tokens", False, _positive,
                           "must be >= 1"),
    "system": _Setting(None, (str,), "optional system prompt"),
    "audio_input": _Setting("input_audio", (str,), "input_audio (OpenAI) or audio_url (data URL)",
                            False, lambda v: v in AUDIO_INPUTS, "must be input_audio or audio_url"),
    "audio_format": _Setting("wav", (str,), "container sent to the server", False,
                             lambda v: v == "wav", "only wav (16-bit PCM) is supported"),
    "sample_rate": _Setting(16000, (int,), "rate the clip is resampled to before encoding", False,
                            _positive, "must be > 0"),
    "send_seed": _Setting(True, (bool,), "send the per-sample seed as the request's `seed`"),
    "preflight": _Setting(True, (bool,), "before the first request, check that the server's port "
                          "accepts connections; if not, every sample fails at once (no retries)",
                          True),
}


def _coerce(key: str, value: Any, spec: _Setting, adapter: str) -> Any:
    if value is None and spec.default is None:
        return None
    if str in spec.types and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # `model=7` read as YAML
    if float in spec.types and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in spec.types or not isinstance(value, spec.types):
        names = " or ".join(t.__name__ for t in spec.types)
        raise InputError(f"adapter '{adapter}': expected {names}, got {value!r}", field=key)
    if spec.check is not None and not spec.check(value):
        raise InputError(f"adapter '{adapter}': {spec.rule}, got {value!r}", field=key)
    return value


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the adapter ----------------------------------------------------------------------------------

class OpenAIChatAdapter(ModelAdapter):
    """Any model behind an OpenAI-compatible chat-completions server (audio as base64 WAV)."""

    name: ClassVar[str] = "openai"
    version: ClassVar[str] = "1"
    outputs: ClassVar[frozenset[str]] = frozenset({"text"})
    runtime_settings: ClassVar[frozenset[str]] = ModelAdapter.runtime_settings | frozenset(
        key for key, spec in SETTINGS.items() if spec.runtime)

    def __init__(self, **settings: Any) -> None:
        api_key = settings.pop("api_key", None)
        resolved: dict[str, Any] = {}
        for key, value in settings.items():
            spec = SETTINGS.get(key)
            if spec is None:
                known = sorted([*SETTINGS, "api_key"])
                close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
                hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close \
                    else f"known: {', '.join(known)}"
                raise InputError(f"unknown setting '{key}' for adapter '{self.name}'; {hint}",
                                 field=key)
            resolved[key] = _coerce(key, value, spec, self.name)
        for key, spec in SETTINGS.items():
            resolved.setdefault(key, spec.default)
        for key in ("base_url", "model"):
            if not resolved[key]:
                raise InputError(f"adapter '{self.name}' needs the setting '{key}', e.g. "
                                 "openai[base_url=http://127.0.0.1:8000/v1,model=NAME]", field=key)
        url = urllib.parse.urlsplit(resolved["base_url"])
        if url.scheme not in ("http", "https") or not url.netloc:
            raise InputError(f"adapter '{self.name}': base_url must be an http(s) URL, got "
                             f"{resolved['base_url']!r}", field="base_url")
        if resolved["batch_size"] is None:
            del resolved["batch_size"]  # the runner then uses default_batch_size
        super().__init__(**resolved)
        if api_key is not None:
            warnings.warn("an api_key setting is stored wherever the setting is written (the "
                          "--models text is recorded in results.json); prefer the environment "
                          "variable named by api_key_env", UserWarning, stacklevel=2)
        self._api_key = str(api_key) if api_key is not None else \
            os.environ.get(resolved["api_key_env"]) or "EMPTY"
        self.endpoint = resolved["base_url"].rstrip("/") + "/chat/completions"
        # instance values shadow the class defaults the runner reads
        self.sample_rate = int(resolved["sample_rate"])  # type: ignore[misc]
        self.max_audio_seconds = resolved["max_audio_seconds"]  # type: ignore[misc]
        self.default_batch_size = max(8, 4 * int(resolved["concurrency"]))
        self._opener = build_opener(use_env_proxies=not _is_loopback(url.hostname))
        self._rng = random.Random()    # jitter only; never touches the global RNG
        self._closing = threading.Event()
        self._reached = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config()})"  # never the key

    # -- protocol ---------------------------------------------------------------------------------
    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """One chat completion per request, ``concurrency`` at a time; never raises per sample.

        The workers are daemon threads (not a ``ThreadPoolExecutor``, whose threads the
        interpreter joins at exit): Ctrl-C stops a run at once instead of waiting up to
        ``timeout`` for the requests in flight.
        """
        self._closing.clear()
        unreachable = self._preflight()
        if unreachable:
            return [Generation(error=unreachable, meta={"attempts": 0}) for _ in requests]
        results: list[Generation | None] = [None] * len(requests)
        todo = iter(range(len(requests)))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                results[i] = self._complete_safely(requests[i])

        workers = [threading.Thread(target=work, daemon=True, name=f"timebench-openai-{k}")
                   for k in range(min(int(self.settings["concurrency"]), len(requests)))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return [g if g is not None else Generation(error="no answer (adapter closed)")
                for g in results]

    def _preflight(self) -> str | None:
        """Once, until it succeeds: can a TCP connection reach the server?  A refused connection
        or an unknown host gives a clear message at once instead of minutes of retries on every
        sample.  Skipped behind a proxy (the proxy, not this host, reaches the server)."""
        if self._reached or not self.settings.get("preflight", True):
            return None
        url = urllib.parse.urlsplit(self.endpoint)
        host = url.hostname or ""
        if not _is_loopback(host) and urllib.request.getproxies().get(url.scheme) \
                and not urllib.request.proxy_bypass(host):
            return None
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            with socket.create_connection((host, port), timeout=min(5.0, self.settings["timeout"])):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return (f"cannot reach {self.settings['base_url']}: {reason} (checked before sending; "
                    "no request was sent: is the server running and base_url right?)")
        self._reached = True
        return None

    def close(self) -> None:
        """Stop retrying and sending; queued requests of a running :meth:`generate` fail."""
        self._closing.set()

    def secrets(self) -> tuple[str, ...]:
        """The API key, hidden by the runner in everything it stores (an echo in an error body
        included)."""
        return (self._api_key,) if self._api_key and self._api_key != "EMPTY" else ()

    def build_body(self, request: Request) -> dict[str, Any]:
        """The chat-completions request body for one sample (audio part first, then the text)."""
        s = self.settings
        content: list[dict[str, Any]] = []
        wav = self._waveform(request)
        if wav is not None:
            blob = encode_wav(wav, sample_rate=self.sample_rate)
            content.append(audio_content_part(blob, mode=s["audio_input"],
                                              audio_format=s["audio_format"]))
        content.append({"type": "text", "text": request.prompt})
        messages: list[dict[str, Any]] = []
        if s["system"]:
            messages.append({"role": "system", "content": s["system"]})
        messages.append({"role": "user", "content": content})
        body: dict[str, Any] = {"model": s["model"], "messages": messages,
                                "temperature": s["temperature"], "max_tokens": s["max_tokens"],
                                "stream": False}
        if s["send_seed"]:
            body["seed"] = int(request.seed)
        return body

    def _waveform(self, request: Request):
        if request.waveform is not None:
            wav = np.asarray(request.waveform, dtype=np.float32)
            sr = request.sample_rate or self.sample_rate
            if sr != self.sample_rate:
                from timebench.datasets.audio import resample

                wav = resample(wav.reshape(-1), int(sr), self.sample_rate)
            return wav
        if request.audio:
            from timebench.datasets.audio import read_audio

            return read_audio(request.audio, target_sr=self.sample_rate)[0]
        return None

    def _headers(self, request: Request) -> dict[str, str]:
        return {"Content-Type": "application/json", "Accept": "application/json",
                "Authorization": f"Bearer {self._api_key}",
                SAMPLE_HEADER: urllib.parse.quote(request.id, safe="#:/-_.~@+=,")}

    def _complete_safely(self, request: Request) -> Generation:
        try:
            return self._complete(request)
        except Exception as exc:  # noqa: BLE001 - one bad sample never stops the run
            return Generation(error=f"{type(exc).__name__}: {exc}")

    def _complete(self, request: Request) -> Generation:
        if self._closing.is_set():
            return Generation(error="the adapter was closed before this request was sent")
        try:
            payload = json.dumps(self.build_body(request)).encode("utf-8")
        except (ValueError, OSError, InputError) as exc:
            return Generation(error=f"cannot encode the request: {exc}")
        headers = self._headers(request)
        s = self.settings
        attempts, last = 0, None
        t0 = time.perf_counter()
        end = time.monotonic() + float(s["deadline"])
        for attempt in range(int(s["max_retries"]) + 1):
            left = end - time.monotonic()
            if left <= 0:
                break
            attempts += 1
            try:
                text, meta = completion_text(post_json(
                    self._opener, self.endpoint, payload, headers, timeout=float(s["timeout"]),
                    deadline=left, max_bytes=int(s["max_response_bytes"])))
                meta.update(attempts=attempts, latency_s=round(time.perf_counter() - t0, 4))
                return Generation(text=text, meta=meta)
            except _Failure as failure:
                last = failure
                if not failure.retryable or attempt == int(s["max_retries"]):
                    break
                wait = backoff_delay(attempt, base=float(s["backoff"]), cap=float(s["backoff_max"]),
                                     retry_after=failure.retry_after, rng=self._rng.random)
                if wait >= end - time.monotonic() or self._closing.wait(wait):
                    break
        if last is None:
            return Generation(error=f"no answer within the deadline of {float(s['deadline']):g} s",
                              meta={"attempts": attempts})
        message = str(last)
        if last.retryable and attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        meta: dict[str, Any] = {"attempts": attempts}
        if last.status is not None:
            meta["status"] = last.status
        return Generation(error=message, meta=meta)
