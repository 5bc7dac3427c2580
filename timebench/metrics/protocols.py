"""Scorer protocols: named sets of scoring conventions, one per published scorer.

A task card's ``metrics:`` say *what* is measured; a protocol says *by which convention*, so a
number can be put next to a paper's.  A protocol is selected per task (``protocol:`` in the task
card or a suite's task entry, ``--protocol NAME`` on ``timebench score`` / ``timebench run``) and
recorded in results.json and in ``score --output``.  Precedence: ``--protocol`` > suite > card >
``timebench``.

A protocol changes only parameters the metric suites and parsers already expose (it never adds a
metric): per-suite parameter overrides (applied to the suites the task has; others are ignored),
parser options (applied where the task's parser knows them) and whether structured events are
clipped to the clip duration.  ``--metric-arg`` overrides apply on top of the protocol.

=================  ===================================================================================
name               conventions (source)
=================  ===================================================================================
``timebench``      the harness defaults (docs/METRICS.md): set-IoU grounding, ``IoU >= t - 1e-9``,
                   clip to duration, densevid_eval 2018, SODA with METEOR(pred, ref), our ROUGE
                   tokens, sed_eval collar 0.2 s / offset 20 % / zero_score
``lighthouse``     line/lighthouse ``standalone_eval/eval.py`` moment retrieval: the top-1 window
                   against its best-overlapping reference window, ``IoU >= t`` on raw floats
                   (tolerance 0), no clipping to the duration, R1@0.5 / R1@0.7 (+ mIoU = mean IoU)
``spotsound``      SpotSound-Bench (as rebuilt by third parties; the release has no evaluator):
                   set-IoU of merged unions, empty/failed = IoU 0, raw ``>=``, intervals clipped to
                   ``[0, duration]`` and those of 1 ms or less dropped, R1@0.3 / 0.5 / 0.7
``timeaudio``      TimeAudio / FTAR metric names (R@0.5, R@0.7, mIoU; ROUGE-1/L, mIoU; Eb-F1).
                   The paper's definitions were not found (no metric code in the release): TAG is
                   set-IoU (one interval per FTAR answer, where set and top-1 agree) compared to the
                   threshold on raw floats (tolerance 0, as every published grounding scorer we
                   read); TSS / DAC / TQA keep timebench's definitions.  Label: our reading.
``densevid2018``   ActivityNet densevid_eval 2018: unmatched predictions vs ``"abc123!@#"``
``densevid2019``   densevid_eval 2019 revision (66f9c5d): unmatched predictions vs a random string
                   of 10-20 lower-case letters (seeded here; unseeded in the original)
``soda-official``  fujiso/SODA: METEOR with the reference caption as hypothesis (the official
                   argument order), samples without predictions left out of the mean
``coco-ptb``       pycocoevalcap's PTB tokenizer before ROUGE in the TSS summary metrics
``dcase``          DCASE Task 4 sed_eval settings: event-based collar 0.2 s, offset 20 % of the
                   length, onset and offset, ``zero_score`` for empty output; 1-s segments
``sed_eval``       sed_eval's library defaults: event-based collar 0.2 s, offset **50 %**, empty output NaN
=================  ===================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import UnknownNameError

__all__ = ["Protocol", "PROTOCOLS", "DEFAULT_PROTOCOL", "get_protocol", "protocol_names"]

DEFAULT_PROTOCOL = "timebench"


@dataclass(frozen=True)
class Protocol:
    """One named scoring convention (see the module docstring)."""

    name: str
    description: str
    source: str
    #: suite name -> parameter overrides (only for suites the task has)
    suites: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: parser options (only those the task's parser knows)
    parser_options: Mapping[str, Any] = field(default_factory=dict)
    #: clip structured events to the clip duration (False: Lighthouse, raw windows)
    clip_to_duration: bool = True

    def suite_overrides(self, suite_names) -> dict[str, dict[str, Any]]:
        """The overrides for the suites present in a task."""
        present = set(suite_names)
        return {k: dict(v) for k, v in self.suites.items() if k in present}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source": self.source,
                "suites": {k: dict(v) for k, v in self.suites.items()},
                "parser_options": dict(self.parser_options),
                "clip_to_duration": self.clip_to_duration}


_DCASE_EVENT = {"t_collar": 0.2, "percentage_of_length": 0.2, "evaluate_onset": True,
                "evaluate_offset": True, "empty_system_output": "zero_score"}

PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol("timebench", "timebench defaults (docs/METRICS.md)", "timebench"),
    Protocol("lighthouse", "top-1 window vs best reference window, raw IoU >= t, no clipping",
             "line/lighthouse training/standalone_eval/eval.py (Moment-DETR / QVHighlights eval)",
             suites={"grounding": {"mode": "top1", "thresholds": (0.5, 0.7), "tolerance": 0.0}},
             parser_options={"clip": False}, clip_to_duration=False),
    Protocol("spotsound", "set-IoU of merged unions, raw IoU >= t, clip to [0, duration], drop <= 1 ms",
             "SpotSound (arXiv 2604.13023) as rebuilt by tzctzctzctzc/RELTWIN scripts/interval_metrics.py",
             suites={"grounding": {"mode": "set", "thresholds": (0.3, 0.5, 0.7), "tolerance": 0.0},
                     "presence": {"tolerance": 0.0}},
             parser_options={"clip": True, "min_length": 0.001}),
    Protocol("timeaudio", "FTAR metric names; TAG as set-IoU with raw IoU >= t (timebench's reading)",
             "TimeAudio (arXiv 2511.11039) metric names; definitions not found -- timebench's reading",
             suites={"grounding": {"mode": "set", "tolerance": 0.0}}),
    Protocol("densevid2018", "densevid_eval 2018: unmatched predictions vs 'abc123!@#'",
             "ranjaykrishna/densevid_eval evaluate.py (2018, deba7d7)",
             suites={"captioning": {"unmatched": "fixed"}}),
    Protocol("densevid2019", "densevid_eval 2019: unmatched predictions vs a random 10-20 letter string",
             "ranjaykrishna/densevid_eval evaluate.py (2019, 66f9c5d / 9d4045a)",
             suites={"captioning": {"unmatched": "random"}}),
    Protocol("soda-official", "SODA with the official METEOR argument order; clips without predictions skipped",
             "fujiso/SODA soda.py (calc_score_matrix; check_videos)",
             suites={"soda": {"meteor_order": "swapped", "skip_empty": True}}),
    Protocol("coco-ptb", "pycocoevalcap PTB tokenizer before ROUGE (TSS summary metrics)",
             "salaniz/pycocoevalcap tokenizer/ptbtokenizer.py + rouge/rouge.py",
             suites={"summary": {"tokenizer": "ptb"}}),
    Protocol("dcase", "DCASE Task 4 sed_eval: collar 0.2 s, offset 20 %, zero_score; 1-s segments",
             "DCASE-REPO/DESED_task desed_task/evaluation/evaluation_measures.py",
             suites={"event_f1": dict(_DCASE_EVENT),
                     "segment_f1": {"time_resolution": 1.0, "empty_system_output": "zero_score"}}),
    Protocol("sed_eval", "sed_eval library defaults: collar 0.2 s, offset 50 % of the length, NaN for empty output",
             "TUT-ARG/sed_eval sound_event.EventBasedMetrics defaults",
             suites={"event_f1": {**_DCASE_EVENT, "percentage_of_length": 0.5, "empty_system_output": "nan"},
                     "segment_f1": {"time_resolution": 1.0}}),
)}


def protocol_names() -> list[str]:
    return list(PROTOCOLS)


def get_protocol(name: str | None) -> Protocol:
    """The protocol called ``name`` (``None``: the default); unknown names raise with a hint."""
    key = DEFAULT_PROTOCOL if name in (None, "") else str(name)
    if key not in PROTOCOLS:
        raise UnknownNameError("protocol", key, PROTOCOLS)
    return PROTOCOLS[key]
