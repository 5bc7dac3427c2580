"""Named, composable parser pipelines.

A :class:`Pipeline` is a name, a tuple of :class:`Step` objects and option defaults.  A step is
any object with a ``name``, a mapping ``OPTIONS`` (option name -> default) and
``__call__(ctx)`` that reads and updates a :class:`~timebench.parsing.context.ParseContext`
(and notes what it changed).  Steps come in three groups:

* normalisers: :class:`Normalise`, :class:`DecodeTimeTokens`, :class:`RemovePromptEcho`;
* extraction: :class:`Extract` runs extractors (:class:`~.roles.RoleIntervals`,
  :class:`~.intervals.TokenIntervals`,
  :class:`~.structured.JsonIntervals`, :class:`~.tables.TableIntervals`,
  :class:`~.relative.ClipPhrases`,
  :class:`~.intervals.RegexPairs`) either *merged by
  position* (every extractor runs; a span already taken by an earlier extractor is skipped) or
  *first* (the first extractor that finds anything wins), then :class:`ChooseAnswer` and
  :class:`AttachCaptions`;
* post-processing: :class:`ResolveRelative`, :class:`Repair`, :class:`DropPromptExamples`,
  :class:`Dedupe`, :class:`Merge`, :class:`MapLabels`, and :class:`Conclude` (presence/absence
  and failure), or one scalar step (:class:`ExtractNumber`, :class:`ExtractChoice`,
  :class:`ExtractYesNo`).

Options are resolved as step defaults < pipeline defaults < the caller's ``options``; an unknown
option name raises :class:`~timebench.errors.InputError` with a "did you mean".  Options:

=================  =========  ====================================================================
option             default    meaning
=================  =========  ====================================================================
``min_length``     0.0        drop intervals not longer than this after clipping (spotsound 0.001)
``swap``           True       swap inverted intervals (False: reject them)
``clip``           True       clip to ``[0, duration]`` (to ``[0, inf)`` without a duration)
``dedupe``         True       drop exact duplicates
``merge``          False      merge overlapping intervals with the same label
``map_labels``     True       map captions onto ``labels`` (the SED vocabulary) when given
``captions``       True       attach captions from the text around each interval
``count_filter``   True       reject plain-integer pairs followed by a noun (``2-3 dogs``)
``point_window``   None       widen single time points to ``[t - w, t + w]`` instead of noting them
``remove_echo``    True       remove echoes of the prompt's example (needs ``prompt``)
``presence``       True       read absence/affirmation statements when no interval is found
``single_query``   False      one queried event: answer block / conclusion / breakdown rules
``max_chars``      200000     a longer answer is not parsed (failure, reason ``too_long``)
=================  =========  ====================================================================
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, ClassVar, Protocol, runtime_checkable

from ..errors import InputError
from ..registry import Registry
from ..types import ParsedAnswer
from .captions import attach_captions, vocab_words
from .choose import choose_answer
from .conclude import Conclude
from .context import ParseContext, label_tuple
from .echo import remove_prompt_echo
from .intervals import Candidate, RegexPairs, TokenIntervals, short
from .normalise import clean_text, collapse_whitespace, decode_time_tokens, time_number_words
from .postprocess import dedupe, drop_prompt_examples, map_labels, merge_overlaps, repair
from .relative import ClipPhrases, resolve_relative
from .roles import RoleIntervals
from .scalar import extract_choice, extract_number, extract_yesno
from .structured import JsonIntervals
from .tables import TableIntervals

__all__ = [
    "Step", "Pipeline", "PIPELINES", "get_pipeline",
    "Normalise", "DecodeTimeTokens", "RemovePromptEcho", "Extract", "ChooseAnswer",
    "AttachCaptions",
    "ResolveRelative", "Repair", "DropPromptExamples", "Dedupe", "Merge", "MapLabels",
    "Conclude", "ExtractNumber", "ExtractChoice", "ExtractYesNo",
    "SPOTSOUND_FROM_RE", "SPOTSOUND_PAIR_RE", "TIMEAUDIO_PAIR_RE",
]


#: Longest answer parsed (characters); a longer one fails with reason ``too_long``.  Parsing
#: is linear but costs a few microseconds a character: 200 000 characters take about a second,
#: a 16 MiB answer would take minutes and gigabytes.  Option ``max_chars``.
MAX_CHARS = 200_000


@runtime_checkable
class Step(Protocol):
    """One stage of a pipeline: ``step(ctx)`` updates the context and notes what it did."""

    name: str
    OPTIONS: ClassVar[Mapping[str, Any]]

    def __call__(self, ctx: ParseContext) -> None: ...


# ------------------------------------------------------------------------------ normalisers --
@dataclass(frozen=True)
class Normalise:
    """Wrappers, special tokens, Unicode folding, white space (see :mod:`.normalise`).

    ``fold``: NFKC + dash folding (off for strict and the reproduction pipelines, which match
    exactly what their originals matched).  ``words``: number words before a time unit become
    digits (``five seconds``; the lenient pipeline).  ``special``: remove end-of-sequence tokens
    (``</s>``...).  With both off only white-space runs are collapsed, which cannot change what
    a pattern built from ``\\s*`` matches but bounds its backtracking.
    """

    fold: bool = True
    special: bool = True
    words: bool = False
    name: str = "normalise"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"max_chars": MAX_CHARS}

    def __call__(self, ctx: ParseContext) -> None:
        if self.fold:
            ctx.text, notes = clean_text(ctx.text)
            if self.words:
                ctx.text, more = time_number_words(ctx.text)
                notes.extend(more)
        elif self.special:
            ctx.text, notes = _light_clean(ctx.text)
        else:
            ctx.text, notes = collapse_whitespace(ctx.text), []
        ctx.clean = ctx.text
        for n in notes:
            ctx.note(n)


_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]{1,40}\|>|</?s>|<pad>|<unk>", re.IGNORECASE)


def _light_clean(text: str) -> tuple[str, list[str]]:
    new = _SPECIAL.sub(" ", text) if "<" in text else text
    notes = ["removed special tokens"] if new != text else []
    return collapse_whitespace(new), notes


@dataclass(frozen=True)
class DecodeTimeTokens:
    """TimeAudio time markers -> numbers (v3 ``<a_d><f_d>``, v2 ``<TIME_d>``, v1 ``<12.5>``)."""

    versions: tuple[str, ...] = ("v3", "v2", "v1")
    pair_v1: bool = True
    exact_v3: bool = False
    name: str = "decode_time_tokens"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        ctx.text, notes = decode_time_tokens(ctx.text, versions=self.versions,
                                             pair_v1=self.pair_v1, exact_v3=self.exact_v3)
        for n in notes:
            ctx.note(n)


@dataclass(frozen=True)
class RemovePromptEcho:
    """Remove the prompt's echoed example (see :mod:`.echo`); needs ``prompt``."""

    name: str = "remove_prompt_echo"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"remove_echo": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("remove_echo", True):
            remove_prompt_echo(ctx)


# ------------------------------------------------------------------------------- extraction --
_START = attrgetter("start")


@dataclass(frozen=True)
class Extract:
    """Run interval extractors; ``mode`` is ``"merge"`` (by position) or ``"first"``."""

    extractors: tuple[Any, ...]
    mode: str = "merge"
    name: str = "extract"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"count_filter": True, "point_window": None}

    def __post_init__(self):
        if self.mode not in ("merge", "first"):
            raise ValueError(f"Extract mode must be 'merge' or 'first', got {self.mode!r}")

    def __call__(self, ctx: ParseContext) -> None:
        text = ctx.text
        found: list[Candidate] = []
        if self.mode == "first":
            for ex in self.extractors:
                found = ex.extract(text, ctx)
                if found:
                    break
        else:
            occupied = bytearray(len(text) + 1)
            for ex in self.extractors:
                got = ex.extract(text, ctx, occupied)
                if not got:
                    continue
                got = [c for c in got
                       if occupied.find(1, c.start, max(c.end, c.start + 1)) == -1]
                for c in got:  # several candidates may share one span (a JSON block)
                    occupied[c.start:c.end] = b"\x01" * (c.end - c.start)
                found.extend(got)
            found.sort(key=_START)
        if found:
            counts: dict[str, int] = {}
            for c in found:
                counts[c.rule] = counts.get(c.rule, 0) + 1
            ctx.note("matched " + ", ".join(f"{k} x{v}" for k, v in counts.items()))
        ctx.candidates = found


@dataclass(frozen=True)
class ChooseAnswer:
    """Which windows are the answer, when an answer also reasons (see :mod:`.choose`).

    Option ``single_query`` (the answer is about one queried event): an explicit answer block
    wins over windows elsewhere, a concluding sentence over earlier windows, and windows
    inside a stated window are a breakdown.
    """

    name: str = "choose_answer"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"single_query": False}

    def __call__(self, ctx: ParseContext) -> None:
        if len(ctx.candidates) >= 2:
            choose_answer(ctx)


@dataclass(frozen=True)
class AttachCaptions:
    """Captions from the text around each interval (see :mod:`.captions`)."""

    name: str = "attach_captions"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"captions": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("captions", True) and ctx.candidates:
            attach_captions(ctx.text, ctx.candidates)


# ------------------------------------------------------------------------- post-processing --
@dataclass(frozen=True)
class ResolveRelative:
    """Percentages of the clip -> seconds (see :mod:`.relative`)."""

    name: str = "resolve_relative"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        resolve_relative(ctx)


@dataclass(frozen=True)
class Repair:
    """Non-finite, swap, clip, drop short (see :func:`.postprocess.repair`)."""

    name: str = "repair"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"swap": True, "clip": True, "min_length": 0.0}

    def __call__(self, ctx: ParseContext) -> None:
        # a relative candidate that reached here has no duration: resolve_relative dropped it
        ctx.candidates = [c for c in ctx.candidates if not (c.relative or c.from_end)]
        repair(ctx)


@dataclass(frozen=True)
class DropPromptExamples:
    """Drop intervals equal to the prompt's example when others remain."""

    name: str = "drop_prompt_examples"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"remove_echo": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("remove_echo", True):
            drop_prompt_examples(ctx)


@dataclass(frozen=True)
class Dedupe:
    name: str = "dedupe"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"dedupe": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("dedupe", True):
            dedupe(ctx)


@dataclass(frozen=True)
class Merge:
    name: str = "merge"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"merge": False}

    def __call__(self, ctx: ParseContext) -> None:
        merge_overlaps(ctx)


@dataclass(frozen=True)
class MapLabels:
    name: str = "map_labels"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"map_labels": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("map_labels", True):
            map_labels(ctx)


# ---------------------------------------------------------------------------------- scalars --
@dataclass(frozen=True)
class ExtractNumber:
    name: str = "extract_number"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        extract_number(ctx)


@dataclass(frozen=True)
class ExtractChoice:
    name: str = "extract_choice"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        if not ctx.labels:
            raise InputError("the 'choice' parser needs the answer options (labels)",
                             field="labels")
        extract_choice(ctx)


@dataclass(frozen=True)
class ExtractYesNo:
    name: str = "extract_yesno"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        extract_yesno(ctx)


# --------------------------------------------------------------------------------- pipeline --
@dataclass(frozen=True)
class Pipeline:
    """A named sequence of steps with option defaults (see module docstring)."""

    name: str
    steps: tuple[Any, ...]
    description: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    _resolved: Mapping[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        out: dict[str, Any] = {}
        for step in self.steps:
            out.update(getattr(step, "OPTIONS", {}))
        unknown = set(self.defaults) - set(out)
        if unknown:
            raise ValueError(f"pipeline {self.name!r}: defaults for unknown options "
                             f"{sorted(unknown)}")
        out.update(self.defaults)
        object.__setattr__(self, "_resolved", out)

    def option_defaults(self) -> dict[str, Any]:
        """Every option this pipeline's steps read, with this pipeline's defaults."""
        return dict(self._resolved)

    def resolve_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overridden by ``options``; unknown names raise ``InputError``."""
        opts = self.option_defaults()
        if not options:
            return opts
        for key, value in options.items():
            if key not in opts:
                close = difflib.get_close_matches(str(key), list(opts), n=2, cutoff=0.6)
                hint = (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else f"; known: {', '.join(sorted(opts))}")
                raise InputError(f"unknown option '{key}' for parser '{self.name}'{hint}",
                                 field="parser.options")
            opts[key] = _check_option(key, value, opts[key])
        return opts

    def with_options(self, options: Mapping[str, Any] | None = None, *,
                     name: str | None = None) -> Pipeline:
        """A copy whose defaults include ``options`` (validated)."""
        if not options and name is None:
            return self
        merged = dict(self.defaults)
        if options:
            self.resolve_options(options)
            merged.update(options)
        return replace(self, defaults=merged, name=name or self.name)

    def parse(self, text: str | None, *, duration: float | None = None,
              prompt: str | None = None, labels: Sequence[str] | None = None,
              options: Mapping[str, Any] | None = None) -> ParsedAnswer:
        """Parse one model answer (see :func:`timebench.parsing.parse`)."""
        opts = self.resolve_options(options)
        if text is not None and not isinstance(text, str):
            text = str(text)
            coerced = True
        else:
            coerced = False
        if text is None or not text.strip():
            return ParsedAnswer(failed=True, notes=("empty output",), parser=self.name)
        limit = opts.get("max_chars", MAX_CHARS)
        if limit is not None and len(text) > limit:
            return ParsedAnswer(failed=True, parser=self.name, reason="too_long",
                                notes=(f"answer too long: {len(text)} characters "
                                       f"(limit {int(limit)}); not parsed",))
        labs = label_tuple(labels)
        ctx = ParseContext(raw=text, text=text, duration=None, prompt=prompt, labels=labs,
                           opts=opts)
        if coerced:
            ctx.note("non-string answer converted to text")
        if duration is not None:
            try:
                d = float(duration)
            except (TypeError, ValueError):
                d = math.nan
            if math.isfinite(d) and d > 0:
                ctx.duration = d
            else:
                ctx.note(f"ignored invalid duration {short(repr(duration))}")
        if labs:
            ctx.vocab = vocab_words(labs)
        for step in self.steps:
            step(ctx)
            if ctx.done:
                break
        return ctx.result(self.name)


_NUMERIC_OPTIONS = {"min_length": False, "point_window": True,   # name -> None allowed
                    "max_chars": True}


def _check_option(key: str, value: Any, default: Any) -> Any:
    """Validate one option value against the type of its default."""
    if key in _NUMERIC_OPTIONS:
        if value is None and _NUMERIC_OPTIONS[key]:
            return None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise InputError(f"parser option '{key}' must be a finite number >= 0"
                             f"{' or null' if _NUMERIC_OPTIONS[key] else ''}, got {value!r}",
                             field=f"parser.options.{key}")
        return float(value)
    if isinstance(default, bool) and not isinstance(value, bool):
        raise InputError(f"parser option '{key}' must be true or false, got {value!r}",
                         field=f"parser.options.{key}")
    return value


# ------------------------------------------------------------------------ built-in pipelines --
#: RELTWIN ``scripts/interval_metrics.py`` (third-party SpotSound evaluator), verbatim.
SPOTSOUND_FROM_RE = re.compile(
    r"from\s*(-?\d+(?:\.\d+)?)\s*s?\s*(?:econds)?\s*to\s*(-?\d+(?:\.\d+)?)\s*s?", re.I)
#: RELTWIN's fallback regex plus one guard, ``(?<!\d)`` before the first digit run.  The
#: original tries a match at every digit of a long digit run (quadratic: 100 000 digits took
#: minutes); a match can only start at the first digit of a run anyway (a later start uses the
#: same continuation with fewer digits), so ``findall`` returns the same pairs (tested).
SPOTSOUND_PAIR_RE = re.compile(
    r"(-?(?<!\d)\d+(?:\.\d+)?)\s*s\s*(?:-|to|–)\s*(-?\d+(?:\.\d+)?)\s*s", re.I)
#: TimeAudio ``instruct_dataset.format_answer_v3`` pair regex, with the same ``(?<!\d)`` guard.
TIMEAUDIO_PAIR_RE = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)")

PIPELINES: Registry[Pipeline] = Registry("parser pipeline")

LENIENT = Pipeline(
    "lenient",
    (Normalise(words=True), DecodeTimeTokens(), RemovePromptEcho(),
     Extract((JsonIntervals(), TableIntervals(), ClipPhrases(), RoleIntervals(),
              TokenIntervals()), mode="merge"),
     ChooseAnswer(), AttachCaptions(),
     ResolveRelative(), Repair(), DropPromptExamples(), Dedupe(), Merge(), MapLabels(),
     Conclude("lenient")),
    description="every supported form (docs/PARSING.md); default for every task",
)
STRICT = Pipeline(
    "strict",
    (Normalise(fold=False),
     Extract((JsonIntervals(), TokenIntervals(rules=("range",), kinds=("num",),
                                              units=(None, "s"), connector=r" ?- ?",
                                              name="dash")), mode="first"),
     AttachCaptions(), Repair(), Dedupe(), MapLabels(), Conclude("strict")),
    description="canonical forms only: JSON windows or 's - e' (ASCII hyphen), Yes/No",
)
SPOTSOUND = Pipeline(
    "spotsound",
    (Normalise(fold=False, special=False),
     Extract((RegexPairs(SPOTSOUND_FROM_RE, "spotsound_from"),
              RegexPairs(SPOTSOUND_PAIR_RE, "spotsound_pair")), mode="first"),
     Repair(), Conclude("lenient")),
    description="third-party SpotSound evaluator (RELTWIN): 'from X s to Y s', fallback "
                "'X s - Y s', swap, clip, drop <= 1 ms",
    defaults={"min_length": 0.001},
)
TIMEAUDIO = Pipeline(
    "timeaudio",
    (Normalise(fold=False), DecodeTimeTokens(exact_v3=True),
     Extract((RegexPairs(TIMEAUDIO_PAIR_RE, "timeaudio_pair"),), mode="first"),
     AttachCaptions(), Repair(), Dedupe(), MapLabels(), Conclude("lenient")),
    description="TimeAudio time tokens (decode_time_answer_v3/v2/v1), then 'X - Y'",
)
NUMBER = Pipeline("number", (Normalise(), DecodeTimeTokens(), ExtractNumber()),
                  description="one number: counts and durations (value: float)")
CHOICE = Pipeline("choice", (Normalise(), ExtractChoice()),
                  description="which of the given options (labels) the answer names")
YESNO = Pipeline("yesno", (Normalise(), DecodeTimeTokens(), ExtractYesNo()),
                 description="yes/no (value: bool), for presence questions")

for _p, _aliases in ((LENIENT, ("default", "flexible")), (STRICT, ("strict-match",)),
                     (SPOTSOUND, ("reltwin",)), (TIMEAUDIO, ()), (NUMBER, ("count",)),
                     (CHOICE, ("mcq",)), (YESNO, ("yes_no", "presence"))):
    PIPELINES.register(_p.name, _p, aliases=_aliases)


def get_pipeline(name: str | Pipeline, options: Mapping[str, Any] | None = None) -> Pipeline:
    """The registered pipeline ``name`` (``UnknownNameError`` with "did you mean" otherwise),
    with ``options`` baked into its defaults when given."""
    pipe = name if isinstance(name, Pipeline) else PIPELINES.get(name)
    return pipe.with_options(options)
