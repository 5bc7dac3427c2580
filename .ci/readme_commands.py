#!/usr/bin/env python3
"""Print the README command block marked ``<!-- ci: NAME -->`` (or ``<!-- runnable -->`` blocks).

    python3 .ci/readme_commands.py quick-start     # the quick-start command, exactly as written
    python3 .ci/readme_commands.py tests           # the test command
    python3 .ci/readme_commands.py --runnable      # every block marked runnable, NUL-separated

A marker is an HTML comment on its own line, directly followed by a fenced code block; the block's
text is printed unchanged.  Exit 1 when a named block is missing or appears more than once.
Standard library only: CI runs it before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^<!--\s*(?P<marker>[\w: -]+?)\s*-->\s*\n```[\w-]*\n(?P<body>.*?)\n```",
                    re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[str, str]]:
    """``(marker, body)`` of every fenced block that directly follows a marker comment."""
    return [(m["marker"].strip(), m["body"]) for m in _BLOCK.finditer(text)]


def ci_block(text: str, name: str) -> str:
    found = [body for marker, body in blocks(text) if marker == f"ci: {name}"]
    if len(found) != 1:
        raise LookupError(f"README.md has {len(found)} blocks marked '<!-- ci: {name} -->' "
                          "(need exactly one)")
    return found[0]


def runnable_blocks(text: str) -> list[str]:
    return [body for marker, body in blocks(text) if marker == "runnable"]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    if argv == ["--runnable"]:
        sys.stdout.write("\0".join(runnable_blocks(text)))
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(ci_block(text, argv[0]))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
