"""Weight-free baselines: ``oracle`` (ceiling), ``random`` (chance floor) and ``noop`` (overhead).

They need no model and no download, so every part of the harness can be run and checked
anywhere.  The signal-processing baselines live next to them: :mod:`model_adapters.energy`
(an energy/onset detector with per-class spectral templates), :mod:`model_adapters.vad`
(silero-vad speech timing) and :mod:`model_adapters.replay` (predictions made elsewhere).

Every baseline answers with *structured* output (``events``, ``present``, ``answer``) and also a
plain-text rendering of the same answer (:func:`render_text`), so the report can show it and a
text-only consumer sees the same thing.  This module imports only the standard library and numpy
(through :mod:`timebench.datasets.mini.rng`), never torch.

Randomness (``random``) is derived from :attr:`Request.seed` alone, which the runner sets from
the run seed and the sample id: the answer for a sample never depends on batch size, sample
order or sharding.  The draws use :class:`timebench.datasets.mini.rng.StableRng` (raw PCG64
words turned into numbers with fixed arithmetic), so they are also the same with every NumPy
release.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

from timebench.errors import InputError
from timebench.types import Event

from .base import Generation, ModelAdapter, Request

__all__ = [
    "Setting", "BaselineAdapter", "request_duration", "render_text", "infer_qtype",
    "OracleAdapter", "RandomAdapter", "NoopAdapter", "GENERIC_CAPTIONS", "GENERIC_SUMMARIES",
]

TASK_KINDS = ("grounding", "presence", "detection", "captioning", "summary", "qa")


# -- settings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One declared adapter setting: its default, accepted type(s), a check and a description."""

    default: Any
    types: type | tuple[type, ...]
    doc: str
    check: Callable[[Any], bool] | None = None
    rule: str = ""          # what ``check`` demands, for the error message


def _type_ok(value: Any, types: type | tuple[type, ...]) -> bool:
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


class BaselineAdapter(ModelAdapter):
    """A :class:`ModelAdapter` whose settings are declared in :attr:`settings_spec`.

    Unknown settings and values of the wrong type raise :class:`~timebench.errors.InputError`
    naming the setting.  :attr:`settings` holds every effective value (defaults included), so
    ``config()`` and ``fingerprint()`` record exactly what produced the outputs.
    """

    settings_spec: ClassVar[Mapping[str, Setting]] = {}
    version: ClassVar[str] = "1"

    def __init__(self, **settings: Any) -> None:
        resolved: dict[str, Any] = {}
        for key, value in settings.items():
            if key in self.runtime_settings:
                resolved[key] = value
                continue
            spec = self.settings_spec.get(key)
            if spec is None:
                known = sorted(self.settings_spec) or ["none"]
                raise InputError(f"unknown setting '{key}' for adapter '{self.name}'; "
                                 f"known: {', '.join(known)}", field=key)
            if value is None and spec.default is None:
                resolved[key] = None
                continue
            types = spec.types if isinstance(spec.types, tuple) else (spec.types,)
            if not _type_ok(value, types):
                raise InputError(f"adapter '{self.name}': expected "
                                 f"{' or '.join(t.__name__ for t in types)}, got {value!r}",
                                 field=key)
            if isinstance(value, int) and not isinstance(value, bool) and float in types \
                    and int not in types:
                value = float(value)
            if spec.check is not None and not spec.check(value):
                raise InputError(f"adapter '{self.name}': {spec.rule or 'invalid value'}, "
                                 f"got {value!r}", field=key)
            resolved[key] = value
        for key, spec in self.settings_spec.items():
            resolved.setdefault(key, spec.default)
        super().__init__(**resolved)

    def opt(self, key: str) -> Any:
        """The effective value of a declared setting."""
        return self.settings[key]


# -- shared helpers -------------------------------------------------------------------------------

def request_duration(request: Request) -> float | None:
    """The clip length: ``Request.duration``, else the waveform length, else ``None``."""
    if request.duration is not None and math.isfinite(request.duration) and request.duration > 0:
        return float(request.duration)
    if request.waveform is not None and request.sample_rate:
        n = int(getattr(request.waveform, "shape", (len(request.waveform),))[-1])
        if n > 0:
            return n / float(request.sample_rate)
    return None


def _fmt(t: float) -> str:
    return f"{t:.2f}"


def render_text(kind: str, *, events: Sequence[Event] | None = None, present: bool | None = None,
                answer: Any = None) -> str:
    """A plain-text rendering of a structured answer, in the shapes the task prompts ask for.

    * grounding: ``"12.30 - 15.00, 20.00 - 21.50"`` (``"No matching sound."`` without events);
    * presence: ``"No."`` when absent, else ``"Yes. 12.30 - 15.00"``;
    * detection / captioning / summary: one ``"start - end, label"`` line per event;
    * qa: the answer (booleans as ``Yes`` / ``No``).
    """
    events = tuple(events or ())
    if kind == "qa":
        if isinstance(answer, bool):
            return "Yes" if answer else "No"
        if isinstance(answer, float):
            return f"{answer:g}"
        return "" if answer is None else str(answer)
    windows = ", ".join(f"{_fmt(e.onset)} - {_fmt(e.offset)}" for e in events)
    if kind == "presence":
        if present is False or (present is None and not events):
            return "No."
        return f"Yes. {windows}" if events else "Yes."
    if kind == "grounding":
        return windows if events else "No matching sound."
    lines = [f"{_fmt(e.onset)} - {_fmt(e.offset)}, {e.label}" if e.label else
             f"{_fmt(e.onset)} - {_fmt(e.offset)}" for e in events]
    return "\n".join(lines)


_YESNO_START = re.compile(r"^\s*(is|are|does|do|did|was|were|can|could|has|have|will)\b", re.I)


def infer_qtype(request: Request) -> str:
    """The question type of a QA request: ``meta['qtype']`` if the runner gave it, else guessed.

    Guess (timebench's rule): options given -> ``choice``; "how many" -> ``count``; "how long"
    or "duration" -> ``duration``; a question opening with an auxiliary verb (is, does, ...) ->
    ``yesno``; otherwise ``other``.
    """
    qtype = request.meta.get("qtype") if isinstance(request.meta, Mapping) else None
    if isinstance(qtype, str) and qtype:
        return qtype
    if request.options:
        return "choice"
    q = (request.question or request.prompt or "").lower()
    if "how many" in q:
        return "count"
    if "how long" in q or "duration" in q:
        return "duration"
    if _YESNO_START.match(q):
        return "yesno"
    return "other"


# -- oracle ---------------------------------------------------------------------------------------

class OracleAdapter(BaselineAdapter):
    """Returns the reference itself: the metric ceiling (a sanity check of the whole pipeline).

    The runner attaches :attr:`Request.reference` because ``needs_reference`` is set.  Events are
    returned exactly (captions and summaries are their labels), with ``present`` and ``answer``
    copied; a request without a reference gets an error (scored as a failure).
    """

    name = "oracle"
    outputs = frozenset({"text", "events", "presence"})
    sample_rate = None           # never looks at audio
    needs_reference = True
    version = "1"

    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            ref = r.reference
            if ref is None:
                out.append(Generation(error="oracle needs the reference, but the request has none"))
                continue
            kind = r.kind
            events = tuple(ref.events)
            present = ref.present
            if present is None and kind == "presence":
                present = bool(events)
            if kind == "qa":
                out.append(Generation(text=render_text(kind, answer=ref.answer), answer=ref.answer))
                continue
            out.append(Generation(text=render_text(kind, events=events, present=present),
                                  events=events, present=present, answer=ref.answer))
        return out


# -- random ---------------------------------------------------------------------------------------

#: Captions drawn by ``random`` for dense captioning (generic, no class knowledge).
GENERIC_CAPTIONS = ("a sound", "a noise", "someone speaks", "a tone plays", "a loud sound",
                    "a short sound", "a machine sound", "background noise")
#: Summaries drawn by ``random`` for timeline speech summaries.
GENERIC_SUMMARIES = ("someone speaks", "a person talks", "the speaker explains something",
                     "the speaker describes an event", "a conversation")

_RANDOM_SALT = 0x7A3D_5EED


def _stable_rng(seed: int, salt: int):
    """A :class:`StableRng` seeded from the request seed and the adapter seed only."""
    from timebench.datasets.mini.rng import StableRng

    digest = hashlib.sha256(f"timebench-random:{int(seed)}:{int(salt)}".encode()).digest()
    return StableRng(int.from_bytes(digest[:8], "little"))


class RandomAdapter(BaselineAdapter):
    """Chance floor: a random answer of the right shape for every task kind.

    Distributions (``D`` = clip duration, ``U`` = uniform; every draw from the request seed):

    * grounding: one window ``[min(u1, u2), max(u1, u2)]`` with ``u1, u2 ~ U(0, D)``
      (expected length ``D / 3``);
    * presence: present with probability ``p_present`` (0.5); if present, one window as above;
    * detection: ``n ~ U{0..max_events}`` events, each with a label ``~ U(Request.labels)``
      (``"sound"`` without labels), onset ``~ U(0, D)``, length ``~ U(min_length, max_length)``,
      offset clipped to ``D``;
    * captioning / summary: ``n ~ U{1..max_events}`` events drawn like detection, labelled with
      a caption from :data:`GENERIC_CAPTIONS` / a summary from :data:`GENERIC_SUMMARIES`;
    * qa (type from :func:`infer_qtype`): choice/order -> an option ``~ U(options)``;
      count -> ``U{0..max_count}``; duration -> ``U(min_length, min(max_length, D))`` rounded to
      0.1 s; yes/no -> a fair coin; other -> an option if there are options, else a fair coin.

    Without a known duration (no ``duration`` and no waveform) ``D`` is ``default_duration``.
    """

    name = "random"
    outputs = frozenset({"text", "events", "presence"})
    sample_rate = None
    version = "1"
    settings_spec = {
        "seed": Setting(0, int, "added to every request seed (another random baseline)"),
        "p_present": Setting(0.5, float, "probability of answering 'present' (presence tasks)",
                             lambda v: 0.0 <= v <= 1.0, "must be in [0, 1]"),
        "max_events": Setting(5, int, "most events drawn for detection / captioning / summary",
                              lambda v: v >= 1, "must be >= 1"),
        "min_length": Setting(0.3, float, "shortest event length in seconds",
                              lambda v: v > 0, "must be > 0"),
        "max_length": Setting(5.0, float, "longest event length in seconds",
                              lambda v: v > 0, "must be > 0"),
        "max_count": Setting(5, int, "largest count answered for 'how many' questions",
                             lambda v: v >= 0, "must be >= 0"),
        "default_duration": Setting(30.0, float, "duration assumed when a request has none",
                                    lambda v: v > 0, "must be > 0"),
    }

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        if self.opt("max_length") < self.opt("min_length"):
            raise InputError(f"adapter 'random': max_length {self.opt('max_length')} is below "
                             f"min_length {self.opt('min_length')}", field="max_length")

    # one window [min(u1,u2), max(u1,u2)]
    @staticmethod
    def _window(rng, duration: float) -> Event:
        a, b = rng.random() * duration, rng.random() * duration
        return Event(round(min(a, b), 3), round(max(a, b), 3))

    def _events(self, rng, duration: float, n: int, labels: Sequence[str]) -> tuple[Event, ...]:
        lo, hi = self.opt("min_length"), self.opt("max_length")
        out = []
        for _ in range(n):
            label = rng.choice(labels)
            onset = rng.random() * duration
            length = lo + rng.random() * (hi - lo)
            offset = min(duration, onset + length)
            out.append(Event(round(onset, 3), round(offset, 3), label))
        out.sort(key=lambda e: (e.onset, e.offset, e.label or ""))
        return tuple(out)

    def _answer(self, rng, request: Request, duration: float) -> Any:
        qtype = infer_qtype(request)
        options = tuple(request.options)
        if qtype in ("choice", "order") and options:
            return rng.choice(options)
        if qtype == "count":
            return rng.integer(0, self.opt("max_count"))
        if qtype == "duration":
            lo = self.opt("min_length")
            hi = max(lo, min(self.opt("max_length"), duration))
            return round(lo + rng.random() * (hi - lo), 1)
        if qtype == "yesno" or not options:
            return rng.random() < 0.5
        return rng.choice(options)

    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            rng = _stable_rng(r.seed, _RANDOM_SALT + self.opt("seed"))
            duration = request_duration(r) or self.opt("default_duration")
            kind = r.kind
            meta = {"duration_used": duration}
            if kind == "grounding":
                events = (self._window(rng, duration),)
                out.append(Generation(text=render_text(kind, events=events), events=events,
                                      meta=meta))
            elif kind == "presence":
                present = rng.random() < self.opt("p_present")
                events = (self._window(rng, duration),) if present else ()
                out.append(Generation(text=render_text(kind, events=events, present=present),
                                      events=events, present=present, meta=meta))
            elif kind in ("detection", "captioning", "summary"):
                if kind == "detection":
                    n = rng.integer(0, self.opt("max_events"))
                    vocab: Sequence[str] = tuple(r.labels) or ("sound",)
                else:
                    n = rng.integer(1, self.opt("max_events"))
                    vocab = GENERIC_CAPTIONS if kind == "captioning" else GENERIC_SUMMARIES
                events = self._events(rng, duration, n, vocab)
                out.append(Generation(text=render_text(kind, events=events), events=events,
                                      meta=meta))
            elif kind == "qa":
                answer = self._answer(rng, r, duration)
                out.append(Generation(text=render_text(kind, answer=answer), answer=answer,
                                      meta={**meta, "qtype": infer_qtype(r)}))
            else:
                out.append(Generation(error=f"random: unknown task kind {kind!r}; "
                                            f"expected one of {', '.join(TASK_KINDS)}"))
        return out


# -- noop -----------------------------------------------------------------------------------------

class NoopAdapter(BaselineAdapter):
    """Harness-overhead probe: sleeps ``latency`` seconds per batch, answers empty text.

    With a known per-batch model time, a run's wall time minus ``latency x batches`` is what
    the harness itself costs (loading audio, prompts, cache, parsing, scoring).
    """

    name = "noop"
    outputs = frozenset({"text"})
    sample_rate = 16000
    version = "1"
    settings_spec = {
        "latency": Setting(0.0, float, "seconds slept per generate() call (per batch)",
                           lambda v: v >= 0 and math.isfinite(v), "must be a finite number >= 0"),
        "load_audio": Setting(True, bool, "ask the runner for waveforms (False: paths only, so "
                                          "audio loading is left out of the measurement)"),
    }

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        if not self.opt("load_audio"):
            self.sample_rate = None  # type: ignore[misc]  # instance override of the class default

    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        latency = self.opt("latency")
        if latency > 0 and requests:
            time.sleep(latency)
        return [Generation(text="") for _ in requests]
