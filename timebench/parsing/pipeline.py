"""Named, composable parser pipelines.

A :class:`Pipeline` is a name, a tuple of :class:`~.steps.Step` objects and option defaults.
The steps (normalisers, extraction, post-processing, scalar steps) live in :mod:`.steps`; this
module composes them into the registered pipelines (``PIPELINES``: ``lenient``, ``strict``,
``spotsound``, ``timeaudio``, ``number``, ``choice``, ``yesno``) and resolves options.  The
step classes are re-exported here.

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
from typing import Any

from ..errors import InputError
from ..registry import Registry
from ..types import ParsedAnswer
from .captions import vocab_words
from .conclude import Conclude
from .context import ParseContext, label_tuple
from .intervals import RegexPairs, TokenIntervals, short
from .relative import ClipPhrases
from .roles import RoleIntervals
from .steps import (
    MAX_CHARS,
    AttachCaptions,
    ChooseAnswer,
    DecodeTimeTokens,
    Dedupe,
    DropPromptExamples,
    Extract,
    ExtractChoice,
    ExtractNumber,
    ExtractYesNo,
    MapLabels,
    Merge,
    Normalise,
    RemovePromptEcho,
    Repair,
    ResolveRelative,
    Step,
)
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
