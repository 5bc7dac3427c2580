"""What a loader does with an official row that breaks the file's own constraints.

Official benchmark files are loaded as published: a window that ends past the clip duration
stated in the same row, an inverted window (end before start) or a repeated id never makes the
whole file unusable.  Each format applies the rule of **that benchmark's own evaluation code**
(``docs/DATASETS.md`` has the table with the sources), counts every repair as a
:class:`DataIssue`, and the issues travel with the :class:`~timebench.datasets.base.LoadedDataset`
into ``timebench data verify``, ``results.json`` (``tasks.<name>.data_issues``) and the run
summary.  ``on_invalid="error"`` restores the strict behaviour (exit 2 on the first bad row);
files in our own contract format (``jsonl``) are always strict.

A :class:`RowRule` has one action per kind of violation:

* ``past_end`` (a window ending after the stated duration): ``keep`` (as published), ``clip``
  (to the duration; a window that then has no length is dropped) or ``drop`` (the window);
* ``inverted`` (start after end): ``drop`` (the window) or ``swap`` (start and end);
  ``drop_zero_length`` also drops windows of no length (as Lighthouse's evaluation does);
* ``duplicate_id``: ``rename`` (``id#2``...), ``last`` (the later row replaces the earlier one),
  ``merge`` (windows of all rows with that id form one query).

A query left with no window after the rule is dropped too (counted as ``empty_query``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..types import Event, Reference

__all__ = ["RowRule", "DataIssue", "RULES", "rule_for", "apply_window_rule", "split_inverted",
           "resolve_duplicates", "fit_windows", "issue_summary", "issue_notes", "check_on_invalid", "ON_INVALID"]

ON_INVALID = ("official", "error")


@dataclass(frozen=True)
class RowRule:
    """The documented repair rule of one benchmark's evaluation code."""

    past_end: str = "clip"
    inverted: str = "drop"
    duplicate_id: str = "rename"
    drop_zero_length: bool = False
    source: str = ""

    def describe(self) -> dict[str, Any]:
        return {"past_end": self.past_end, "inverted": self.inverted,
                "duplicate_id": self.duplicate_id, "drop_zero_length": self.drop_zero_length,
                "source": self.source}


@dataclass(frozen=True)
class DataIssue:
    """One repaired row: what was wrong, what the rule did, and where."""

    kind: str      # past_end | inverted | zero_length | duplicate_id | empty_query
    action: str    # kept | clipped | dropped | swapped | renamed | replaced | merged
    where: str     # "file:line"
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "action": self.action, "where": self.where,
                "detail": self.detail}


_LIGHTHOUSE = RowRule(
    past_end="keep", inverted="drop", duplicate_id="last", drop_zero_length=True,
    source="line/lighthouse training/standalone_eval/eval.py: windows are not clipped to the "
           "duration; get_data_by_range keeps windows with 0 < length <= 1500 and drops "
           "queries left without one; compute_mr_r1 keys GT by qid (a later line replaces an "
           "earlier one)")

RULES: dict[str, RowRule] = {
    "lighthouse": _LIGHTHOUSE,
    "clotho_moment": _LIGHTHOUSE,
    "unav100_subset": _LIGHTHOUSE,
    "tut2017": _LIGHTHOUSE,
    "spotsound": RowRule(
        past_end="clip", inverted="swap", duplicate_id="rename",
        source="no official evaluator (SpotSound releases none); the reconstructed evaluator "
               "(RELTWIN scripts/interval_metrics.py) swaps reversed pairs and clips to "
               "[0, duration]; every row is one sample"),
    "audiogrounding": RowRule(
        past_end="keep", inverted="drop", duplicate_id="merge",
        source="wsntxxn/TextToAudioGrounding: ground truth goes to sed_scores_eval as written "
               "(no clipping; the SpotSound-A rerun reports unclipped numbers); the query key "
               "audiocap_id_start_index is a file name in the GT table, so rows sharing it form "
               "one query; an inverted segment has no extent and is dropped (timebench)"),
    "dcase_tsv": RowRule(
        past_end="keep", inverted="drop", duplicate_id="merge",
        source="DESED_task / sed_eval / sed_scores_eval read the TSV as written (no clipping); "
               "rows of one filename are one clip; an inverted event is dropped (timebench: "
               "sed_eval cannot match an event of negative length)"),
    "tacos": RowRule(
        past_end="clip", inverted="drop", duplicate_id="merge",
        source="OptimusPrimus tacos/datasets/tacos.py treats every clip as 30 s (regions are "
               "cut to the clip); an inverted region is dropped (timebench)"),
    "ftar": RowRule(
        past_end="clip", inverted="drop", duplicate_id="rename",
        source="TimeAudio releases no evaluation code; timebench clips to the duration, drops "
               "inverted intervals and renames repeated ids"),
}


def rule_for(fmt: str) -> RowRule:
    return RULES.get(fmt, RowRule(source="timebench default"))


def check_on_invalid(value: str) -> str:
    if value not in ON_INVALID:
        raise InputError(f"on_invalid must be one of {ON_INVALID}, got {value!r}",
                         field="on_invalid")
    return value


def split_inverted(raw: Any, rule: RowRule, *, strict: bool, where: str, field: str,
                   issues: list[DataIssue]) -> Any:
    """Pre-pass over a raw window list: apply ``rule.inverted`` to ``[s, e]`` items with s > e.

    Items that are not plain number pairs are passed through untouched (the strict parser
    reports them).  With ``strict`` nothing is changed (the parser raises as before).
    """
    if strict or not isinstance(raw, list):
        return raw
    out = []
    for item in raw:
        pair = _pair(item)
        if pair is not None and pair[0] > pair[1]:
            s, e = pair
            if rule.inverted == "drop":
                issues.append(DataIssue("inverted", "dropped", where, f"{field} {s:g}-{e:g}"))
                continue
            issues.append(DataIssue("inverted", "swapped", where, f"{field} {s:g}-{e:g}"))
            item = _swap(item)
        out.append(item)
    return out


def _pair(item: Any) -> tuple[float, float] | None:
    if isinstance(item, dict):
        a, b = item.get("onset"), item.get("offset")
    elif isinstance(item, list) and len(item) in (2, 3):
        a, b = item[0], item[1]
    else:
        return None
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) \
            or not isinstance(b, (int, float)):
        return None
    try:
        fa, fb = float(a), float(b)
    except OverflowError:
        return None  # the strict parser names the field
    if not (math.isfinite(fa) and math.isfinite(fb)):
        return None
    return fa, fb


def _swap(item: Any) -> Any:
    if isinstance(item, dict):
        return {**item, "onset": item["offset"], "offset": item["onset"]}
    return [item[1], item[0], *item[2:]]


def apply_window_rule(events: Sequence[Event], duration: float | None, rule: RowRule, *,
                      where: str, field: str, issues: list[DataIssue]) -> tuple[Event, ...]:
    """Apply ``rule.past_end`` (and ``drop_zero_length``) to parsed, ordered windows."""
    out = []
    for ev in events:
        if rule.drop_zero_length and ev.offset <= ev.onset:
            issues.append(DataIssue("zero_length", "dropped", where,
                                    f"{field} {ev.onset:g}-{ev.offset:g}"))
            continue
        if duration is not None and ev.offset > duration:
            detail = f"{field} {ev.onset:g}-{ev.offset:g} past the duration {duration:g}"
            if rule.past_end == "keep":
                issues.append(DataIssue("past_end", "kept", where, detail))
            elif rule.past_end == "drop" or ev.onset >= duration:
                issues.append(DataIssue("past_end", "dropped", where, detail))
                continue
            else:
                issues.append(DataIssue("past_end", "clipped", where, detail))
                ev = Event(ev.onset, duration, ev.label, ev.score)
        out.append(ev)
    return tuple(out)


def fit_windows(events: Sequence[Event], duration: float | None, rule: RowRule, *,
                strict: bool, tolerance: float, path: str, line: int | None, field: str,
                issues: list[DataIssue], where: str | None = None
                ) -> tuple[tuple[Event, ...], int]:
    """Strict mode: :func:`base.fit_events` (clip within ``tolerance``, else an error);
    otherwise :func:`apply_window_rule`.  Returns ``(events, number clipped by tolerance)``."""
    if strict:
        from .base import fit_events

        return fit_events(events, duration, tolerance=tolerance, path=path, line=line,
                          field=field)
    where = where or (f"{path}:{line}" if line is not None else path)
    return apply_window_rule(events, duration, rule, where=where, field=field,
                             issues=issues), 0


def resolve_duplicates(refs: Sequence[Reference], rule: RowRule, issues: list[DataIssue]
                       ) -> list[Reference]:
    """Apply ``rule.duplicate_id`` (``rename`` is left to :func:`base.dedupe_ids`)."""
    if rule.duplicate_id == "rename":
        return list(refs)
    counts = Counter(r.id for r in refs)
    if all(c == 1 for c in counts.values()):
        return list(refs)
    out: dict[str, Reference] = {}
    for ref in refs:
        where = ref.source or ""
        if ref.id not in out:
            out[ref.id] = ref
            continue
        first = out[ref.id]
        if rule.duplicate_id == "last":
            issues.append(DataIssue("duplicate_id", "replaced", where,
                                    f"id {ref.id!r}: this row replaces {first.source}"))
            out.pop(ref.id)
            out[ref.id] = ref
        else:  # merge
            issues.append(DataIssue("duplicate_id", "merged", where,
                                    f"id {ref.id!r}: windows merged into {first.source}"))
            merged = tuple(sorted(set(first.events) | set(ref.events),
                                  key=lambda e: (e.onset, e.offset, e.label or "")))
            out[ref.id] = replace(first, events=merged)
    return list(out.values())


def issue_summary(issues: Iterable[DataIssue]) -> dict[str, int]:
    """``{"past_end:kept": 1, "inverted:dropped": 2}``: counts by kind and action."""
    c = Counter(f"{i.kind}:{i.action}" for i in issues)
    return dict(sorted(c.items()))


_WHAT = {"past_end": "window(s) past the stated duration", "inverted": "inverted window(s)",
         "zero_length": "zero-length window(s)", "duplicate_id": "row(s) with a repeated id",
         "empty_query": "quer(ies) without a usable window"}


def issue_notes(issues: Sequence[DataIssue], rule: RowRule) -> list[str]:
    """One note line per kind/action, naming the first place it happened."""
    notes = []
    first: dict[str, DataIssue] = {}
    for i in issues:
        first.setdefault(f"{i.kind}:{i.action}", i)
    for key, n in issue_summary(issues).items():
        ex = first[key]
        kind, action = key.split(":")
        what = _WHAT.get(kind, kind)
        notes.append(f"{n} {what} {action} by the benchmark's rule (first at {ex.where}: "
                     f"{ex.detail})")
    return notes
