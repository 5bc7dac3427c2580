#!/usr/bin/env python
"""Harness overhead of `timebench run`: wall time vs time spent inside the model.

    python benchmarks/bench_run.py                  # 1,000 samples, 20 ms of model time each
    python benchmarks/bench_run.py --samples 200 --latency 0.01

A grounding task over synthetic references (1,000 samples, 5-second 16 kHz clips on disk) is
run with the `noop` adapter, which sleeps a fixed time per sample (a stand-in for a model's
compute) and returns an empty answer.  Everything else -- loading references and audio
(prefetched in a background thread), building prompts, the fsync'd cache, parsing, scoring,
bootstrap intervals (1,000 resamples) and writing the run directory -- is harness overhead:

    overhead = (wall time - time inside adapter.generate) / wall time      target < 5 %
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's timebench, not an installed one


def make_task(root: Path, n: int, clip_s: float = 5.0, n_files: int = 100) -> Path:
    import soundfile as sf

    audio = root / "audio"
    audio.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n_files):
        sf.write(audio / f"clip{i:03d}.wav",
                 (0.05 * rng.standard_normal(int(16000 * clip_s))).astype(np.float32), 16000)
    with open(root / "refs.jsonl", "w") as fh:
        for i in range(n):
            on = float(rng.uniform(0, clip_s - 1.0))
            fh.write(json.dumps({"id": f"s{i:05d}", "audio": f"audio/clip{i % n_files:03d}.wav",
                                 "duration": clip_s, "query": "a noise burst",
                                 "events": [{"onset": on, "offset": on + 0.8}]}) + "\n")
    cards = root / "cards"
    cards.mkdir()
    (cards / "bench_tag.yaml").write_text(
        "name: bench_tag\nversion: 1\nkind: grounding\n"
        f"data: {{format: jsonl, path: {root / 'refs.jsonl'}}}\n"
        "prompts: {default: \"When does '{query}' happen?\"}\n"
        "parser: lenient\nmetrics:\n  - {suite: grounding, mode: set}\n"
        "requires: [query, events]\nprimary_metric: mIoU\n")
    return cards


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.02, help="model seconds per sample")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args(argv)

    from timebench.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cards = make_task(root, args.samples)
        out = root / "run"
        t0 = time.perf_counter()
        rc = cli(["run", "--tasks", "bench_tag", "--include-tasks", str(cards),
                  "--models", f"noop[latency={args.latency * args.batch_size}]",
                  "--batch-size", str(args.batch_size), "--bootstrap", str(args.bootstrap),
                  "--out", str(out), "-q", "--no-progress"])
        wall = time.perf_counter() - t0
        if rc != 0:
            return rc
        res = json.loads((out / "results.json").read_text())
        t = next(iter(res["timings"]["per_run"].values()))["bench_tag"]
        model = t["model_s"]
        overhead = (wall - model) / wall
        print(f"samples {args.samples}, batch {args.batch_size}, model time per sample "
              f"{args.latency * 1000:.0f} ms, bootstrap {args.bootstrap}")
        print(f"wall {wall:.2f} s   inside the model {model:.2f} s   audio wait {t['audio_wait_s']:.2f} s"
              f"   scoring+bootstrap+writing {t['scoring_s']:.2f} s")
        print(f"harness overhead {overhead * 100:.2f} %  (target < 5 %: "
              f"{'met' if overhead < 0.05 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
