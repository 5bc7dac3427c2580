"""``timebench models``: list registered model adapters (without importing them)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--load", action="store_true",
                   help="import each adapter to show what it outputs (may import torch)")


def main(args: argparse.Namespace) -> int:
    from model_adapters import ADAPTERS

    from ..report.tables import print_table, rows_table

    rows = []
    for name in ADAPTERS.names():
        if args.load:
            try:
                cls = ADAPTERS.get(name)
                rows.append((name, ", ".join(sorted(cls.outputs)), str(cls.sample_rate),
                             (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""))
            except Exception as exc:  # an adapter whose extra is not installed
                rows.append((name, "?", "?", f"cannot import: {exc}"))
        else:
            target = ADAPTERS._entries[name]
            rows.append((name, target if isinstance(target, str) else target.__module__))
    cols = ["adapter", "outputs", "sample rate", "description"] if args.load else ["adapter", "target"]
    print_table(rows_table("timebench model adapters", cols, rows, justify_from=99))
    return 0
