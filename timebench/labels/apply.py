"""Label mapping inside scoring: settings, mapping parsed answers, and the mapping report.

Settings (task card key ``label_map``, CLI ``--label-map`` / ``--unmapped``)::

    label_map: {protocol: ontology, unmapped: keep}

``protocol``: ``ontology`` (default) or ``exact`` (see :mod:`.mapper`).
``unmapped``: what happens to a predicted label that maps to no class:

* ``keep`` (default): it stays as its own class, named by its text.  It has no reference
  events, so every such event is a false positive (and adds no class to the class-wise
  average); the report counts and lists them;
* ``fail``: scoring stops with exit 2 and a message listing the unmapped labels.

The report (:class:`LabelStats`, JSON key ``label_mapping``) is in ``timebench score``'s output,
its ``--output`` JSON, the runner's ``results.json`` and the HTML report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..errors import InputError
from ..types import Event, ParsedAnswer
from .mapper import PROTOCOLS, LabelMapper, get_mapper

__all__ = ["LabelMapSettings", "LabelStats", "settings_from", "map_answer", "map_answers",
           "map_choice", "parser_overrides",
           "UNMAPPED_POLICIES", "TOP_UNMAPPED"]

UNMAPPED_POLICIES = ("keep", "fail")
TOP_UNMAPPED = 10


@dataclass(frozen=True)
class LabelMapSettings:
    protocol: str = "ontology"
    unmapped: str = "keep"


def settings_from(card: Mapping[str, Any] | None, override: Mapping[str, Any] | None = None,
                  *, path: str | None = None) -> LabelMapSettings:
    """Card ``label_map`` values, then ``override`` (CLI); unknown keys/values raise."""
    values: dict[str, Any] = {}
    for source, where in ((card, "label_map"), (override, "label-map")):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            raise InputError("expected a mapping {protocol: ..., unmapped: ...}", path=path,
                             field=where)
        for key, value in source.items():
            if value is None:
                continue
            if key not in ("protocol", "unmapped"):
                raise InputError(f"unknown key '{key}'; known: protocol, unmapped", path=path,
                                 field=where)
            allowed = PROTOCOLS if key == "protocol" else UNMAPPED_POLICIES
            if value not in allowed:
                raise InputError(f"expected one of {list(allowed)}, got {value!r}", path=path,
                                 field=f"{where}.{key}")
            values[key] = value
    return LabelMapSettings(**values)


@dataclass
class LabelStats:
    """Counts over every predicted event with a label (failed answers have none)."""

    protocol: str
    unmapped_policy: str
    n_events: int = 0
    n_exact: int = 0
    n_mapped: int = 0
    n_ambiguous: int = 0
    n_unmapped: int = 0
    n_unlabelled: int = 0
    phrases: Counter = field(default_factory=Counter)
    status: dict = field(default_factory=dict)

    @property
    def n_matched(self) -> int:
        return self.n_exact + self.n_mapped

    @property
    def mapping_rate(self) -> float:
        return self.n_matched / self.n_events if self.n_events else float("nan")

    def add(self, text: str | None, status: str) -> None:
        self.n_events += 1
        if text is None:
            self.n_unlabelled += 1
            self.phrases["(no label)"] += 1
            self.status["(no label)"] = "unlabelled"
            return
        if status == "exact":
            self.n_exact += 1
        elif status == "mapped":
            self.n_mapped += 1
        else:
            if status == "ambiguous":
                self.n_ambiguous += 1
            else:
                self.n_unmapped += 1
            self.phrases[text] += 1
            self.status[text] = status

    def top_unmapped(self, k: int = TOP_UNMAPPED) -> list[dict[str, Any]]:
        rows = sorted(self.phrases.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [{"label": p, "count": c, "status": self.status[p]} for p, c in rows]

    def to_json(self) -> dict[str, Any]:
        rate = self.mapping_rate
        return {
            "protocol": self.protocol,
            "unmapped_policy": self.unmapped_policy,
            "n_events": self.n_events,
            "n_matched": self.n_matched,
            "n_exact": self.n_exact,
            "n_mapped": self.n_mapped,
            "n_ambiguous": self.n_ambiguous,
            "n_unmapped": self.n_unmapped,
            "n_unlabelled": self.n_unlabelled,
            "mapping_rate": None if rate != rate else rate,
            "n_distinct_unmapped": len(self.phrases),
            "top_unmapped": self.top_unmapped(),
        }


def map_answer(answer: ParsedAnswer, mapper: LabelMapper, stats: LabelStats) -> ParsedAnswer:
    """``answer`` with its event labels mapped (unmapped ones kept as written)."""
    if answer.failed or not answer.events:
        return answer
    events, notes = [], []
    for e in answer.events:
        m = mapper.map(e.label) if e.label is not None else None
        stats.add(e.label, m.status if m is not None else "unlabelled")
        if m is not None and m.label is not None and m.label != e.label:
            events.append(Event(e.onset, e.offset, m.label, e.score))
            notes.append(f"label '{_short(e.label)}' -> '{m.label}'"
                         + (f" (via {m.via})" if m.via and m.status == "mapped" else ""))
        else:
            events.append(e)
            if m is not None and m.label is None:
                extra = f": {', '.join(m.candidates)}" if m.candidates else ""
                notes.append(f"label '{_short(e.label)}' {m.status}{extra} (kept)")
    if not notes:
        return answer
    return replace(answer, events=tuple(events), notes=tuple(answer.notes) + tuple(notes))


def map_answers(answers: Sequence[ParsedAnswer], labels: Sequence[str],
                settings: LabelMapSettings) -> tuple[list[ParsedAnswer], LabelStats]:
    """Map every answer's events onto ``labels``; apply the ``unmapped`` policy."""
    mapper = get_mapper(tuple(labels), settings.protocol)
    stats = LabelStats(settings.protocol, settings.unmapped)
    out = [map_answer(a, mapper, stats) for a in answers]
    if settings.unmapped == "fail" and stats.phrases:
        listed = ", ".join(f"'{_short(r['label'])}' x{r['count']}" for r in stats.top_unmapped(5))
        more = len(stats.phrases) - min(5, len(stats.phrases))
        raise InputError(
            f"{stats.n_events - stats.n_matched} of {stats.n_events} predicted event labels map "
            f"to no class ({listed}{f', +{more} more' if more else ''}); "
            f"use --unmapped keep to score them as their own classes", field="label_map")
    return out, stats


def _short(text: str | None, n: int = 60) -> str:
    text = "" if text is None else " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def map_choice(answer: ParsedAnswer, text: str | None, options: Sequence[str],
               settings: LabelMapSettings) -> ParsedAnswer:
    """A failed choice/order answer read again with the label mapper over its options.

    Only a failed parse is read again (an option named in the text is the parser's business),
    and only a single option read without ambiguity is taken (``The person talking comes
    first`` -> ``speech``; ``the dog, then the man talking`` stays failed).
    """
    if not answer.failed or not text or not options or answer.parser == "missing":
        return answer
    m = get_mapper(tuple(str(o) for o in options), settings.protocol).map(text)
    if m.label is None:
        return answer
    note = f"answer read as option '{m.label}' by the label mapper" + (
        f" (via {m.via})" if m.via else "")
    return replace(answer, failed=False, value=m.label, notes=tuple(answer.notes) + (note,))


def parser_overrides(pipeline: str) -> dict[str, Any]:
    """Parser options that hand label mapping to this module (one rule for the harness)."""
    from ..parsing import PIPELINES

    try:
        pipe = PIPELINES.get(pipeline)
    except Exception:  # an unknown name is reported by the parse call itself
        return {}
    return {"map_labels": False} if "map_labels" in pipe.option_defaults() else {}
