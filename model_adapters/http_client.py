"""Bounded, redirect-safe JSON over HTTP for the server adapters (standard library only).

Three guarantees, each against a server that misbehaves or is hostile:

* **No redirects.**  A request carries the API key in its ``Authorization`` header; urllib's
  default handler would follow a 301/302/303 to any origin (as a GET with every header copied).
  A redirect is answered with a failure that names where the server pointed to: set ``base_url``
  to the final address.
* **An overall deadline.**  The socket timeout bounds each connect and each read, so a server that
  drips one byte a second never trips it.  A watchdog timer shuts the connection's socket down when
  the request's deadline passes (connect, send, wait, headers and body together); the read then
  fails and the attempt is reported as over the deadline.
* **A body cap.**  At most ``max_bytes`` of an answer are read (an error body: at most 64 KiB);
  a longer answer fails without being held in memory, whatever its ``Content-Length`` claims.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import json
import math
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Mapping

__all__ = ["HttpFailure", "DeadlineWatch", "build_opener", "post_json", "parse_retry_after",
           "backoff_delay", "server_message", "RETRY_STATUSES", "ERROR_BODY_CAP"]

RETRY_STATUSES = frozenset({408, 429})      # plus every 5xx
ERROR_BODY_CAP = 64 * 1024


class HttpFailure(Exception):
    """One failed attempt: its message, whether to retry, and the server's Retry-After."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


# -- retry policy ---------------------------------------------------------------------------------

def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 10.2.3), or None if absent/bad.

    Accepts delay-seconds (``"3"``; a decimal such as ``"0.5"`` is accepted too) and an
    HTTP-date; a date in the past gives 0.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None,
                  rng: Callable[[], float] = random.random) -> float:
    """Wait before retry number ``attempt + 1`` (``attempt`` counts from 0).

    ``Retry-After`` wins when the server sent one; otherwise ``base * 2**attempt`` times a jitter
    factor drawn uniformly from [0.5, 1.5).  Both are capped at ``cap`` seconds.
    """
    if retry_after is not None:
        return min(max(0.0, retry_after), cap)
    return min(base * (2 ** attempt) * (0.5 + rng()), cap)


def server_message(raw: bytes, limit: int = 500) -> str:
    """The error message in an OpenAI / vLLM error body, else the body text (truncated)."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and err.get("message"):
            text = str(err["message"])
        elif isinstance(err, str):
            text = err
        elif data.get("message"):
            text = str(data["message"])
    return text[:limit] + ("..." if len(text) > limit else "") if text else "(empty body)"


# -- the overall deadline -------------------------------------------------------------------------

class DeadlineWatch:
    """Shuts a request's socket down when its deadline passes (a daemon timer thread)."""

    def __init__(self, seconds: float):
        self.seconds = max(0.0, float(seconds))
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> "DeadlineWatch":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Watched:
    """Mixin: hand the connection's socket to the request's :class:`DeadlineWatch`."""

    sock: socket.socket | None

    def __init__(self, *args: Any, watch: DeadlineWatch | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._watch = watch

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self._watch is not None:
            self._watch.attach(self.sock)


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request):
        conn = functools.partial(_WatchedHTTPConnection, watch=getattr(req, "timebench_watch", None))
        return self.do_open(conn, req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request):
        conn = functools.partial(_WatchedHTTPSConnection,
                                 watch=getattr(req, "timebench_watch", None))
        kwargs: dict[str, Any] = {"context": getattr(self, "_context", None)}
        if getattr(self, "_check_hostname", None) is not None:  # Python < 3.12 passes it on
            kwargs["check_hostname"] = self._check_hostname
        return self.do_open(conn, req, **kwargs)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the 3xx surfaces as an HTTPError (see :func:`post_json`)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def build_opener(*, use_env_proxies: bool) -> urllib.request.OpenerDirector:
    """An opener with the deadline watch, no redirects, and env proxies only if asked."""
    proxies = urllib.request.ProxyHandler() if use_env_proxies else urllib.request.ProxyHandler({})
    return urllib.request.build_opener(proxies, _WatchedHTTPHandler(), _WatchedHTTPSHandler(),
                                       _RefuseRedirects())


def _where(location: str | None) -> str:
    """A redirect target without user info, query or fragment (they may hold secrets)."""
    if not location:
        return "(no Location header)"
    parts = urllib.parse.urlsplit(location)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")) or "(relative)"


def _read_capped(resp: Any, cap: int, watch: DeadlineWatch) -> bytes:
    length = resp.headers.get("Content-Length") if getattr(resp, "headers", None) else None
    if length is not None and length.strip().isdigit() and int(length) > cap:
        raise HttpFailure(f"the server's answer is {int(length)} bytes, more than max_response_bytes"
                          f"={cap}", retryable=False)
    raw = resp.read(cap + 1)
    if watch.expired:
        raise TimeoutError("deadline")
    if len(raw) > cap:
        raise HttpFailure(f"the server's answer is longer than max_response_bytes={cap}",
                          retryable=False)
    return raw


def post_json(opener: urllib.request.OpenerDirector, url: str, payload: bytes,
              headers: Mapping[str, str], *, timeout: float, deadline: float,
              max_bytes: int) -> Any:
    """POST ``payload`` and return the decoded JSON answer, or raise :class:`HttpFailure`.

    ``timeout`` bounds each socket operation, ``deadline`` (seconds from now) the whole attempt,
    ``max_bytes`` the answer's size.
    """
    if deadline <= 0:
        raise HttpFailure("no time left before the request's deadline", retryable=False)
    req = urllib.request.Request(url, data=payload, headers=dict(headers), method="POST")
    watch = DeadlineWatch(deadline)
    req.timebench_watch = watch  # type: ignore[attr-defined]
    over = f"no complete answer within the deadline ({deadline:.1f} s left for this attempt)"
    with watch:
        try:
            with opener.open(req, timeout=min(timeout, deadline)) as resp:
                raw = _read_capped(resp, max_bytes, watch)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
            try:
                body = exc.read(ERROR_BODY_CAP) or b""
            except Exception:  # noqa: BLE001 - a body we cannot read does not change the status
                body = b""
            finally:
                exc.close()
            if 300 <= status < 400:
                where = _where(exc.headers.get("Location") if exc.headers else None)
                raise HttpFailure(f"HTTP {status}: the server redirected to {where}; redirects are "
                                  "not followed (the request carries the API key): set base_url "
                                  "to the final address", status=status, retryable=False) from None
            message = server_message(body) if body else (exc.reason or "(no body)")
            raise HttpFailure(f"HTTP {status}: {message}", status=status,
                              retryable=status in RETRY_STATUSES or status >= 500,
                              retry_after=parse_retry_after(exc.headers.get("Retry-After")
                                                            if exc.headers else None)) from None
        except HttpFailure:
            raise
        except TimeoutError as exc:  # socket.timeout is TimeoutError since Python 3.10
            if watch.expired:
                raise HttpFailure(over, retryable=True) from None
            raise HttpFailure(f"no answer within the timeout of {timeout:g} s ({exc})",
                              retryable=True) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if watch.expired:
                raise HttpFailure(over, retryable=True) from None
            if isinstance(reason, TimeoutError):
                raise HttpFailure(f"no answer within the timeout of {timeout:g} s ({reason})",
                                  retryable=True) from None
            raise HttpFailure(f"cannot reach {url}: {reason}", retryable=True) from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if watch.expired:
                raise HttpFailure(over, retryable=True) from None
            raise HttpFailure(f"connection to {url} failed: {type(exc).__name__}: {exc}",
                              retryable=True) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HttpFailure(f"the server's answer is not JSON: {server_message(raw, 200)}",
                          retryable=False) from None
