"""A mock OpenAI-compatible chat-completions server for tests (127.0.0.1, ephemeral port).

It answers ``POST /v1/chat/completions`` (and ``GET /v1/models``) like vLLM would for an audio
model, after checking the request's shape: the model name, the messages, exactly one audio part
(``input_audio`` or an ``audio_url`` data URL) whose base64 decodes to a mono 16-bit WAV at the
expected rate, and one text part.  A malformed request gets a 400 with an OpenAI-style error body,
an unknown model a 404 (vLLM's answer).

The answer is deterministic, derived from the prompt and the audio
(:meth:`MockOpenAIServer.answer`), so runs can be compared.  Tests steer failures and timing
through attributes:

* ``fail_first`` / ``fail_status`` / ``retry_after``: the next N chat requests fail with that
  status (and that ``Retry-After`` header, if set);
* ``fail_samples``: ``{sample id: status}`` -- those samples fail every time;
* ``delay``: seconds to wait before answering (for timeout and concurrency tests).

It records every call (:class:`Call`), counts calls per sample (the client sends the sample id in
the ``X-Timebench-Sample`` header) and the largest number of requests in flight at once.  Every
socket it opens is on 127.0.0.1; :meth:`stop` shuts it down.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import threading
import time
import urllib.parse
import wave
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["MockOpenAIServer", "Call", "BadRequest"]


@dataclass
class Call:
    """One request as the server saw it."""

    path: str
    sample: str | None
    status: int = 0
    model: str | None = None
    prompt: str | None = None
    system: str | None = None
    audio_kind: str | None = None        # "input_audio" or "audio_url"
    duration: float | None = None        # seconds of decoded WAV
    sample_rate: int | None = None
    body: dict | None = None
    authorization: str | None = None
    t_start: float = 0.0
    t_end: float = 0.0


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _decode_wav(data: bytes) -> tuple[float, int, bytes]:
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getnchannels() != 1:
                raise BadRequest(f"expected mono audio, got {w.getnchannels()} channels")
            if w.getsampwidth() != 2:
                raise BadRequest(f"expected 16-bit PCM, got {8 * w.getsampwidth()}-bit")
            frames = w.readframes(w.getnframes())
            return w.getnframes() / w.getframerate(), w.getframerate(), frames
    except (wave.Error, EOFError) as exc:
        raise BadRequest(f"the audio is not a WAV file: {exc}") from None


class MockOpenAIServer:
    """See the module docstring.  Use as a context manager or call start()/stop()."""

    def __init__(self, *, model: str = "mock-audio", sample_rate: int = 16000,
                 api_key: str | None = None):
        self.model = model
        self.sample_rate = sample_rate
        self.api_key = api_key
        self.delay = 0.0
        self.fail_first = 0
        self.fail_status = 500
        self.retry_after: str | None = None
        self.fail_samples: dict[str, int] = {}
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> "MockOpenAIServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # http.server naming
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "owned_by": "mock"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                server._handle(self)

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                blob = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(blob)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(blob)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="mock-openai-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "MockOpenAIServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base_url clients use (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- observations -----------------------------------------------------------------------------
    def chat_calls(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.endswith("/chat/completions")]

    def calls_per_sample(self) -> Counter:
        return Counter(c.sample for c in self.chat_calls())

    def reset(self) -> None:
        """Forget recorded calls and failure settings (not the model / rate / key)."""
        with self._lock:
            self.calls.clear()
            self.max_in_flight = 0
            self.fail_first = 0
            self.fail_status = 500
            self.retry_after = None
            self.fail_samples = {}
            self.delay = 0.0

    @staticmethod
    def answer(prompt: str, duration: float, pcm: bytes) -> str:
        """The deterministic answer: a window inside the clip chosen by a hash of prompt+audio."""
        h = hashlib.sha256(prompt.encode() + hashlib.sha256(pcm).digest()).hexdigest()
        frac = int(h[:8], 16) / 2 ** 32
        start = round(frac * 0.5 * duration, 2)
        end = round(start + 0.25 * duration, 2)
        return f"The sound occurs from {start:.2f}s to {end:.2f}s."

    # -- request handling -------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw_sample = h.headers.get("X-Timebench-Sample")
        call = Call(path=h.path, sample=urllib.parse.unquote(raw_sample) if raw_sample else None,
                    authorization=h.headers.get("Authorization"), t_start=time.monotonic())
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        with self._lock:
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fail_now = self.fail_first > 0
            if fail_now:
                self.fail_first -= 1
            fail_status, retry_after = self.fail_status, self.retry_after
            sample_status = self.fail_samples.get(call.sample or "")
            delay = self.delay
        try:
            if delay:
                self._stopping.wait(delay)
            status, payload, headers = self._respond(call, raw, fail_now, fail_status,
                                                     retry_after, sample_status)
            call.status = status
            h._send(status, payload, headers)  # type: ignore[attr-defined]
        finally:
            with self._lock:
                self.in_flight -= 1
                call.t_end = time.monotonic()

    def _respond(self, call: Call, raw: bytes, fail_now: bool, fail_status: int,
                 retry_after: str | None, sample_status: int | None):
        if call.path.rstrip("/") != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {call.path}"}}, None
        if self.api_key is not None and call.authorization != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "invalid API key", "code": 401}}, None
        if fail_now:
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            return fail_status, {"error": {"message": f"mock failure {fail_status}",
                                           "code": fail_status}}, headers
        if sample_status is not None:
            return sample_status, {"error": {"message": f"mock says no to {call.sample}",
                                             "code": sample_status}}, None
        try:
            text = self._validate(call, raw)
        except BadRequest as exc:
            return exc.status, {"object": "error", "message": str(exc), "type": "BadRequestError",
                                "code": exc.status}, None
        return 200, {
            "id": f"chatcmpl-mock-{hashlib.sha1(raw).hexdigest()[:12]}",
            "object": "chat.completion", "created": 0, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()),
                      "total_tokens": 10 + len(text.split())},
        }, None

    def _validate(self, call: Call, raw: bytes) -> str:
        try:
            body = json.loads(raw)
        except ValueError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body is not a JSON object")
        call.body = body
        call.model = body.get("model")
        if call.model != self.model:
            raise BadRequest(f"The model `{call.model}` does not exist.", status=404)
        for key, kind in (("temperature", (int, float)), ("max_tokens", int), ("seed", int)):
            if key in body and (not isinstance(body[key], kind) or isinstance(body[key], bool)):
                raise BadRequest(f"'{key}' has the wrong type: {body[key]!r}")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty list")
        for m in messages[:-1]:
            if not isinstance(m, dict) or m.get("role") != "system" \
                    or not isinstance(m.get("content"), str):
                raise BadRequest("only a system message may precede the user message")
            call.system = m["content"]
        user = messages[-1]
        if not isinstance(user, dict) or user.get("role") != "user" \
                or not isinstance(user.get("content"), list):
            raise BadRequest("the last message must be a user message with a content list")
        audio = [p for p in user["content"] if isinstance(p, dict)
                 and p.get("type") in ("input_audio", "audio_url")]
        texts = [p for p in user["content"] if isinstance(p, dict) and p.get("type") == "text"]
        if len(audio) != 1 or len(texts) != 1 or len(user["content"]) != 2:
            raise BadRequest("expected exactly one audio part and one text part")
        part = audio[0]
        call.audio_kind = part["type"]
        if part["type"] == "input_audio":
            spec = part.get("input_audio") or {}
            if spec.get("format") != "wav":
                raise BadRequest(f"unsupported input_audio format {spec.get('format')!r}")
            data = spec.get("data")
        else:
            url = (part.get("audio_url") or {}).get("url") or ""
            prefix = "data:audio/wav;base64,"
            if not url.startswith(prefix):
                raise BadRequest("audio_url must be a data:audio/wav;base64 URL")
            data = url[len(prefix):]
        try:
            wav = base64.b64decode(data or "", validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the audio is not valid base64") from None
        duration, rate, pcm = _decode_wav(wav)
        if rate != self.sample_rate:
            raise BadRequest(f"expected {self.sample_rate} Hz audio, got {rate} Hz")
        call.duration, call.sample_rate = duration, rate
        prompt = texts[0].get("text")
        if not isinstance(prompt, str) or not prompt:
            raise BadRequest("the text part is empty")
        call.prompt = prompt
        return self.answer(prompt, duration, pcm)
