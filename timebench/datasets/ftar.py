"""FTAR (TimeAudio, HF ``lysanderism/FTAR``): JSON lists of question/answer pairs.

Each item is ``{id, audio, question, answer, dataset, task, duration[, split]}``
(``shared/reference/timeaudio-model.md`` section 4.2).  ``task`` names one of four kinds:

=========================  =======  ===============================================================
FTAR ``task``              kind     reference fields
=========================  =======  ===============================================================
dense audio caption        ``dac``  ``events`` labelled with their captions
temporal audio grounding   ``tag``  ``query`` (quoted text of the question) and ``events``
timeline speech summary    ``tss``  ``events`` labelled with their segment summaries
(audio) TQA                ``tqa``  ``question``, ``answer`` (kept verbatim), ``extra.qtype``
=========================  =======  ===============================================================

Answers are ground truth, so they are parsed with a small strict grammar, never with the
lenient parser used for model outputs (any deviation raises :class:`InputError` with file, line
and field)::

    number   := DIGITS [ "." DIGITS ]                      (no sign, no exponent)
    interval := number WS* "-" WS* number
    tag      := interval ( WS* "," WS* interval )* [ "." ]
    group    := interval ( ", " interval )* ", " caption
    dac/tss  := group ( "." WS+ group )* [ "." ]

A caption runs to the ``.`` that is followed by white space and the next interval list (or to
the end of the answer), so captions may contain commas and inner full stops ("Mr. Lee speaks,
then ...").  The final full stop is optional.  Example (DAC)::

    7.90 - 8.32, 8.71 - 8.81, brief impact sounds. 0.00 - 10.00, The sound of a truck.

gives three events: (7.90, 8.32, "brief impact sounds"), (8.71, 8.81, "brief impact sounds"),
(0.00, 10.00, "The sound of a truck").

The TAG query is the quoted text of the question (``... matching 'dogs barking'?``): the text
after ``matching '`` up to the last ``'``, else between the first and last quote mark.

The TQA question type (``extra["qtype"]``) is inferred from the question with keyword rules
(timebench's, FTAR has no field for it): ``duration`` ("how long", "duration", "how many
seconds", "last(s) for"), then ``count`` ("how many", "count", "number of", "how often"), then
``order`` ("first", "before", "after", "order", "earlier", "later", "precede", "follow",
"sequence"), else ``other``.  A count or duration answer written as text with exactly one number ("2.5 seconds")
is reduced to that number ("2.5"; the text stays in ``extra["answer_text"]``) so that numeric
QA metrics can compare it.

Audio paths in FTAR are the authors' absolute paths (``/data/WavCaps/AudioSet_SL_flac/x.flac``):
pass ``strip_prefix="/data/WavCaps/"`` and ``root=<your copy>`` (see
:func:`timebench.datasets.base.normalize_audio_path`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..io import iter_records, parse_number
from ..types import Event, Reference
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, dedupe_ids, default_root,
                   fit_events, make_reference, normalize_audio_path)

__all__ = ["load_ftar", "parse_tag_answer", "parse_caption_answer", "infer_qtype", "task_kind",
           "extract_query", "FTAR_TASKS"]

#: FTAR ``task`` strings (lower case) -> timebench kind.
FTAR_TASKS = {
    "dense audio caption": "dac",
    "dense audio captioning": "dac",
    "temporal audio grounding": "tag",
    "timeline speech summary": "tss",
    "timeline speech summarization": "tss",
    "audio tqa": "tqa",
    "open audio tqa": "tqa",
    "tqa": "tqa",
    "dac": "dac", "tag": "tag", "tss": "tss",
}

_NUM = r"\d+(?:\.\d+)?"
_INTERVAL = rf"({_NUM})[ \t]*-[ \t]*({_NUM})"
_INTERVAL_RE = re.compile(_INTERVAL)
_TAG_RE = re.compile(rf"{_INTERVAL}(?:\s*,\s*{_INTERVAL})*\.?")
_INTERVALS_PREFIX = re.compile(rf"{_INTERVAL}(?:, {_INTERVAL})*, ")
# the start of the next group: ". " + an interval list + ", "
_NEXT_GROUP = re.compile(rf"\.\s+(?={_INTERVAL}(?:, {_INTERVAL})*, )")
# a full stop followed by something interval-like that is not a well-formed group
_MALFORMED_GROUP = re.compile(rf"\.\s+{_NUM}\s*-\s*{_NUM}\s*,")


def task_kind(task: str) -> str | None:
    """Map an FTAR ``task`` string (or a short name) to ``dac``/``tag``/``tss``/``tqa``."""
    key = re.sub(r"[\s_-]+", " ", task.strip().lower())
    if key in FTAR_TASKS:
        return FTAR_TASKS[key]
    if "grounding" in key:
        return "tag"
    if "summar" in key:
        return "tss"
    if "caption" in key:
        return "dac"
    if re.search(r"\bt?qa\b|question", key):
        return "tqa"
    return None


def _intervals(text: str, *, path: str | None, line: int | None,
               field: str, issues: list | None = None) -> list[tuple[float, float]]:
    out = []
    for m in _INTERVAL_RE.finditer(text):
        onset, offset = float(m.group(1)), float(m.group(2))
        if onset > offset and issues is not None:  # official rule (rules.RULES["ftar"]): drop
            from .rules import DataIssue

            issues.append(DataIssue("inverted", "dropped", f"{path}:{line}",
                                    f"{field} {m.group(0)!r}"))
            continue
        if onset > offset:
            raise InputError(f"interval {m.group(0)!r} ends before it starts", path=path,
                             line=line, field=field)
        out.append((onset, offset))
    return out


def parse_tag_answer(answer: str, *, path: str | None = None, line: int | None = None,
                     field: str = "answer", issues: list | None = None) -> tuple[Event, ...]:
    """Parse a TAG answer ``"s - e[, s - e ...][.]"`` strictly (see the module grammar)."""
    if not isinstance(answer, str):
        raise InputError("expected a string", path=path, line=line, field=field)
    text = answer.strip()
    if not _TAG_RE.fullmatch(text):
        raise InputError(f"not a grounding answer '<start> - <end>[, ...]': {answer[:80]!r}",
                         path=path, line=line, field=field)
    return tuple(Event(s, e) for s, e in _intervals(text, path=path, line=line, field=field,
                                                    issues=issues))


def parse_caption_answer(answer: str, *, path: str | None = None, line: int | None = None,
                         field: str = "answer", issues: list | None = None
                         ) -> tuple[Event, ...]:
    """Parse a DAC/TSS answer (interval lists each followed by a caption) strictly."""
    if not isinstance(answer, str):
        raise InputError("expected a string", path=path, line=line, field=field)
    text = answer.strip()
    if not text:
        raise InputError("empty answer", path=path, line=line, field=field)
    events: list[Event] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _INTERVALS_PREFIX.match(text, pos)
        if m is None:
            raise InputError(f"expected '<start> - <end>, ... , <caption>' at character {pos}: "
                             f"{text[pos:pos + 60]!r}", path=path, line=line, field=field)
        spans = _intervals(m.group(0), path=path, line=line, field=field, issues=issues)
        nxt = _NEXT_GROUP.search(text, m.end())
        cap_end = nxt.start() if nxt else n
        caption = text[m.end():cap_end]
        if nxt is None and caption.endswith("."):
            caption = caption[:-1]
        caption = caption.strip()
        if not caption:
            raise InputError(f"missing caption after the intervals at character {m.end()}",
                             path=path, line=line, field=field)
        if _INTERVAL_RE.fullmatch(caption) or _TAG_RE.fullmatch(caption):
            raise InputError(f"caption {caption!r} is only a time interval", path=path,
                             line=line, field=field)
        if _MALFORMED_GROUP.search(caption):
            raise InputError(f"malformed interval list inside caption {caption[:60]!r}",
                             path=path, line=line, field=field)
        events.extend(Event(s, e, caption) for s, e in spans)
        pos = nxt.end() if nxt else n
    return tuple(events)


_QUOTES = "'\"\u2018\u2019\u201c\u201d"


def extract_query(question: str, *, path: str | None = None, line: int | None = None) -> str:
    """The quoted text of a TAG question (see the module docstring)."""
    m = re.search(r"matching\s+['\"\u2018\u201c]", question)
    if m:
        body = question[m.end():]
        end = max(body.rfind(q) for q in _QUOTES)
        if end > 0:
            return body[:end].strip()
    starts = [i for i, ch in enumerate(question) if ch in _QUOTES]
    if len(starts) >= 2 and starts[-1] - starts[0] > 1:
        query = question[starts[0] + 1:starts[-1]].strip()
        if query:
            return query
    raise InputError("no quoted query in the grounding question", path=path, line=line,
                     field="question")


_DURATION_Q = re.compile(r"\bhow long\b|\bduration\b|\bhow many seconds\b|\blasts?\s+for\b"
                         r"|\blength of\b|\bfor how long\b")
_COUNT_Q = re.compile(r"\bhow many\b|\bcount\b|\bnumber of\b|\bhow often\b")
_ORDER_Q = re.compile(r"\bfirst\b|\bbefore\b|\bafter\b|\border\b|\bearlier\b|\blater\b"
                      r"|\bprecede|\bfollow|\bsequence\b")


def infer_qtype(question: str) -> str:
    """``duration``, ``count``, ``order`` or ``other`` from keyword rules (module docstring)."""
    q = question.lower()
    if _DURATION_Q.search(q):
        return "duration"
    if _COUNT_Q.search(q):
        return "count"
    if _ORDER_Q.search(q):
        return "order"
    return "other"


_ONE_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numeric_answer(answer: str, extra: dict) -> str:
    """A count/duration answer written as text ("2.5 seconds") -> its one number ("2.5"), so
    the QA metric compares numbers; the text is kept in ``extra["answer_text"]``.  Answers with
    no number or several numbers stay verbatim."""
    numbers = _ONE_NUMBER.findall(answer)
    if len(numbers) != 1 or answer.strip() == numbers[0]:
        return answer
    extra["answer_text"] = answer
    return numbers[0]


def _text_field(item: dict, key: str, *, path: str, line: int, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            raise InputError("missing", path=path, line=line, field=key)
        return None
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}", path=path, line=line,
                         field=key)
    return value


def load_ftar(path: str | Path, *, root: str | Path | None = None, task: str | None = None,
              strip_prefix: str | None = None, basename: bool = False,
              duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
              on_invalid: str = "official") -> LoadedDataset:
    """Load an FTAR JSON file (a list, or JSON Lines), optionally keeping one task.

    ``task`` is a short kind (``"tag"``, ``"dac"``, ``"tss"``, ``"tqa"``) or an FTAR task
    string; rows of other tasks are skipped.  See the module docstring for the answer grammar
    and the path options.  Rows that break their own constraints follow
    ``rules.RULES["ftar"]`` (inverted intervals dropped, intervals past the duration clipped,
    a grounding row left without an interval dropped); ``on_invalid="error"`` is strict.
    """
    from .rules import DataIssue, check_on_invalid, issue_notes, rule_for

    spath = str(path)
    strict = check_on_invalid(on_invalid) == "error"
    rule = rule_for("ftar")
    issues: list = []
    want = None
    if task is not None:
        want = task_kind(task)
        if want is None:
            raise InputError(f"unknown FTAR task {task!r}; use tag, dac, tss or tqa",
                             field="task")
    base = default_root(path, root)
    refs: list[Reference] = []
    kinds: set[str] = set()
    clipped = 0
    for line, item in iter_records(path):
        raw_task = _text_field(item, "task", path=spath, line=line)
        kind = task_kind(raw_task)
        if kind is None:
            raise InputError(f"unknown FTAR task {raw_task!r}", path=spath, line=line,
                             field="task")
        if want is not None and kind != want:
            continue
        ref, n_clipped = _row(item, kind, path=spath, line=line, root=base,
                              strip_prefix=strip_prefix, basename=basename,
                              tolerance=duration_tolerance, issues=None if strict else issues,
                              rule=rule)
        clipped += n_clipped
        if ref is None:
            issues.append(DataIssue("empty_query", "dropped", f"{spath}:{line}",
                                    "no usable interval left"))
            continue
        kinds.add(kind)
        refs.append(ref)
    refs, notes = dedupe_ids(refs)
    if clipped:
        notes.append(f"{clipped} event offset(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    return LoadedDataset(references=tuple(refs), labels=None, root=base,
                         source=f"ftar:{spath}",
                         task_kind=want or (next(iter(kinds)) if len(kinds) == 1 else None),
                         notes=tuple(notes), issues=tuple(issues),
                         rule=None if strict else rule.describe())


def _row(item: dict, kind: str, *, path: str, line: int, root: Path | None,
         strip_prefix: str | None, basename: bool, tolerance: float,
         issues: list | None = None, rule=None) -> tuple[Reference | None, int]:
    if "id" not in item:
        raise InputError("missing", path=path, line=line, field="id")
    rid = item["id"]
    if isinstance(rid, bool) or not isinstance(rid, (str, int)) or str(rid) == "":
        raise InputError("expected a non-empty string", path=path, line=line, field="id")
    audio = normalize_audio_path(item.get("audio"), root=root, strip_prefix=strip_prefix,
                                 basename=basename, path=path, line=line, field="audio")
    question = _text_field(item, "question", path=path, line=line)
    answer = _text_field(item, "answer", path=path, line=line)
    duration = item.get("duration")
    if duration is not None:
        duration = parse_number(duration, field="duration", path=path, line=line)
    extra: dict[str, Any] = {"ftar_task": item["task"]}
    for key, value in item.items():
        if key not in ("id", "audio", "question", "answer", "task", "duration"):
            extra[key] = value
    events: Iterable[Event] = ()
    query = None
    ref_answer: Any = None
    if kind == "tag":
        events = parse_tag_answer(answer, path=path, line=line, issues=issues)
        query = extract_query(question, path=path, line=line)
    elif kind in ("dac", "tss"):
        events = parse_caption_answer(answer, path=path, line=line, issues=issues)
    else:
        if not answer.strip():
            raise InputError("empty answer", path=path, line=line, field="answer")
        ref_answer = answer
        extra["qtype"] = infer_qtype(question)
        if extra["qtype"] in ("count", "duration"):
            ref_answer = _numeric_answer(answer, extra)
    if issues is None:
        events, clipped = fit_events(tuple(events), duration, tolerance=tolerance, path=path,
                                     line=line, field="answer")
    else:
        from .rules import apply_window_rule

        clipped = 0
        events = apply_window_rule(tuple(events), duration, rule, where=f"{path}:{line}",
                                   field="answer", issues=issues)
        if kind != "tqa" and not events:
            return None, 0
    ref = make_reference(id=str(rid), audio=audio, duration=duration, query=query,
                         question=question, events=events, answer=ref_answer, extra=extra,
                         source=f"{path}:{line}")
    return ref, clipped
