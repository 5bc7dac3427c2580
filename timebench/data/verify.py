"""``timebench data verify NAME``: is a benchmark under the data root complete and sane?

The report (a plain dict, printed as a table or as JSON) has:

* ``references`` (samples after the benchmark's rules) and ``expected`` (the published count,
  where one is known) with ``count_ok``;
* ``issues``: rows repaired by the benchmark's own rule (``kind:action -> n``), the rule, and
  the first few places;
* ``out_of_range``: ground-truth windows that end after the stated duration (kept as published
  by benchmarks whose evaluation keeps them);
* ``audio``: distinct files checked, present, missing, unreadable (libsndfile cannot open it) and
  ``duration_mismatch`` (header duration differs from the stated one by more than
  ``duration_tolerance`` seconds), each with a few examples;
* ``problems``: one line per thing that makes the benchmark not ready; ``ok`` is true when
  there is none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["verify_benchmark", "MAX_EXAMPLES"]

MAX_EXAMPLES = 5


def _audio_info(path: Path) -> tuple[str, float | None]:
    """``("ok", duration)``, ``("missing", None)`` or ``("unreadable", None)``."""
    if not path.is_file():
        return "missing", None
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - any decoder refusal is "unreadable"
        return "unreadable", None
    if not info.samplerate:
        return "unreadable", None
    return "ok", info.frames / info.samplerate


def verify_benchmark(name: str, *, data_root: str | Path | None = None,
                     check_audio: bool = True, duration_tolerance: float = 0.1
                     ) -> dict[str, Any]:
    """Load ``name`` from the data root and check it (see the module docstring)."""
    from ..errors import TimebenchError
    from .catalog import get_benchmark, load_benchmark
    from .root import resolve_data_root

    bench = get_benchmark(name)
    root, where = (Path(data_root).absolute(), "--data-root") if data_root \
        else resolve_data_root()
    report: dict[str, Any] = {
        "benchmark": name, "title": bench.title, "data_root": str(root),
        "data_root_from": where, "folder": str(bench.folder_path(root)),
        "format": bench.format, "tasks": list(bench.tasks), "expected": bench.expected,
        "expected_unit": bench.expected_unit, "problems": [], "manual": bench.manual or None,
    }
    ann = bench.annotation_path(root)
    report["annotations"] = str(ann) if ann else None
    if ann is None:
        report["problems"].append(
            f"annotations not found: {bench.folder}/{' or '.join(bench.annotations)}")
        report["ok"] = False
        return report
    try:
        ds = load_benchmark(name, data_root=root)
    except TimebenchError as exc:
        report["problems"].append(f"cannot load: {exc}")
        report["ok"] = False
        return report
    refs = list(ds.references)
    report["references"] = len(refs)
    report["notes"] = list(ds.notes)
    report["rule"] = ds.rule
    report["issues"] = ds.issue_counts()
    report["issue_examples"] = [i.to_dict() for i in ds.issues[:MAX_EXAMPLES]]
    if bench.expected is not None:
        unit_n = len({r.audio for r in refs}) if bench.expected_unit == "clips" else len(refs)
        report["count_ok"] = unit_n == bench.expected
        if not report["count_ok"]:
            report["problems"].append(f"{unit_n} {bench.expected_unit}, the release has "
                                      f"{bench.expected}")
    out_of_range = [f"{r.id}: {e.onset:g}-{e.offset:g} > {r.duration:g}" for r in refs
                    if r.duration is not None for e in r.events if e.offset > r.duration]
    report["out_of_range"] = len(out_of_range)
    report["out_of_range_examples"] = out_of_range[:MAX_EXAMPLES]
    if check_audio:
        report["audio"] = _check_audio(ds, refs, duration_tolerance)
        a = report["audio"]
        if a["missing"]:
            report["problems"].append(f"{a['missing']} of {a['files']} audio file(s) missing "
                                      f"under {ds.root}")
        if a["unreadable"]:
            report["problems"].append(f"{a['unreadable']} audio file(s) unreadable")
        if a["duration_mismatch"]:
            report["problems"].append(f"{a['duration_mismatch']} audio file(s) whose length "
                                      f"differs from the stated duration by more than "
                                      f"{duration_tolerance:g} s")
    report["ok"] = not report["problems"]
    return report


def _check_audio(ds, refs, tolerance: float) -> dict[str, Any]:
    stated: dict[str, float | None] = {}
    for r in refs:
        if r.audio is not None:
            stated.setdefault(r.audio, r.duration)
    counts = {"files": len(stated), "present": 0, "missing": 0, "unreadable": 0,
              "duration_mismatch": 0}
    examples: dict[str, list[str]] = {"missing": [], "unreadable": [], "duration_mismatch": []}
    for audio, duration in stated.items():
        path = ds.root / audio if ds.root is not None else Path(audio)
        state, seconds = _audio_info(path)
        if state != "ok":
            counts[state] += 1
            if len(examples[state]) < MAX_EXAMPLES:
                examples[state].append(audio)
            continue
        counts["present"] += 1
        if duration is not None and seconds is not None and abs(seconds - duration) > tolerance:
            counts["duration_mismatch"] += 1
            if len(examples["duration_mismatch"]) < MAX_EXAMPLES:
                examples["duration_mismatch"].append(
                    f"{audio}: {seconds:.2f} s, stated {duration:g} s")
    counts["examples"] = {k: v for k, v in examples.items() if v}
    return counts
