"""Label mapping: accuracy on the paraphrase corpus, wrong-class rate on distractors, speed.

    PYTHONPATH=. python benchmarks/bench_labels.py [--split all|dev|held-out] [--show-errors]

Prints, per vocabulary and combined, the share of paraphrases mapped to an accepted class
(target >= 95 % combined), mapped to another class (wrong) or left unmapped, and for the
distractors (phrases naming no class) the share mapped to any class (target 0 %).  Speed:
phrases mapped per second by the ``ontology`` protocol, cold (first time) and cached, against
the ``exact`` protocol in the same run (the reference: a dictionary look-up after folding).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's timebench, not an installed one

from timebench.labels.corpus import read_corpus, read_distractors  # noqa: E402
from timebench.labels.mapper import LabelMapper  # noqa: E402
from timebench.labels.vocab import vocabulary  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "labels"


def _pick(items, split):
    if split == "dev":
        return [i for i in items if not i.held_out]
    if split == "held-out":
        return [i for i in items if i.held_out]
    return items


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("all", "dev", "held-out"), default="all")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args(argv)
    ok = True
    total = total_correct = 0
    distractors = _pick(read_distractors(CORPUS), args.split)
    print(f"{'vocabulary':<10} {'split':<9} {'n':>4} {'correct':>8} {'wrong':>7} {'unmapped':>9}"
          f"   distractors: {'n':>3} {'wrong-class':>11}")
    for vocab in ("desed", "audioset", "mini"):
        labels = vocabulary(vocab)
        mapper = LabelMapper(labels)
        path = CORPUS / f"{vocab}.tsv"
        items = _pick(read_corpus(CORPUS, vocab), args.split) if path.exists() else []
        correct = wrong = unmapped = 0
        for it in items:
            m = mapper.map(it.text)
            if m.label in it.labels:
                correct += 1
            elif m.label is None:
                unmapped += 1
            else:
                wrong += 1
            if args.show_errors and m.label not in it.labels:
                print(f"  MISS [{vocab}] {it.text!r} -> {m.label} ({m.status}, via {m.via}, "
                      f"{m.candidates}); want {it.labels}")
        ds = [d for d in distractors if d.vocab == vocab]
        dwrong = [d for d in ds if mapper.map(d.text).label is not None]
        for d in dwrong:
            print(f"  DISTRACTOR MAPPED [{vocab}] {d.text!r} -> {mapper.map(d.text).label}")
        n = len(items)
        if n:
            print(f"{vocab:<10} {args.split:<9} {n:>4} {correct / n:>8.1%} {wrong / n:>7.1%} "
                  f"{unmapped / n:>9.1%}   {'':13}{len(ds):>3} "
                  f"{(len(dwrong) / len(ds) if ds else 0):>11.1%}")
            total += n
            total_correct += correct
        else:
            print(f"{vocab:<10} {args.split:<9} {'-':>4} {'':>8} {'':>7} {'':>9}   {'':13}"
                  f"{len(ds):>3} {(len(dwrong) / len(ds) if ds else 0):>11.1%}")
        ok &= not dwrong
    if total:
        print(f"{'combined':<10} {args.split:<9} {total:>4} {total_correct / total:>8.1%}")
        ok &= total_correct / total >= 0.95
    # speed on the AudioSet vocabulary (the largest), all corpus texts
    texts = [i.text for v in ("desed", "audioset") for i in read_corpus(CORPUS, v)]
    texts += [d.text for d in read_distractors(CORPUS)]
    labels = vocabulary("audioset")
    t0 = time.perf_counter()
    onto = LabelMapper(labels)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in texts:
        onto.map(t)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(10):
        for t in texts:
            onto.map(t)
    cached = (time.perf_counter() - t0) / 10
    exact = LabelMapper(labels, protocol="exact")
    for t in texts:
        exact.map(t)
    t0 = time.perf_counter()
    for _ in range(10):
        for t in texts:
            exact._map(t)
    ref = (time.perf_counter() - t0) / 10
    n = len(texts)
    print(f"\nspeed ({n} phrases, {len(labels)} AudioSet classes): build {build * 1e3:.1f} ms; "
          f"ontology cold {n / cold:,.0f}/s, cached {n / cached:,.0f}/s; exact (reference, "
          f"uncached) {n / ref:,.0f}/s; cold/exact time ratio {cold / ref:.1f}x")
    print("targets: combined accuracy >= 95 %, 0 % wrong-class on distractors:",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
