"""The model-adapter protocol: a batch of requests in, one generation per request out.

An adapter wraps one model family.  It never reads task cards and never scores: the runner
renders each sample's prompt from the task card, loads the audio, and hands the adapter a list of
:class:`Request`; the adapter returns a list of :class:`Generation` of the same length and order.

What an adapter declares (class attributes):

* ``outputs``: which kinds of output it produces: ``"text"`` (free text, parsed by the task's
  parser), ``"events"`` (structured intervals), ``"frame_scores"`` (per-frame class scores, the
  only input that gets PSDS), ``"presence"`` (an explicit yes/no);
* ``sample_rate``: the rate at which it wants ``Request.waveform`` (None: it reads paths itself);
* ``max_audio_seconds``: the longest audio it accepts (None: no limit).  What happens to longer
  audio is the adapter's ``over_limit`` attribute: ``"fail"`` (the base default: the runner
  records a failure) or ``"truncate"`` (the adapter cuts the audio as its released code does and
  marks the generation with :func:`mark_truncated`; the runner counts ``n_truncated`` per task);
* ``needs_reference``: only the oracle baseline sets this; the runner then attaches the
  reference to each request.  No real model ever sees references.

Construction takes keyword settings (``name:key=value,...`` on the command line, or a suite
entry).  :meth:`ModelAdapter.fingerprint` must change whenever anything that can change an
output changes: the cache is keyed by it.

Example::

    class Echo(ModelAdapter):
        name = "echo"
        outputs = frozenset({"text"})

        def generate(self, requests):
            return [Generation(text=r.prompt) for r in requests]
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

if TYPE_CHECKING:  # keep import light: numpy only for type hints
    import numpy as np

    from timebench.types import Event, Reference

__all__ = ["Request", "Generation", "FrameScores", "ModelAdapter", "OUTPUT_KINDS", "TRUE_WORDS",
           "mark_truncated", "setting_bool"]

OUTPUT_KINDS = frozenset({"text", "events", "frame_scores", "presence"})
#: Spellings of true (and false) accepted for a boolean setting or environment variable.
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def setting_bool(value: Any, *, path: str, field: str) -> bool:
    """A boolean setting from a bool or one of :data:`TRUE_WORDS`/``FALSE_WORDS`` (any case);
    anything else raises :class:`~timebench.errors.InputError` naming ``path`` and ``field``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    from timebench.errors import InputError

    raise InputError(f"expected true/false, got {value!r}", path=path, field=field)


@dataclass(frozen=True)
class Request:
    """One sample for the model.

    ``prompt`` is the task's rendered instruction (the adapter wraps it in its own chat
    template).  ``waveform`` is mono float32 at the adapter's ``sample_rate`` when the runner
    loaded it (None when the adapter reads ``audio`` itself or the sample has no audio).
    """

    id: str
    prompt: str
    task: str
    kind: str = ""                        # task kind: grounding, presence, detection, captioning,
    #                                       summary or qa (metadata, not the task card)
    audio: str | None = None
    duration: float | None = None
    waveform: "np.ndarray | None" = None
    sample_rate: int | None = None
    labels: tuple[str, ...] = ()          # class vocabulary for SED-like tasks, if any
    query: str | None = None              # grounding query, if any
    question: str | None = None           # QA question, if any
    options: tuple[str, ...] = ()         # QA answer options, if any
    seed: int = 0                         # per-sample seed (run seed + sample id), for sampling
    reference: "Reference | None" = None  # only for adapters with needs_reference=True
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameScores:
    """Frame-level class scores: ``scores[t, k]`` for the frame ``[times[t], times[t+1])``.

    ``times`` has ``n_frames + 1`` boundaries in seconds; ``labels`` names the ``k`` columns.
    """

    times: "np.ndarray"
    scores: "np.ndarray"
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Generation:
    """The adapter's answer for one request.

    Exactly what the adapter produced, before any parsing.  ``error`` is set when the model
    failed on this sample (the runner records it as a failure and continues).
    ``meta`` may carry token counts, latency and similar accounting.
    """

    text: str | None = None
    events: "tuple[Event, ...] | None" = None
    present: bool | None = None
    answer: Any = None                    # a structured QA answer (number, option, bool)
    frame_scores: FrameScores | None = None
    error: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def mark_truncated(gen: Generation, seconds: float | None, limit: float | None) -> Generation:
    """``gen`` with ``meta["truncated_from_s"]`` / ``meta["truncated_to_s"]`` when its audio of
    ``seconds`` was cut to ``limit`` (``seconds=None``: unchanged)."""
    if seconds is None or gen is None:
        return gen
    from dataclasses import replace

    return replace(gen, meta={**dict(gen.meta), "truncated_from_s": round(float(seconds), 3),
                              "truncated_to_s": float(limit) if limit is not None else None})


class ModelAdapter(ABC):
    """Base class of every model adapter (see the module docstring)."""

    name: ClassVar[str] = ""
    outputs: ClassVar[frozenset[str]] = frozenset({"text"})
    sample_rate: ClassVar[int | None] = 16000
    max_audio_seconds: ClassVar[float | None] = None
    #: ``"fail"`` or ``"truncate"`` for audio over ``max_audio_seconds`` (see the module docstring)
    over_limit: str = "fail"
    needs_reference: ClassVar[bool] = False
    #: Settings that do not change outputs (device, batch size, ...) and stay out of the fingerprint.
    runtime_settings: ClassVar[frozenset[str]] = frozenset(
        {"device", "batch_size", "num_workers", "concurrency", "timeout", "max_retries"})

    def __init__(self, **settings: Any) -> None:
        self.settings: dict[str, Any] = dict(settings)

    # -- the one method to implement --------------------------------------------------------------
    @abstractmethod
    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """Return one :class:`Generation` per request, in the same order."""

    # -- optional hooks ---------------------------------------------------------------------------
    def supports_task(self, task_kind: str) -> bool:  # pragma: no cover - trivial default
        """Whether the adapter can answer this kind of task (``grounding``, ``detection``, ...)."""
        return True

    def close(self) -> None:
        """Release resources (servers, GPU memory)."""

    def secrets(self) -> tuple[str, ...]:
        """Secret values this adapter holds (API keys, tokens).  The runner replaces each by
        ``***`` in every text it stores (:mod:`timebench.redact`)."""
        return ()

    # -- identity ---------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Everything that determines the outputs (recorded in results.json)."""
        return {"adapter": self.name, "version": getattr(self, "version", "1"),
                **{k: v for k, v in sorted(self.settings.items())
                   if k not in self.runtime_settings}}

    def fingerprint(self) -> str:
        """A short stable hash of :meth:`config`; the cache key includes it."""
        blob = json.dumps(self.config(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    # -- distributed hooks (no-ops on one process) ------------------------------------------------
    @property
    def rank(self) -> int:
        return 0

    @property
    def world_size(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config()})"
