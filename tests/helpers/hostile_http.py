"""Hostile HTTP servers on 127.0.0.1 for the secrets and cost attacks (tests and reliability).

One :class:`HostileServer` answers every request the way its ``mode`` says:

* ``redirect``: ``status`` (302 by default) with ``Location: target``;
* ``capture``: a valid chat completion; records the ``Authorization`` header of every request;
* ``echo``: the request's ``Authorization`` header echoed back, as the error message of a
  ``status`` (401 by default) answer, or inside a completion's text when ``status`` is 200;
* ``drip``: a 200 whose JSON body comes one byte every ``interval`` seconds (at most
  ``max_seconds`` in all);
* ``huge``: a 200 of ``size`` bytes, with a true ``Content-Length`` or (``chunked=True``) none;
* ``silent``: accepts the request and sends nothing (for at most ``max_seconds``).

Every socket is on the loopback interface and every loop is bounded in count and time;
:meth:`stop` ends the server.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["HostileServer", "completion_body"]


def completion_body(text: str) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text}}]}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        self._answer()

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 64 * 1024 * 1024))
        self._answer()

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _answer(self):
        owner = self.server.owner
        auth = self.headers.get("Authorization")
        with owner.lock:
            owner.requests += 1
            owner.authorizations.append(auth)
        mode = owner.mode
        if mode == "redirect":
            self._send(owner.status or 302, b"", {"Location": owner.target})
        elif mode == "capture":
            self._send(200, completion_body("from 1.0 to 2.0 seconds"))
        elif mode == "echo":
            if (owner.status or 401) == 200:
                self._send(200, completion_body(f"1.0 - 2.0 (you sent {auth})"))
            else:
                err = {"error": {"message": f"invalid credentials: {auth}", "type": "auth"}}
                self._send(owner.status or 401, json.dumps(err).encode())
        elif mode == "drip":
            body = completion_body("from 1.0 to 2.0 seconds")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            t_end = time.monotonic() + owner.max_seconds
            for i in range(len(body)):
                if owner.stopping.is_set() or time.monotonic() > t_end:
                    return
                try:
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                owner.stopping.wait(owner.interval)
        elif mode == "silent":
            owner.stopping.wait(owner.max_seconds)
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if owner.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(owner.size))
            self.send_header("Connection", "close")
            self.end_headers()
            block = b" " * 65536
            sent = 0
            try:
                while sent < owner.size and not owner.stopping.is_set():
                    part = block[:min(len(block), owner.size - sent)]
                    if owner.chunked:
                        self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                    else:
                        self.wfile.write(part)
                    sent += len(part)
                if owner.chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                return
        else:  # pragma: no cover - a typo in a test
            self._send(500, b'{"error": "unknown mode"}')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "HostileServer"


class HostileServer:
    """A misbehaving server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, mode: str, *, status: int | None = None, target: str = "",
                 interval: float = 1.0, max_seconds: float = 30.0, size: int = 0,
                 chunked: bool = False):
        self.mode, self.status, self.target = mode, status, target
        self.interval, self.max_seconds = interval, max_seconds
        self.size, self.chunked = size, chunked
        self.requests = 0
        self.authorizations: list[str | None] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
