"""A lock on a run folder, so two runs on one ``--out`` never interleave (issue 15).

``run`` takes ``<out>/.timebench-lock.<rank>`` (one file per rank, so the ranks of one sharded
run do not block each other).  Where the platform has ``fcntl`` (Linux, macOS) the lock is an
exclusive ``flock`` on that file: the kernel holds it for the life of the process and drops it
when the process dies, so two runs started in the same instant cannot both get it, and a
crashed run (kill -9, power loss) never leaves a lock that blocks the next one.  The holder
writes ``pid host`` into the file for the message the second run prints (exit 2 naming the
folder and the pid).  A file left by a dead run is taken over with a warning naming its pid; a
file naming another host (a shared file system, where ``flock`` may not reach across hosts) is
never broken automatically: the message says which file to remove.  Without ``fcntl``
(Windows) the file is created with ``O_CREAT | O_EXCL`` and a dead holder's pid is checked.
"""

from __future__ import annotations

import os
import socket
import warnings

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
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
        self._fd: int | None = None

    def _holder(self) -> tuple[int, str]:
        try:
            pid, _, host = self.path.read_text(encoding="utf-8").strip().partition(" ")
            return int(pid), host
        except (OSError, ValueError):
            return -1, ""

    def _in_use(self, pid: int) -> InputError:
        who = f"pid {pid}" if pid > 0 else "pid not yet written"
        return InputError(f"run folder is in use by another timebench run ({who}); wait for it to "
                          "finish or pick another --out", path=str(self.folder))

    def _other_host(self, pid: int, host: str) -> InputError:
        return InputError(f"run folder is locked by pid {pid} on host {host}; if that run is gone, "
                          f"remove {self.path}", path=str(self.folder))

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.path.is_symlink():
            raise InputError("the run lock is a symbolic link; refusing to use it", path=str(self.path))
        if fcntl is not None:
            self._acquire_flock()
        else:  # pragma: no cover - Windows
            self._acquire_exclusive()

    def _acquire_flock(self) -> None:
        me = f"{os.getpid()} {socket.gethostname()}\n"
        for _ in range(5):
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._in_use(self._holder()[0]) from None
            try:  # the file may have been unlinked by a holder releasing it: retry on the new one
                same = os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            pid, host = self._holder()
            if host and host != socket.gethostname():
                os.close(fd)
                raise self._other_host(pid, host)
            if pid > 0 and pid != os.getpid():
                warnings.warn(f"{self.path}: stale lock of pid {pid} (not running) taken over",
                              stacklevel=3)
            os.ftruncate(fd, 0)
            os.write(fd, me.encode("utf-8"))
            self._fd, self._held = fd, True
            return
        raise InputError("could not take the run lock", path=str(self.path))

    def _acquire_exclusive(self) -> None:  # pragma: no cover - Windows
        me = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
            except FileExistsError:
                pid, host = self._holder()
                if host and host != socket.gethostname():
                    raise self._other_host(pid, host) from None
                if pid == os.getpid() or _alive(pid):
                    raise self._in_use(pid) from None
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
        if not self._held:
            return
        self._held = False
        fd, self._fd = self._fd, None
        try:
            if fd is not None:  # unlink only the file this lock holds, then drop the lock
                if os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                    self.path.unlink()
            elif self._holder()[0] == os.getpid():  # pragma: no cover - Windows
                self.path.unlink()
        except OSError:
            pass
        finally:
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
