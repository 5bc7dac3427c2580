"""Property tests over the reference/prediction schemas of every task (issue 15).

The invariant, for hostile values in every typed field: ``timebench score`` either exits 2 with
one line naming the file, the line and the field, or exits 0 with a number equal to an
independent recomputation from the raw records (re-implemented here from the documented rules,
without importing the metric code).  ``dac`` runs METEOR in a JVM, too slow for hundreds of
examples: its schema is checked through the same validation layer ``score`` runs, and the
accepted values must be exactly those given.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebench.cli import main

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# hostile values for any typed field; the valid ones are added per field
HOSTILE = st.sampled_from([None, True, False, "", "3", "no", "yes", "nan", -1, -0.5, 1e300,
                           10 ** 400, [], {}, [1], "3 seconds", 2.5, 0])
VALID_TIME = st.one_of(st.floats(0, 30, allow_nan=False).map(lambda x: round(x, 2)),
                       st.integers(0, 30))
TIME = st.one_of(VALID_TIME, HOSTILE)
# an (onset, offset) pair: mostly valid and ordered, sometimes anything
PAIR = st.one_of(st.tuples(VALID_TIME, VALID_TIME).map(lambda t: tuple(sorted(t))),
                 st.tuples(VALID_TIME, VALID_TIME).map(lambda t: tuple(sorted(t))),
                 st.tuples(TIME, TIME))


def _score(tmp_path, task, refs, preds):
    r, p, out = tmp_path / "refs.jsonl", tmp_path / "preds.jsonl", tmp_path / "m.json"
    r.write_text("".join(json.dumps(x) + "\n" for x in refs))
    p.write_text("".join(json.dumps(x) + "\n" for x in preds))
    out.unlink(missing_ok=True)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["score", "--task", task, "--references", str(r), "--predictions", str(p),
                   "-o", str(out), "-q"])
    text = err.getvalue()
    if rc == 2:
        lines = [x for x in text.strip().splitlines() if x.strip()]
        assert len(lines) == 1, text
        assert re.search(rf"({re.escape(str(r))}|{re.escape(str(p))}):\d+: field '[^']+'",
                         lines[0]), text
        return None
    assert rc == 0, text
    return json.loads(out.read_text())["metrics"]


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    if a[1] <= a[0] or b[1] <= b[0] or union <= 0:
        return 0.0
    return inter / union


def _clip(ev, duration):
    """Structured events are clipped to the duration; one left empty (not zero-length) drops."""
    if duration is None:  # no duration: nothing to clip to
        return (ev[0], ev[1])
    on, off = min(ev[0], duration), min(ev[1], duration)
    if off <= on and ev[1] > ev[0]:
        return None
    return (on, off)


# -- grounding: tag --------------------------------------------------------------------------------

@SETTINGS
@given(st.lists(st.tuples(PAIR, st.one_of(st.just(30.0), st.just(30.0), TIME),
                          st.one_of(st.just("a dog"), st.just("a dog"), HOSTILE))
                .map(lambda t: (*t[0], t[1], t[2])), min_size=1, max_size=3),
       st.lists(st.tuples(PAIR, st.booleans(), st.booleans()).map(lambda t: (*t[0], t[1], t[2])),
                max_size=3))
def test_tag(tmp_path, ref_vals, pred_vals):
    refs = [{"id": f"c{i}", "duration": d, "query": q, "events": [[on, off]]}
            for i, (on, off, d, q) in enumerate(ref_vals)]
    preds = []
    for i, (on, off, with_text, present) in enumerate(pred_vals[:len(refs)]):
        rec = {"id": f"c{i}", "events": [[on, off]]}
        if with_text:
            rec["text"] = "0 - 30 s"  # structured events win over text
        preds.append(rec)
    m = _score(tmp_path, "tag", refs, preds)
    if m is None:
        return
    ious = []
    for i, (on, off, d, _) in enumerate(ref_vals):
        pred = preds[i]["events"][0] if i < len(preds) else None
        clipped = _clip(pred, d) if pred is not None else None
        ious.append(0.0 if clipped is None else _iou(clipped, (on, off)))
    assert _close(m["mIoU"], sum(ious) / len(ious))


# -- presence: spotsound ---------------------------------------------------------------------------

PRESENT = st.one_of(st.booleans(), st.booleans(), st.booleans(), HOSTILE)


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), PRESENT), min_size=1, max_size=4),
       st.lists(st.tuples(PRESENT, st.booleans()), max_size=4))
def test_spotsound(tmp_path, ref_vals, pred_vals):
    refs = []
    for i, (positive, present) in enumerate(ref_vals):
        rec = {"id": f"c{i}", "duration": 30, "query": "a dog", "present": present,
               "events": [[2, 6]] if positive else []}
        refs.append(rec)
    preds = [{"id": f"c{i}", "present": p, **({"text": "2 - 6 s"} if t else {})}
             for i, (p, t) in enumerate(pred_vals[:len(refs)])]
    m = _score(tmp_path, "spotsound", refs, preds)
    if m is None:
        return
    pos_ok, pos_n, neg_ok, neg_n = 0, 0, 0, 0
    for i, (positive, _) in enumerate(ref_vals):
        claim = preds[i]["present"] if i < len(preds) else None  # bool when accepted
        if claim is None and i < len(preds) and "text" in preds[i]:
            claim = True  # a null "present" is no structured field: the text's window claims it
        if positive:
            pos_n += 1
            pos_ok += claim is True
        else:
            neg_n += 1
            neg_ok += claim is False  # a missing prediction never rejects
    assert _close(m["presence_acc_pos"], pos_ok / pos_n if pos_n else None)
    assert _close(m["presence_acc_neg"], neg_ok / neg_n if neg_n else None)


# -- detection: sed (segment F1, 1 s) ----------------------------------------------------------------

LABEL = st.one_of(st.sampled_from(["dog", "cat"]), st.sampled_from(["dog", "cat"]), HOSTILE)


def _segments(fid, ev):
    on, off, label = ev
    return {(fid, label, k) for k in range(math.floor(on), math.ceil(off))}


@SETTINGS
@given(st.lists(st.lists(st.tuples(PAIR, LABEL).map(lambda t: (*t[0], t[1])), min_size=1,
                         max_size=2), min_size=1, max_size=3),
       st.lists(st.lists(st.tuples(PAIR, st.sampled_from(["dog", "cat", "bird"]))
                         .map(lambda t: (*t[0], t[1])), max_size=2), max_size=3))
def test_sed(tmp_path, ref_vals, pred_vals):
    refs = [{"id": f"f{i}", "events": [{"onset": a, "offset": b, "label": c} for a, b, c in evs]}
            for i, evs in enumerate(ref_vals)]
    preds = [{"id": f"f{i}", "events": [{"onset": a, "offset": b, "label": c} for a, b, c in evs]}
             for i, evs in enumerate(pred_vals[:len(refs)])]
    m = _score(tmp_path, "sed", refs, preds)
    if m is None:
        return
    ref_seg = set().union(*[_segments(i, e) for i, evs in enumerate(ref_vals) for e in evs])
    est_seg = set().union(*[_segments(i, e) for i, evs in enumerate(pred_vals[:len(refs)])
                            for e in evs]) if preds else set()
    tp, nref, nsys = len(ref_seg & est_seg), len(ref_seg), len(est_seg)
    p = tp / nsys if nsys else 0.0
    r = tp / nref if nref else math.nan
    f = 0.0 if p == 0 and r == 0 else 2 * p * r / (p + r)
    if math.isnan(f):
        assert m["segment_f1"] is None
    else:
        assert _close(m["segment_f1"], f)


# -- temporal QA: tqa ----------------------------------------------------------------------------------

YESNO = {"yes": True, "true": True, "no": False, "false": False}


def _yesno(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return YESNO.get(v.strip().rstrip(".").strip().lower())
    return None


def _number(v):
    if _num(v):
        try:
            f = float(v)
        except OverflowError:
            return None
        return f if math.isfinite(f) else None
    if isinstance(v, str):
        m = re.fullmatch(r"\s*\+?(\d+(?:\.\d+)?|\.\d+)\s*(?:s|sec|secs|seconds?|times?)?\s*\.?\s*",
                         v, re.IGNORECASE)
        return float(m.group(1)) if m else None
    return None


def _correct(qtype, pred, ref):
    if qtype == "yesno":
        p, r = _yesno(pred), _yesno(ref)
        return p is not None and p == r
    p, r = _number(pred), _number(ref)
    if p is None or r is None:
        return False
    if qtype == "count":
        return p == r
    return abs(p - r) <= max(0.5, 0.2 * abs(r))


ANSWER = st.one_of(HOSTILE, st.sampled_from(["No", "YES.", " true ", "maybe", "2", "3 times",
                                             "1.5 s", "two"]), st.integers(0, 4), st.booleans())


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["yesno", "count", "duration"]), ANSWER),
                min_size=1, max_size=4),
       st.lists(ANSWER, max_size=4))
def test_tqa(tmp_path, ref_vals, pred_vals):
    refs = [{"id": f"q{i}", "question": "q?", "answer": a, "extra": {"qtype": t}}
            for i, (t, a) in enumerate(ref_vals)]
    preds = [{"id": f"q{i}", "answer": a} for i, a in enumerate(pred_vals[:len(refs)])
             if a is not None]
    m = _score(tmp_path, "tqa", refs, preds)
    if m is None:
        return
    given_preds = {p["id"]: p["answer"] for p in preds}
    correct = [f"q{i}" in given_preds and _correct(t, given_preds[f"q{i}"], a)
               for i, (t, a) in enumerate(ref_vals)]
    assert _close(m["accuracy"], sum(correct) / len(correct))
    # what was accepted is what the documented rules accept
    for t, a in ref_vals:
        if t == "yesno":
            assert _yesno(a) is not None
        else:
            n = _number(a)
            assert n is not None and n >= 0 and (t != "count" or n.is_integer())


# -- timeline speech summaries: tss (segment mIoU) --------------------------------------------------

@SETTINGS
@given(st.lists(st.tuples(PAIR, st.one_of(st.just("a summary"), st.just("a summary"), HOSTILE))
                .map(lambda t: (*t[0], t[1])), min_size=1, max_size=3),
       st.lists(PAIR, max_size=3))
def test_tss(tmp_path, ref_vals, pred_vals):
    refs = [{"id": f"s{i}", "duration": 30, "events": [{"onset": a, "offset": b, "label": c}]}
            for i, (a, b, c) in enumerate(ref_vals)]
    preds = [{"id": f"s{i}", "events": [{"onset": a, "offset": b, "label": "words"}]}
             for i, (a, b) in enumerate(pred_vals[:len(refs)])]
    m = _score(tmp_path, "tss", refs, preds)
    if m is None:
        return
    ious = []
    for i, (a, b, _) in enumerate(ref_vals):
        if i >= len(preds):
            ious.append(0.0)
            continue
        pa, pb = pred_vals[i]
        clipped = _clip((pa, pb), 30)
        ious.append(0.0 if clipped is None else _iou(clipped, (a, b)))
    assert _close(m["segment_mIoU"], sum(ious) / len(ious))


# -- dense captioning: dac (validation layer only: METEOR runs in a JVM) --------------------------

@SETTINGS
@given(st.lists(st.tuples(PAIR, st.one_of(st.just("a dog barks"), HOSTILE),
                          st.one_of(st.just(30), TIME)).map(lambda t: (*t[0], t[1], t[2])),
                min_size=1, max_size=3))
def test_dac_schema(tmp_path, vals):
    from timebench.errors import InputError
    from timebench.io import read_references
    from timebench.tasks import get_task

    path = tmp_path / "refs.jsonl"
    rows = [{"id": f"d{i}", "duration": d, "events": [{"onset": a, "offset": b, "label": c}]}
            for i, (a, b, c, d) in enumerate(vals)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    try:
        refs = read_references(path)
        get_task("dac").check_references(refs, path=str(path))
    except InputError as exc:
        assert exc.field and re.search(rf"{re.escape(str(path))}:\d+", str(exc)), str(exc)
        return
    for ref, (a, b, c, d) in zip(refs, vals):
        ev = ref.events[0]
        assert (ev.onset, ev.offset, ev.label, ref.duration) == (a, b, c, d)
        assert _num(a) and _num(b) and 0 <= a <= b and (d is None or b <= d)
        assert isinstance(c, str) and c.strip()
