"""Timestamp parsing from free model text: named, composable parser pipelines.

Public API (used by the scorer and the runner)::

    from timebench.parsing import parse, PIPELINES, get_pipeline
    parse(text, *, pipeline="lenient", duration=None, prompt=None, labels=None, options=None)

``parse`` returns a :class:`timebench.types.ParsedAnswer` whose ``parser`` is the pipeline
name and whose ``notes`` record which extractor matched and every repair or rejection.
Registered pipelines (``PIPELINES``, a :class:`timebench.registry.Registry`):

* ``lenient``   every supported form (the default for every task);
* ``strict``    canonical forms only (JSON ``[[s, e], ...]``/``{"relevant_windows": ...}``,
  ``s - e``), for side-by-side strict-vs-lenient reporting;
* ``spotsound`` the third-party SpotSound evaluator's parser (RELTWIN), reproduced;
* ``timeaudio`` TimeAudio's time-token decoding then its ``X - Y`` regex;
* ``number``, ``choice``, ``yesno``: scalar answers for temporal QA.

The accepted and rejected forms and every note are listed in ``docs/PARSING.md``; the module
docstrings of :mod:`.times`, :mod:`.intervals`, :mod:`.roles` (start/end/duration roles, paired),
:mod:`.choose` (which windows are the answer), :mod:`.structured`, :mod:`.tables`,
:mod:`.captions`, :mod:`.absence`, :mod:`.relative`, :mod:`.echo`, :mod:`.postprocess`,
:mod:`.scalar`, :mod:`.steps` and :mod:`.pipeline` give the exact rules; :mod:`.accounting`
turns a parsed answer into a usable prediction, an explicit absence or a failure with a reason
for a task kind.  Pure standard library (``re``, ``json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..types import ParsedAnswer
from .pipeline import PIPELINES, Pipeline, Step, get_pipeline

__all__ = ["parse", "PIPELINES", "get_pipeline", "Pipeline", "Step"]


def parse(text: str | None, *, pipeline: str | Pipeline = "lenient",
          duration: float | None = None, prompt: str | None = None,
          labels: Sequence[str] | None = None,
          options: Mapping[str, Any] | None = None) -> ParsedAnswer:
    """Parse one model answer with the named pipeline.

    ``duration``: clip length in seconds (clipping and relative forms need it);
    ``prompt``: the prompt the model saw (its echoed example is removed);
    ``labels``: the SED class vocabulary for interval pipelines, or the answer options for
    ``choice``; ``options``: per-call overrides of pipeline options (e.g.
    ``{"min_length": 0.001}``).  Never raises on any text; raises
    :class:`~timebench.errors.UnknownNameError` for an unknown pipeline and
    :class:`~timebench.errors.InputError` for an unknown option.
    """
    pipe = pipeline if isinstance(pipeline, Pipeline) else PIPELINES.get(pipeline)
    return pipe.parse(text, duration=duration, prompt=prompt, labels=labels, options=options)
