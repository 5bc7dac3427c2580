"""``timebench leaderboard``: print and regenerate leaderboards from stored results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="*",
                   help="results.json files (default: leaderboards/results/*.json)")
    p.add_argument("--markdown", help="write the Markdown leaderboard here")
    p.add_argument("--html", help="write a self-contained HTML report here (with timelines; "
                   "needs the run directories next to the results files)")
    p.add_argument("--diff", nargs=2, metavar=("RUN_A", "RUN_B"),
                   help="with --html: add a per-sample run-diff section (see `timebench diff`)")
    p.add_argument("--diff-model", help="model for --diff (default: the one both runs hold)")
    p.add_argument("--store", action="store_true",
                   help="copy the given results into leaderboards/results/<suite>.json first")


def _stored_dir() -> Path:
    from ..suites import suite_dirs

    for d in suite_dirs():
        if d.name == "leaderboards" or (d / "results").is_dir():
            return d / "results"
    return Path("leaderboards/results")


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..io import atomic_write_json, atomic_write_text
    from ..report.leaderboard import leaderboard_markdown, leaderboard_table
    from ..report.tables import print_table
    from .check import _load

    paths = [Path(p) for p in args.results]
    stored = _stored_dir()
    if args.store:
        if not paths:
            raise InputError("--store needs results files to store", field="--store")
        from ..safepath import safe_component

        for p in paths:
            data = _load(str(p))
            # the file's own `suite` field names the stored copy: one safe path component only
            # (`../../x`, `/etc/x`, a newline... get a slug plus a hash; never a path)
            name = safe_component(data.get("suite") or p.parent.name, field="suite")
            target = stored / f"{name}.json"
            if target.is_symlink():
                raise InputError("is a symbolic link; refusing to write through it",
                                 path=str(target), field="--store")
            atomic_write_json(target, data)
            print(f"stored {p} as {target}")
        paths = []
    if not paths:
        paths = sorted(stored.glob("*.json"))
        if not paths:
            raise InputError("no results given and none stored", path=str(stored))
    all_results = {}
    for p in paths:
        data = _load(str(p))
        name = data.get("suite") or p.stem
        if name in all_results:
            name = f"{name} ({p})"
        all_results[name] = (p, data)
    for name, (p, data) in all_results.items():
        print_table(leaderboard_table(data, title=f"timebench · {name}"))
        _print_gap(data)
    if args.markdown:
        atomic_write_text(args.markdown, leaderboard_markdown({k: v[1] for k, v in all_results.items()}))
        print(f"wrote {args.markdown}")
    if args.html:
        from ..report.html import html_report

        extra = []
        if args.diff:
            from ..report.diff_html import diff_section
            from ..rundiff import diff_runs
            from ..runs import load_run
            from .compare import split_list

            extra.append(diff_section(diff_runs(load_run(args.diff[0]), load_run(args.diff[1]),
                                                model=split_list(args.diff_model))))
        atomic_write_text(args.html, html_report({k: v for k, v in all_results.items()},
                                                 extra_sections=extra))
        print(f"wrote {args.html}")
    return 0


def _print_gap(data) -> None:
    """The gap to the published table when the run's suite lists published numbers."""
    from ..errors import TimebenchError
    from ..report.published import gap_table
    from ..report.tables import print_table
    from ..suites import get_suite

    if not data.get("suite"):
        return
    try:
        suite = get_suite(str(data["suite"]))
    except TimebenchError:      # a suite that is not installed here: nothing to compare with
        return
    if suite.published:
        print_table(gap_table(suite, data))
