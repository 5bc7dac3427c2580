#!/usr/bin/env python
"""Same as the ``timebench`` command; with no arguments it runs the default leaderboard suite.

    python run_eval.py                      # default suite on the bundled mini benchmark
    python run_eval.py score --task tag --references refs.jsonl --predictions preds.jsonl
"""

import sys

from timebench.cli import main

if __name__ == "__main__":
    argv = sys.argv[1:] or ["run", "--suite", "default"]
    sys.exit(main(argv))
