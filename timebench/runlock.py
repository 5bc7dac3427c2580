"""A lock on a run folder, so two runs on one ``--out`` never interleave (issue 15).

``run`` takes ``<out>/.timebench-lock.<rank>`` (one file per rank, so the ranks of one sharded
run do not block each other) with ``O_CREAT | O_EXCL`` and writes ``pid host`` into it.  A second
run on the same folder finds the file and exits 2 naming the folder and the holder's pid.  After
a crash (kill -9, power loss) the file stays: when its pid is not alive on this host, the lock
is stale and is taken over with a warning.  A lock held from another host (a shared file system)
is never broken automatically; the message says which file to remove.
"""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path

from .errors import InputError

__all__ = ["RunLock"]


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    def __init__(self, folder: str | os.PathLike, rank: int = 0):
        self.folder = Path(folder)
        self.path = self.folder / f".timebench-lock.{rank}"
        self._held = False

    def _holder(self) -> tuple[int, str]:
        try:
            pid, _, host = self.path.read_text(encoding="utf-8").strip().partition(" ")
            return int(pid), host
        except (OSError, ValueError):
            return -1, ""

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.path.is_symlink():
            raise InputError("the run lock is a symbolic link; refusing to use it", path=str(self.path))
        me = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
            except FileExistsError:
                pid, host = self._holder()
                if host and host != socket.gethostname():
                    raise InputError(f"run folder is locked by pid {pid} on host {host}; if that run "
                                     f"is gone, remove {self.path}", path=str(self.folder)) from None
                if pid == os.getpid() or _alive(pid):
                    raise InputError(f"run folder is in use by another timebench run (pid {pid}); "
                                     "wait for it to finish or pick another --out",
                                     path=str(self.folder)) from None
                warnings.warn(f"{self.path}: stale lock of pid {pid} (not running) taken over",
                              stacklevel=2)
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(me + "\n")
            self._held = True
            return
        raise InputError("could not take the run lock", path=str(self.path))

    def release(self) -> None:
        if self._held:
            self._held = False
            try:
                if self._holder()[0] == os.getpid():
                    self.path.unlink()
            except OSError:
                pass

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
