"""What the runner tests share for runs in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

HELPERS = Path(__file__).parent
#: A fake adapter that echoes the reference (``latency=`` seconds per sample).
ECHO = "fake_adapters:SlowEcho"


def helper_env() -> dict[str, str]:
    """This process's environment with ``tests/helpers`` importable and no shard variables."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HELPERS), env.get("PYTHONPATH", "")])
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    return env


def default_sigint() -> None:
    """``preexec_fn`` for a child that must react to SIGINT: a shell that starts pytest as a
    background job ignores SIGINT, children inherit that, and Python then installs no
    KeyboardInterrupt handler; restoring the default disposition before exec fixes it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
