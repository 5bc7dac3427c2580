"""The ``timebench`` command line: ``score``, ``run``, ``check``, ``leaderboard``, ``tasks``, ``models``,
``data``.

Each subcommand lives in ``timebench/commands/<name>.py`` with ``add_arguments(parser)`` and
``main(args) -> int``.  Errors that come from bad input (:class:`~timebench.errors.TimebenchError`)
print one line naming the file, line and field and exit with code 2; no traceback.
``python run_eval.py`` with no arguments runs the default leaderboard suite.
An :class:`OSError` that reaches the top (a full disk or a read-only folder while writing
results) is reported the same way, naming the path, with exit code 2; result files are written
atomically, so the old file is left intact.  Messages are printed on one line: line breaks
become ``"; "``, other control characters (from ids or paths in user files) are escaped and the
line is never wrapped.  A missing optional package (``ModuleNotFoundError`` for transformers,
torch, silero_vad, pycocoevalcap...) is one line naming the extra to install, exit code 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from typing import Sequence

from . import __version__
from .errors import TimebenchError

COMMANDS = {
    "score": "Score a predictions file against references (no model needed).",
    "run": "Run models on tasks (or a leaderboard suite), cache outputs, score, store results.",
    "check": "Compare results with a baseline; exit 1 when a metric dropped or cannot be compared.",
    "leaderboard": "Print/regenerate the leaderboard from stored results (terminal, Markdown, HTML).",
    "tasks": "List the registered tasks (or show one task card).",
    "models": "List the registered model adapters.",
    "data": "Public benchmarks under the data root: list, download, verify.",
    "compare": "Paired comparison of two runs: B - A per metric, bootstrap CI, permutation p.",
    "diff": "Per-sample differences between two runs of one model, largest score change first.",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timebench",
        description="Evaluation harness for temporal audio understanding in audio-language models.")
    parser.add_argument("--version", action="version", version=f"timebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"timebench.commands.{name}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._module.main(args) or 0)
    except TimebenchError as exc:
        _error(str(exc))
        return exc.exit_code
    except ModuleNotFoundError as exc:  # an optional extra that is not installed
        from .extras import missing_extra_message

        message = missing_extra_message(exc)
        if message is None:
            raise
        _error(message)
        return 2
    except KeyboardInterrupt:
        _error("interrupted; finished samples are cached and a rerun resumes from there")
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. `timebench tasks | head`
        return 0
    except OSError as exc:  # disk full, permission denied... while writing outputs
        _error(_os_error_message(exc, args.command))
        return 2


def _os_error_message(exc: OSError, command: str) -> str:
    """``"<path>: <reason> (ENOSPC)"`` for an OSError, with a resume hint for ``run``."""
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    reason = exc.strerror or str(exc) or type(exc).__name__
    code = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    msg = f"{' -> '.join(paths)}: {reason}" if paths else f"file system error: {reason}"
    if code:
        msg += f" ({code})"
    if command == "run":
        msg += "; finished samples are cached and a rerun resumes from there"
    return msg


def _one_line(message: str) -> str:
    """One line: line breaks (and the indentation after them) become ``"; "``, other control
    characters (ANSI escapes from ids or paths in user files) are escaped."""
    if message.isprintable():
        return message
    message = "; ".join(part.strip() for part in message.replace("\r\n", "\n").split("\n")
                        if part.strip())
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in message)


def _error(message: str) -> None:
    message = _one_line(message)
    try:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    except Exception:  # pragma: no cover
        print(f"error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
