"""Speed paths of scoring equal the plain paths they replace, bit for bit (issue 11, item 4):
set_iou for one window against one, the samples hash with one JSON encoder."""

from __future__ import annotations

import numpy as np

import timebench.metrics.grounding as g
from timebench.types import Event


def test_one_pair_set_iou_equals_the_array_path(monkeypatch):
    rng = np.random.default_rng(3)
    specials = [0.0, -0.0, 1.0, 2.5, float("nan"), float("inf"), 30.0, np.float64(2.0), 3]
    cases = []
    for _ in range(20000):
        grid = rng.choice([0.5, 0.1, 1e-3])
        vals = [float(np.round(v / grid) * grid) for v in rng.uniform(-1, 31, 4)]
        if rng.random() < 0.1:
            vals[int(rng.integers(4))] = specials[int(rng.integers(len(specials)))]
        p, r = vals[:2], vals[2:]
        if rng.random() < 0.8:
            p.sort()
            r.sort()
        wrap = rng.random()
        pred = [Event(p[0], p[1])] if wrap < 0.5 else [tuple(p)]
        ref = (Event(r[0], r[1]),) if wrap < 0.7 else [list(r)]
        if rng.random() < 0.05:
            pred = []
        cases.append((pred, ref))
    fast = [g.set_iou(a, b) for a, b in cases]
    monkeypatch.setattr(g, "_one_pair_set_iou", lambda a, b: None)
    slow = [g.set_iou(a, b) for a, b in cases]
    for (a, b), f, s in zip(cases, fast, slow):
        assert np.float64(f).tobytes() == np.float64(s).tobytes(), (a, b, f, s)
        assert type(f) is type(s)


def test_samples_hash_equals_json_dumps_per_row():
    import hashlib
    import json

    from timebench.tasks import hash_references
    from timebench.types import Reference

    refs = [Reference(id="a", audio="x.wav", duration=10.0, query="dög barks ✓",
                      events=(Event(1.0, 2.5, "dog"),), extra={"z": 1, "a": [1, 2]}),
            Reference(id="b", question="when?", answer=3.5, present=False,
                      extra={"obj": object.__name__, "f": float("nan")})]
    h = hashlib.sha256()
    for ref in refs:
        h.update(json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False,
                            default=str).encode("utf-8"))
        h.update(b"\n")
    assert hash_references(refs) == h.hexdigest()
