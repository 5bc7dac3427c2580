#!/usr/bin/env python
"""Same as the ``timebench`` command; with no arguments it runs the default leaderboard suite.

    python run_eval.py                      # default suite on the bundled mini benchmark
    python run_eval.py score --task tag --references refs.jsonl --predictions preds.jsonl
"""

import sys

from timebench.cli import build_parser, main

USAGE_NOTE = ("With no arguments, run_eval.py runs the default leaderboard suite: the same as "
              "'timebench run --suite default' (weight-free baselines on the bundled mini "
              "benchmark; results in runs/default/results.json). Otherwise it takes the same "
              "commands as 'timebench'.")

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv in (["-h"], ["--help"]):
        parser = build_parser()
        parser.prog = "run_eval.py"
        parser.epilog = USAGE_NOTE
        parser.print_help()
        sys.exit(0)
    sys.exit(main(argv or ["run", "--suite", "default"]))
