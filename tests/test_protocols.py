"""Scorer protocols: each equals its reference scorer, written here as independent test code.

Every protocol is scored through ``timebench.scoring.score(..., protocol=NAME)`` on at least 200
synthetic samples that include threshold-boundary IoUs (mathematically exactly ``t`` but computed
just below it in floats), windows past the clip end, and samples without predictions, and is
compared with a re-implementation of the published scorer's rules (see
``timebench/metrics/protocols.py`` for the sources).  Where the reference is a library the
project already depends on (sed_eval, pycocoevalcap's PTB tokenizer and ROUGE-L), the library
itself is the reference.
"""

from __future__ import annotations

import random
import re
import string
from fractions import Fraction

import numpy as np
import pytest

from timebench.errors import InputError, UnknownNameError
from timebench.metrics.protocols import PROTOCOLS, get_protocol
from timebench.scoring import score
from timebench.tasks import get_task
from timebench.types import Event, Prediction, Reference

N = 240


# ------------------------------------------------------------------------------------------------
# grounding data: windows on a 0.1-s grid (many mathematically exact IoU = 0.3 / 0.5 / 0.7)
# ------------------------------------------------------------------------------------------------
def _grid(rng, lo, hi):
    return round(rng.randrange(int(lo * 10), int(hi * 10) + 1) / 10, 1)


def _grounding_data(seed=0, n=N):
    rng = random.Random(seed)
    refs, preds = [], []
    for i in range(n):
        dur = float(rng.choice([10, 20, 30]))
        n_ref = 1 if i % 3 else rng.randint(1, 3)
        ref_ev = []
        for _ in range(n_ref):
            s = _grid(rng, 0, dur - 1)
            ref_ev.append(Event(s, min(dur, round(s + _grid(rng, 0.3, 5), 1))))
        refs.append(Reference(id=f"g{i}", duration=dur, query="q", events=tuple(ref_ev)))
        kind = i % 8
        if kind == 0:
            preds.append(None)                                          # no prediction at all
            continue
        if kind == 1:
            preds.append(Prediction(id=f"g{i}", events=()))             # an empty answer
            continue
        g = ref_ev[0]
        if kind in (2, 3):   # boundary: exactly t of the reference (e.g. [0.3, 0.6] vs [0.3, 0.9])
            t = Fraction(rng.choice([3, 5, 7]), 10)
            length = Fraction(g.offset - g.onset).limit_denominator(10) * t
            p = [Event(g.onset, round(g.onset + float(length), 10))]
        elif kind == 4:      # past the clip end (clipped by some protocols, not by others)
            p = [Event(g.onset, dur + _grid(rng, 0.5, 3))]
        else:
            p = []
            for _ in range(rng.randint(1, 3)):
                s = _grid(rng, 0, dur - 0.5)
                p.append(Event(s, round(s + _grid(rng, 0.1, 6), 1)))
        preds.append(Prediction(id=f"g{i}", events=tuple(p)))
    return refs, [p for p in preds if p is not None]


def _iou_hull(a, b):
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _lighthouse_reference(refs, preds, thresholds=(0.5, 0.7)):
    """Moment-DETR / Lighthouse R1: top-1 window, best GT window, raw ``>=``, no clipping."""
    by_id = {p.id: p for p in preds}
    ious = []
    for r in refs:
        p = by_id.get(r.id)
        if p is None or not p.events:
            ious.append(0.0)
            continue
        top = (p.events[0].onset, p.events[0].offset)
        ious.append(max(_iou_hull(top, (g.onset, g.offset)) for g in r.events))
    ious = np.array(ious)
    out = {"mIoU": ious.mean()}
    out.update({f"R1@{t}": float(np.mean(ious >= t)) for t in thresholds})
    return out


def _union(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _set_iou(pred, ref):
    p, g = _union(pred), _union(ref)
    if not p or not g:
        return 0.0
    inter = sum(max(0.0, min(a[1], b[1]) - max(a[0], b[0])) for a in p for b in g)
    total = sum(e - s for s, e in p) + sum(e - s for s, e in g) - inter
    return inter / total if total > 0 else 0.0


def _set_reference(refs, preds, thresholds, *, clip=True, tolerance=0.0, min_len=0.0):
    """SpotSound-style set-IoU: clip to [0, duration], drop short, merge, raw (or tolerant) >=."""
    by_id = {p.id: p for p in preds}
    ious = []
    for r in refs:
        p = by_id.get(r.id)
        win = []
        for e in (p.events if p is not None and p.events else ()):
            s, t = (max(0.0, min(e.onset, r.duration)), max(0.0, min(e.offset, r.duration))) if clip \
                else (e.onset, e.offset)
            if t - s > min_len:
                win.append((s, t))
        ious.append(_set_iou(win, [(g.onset, g.offset) for g in r.events]))
    ious = np.array(ious)
    out = {"mIoU": ious.mean()}
    out.update({f"R1@{t}": float(np.mean(ious >= t - tolerance)) for t in thresholds})
    return out


def _check(metrics, expected):
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-12), key


def test_grounding_data_has_boundary_cases_and_empty_samples():
    refs, preds = _grounding_data()
    assert len(refs) >= 200 and len(preds) < len(refs)
    by_id = {r.id: r for r in refs}
    below = 0
    for p in preds:
        r = by_id[p.id]
        if p.events and len(p.events) == 1 and len(r.events) == 1:
            a, b = (p.events[0].onset, p.events[0].offset), (r.events[0].onset, r.events[0].offset)
            fa, fb = [Fraction(str(x)) for x in a], [Fraction(str(x)) for x in b]
            inter = max(Fraction(0), min(fa[1], fb[1]) - max(fa[0], fb[0]))
            exact = inter / (max(fa[1], fb[1]) - min(fa[0], fb[0]))
            below += any(exact == Fraction(str(t)) and _iou_hull(a, b) < t for t in (0.3, 0.5, 0.7))
    assert below >= 5       # IoU exactly t mathematically, t - ulp in floats


def test_lighthouse_protocol_equals_its_reference():
    task = get_task("tag")
    refs, preds = _grounding_data(1)
    report = score(task, refs, preds, protocol="lighthouse")
    assert report.protocol == "lighthouse" and report.to_json()["protocol"] == "lighthouse"
    _check(report.metrics, _lighthouse_reference(refs, preds))
    assert "R1@0.3" not in report.metrics            # Lighthouse reports R1@0.5 / 0.7


def test_spotsound_and_timeaudio_protocols_equal_their_references():
    task = get_task("tag")
    refs, preds = _grounding_data(2)
    _check(score(task, refs, preds, protocol="spotsound").metrics,
           _set_reference(refs, preds, (0.3, 0.5, 0.7)))
    _check(score(task, refs, preds, protocol="timeaudio").metrics,
           _set_reference(refs, preds, (0.3, 0.5, 0.7, 0.9)))
    _check(score(task, refs, preds).metrics,            # the card's protocol: timebench
           _set_reference(refs, preds, (0.3, 0.5, 0.7, 0.9), tolerance=1e-9))


def test_protocols_differ_where_the_conventions_differ():
    task = get_task("tag")
    refs, preds = _grounding_data(3)
    tb = score(task, refs, preds).metrics
    raw = score(task, refs, preds, protocol="timeaudio").metrics
    assert any(tb[k] > raw[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7"))   # boundary IoUs count only with tolerance
    top1 = score(task, refs, preds, metric_overrides={"grounding": {"mode": "top1", "tolerance": 0.0}}).metrics
    light = score(task, refs, preds, protocol="lighthouse").metrics
    assert light["mIoU"] != top1["mIoU"]              # no clipping to the duration under Lighthouse


def test_spotsound_text_path_clips_drops_short_and_merges():
    """Text answers in SpotSound's format, parsed under the protocol's parser options."""
    task = get_task("tag")
    rng = random.Random(4)
    refs, preds, wins = [], [], []
    for i in range(N):
        dur = 30.0
        g = _grid(rng, 0, 25)
        refs.append(Reference(id=f"t{i}", duration=dur, query="q", events=(Event(g, g + 3.0),)))
        w = []
        for _ in range(rng.randint(0, 3)):
            s = _grid(rng, 0, 32)
            w.append((s, round(s + rng.choice([0.0005, 0.5, 2.0, 4.0]), 4)))
        wins.append(w)
        if w:
            preds.append(Prediction(id=f"t{i}", text=", ".join(f"from {s:.4f}s to {e:.4f}s" for s, e in w)))
    got = score(task, refs, preds, protocol="spotsound").metrics
    pattern = re.compile(r"from\s*(-?\d+(?:\.\d+)?)\s*s?\s*(?:econds)?\s*to\s*(-?\d+(?:\.\d+)?)\s*s?")
    ref_preds = []
    for p in preds:
        evs = [Event(*sorted((float(a), float(b)))) for a, b in pattern.findall(p.text)]
        ref_preds.append(Prediction(id=p.id, events=tuple(evs)))
    _check(got, _set_reference(refs, ref_preds, (0.3, 0.5, 0.7), min_len=0.001))


# ------------------------------------------------------------------------------------------------
# detection: sed_eval itself is the reference
# ------------------------------------------------------------------------------------------------
def _random_events(rng, label, min_length):
    """1-4 events on the 0.1-s grid within 10 s, each labelled ``label(rng)``."""
    out = []
    for _ in range(rng.randint(1, 4)):
        s = _grid(rng, 0, 8)
        out.append(Event(s, round(s + _grid(rng, min_length, 2), 1), label(rng)))
    return out


def _sed_data(labels, seed=5, n=N):
    rng = random.Random(seed)
    refs, preds = [], []
    for i in range(n):
        ref_ev = _random_events(rng, lambda r: r.choice(labels), 0.2)
        refs.append(Reference(id=f"s{i}", duration=20.0, events=tuple(ref_ev)))  # nothing clipped
        if i % 7 == 0:
            continue                                               # no prediction
        est = []
        for e in ref_ev:
            if rng.random() < 0.8:
                # onset moved by 0..0.3 s (the collar is 0.2 s); offsets at 20-60 % of the length
                shift = rng.choice([0.0, 0.1, 0.2, 0.3])
                stretch = rng.choice([0.0, 0.2, 0.4, 0.6]) * e.length
                est.append(Event(round(e.onset + shift, 1), round(e.offset + stretch, 3),
                                 e.label if rng.random() < 0.9 else rng.choice(labels)))
        preds.append(Prediction(id=f"s{i}", events=tuple(est)))
    return refs, preds


def _sed_eval_reference(refs, preds, labels, *, percentage_of_length, empty):
    import dcase_util
    import sed_eval

    kwargs = {} if empty is None else {"empty_system_output_handling": empty}
    metric = sed_eval.sound_event.EventBasedMetrics(event_label_list=list(labels), t_collar=0.2,
                                                     percentage_of_length=percentage_of_length, **kwargs)
    seg = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=list(labels), time_resolution=1.0)
    by_id = {p.id: p for p in preds}

    def events(evs, fid):
        return dcase_util.containers.MetaDataContainer(
            [{"filename": fid, "onset": e.onset, "offset": e.offset, "event_label": e.label} for e in evs])

    for r in refs:
        est = by_id[r.id].events if r.id in by_id else ()
        metric.evaluate(events(r.events, r.id), events(est, r.id))
        seg.evaluate(events(r.events, r.id), events(est, r.id))
    ev, sg = metric.results(), seg.results()
    return {"event_f1": ev["overall"]["f_measure"]["f_measure"],
            "event_f1_macro": ev["class_wise_average"]["f_measure"]["f_measure"],
            "segment_f1": sg["overall"]["f_measure"]["f_measure"]}


@pytest.mark.parametrize("protocol,pol,empty", [("dcase", 0.2, "zero_score"), ("sed_eval", 0.5, None)])
def test_detection_protocols_equal_sed_eval(protocol, pol, empty):
    pytest.importorskip("sed_eval")
    task = get_task("sed")
    labels = ["alarm", "dog", "speech", "vacuum"]
    refs, preds = _sed_data(labels)
    got = score(task, refs, preds, protocol=protocol, labels=labels).metrics
    want = _sed_eval_reference(refs, preds, labels, percentage_of_length=pol, empty=empty)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


# ------------------------------------------------------------------------------------------------
# registry, cards, errors
# ------------------------------------------------------------------------------------------------
def test_registry_has_the_named_protocols():
    for name in ("timebench", "lighthouse", "spotsound", "timeaudio", "densevid2018", "densevid2019",
                 "soda-official", "coco-ptb", "dcase"):
        assert get_protocol(name).name == name and PROTOCOLS[name].source
    with pytest.raises(UnknownNameError, match="did you mean 'lighthouse'"):
        get_protocol("lighthous")


def test_card_protocol_key_is_validated(tmp_path):
    from timebench.tasks import load_card

    card = (get_task("tag").path)
    text = open(card).read()
    good = tmp_path / "good.yaml"
    good.write_text(text + "\nprotocol: lighthouse\n")
    assert load_card(good).protocol == "lighthouse"
    assert load_card(card).protocol == "timebench"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "\nprotocol: lightouse\n")
    with pytest.raises(InputError) as err:
        load_card(bad)
    assert err.value.field == "protocol"


def test_every_bundled_card_states_a_known_protocol():
    from timebench.tasks import available_tasks, load_card

    for name, path in available_tasks().items():
        assert load_card(path).protocol in PROTOCOLS, name


# ------------------------------------------------------------------------------------------------
# dense captioning and SODA: a toy, asymmetric METEOR stand-in injected as the run's scorer, so
# the protocols' conventions (unmatched caption, argument order, skipped samples) are checked
# exactly and fast; the METEOR jar itself is covered by tests/test_captioning.py / test_soda.py
# ------------------------------------------------------------------------------------------------
WORDS = "a dog barks loudly while car engine runs and man speaks softly bird sings".split()


def _toy_tok(text):
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _toy(hyp, ref):
    """Asymmetric in (hyp, ref) and sensitive to the reference's length (as METEOR's penalty)."""
    h, r = hyp.split(), ref.split()
    if not h or not r:
        return 0.0
    return (len(set(h) & set(r)) + 0.001 * len(ref)) / (len(h) + 2 * len(r))


class ToyScorer:
    closed = False

    def tokenize(self, texts):
        return [_toy_tok(t) for t in texts]

    def meteor(self, gts, res):
        per = [_toy(res[k][0], gts[k][0]) for k in gts]
        return float(np.mean(per)), per

    def meteor_segment_scores(self, hypotheses, references):
        return np.array([_toy(h, r) for h, r in zip(hypotheses, references)], dtype=np.float64)


@pytest.fixture
def toy_scorer(monkeypatch):
    import timebench.metrics.extra_suites as extra

    monkeypatch.setattr(extra, "_SCORER", ToyScorer())
    return extra._SCORER


def _caption(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))


def _dac_data(seed=7, n=N):
    rng = random.Random(seed)
    refs, preds = [], []
    for i in range(n):
        ref_ev = _random_events(rng, _caption, 0.5)
        refs.append(Reference(id=f"d{i}", duration=12.0, events=tuple(ref_ev)))
        if i % 6 == 0:
            continue                                          # no prediction
        if i % 6 == 1:
            preds.append(Prediction(id=f"d{i}", events=()))   # an empty answer
            continue
        est = []
        for e in ref_ev:
            if rng.random() < 0.7:   # exact, half-length (IoU 0.5 boundary) or shifted windows
                on, off = rng.choice([(e.onset, e.offset), (e.onset, round(e.onset + e.length / 2, 3)),
                                      (round(e.onset + 0.3, 1), round(e.offset + 0.3, 1))])
                est.append(Event(on, off, _caption(rng) if rng.random() < 0.5 else e.label))
        if rng.random() < 0.5:
            est.append(Event(10.5, 11.5, _caption(rng)))      # overlaps nothing: paired with garbage
        preds.append(Prediction(id=f"d{i}", events=tuple(est)))
    return refs, preds


def _dv_iou(p, g):
    inter = max(0, min(g.offset, p.offset) - max(g.onset, p.onset))
    union = min(max(g.offset, p.offset) - min(g.onset, p.onset), g.offset - g.onset + p.offset - p.onset)
    return inter / (union + 1e-8)


def _garbage_2019(vid, tiou, i, seed=0):
    rng = random.Random(f"{seed}:{vid}:{tiou!r}:{i}")
    out = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(10, 20)))
    assert out.isalpha() and out.islower() and 10 <= len(out) <= 20
    return out


def _densevid_reference(refs, preds, tious, garbage):
    by_id = {p.id: p for p in preds}
    per_video = []
    for r in refs:
        pv = list(by_id[r.id].events) if r.id in by_id else []
        if not pv:
            per_video.append(0.0)
            continue
        vals = []
        for t in tious:
            pairs = []
            for i, p in enumerate(pv):
                matched = [g for g in r.events if _dv_iou(p, g) >= t]
                if matched:
                    pairs += [(_toy_tok(p.label), _toy_tok(g.label)) for g in matched]
                else:
                    pairs.append((_toy_tok(p.label), garbage(r.id, t, i)))
            vals.append(np.mean([_toy(h, g) for h, g in pairs]))
        per_video.append(np.mean(vals))
    return float(np.mean(per_video))


@pytest.mark.parametrize("protocol", ["densevid2018", "densevid2019"])
def test_densevid_protocols_equal_their_references(toy_scorer, protocol):
    task = get_task("dac")
    refs, preds = _dac_data()
    got = score(task, refs, preds, protocol=protocol,
                metric_overrides={"captioning": {"metrics": ["METEOR"]}}).metrics
    tious = (0.3, 0.5, 0.7, 0.9)
    garbage = (lambda vid, t, i: _toy_tok("abc123!@#")) if protocol == "densevid2018" else _garbage_2019
    assert got["METEOR"] == pytest.approx(_densevid_reference(refs, preds, tious, garbage), abs=1e-12)


def test_densevid_revisions_differ(toy_scorer):
    task = get_task("dac")
    refs, preds = _dac_data()
    over = {"captioning": {"metrics": ["METEOR"]}}
    assert score(task, refs, preds, protocol="densevid2018", metric_overrides=over).metrics["METEOR"] != \
        score(task, refs, preds, protocol="densevid2019", metric_overrides=over).metrics["METEOR"]


def _dp(matrix):
    n, m = matrix.shape
    best = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i, j] = max(best[i - 1, j], best[i, j - 1], best[i - 1, j - 1] + matrix[i - 1, j - 1])
    return best[n, m]


def _soda_reference(refs, preds, *, swapped, skip_empty):
    by_id = {p.id: p for p in preds}
    values = []
    for r in refs:
        pv = sorted(by_id[r.id].events, key=lambda e: e.onset) if r.id in by_id else []
        if not pv:
            if not skip_empty:
                values.append(0.0)
            continue
        gv = sorted(r.events, key=lambda e: e.onset)
        sim = np.array([[_toy(_toy_tok(g.label), _toy_tok(p.label)) if swapped else
                         _toy(_toy_tok(p.label), _toy_tok(g.label)) for p in pv] for g in gv])
        iou = np.array([[_dv_iou(p, g) for p in pv] for g in gv])
        total = _dp(iou * sim)
        prec, rec = total / len(pv), total / len(gv)
        values.append(2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0)
    return float(np.mean(values))


@pytest.mark.parametrize("protocol,swapped,skip", [("soda-official", True, True), ("timebench", False, False)])
def test_soda_protocols_equal_their_references(toy_scorer, protocol, swapped, skip):
    task = get_task("dac")
    refs, preds = _dac_data(8)
    report = score(task, refs, preds, protocol=protocol,
                   metric_overrides={"captioning": {"metrics": ["METEOR"]}})
    assert report.metrics["SODA_c"] == pytest.approx(
        _soda_reference(refs, preds, swapped=swapped, skip_empty=skip), abs=1e-12)
    rows = report.per_sample_rows()
    assert sum(1 for row in rows if "SODA_c" not in row) == (
        sum(1 for r in refs if not any(p.id == r.id and p.events for p in preds)) if skip else 0)


# ------------------------------------------------------------------------------------------------
# coco-ptb: pycocoevalcap's PTB tokenizer and ROUGE-L are the reference (needs Java)
# ------------------------------------------------------------------------------------------------
SENTENCES = ["The speaker says it's 3.5 degrees outside.", "He doesn't like the U.S. weather, 2.5 times worse!",
             "Prices rose by 4.25 percent in May.", "She'll talk about the budget's 1.5 million gap.",
             "Nothing happened.", "A dog barks; a car passes (twice)."]


def test_coco_ptb_protocol_equals_pycocoevalcap(monkeypatch):
    pytest.importorskip("pycocoevalcap")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("java is not on PATH")
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    rng = random.Random(9)
    task = get_task("tss")
    refs, preds = [], []
    for i in range(N):
        ref_ev = tuple(Event(float(k * 10), float(k * 10 + 8), rng.choice(SENTENCES)) for k in range(rng.randint(1, 3)))
        refs.append(Reference(id=f"s{i}", duration=40.0, events=ref_ev))
        if i % 9 == 0:
            continue
        est = tuple(Event(e.onset, e.offset, rng.choice(SENTENCES)) for e in ref_ev if rng.random() < 0.8)
        preds.append(Prediction(id=f"s{i}", events=est))
    got = score(task, refs, preds, protocol="coco-ptb").per_sample_rows()

    by_id = {p.id: p for p in preds}
    texts = {}
    for r in refs:
        hyp = " ".join(e.label for e in sorted(by_id[r.id].events, key=lambda e: e.onset)) if r.id in by_id else ""
        texts[r.id] = (hyp, " ".join(e.label for e in sorted(r.events, key=lambda e: e.onset)))
    keys = [f"{rid}|{side}" for rid in texts for side in (0, 1)]
    tok = PTBTokenizer().tokenize({k: [{"caption": texts[k.split("|")[0]][int(k.split("|")[1])]}] for k in keys})
    rouge = Rouge()
    for row in got:
        hyp, ref = tok[f"{row['id']}|0"][0].split(), tok[f"{row['id']}|1"][0].split()
        if not hyp or not ref:
            want_l = want_1 = 0.0
        else:
            want_l = rouge.calc_score([" ".join(hyp)], [" ".join(ref)])
            overlap = sum(min(hyp.count(w), ref.count(w)) for w in set(hyp))
            p1, r1 = overlap / len(hyp), overlap / len(ref)
            want_1 = 2 * p1 * r1 / (p1 + r1) if overlap else 0.0
        assert row["ROUGE_L"] == pytest.approx(want_l, abs=1e-12)
        assert row["ROUGE_1"] == pytest.approx(want_1, abs=1e-12)
    assert "3.5" in " ".join(t[0] for t in tok.values())      # PTB keeps decimals whole


def test_spotsound_protocol_on_a_task_with_absent_events():
    """Negatives (present: false) stay out of the set-IoU metrics; positives are scored as SpotSound."""
    task = get_task("spotsound")
    refs, preds = _grounding_data(6)
    rng = random.Random(6)
    negatives = [Reference(id=f"n{i}", duration=30.0, query="q", present=False) for i in range(60)]
    neg_preds = [Prediction(id=f"n{i}", events=(Event(1.0, 2.0),) if rng.random() < 0.3 else ()) for i in range(60)]
    report = score(task, refs + negatives, preds + neg_preds, protocol="spotsound")
    _check(report.metrics, _set_reference(refs, preds, (0.3, 0.5, 0.7)))
    suites = {d["suite"]: d for d in report.to_json()["metric_suites"]}
    assert suites["presence"]["tolerance"] == 0.0 and suites["grounding"]["tolerance"] == 0.0
