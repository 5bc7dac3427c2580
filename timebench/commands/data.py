"""``timebench data list | download NAME | verify NAME [--data-root DIR] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list", "download", "verify"),
                   help="list the benchmarks, download one, or verify one")
    p.add_argument("name", nargs="?", help="benchmark name (see `timebench data list`)")
    p.add_argument("--data-root", metavar="DIR",
                   help="data root (default: $TIMEBENCH_DATA_ROOT, the config file's data_root, "
                        "else ~/.cache/timebench/data)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--no-audio", action="store_true", help="verify: skip the audio checks")
    p.add_argument("--timeout", type=float, default=60.0, help="download: seconds per request")


def main(args: argparse.Namespace) -> int:
    from ..data.root import resolve_data_root
    from ..errors import InputError

    root, where = resolve_data_root(args.data_root)
    if args.action == "list":
        return _list(root, where, args.json)
    if not args.name:
        raise InputError(f"`timebench data {args.action}` needs a benchmark name", field="name")
    if args.action == "download":
        from ..data.fetch import download_benchmark

        out = download_benchmark(args.name, data_root=root, timeout=args.timeout)
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            for r in out["results"]:
                extra = f" ({r['note']})" if r.get("note") else ""
                print(f"{r['status']:>28}  {r['file']}{extra}")
            if out["manual"]:
                print(f"not automatic: {out['manual']}")
        return 0
    from ..data.verify import verify_benchmark

    report = verify_benchmark(args.name, data_root=root, check_audio=not args.no_audio)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0 if report["ok"] else 1


def _list(root, where, as_json: bool) -> int:
    from ..data.catalog import BENCHMARKS, benchmark_status

    rows = []
    for b in BENCHMARKS.values():
        ready, why = benchmark_status(b, root)
        auto = [s for s in b.sources if s.automatic]
        rows.append({"name": b.name, "tasks": list(b.tasks), "ready": ready, "status": why,
                     "sources": [s.describe() for s in b.sources],
                     "download": "automatic" + (" + manual" if b.manual else "")
                     if auto else "manual", "manual": b.manual or None})
    if as_json:
        print(json.dumps({"data_root": str(root), "from": where, "benchmarks": rows}, indent=2))
        return 0
    from ..report.tables import print_table, rows_table

    print_table(rows_table(f"timebench data · root {root} ({where})",
                           ["benchmark", "tasks", "ready", "download", "status"],
                           [(r["name"], ", ".join(r["tasks"]), "yes" if r["ready"] else "no",
                             r["download"], r["status"]) for r in rows], justify_from=99))
    return 0


def _print_report(r: dict) -> None:
    from ..report.tables import print_table, rows_table

    rows = [("annotations", r.get("annotations") or "not found")]
    if "references" in r:
        exp = f" (release: {r['expected']} {r['expected_unit']})" if r.get("expected") else ""
        rows.append(("samples", f"{r['references']}{exp}"))
        issues = r.get("issues") or {}
        rows.append(("repaired rows", ", ".join(f"{k} {v}" for k, v in issues.items())
                     or "none"))
        if r.get("rule"):
            rule = r["rule"]
            rows.append(("rule", f"past end: {rule['past_end']}, inverted: {rule['inverted']}, "
                                 f"duplicate id: {rule['duplicate_id']}"))
        rows.append(("out-of-range windows", str(r.get("out_of_range", 0))))
        a = r.get("audio")
        if a:
            rows.append(("audio files", f"{a['files']} ({a['present']} present, {a['missing']} "
                                        f"missing, {a['unreadable']} unreadable, "
                                        f"{a['duration_mismatch']} duration mismatch)"))
            for kind, items in a.get("examples", {}).items():
                rows.append((f"  {kind.replace('_', ' ')}", "; ".join(items)))
    for ex in r.get("issue_examples") or []:
        rows.append((f"  {ex['kind']} ({ex['action']})", f"{ex['where']}: {ex['detail']}"))
    for p in r["problems"]:
        rows.append(("PROBLEM", p))
    if r.get("manual"):
        rows.append(("by hand", r["manual"]))
    rows.append(("verdict", "ok" if r["ok"] else "not ready"))
    print_table(rows_table(f"timebench data verify {r['benchmark']} · {r['folder']}",
                           ["check", "result"], rows, justify_from=99))
    sys.stdout.flush()
