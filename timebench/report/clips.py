"""Which sample clips the report shows: a per-sample quality value and a deterministic,
seeded choice that mixes good and bad cases (see :func:`choose_clips`)."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping, Sequence

from .runfiles import _num

__all__ = ["sample_quality", "choose_clips"]


def _seeded_key(seed: int, task: str, sample_id: str) -> str:
    return hashlib.sha256(f"{seed}:{task}:{sample_id}".encode("utf-8")).hexdigest()


_QUALITY_KEYS = ("iou", "correct", "presence_correct", "segment_mIoU", "METEOR", "SODA_c",
                 "ROUGE_L", "CIDEr")
_SHORT_NAMES = {"iou": "IoU", "correct": "correct", "presence_correct": "presence",
                "segment_mIoU": "seg mIoU"}


def sample_quality(row: Mapping[str, Any] | None, *, primary: str | None = None
                   ) -> tuple[str, float] | None:
    """``(metric name, value)`` that says how well one sample went, or None.

    The task's primary metric when the scores file stores it per sample, else the first of
    IoU, QA correctness, presence correctness, segment mIoU, METEOR, SODA_c, ROUGE-L, CIDEr, else
    the per-clip event F1 ``2 TP / (N_ref + N_sys)`` (1.0 when both are empty) from the event
    counts that the detection suites store.  Booleans count as 1 / 0.
    """
    if not row:
        return None
    keys = ([primary] if primary else []) + [k for k in _QUALITY_KEYS if k != primary]
    for key in keys:
        value = row.get(key)
        if isinstance(value, bool):
            return key, float(value)
        v = _num(value)
        if v is not None:
            return key, v
    for prefix in ("event", "segment"):
        tp, nref, nsys = (_num(row.get(f"{prefix}_{k}")) for k in ("ntp", "nref", "nsys"))
        if tp is not None and nref is not None and nsys is not None:
            value = 1.0 if nref + nsys == 0 else 2.0 * tp / (nref + nsys)
            return f"{prefix} F1", value
    return None


def _quality_text(q: tuple[str, float] | None) -> str:
    if q is None:
        return ""
    key, value = q
    if key in ("correct", "presence_correct"):
        return f"{_SHORT_NAMES[key]} {'✓' if value >= 0.5 else '✗'}"
    return f"{_SHORT_NAMES.get(key, key)} {value:.2f}"


def choose_clips(ids: Sequence[str], *, k: int, seed: int, task: str,
                 quality: Mapping[str, float | None] | None = None,
                 negatives: Iterable[str] = (), failures: Iterable[str] = ()) -> list[str]:
    """Pick ``k`` sample ids deterministically, mixing good and bad cases.

    One absent-event negative and one sample with a failed parse are taken first when there are
    any (at most ``k // 2`` such picks, in seeded order); the remaining slots are spread evenly
    over the samples ranked by ``quality`` (worst, ..., best), ties and unscored samples ordered
    by a hash of ``seed``, ``task`` and the id.  The result keeps the order of ``ids``.
    """
    if k <= 0 or not ids:
        return []
    quality = quality or {}
    seeded = sorted(dict.fromkeys(ids), key=lambda i: _seeded_key(seed, task, i))
    picked: list[str] = []
    specials = 0
    for group in (set(negatives), set(failures)):
        if specials >= k // 2:
            break
        for i in seeded:
            if i in group and i not in picked:
                picked.append(i)
                specials += 1
                break
    rest = [i for i in seeded if i not in picked]
    scored = sorted((i for i in rest if quality.get(i) is not None),
                    key=lambda i: (quality[i], _seeded_key(seed, task, i)))
    unscored = [i for i in rest if quality.get(i) is None]
    slots = min(k - len(picked), len(rest))
    if slots > 0 and scored:
        m = min(slots, len(scored))
        if m == 1:
            positions = [len(scored) // 2]
        else:
            positions = sorted({round(j * (len(scored) - 1) / (m - 1)) for j in range(m)})
        picked += [scored[p] for p in positions]
    picked += unscored[: max(0, k - len(picked))]
    if len(picked) < min(k, len(seeded)):
        picked += [i for i in seeded if i not in picked][: k - len(picked)]
    order = {i: n for n, i in enumerate(ids)}
    return sorted(picked, key=lambda i: order[i])
