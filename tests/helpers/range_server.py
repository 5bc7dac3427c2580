"""A small static file server on 127.0.0.1 with HTTP Range support, for download tests.

``serve(folder)`` is a context manager yielding the base URL; the server runs in a daemon
thread, stops when the block ends, and stops by itself after ``lifetime`` seconds in any case.
Requests are recorded in ``server.requests`` as ``(path, range_header)``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    ignore_range = False

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server naming
        self.server.requests.append((self.path, self.headers.get("Range")))
        path = Path(self.translate_path(self.path))
        rng = self.headers.get("Range")
        if not path.is_file() or not rng or self.server.ignore_range:
            return super().do_GET()
        size = path.stat().st_size
        start = int(rng.split("=")[1].split("-")[0])
        if start >= size:
            self.send_error(416)
            return
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with open(path, "rb") as fh:
            fh.seek(start)
            self.wfile.write(fh.read())


@contextlib.contextmanager
def serve(folder: str | os.PathLike, *, lifetime: float = 60.0, ignore_range: bool = False):
    handler = partial(_Handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    server.ignore_range = ignore_range
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
