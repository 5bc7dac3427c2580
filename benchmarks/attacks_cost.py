"""Cost traps: inputs whose size makes timebench slow or memory-hungry (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cli, one_line_error, write

ORDER = 66
CLASS = "Cost traps"
ROOT_FIX = ("line numbers of a `.json` list counted incrementally (`io._iter_json_list`, linear "
            "instead of quadratic); segment scoring switches to exact integer interval unions "
            "when the int64 grid would overflow or exceed 2e7 cells (`metrics/detection.py`)")


def attacks(A: Attacks) -> None:
    from timebench.io import read_predictions

    d = A.work / "cost"
    n = 80_000
    rows = [json.dumps({"id": f"s{i}", "text": f"{i % 50}.0 - {i % 50 + 1}.5 seconds"})
            for i in range(n)]
    jsonl = write(d / "big.jsonl", "\n".join(rows) + "\n")
    as_list = write(d / "big.json", "[\n" + ",\n".join(rows) + "\n]\n")

    def timed(path):
        t0 = time.perf_counter()
        preds = read_predictions(path)
        return time.perf_counter() - t0, len(preds)

    def list_vs_lines():
        t_lines, n1 = timed(jsonl)
        t_list, n2 = timed(as_list)
        ratio = t_list / max(t_lines, 1e-9)
        return (f"JSONL {t_lines:.2f} s, JSON list {t_list:.2f} s (ratio {ratio:.2f}); "
                f"{n1} and {n2} records"), n1 == n2 == n and ratio < 3
    A.run("cost", f"a {n // 1000}k-item `.json` list read vs the same as JSON Lines",
          "about as fast (ratio < 3; was quadratic: ~390 s vs ~8 s)", list_vs_lines)

    def late_error():
        bad = write(d / "bad.json", "[\n" + ",\n".join(rows[:20_000]) + ",\n{\"id\": 5.5}\n]\n")
        refs = write(d / "refs.jsonl", json.dumps({"id": "s0", "query": "q",
                                                    "events": [[0, 1]]}) + "\n")
        t0 = time.perf_counter()
        rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions", bad,
                         "-q")
        dt = time.perf_counter() - t0
        text, ok = one_line_error(rc, err, "bad.json:20002", "id")
        return f"{text}; {dt:.2f} s", ok and dt < 10
    A.run("cost", "a 20k-item `.json` list with a bad item last", "exit 2 naming line 20002 "
          "(line numbers still exact), in seconds", late_error)

    def huge_segments():
        from timebench.metrics.detection import segment_based_metrics
        from timebench.types import Event

        ref = {"f": [Event(0.0, 1e9, "dog")]}
        est = {"f": [Event(5e8, 1e9, "dog")]}
        t0 = time.perf_counter()
        m = segment_based_metrics(ref, est, time_resolution=0.001)
        dt = time.perf_counter() - t0
        ok = abs(m["precision"] - 1.0) < 1e-12 and abs(m["recall"] - 0.5) < 1e-9 and dt < 2
        return f"precision {m['precision']:.3f}, recall {m['recall']:.3f} in {dt:.3f} s " \
               f"(10^12 segments counted as intervals)", ok
    A.run("cost", "segment scoring of a 1e9 s event at 1 ms resolution",
          "exact counts in well under 2 s, no 10^12-cell grid", huge_segments)

    def many_events():
        from timebench.metrics.detection import segment_based_metrics
        from timebench.types import Event

        rng = random.Random(3)
        ref = {f"f{i}": [Event(s, s + 2.0, "a") for s in (rng.uniform(0, 500) for _ in range(20))]
               for i in range(200)}
        t0 = time.perf_counter()
        fast = segment_based_metrics(ref, ref)
        dt = time.perf_counter() - t0
        return f"4000 events: F={fast['f_measure']:.3f} in {dt:.2f} s", \
            fast["f_measure"] == 1.0 and dt < 5
    A.run("cost", "segment scoring of 4000 ordinary events (the grid path, control)",
          "F = 1 for identical sets, fast", many_events)
