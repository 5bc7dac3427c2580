"""SpotSound-style presence scoring with absent-event negatives.

The SpotSound paper describes a "two-stage joint assessment" (presence, then window) whose exact
rules were not published (``shared/reference/metric-protocols.md`` section 1.4, [NF]).  The
definition below is timebench's own, stated here so every number can be traced:

Per sample, from the reference and the parsed answer:

* ``positive``: the reference has the event (``present`` true / non-empty events);
* ``claims``: the answer asserts the event is there -- it gives at least one window, or it
  explicitly affirms ("Yes.") without one;
* ``failed``: the answer could not be read (or was missing); a failure never counts as a correct
  rejection and never as a found event.

Metrics:

* ``presence_acc_pos`` = fraction of positives with ``claims`` (presence recall);
* ``presence_acc_neg`` = fraction of negatives without ``claims`` and not ``failed``
  (correct rejections; "not present", "No." and an empty window list all reject);
* ``joint_f1`` at IoU threshold ``t`` (default 0.5):

  - TP: positive, ``claims`` with at least one window, and set-IoU(windows, reference) >= t;
  - FP: ``claims`` and not TP -- any presence claim on a negative (with or without a window) and
    any positive whose windows miss (IoU < t) or that says "Yes." without a window;
  - FN: positive and not TP;
  - ``joint_f1 = 2 TP / (2 TP + FP + FN)``, ``joint_precision = TP / (TP + FP)``,
    ``joint_recall = TP / (TP + FN)``; ``joint_f1`` is undefined (NaN, written as null) only
    when there are no positives and no claims at all.

  A mislocalised positive therefore costs one FP and one FN, as a shifted event does in
  collar-based SED F1.  IoU uses the same ``tolerance`` rule as :mod:`grounding`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["presence_flags", "presence_summary"]


def presence_flags(*, positive, claims, has_window, failed, ious, threshold: float = 0.5,
                   tolerance: float = 1e-9) -> dict[str, np.ndarray]:
    """Per-sample boolean flags (the sufficient statistics for :func:`presence_summary`)."""
    positive = np.asarray(positive, dtype=bool)
    failed = np.asarray(failed, dtype=bool)
    claims = np.asarray(claims, dtype=bool) & ~failed
    has_window = np.asarray(has_window, dtype=bool) & ~failed
    ious = np.asarray(ious, dtype=np.float64)
    tp = positive & has_window & (ious >= threshold - tolerance)
    fp = claims & ~tp
    fn = positive & ~tp
    return {
        "positive": positive,
        "correct_presence": np.where(positive, claims, ~claims & ~failed),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def presence_summary(flags: dict[str, np.ndarray], *, index: np.ndarray | None = None) -> dict:
    """Aggregate :func:`presence_flags` (optionally over a resample of sample indices)."""
    f = flags if index is None else {k: v[index] for k, v in flags.items()}
    pos = f["positive"]
    neg = ~pos
    correct = f["correct_presence"]
    tp, fp, fn = int(f["tp"].sum()), int(f["fp"].sum()), int(f["fn"].sum())
    denom = 2 * tp + fp + fn
    return {
        "presence_acc_pos": float(correct[pos].mean()) if pos.any() else float("nan"),
        "presence_acc_neg": float(correct[neg].mean()) if neg.any() else float("nan"),
        "joint_f1": (2 * tp / denom) if denom else float("nan"),
        "joint_precision": (tp / (tp + fp)) if (tp + fp) else 0.0,
        "joint_recall": (tp / (tp + fn)) if (tp + fn) else float("nan"),
    }
