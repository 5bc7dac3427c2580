"""Label mapping (timebench/labels): hand cases for each rule, the paraphrase corpus, the
distractors, and the mapping report in `score` / results.json / the HTML report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from timebench.errors import InputError
from timebench.labels.apply import settings_from
from timebench.labels.corpus import read_corpus, read_distractors
from timebench.labels.mapper import LabelMapper, get_mapper
from timebench.labels.ontology import aliases, load_ontology
from timebench.labels.text import clauses, stem
from timebench.labels.vocab import vocabulary

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "labels"
FIX = ROOT / "tests" / "fixtures" / "labels"
DESED = vocabulary("desed")


def _map(text, labels=DESED, **kw):
    return get_mapper(tuple(labels), **kw).map(text)


# -- text rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("words, same", [
    (["bark", "barks", "barking", "barked"], True),
    (["sizzle", "sizzling", "sizzles", "fry", "frying", "fried"], True),
    (["run", "running", "runs", "ran"], True),
    (["dish", "dishes"], True),
    (["vacuum", "vacuuming", "hoovering"], True),
    (["speak", "speaking", "spoke", "talk", "talking", "speech"], True),
    (["fill", "filing"], False),          # Porter's l/s/z rule keeps them apart
    (["ring", "rang", "ringing"], True),
])
def test_stems_fold_inflection(words, same):
    assert (len({stem(w) for w in words}) == 1) is same


def test_clauses_head_context_and_negation():
    (c,) = clauses("food sizzling in a pan")
    assert [(w.stem, w.head) for w in c.words] == [("food", True), ("fry", True), ("pan", False)]
    (c,) = clauses("the hum of an electric shaver")  # 'of' introduces the source
    assert all(w.head for w in c.words)
    assert [len(c.words) for c in clauses("a dog barks and a man speaks")] == [2, 2]
    assert clauses("no dog barking") == ()


def test_ontology_aliases_and_relations():
    assert aliases("Male speech, man speaking") == ("Male speech", "man speaking")
    assert aliases("Dishes, pots, and pans") == ("Dishes", "pots", "pans")
    assert aliases("Frying (food)") == ("Frying",)
    onto = load_ontology()
    assert onto.find("Speech") in onto.ancestors(onto.find("Male speech, man speaking"))
    assert len(onto.nodes) == 632


# -- mapper rules (hand cases) ------------------------------------------------------------------

@pytest.mark.parametrize("text, label", [
    # the model-style labels
    ("a man talking", "Speech"),
    ("an alarm bell rings", "Alarm_bell_ringing"),
    ("food sizzling in a pan", "Frying"),
    ("water running from a tap", "Running_water"),
    ("someone vacuuming the floor", "Vacuum_cleaner"),
    # inflection
    ("dogs barked", "Dog"),
    ("vacuuming", "Vacuum_cleaner"),
    # parent/child: children of a class's ontology node count for it
    ("male speech", "Speech"),
    ("a baby babbling", "Speech"),
    ("a phone rings", "Alarm_bell_ringing"),
    ("a cat purring", "Cat"),
    # head noun over verb cue, head over context
    ("a blender running", "Blender"),
    ("cat meowing near the vacuum cleaner", "Cat"),
    ("the hum of an electric shaver", "Electric_shaver_toothbrush"),
    # a clause naming only a sound outside the vocabulary is ignored
    ("a dog barks as a car passes", "Dog"),
    # a clause ambiguous between classes is settled by another clause naming one of them
    ("dogs bark and growl", "Dog"),
])
def test_maps_to_class(text, label):
    m = _map(text)
    assert (m.label, m.status in ("mapped", "exact")) == (label, True), m


@pytest.mark.parametrize("text, status", [
    ("birds chirping", "unmapped"),                # a sound the vocabulary does not have
    ("a man whistling", "unmapped"),               # Whistling (outside) and Whistle tie
    ("no dog barking", "unmapped"),                # negated
    ("growling", "ambiguous"),                     # under both Dog and Cat
    ("a dog barks and a man speaks", "ambiguous"),  # two classes
    ("", "unmapped"),
])
def test_none_and_ties(text, status):
    m = _map(text)
    assert (m.label, m.status) == (None, status), m


def test_tie_lists_candidates():
    assert _map("growling").candidates == ("Cat", "Dog")
    assert _map("a dog barks and a man speaks").candidates == ("Dog", "Speech")


def test_exact_protocol_only_folds_case_and_inflection():
    assert _map("dogs", protocol="exact").label == "Dog"
    assert _map("alarm bell ringing", protocol="exact").label == "Alarm_bell_ringing"
    assert _map("a man talking", protocol="exact").label is None
    with pytest.raises(ValueError):
        LabelMapper(DESED, protocol="fuzzy")


def test_vocabularies_by_id_by_name_and_by_own_words():
    m = LabelMapper(["/m/09x0r", "/m/0bt9lr"])        # AudioSet-Strong style ids
    assert m.map("a man talking").label == "/m/09x0r"
    assert m.map("puppies yelping").label == "/m/0bt9lr"
    m = LabelMapper(["dog bark", "car horn"])          # labels found nowhere: own words
    assert m.map("a dog barking loudly").label == "dog bark"
    assert m.map("honking").label == "car horn"        # ontology node named by the label
    mini = vocabulary("mini")
    assert _map("a rising chirp", mini).label == "chirp"   # own name over the bird's chirp
    assert _map("a car horn", mini).label is None           # horns are not the mini alarm
    aset = vocabulary("audioset")
    assert _map("a man singing", aset).label == "Male singing"
    assert _map("a cat purring", aset).label == "Purr"      # the more specific reading


def test_results_are_cached_per_string():
    m = LabelMapper(DESED)
    assert m.map("a dog barking") is m.map("a dog barking")
    assert get_mapper(DESED) is get_mapper(tuple(DESED))


# -- corpus and distractors ---------------------------------------------------------------------

def test_corpus_shape_and_sources():
    items = read_corpus(CORPUS, "desed") + read_corpus(CORPUS, "audioset")
    assert len(items) >= 300
    for it in items:
        assert it.source.strip() and it.text.strip()
        assert set(it.labels) <= set(vocabulary(it.vocab)), it
    assert sum(it.source.startswith("audiocaps:") for it in items) >= 80
    assert {d.vocab for d in read_distractors(CORPUS)} == {"desed", "audioset", "mini"}


def _accuracy(vocab):
    items = read_corpus(CORPUS, vocab)
    m = LabelMapper(vocabulary(vocab))
    return sum(m.map(it.text).label in it.labels for it in items), len(items)


def test_corpus_accuracy():
    d_ok, d_n = _accuracy("desed")
    a_ok, a_n = _accuracy("audioset")
    assert d_ok / d_n >= 0.95
    assert (d_ok + a_ok) / (d_n + a_n) >= 0.95
    assert a_ok / a_n >= 0.90   # measured 94.8 %; the finer AudioSet classes are harder


def test_desed_paraphrases_never_map_to_a_wrong_class():
    m = LabelMapper(DESED)
    wrong = [(it.text, m.map(it.text).label) for it in read_corpus(CORPUS, "desed")
             if m.map(it.text).label not in (None, *it.labels)]
    assert wrong == []


def test_distractors_map_to_no_class():
    mapped = []
    for d in read_distractors(CORPUS):
        label = LabelMapper(vocabulary(d.vocab)).map(d.text).label
        if label is not None:
            mapped.append((d.vocab, d.text, label))
    assert mapped == []


# -- settings -----------------------------------------------------------------------------------

def test_settings_card_then_cli():
    s = settings_from({"protocol": "exact"}, {"unmapped": "fail", "protocol": None})
    assert (s.protocol, s.unmapped) == ("exact", "fail")
    assert settings_from(None).protocol == "ontology"
    for bad in ({"protocol": "fuzzy"}, {"unmapped": "drop"}, {"other": 1}, "ontology"):
        with pytest.raises(InputError):
            settings_from(bad)


def test_card_with_bad_label_map_fails_on_load(tmp_path):
    from timebench.tasks import load_card

    card = (ROOT / "tasks" / "sed.yaml").read_text() + "label_map: {unmapped: drop}\n"
    (tmp_path / "sed.yaml").write_text(card)
    with pytest.raises(InputError, match="label_map.unmapped"):
        load_card(tmp_path / "sed.yaml")
    (tmp_path / "sed.yaml").write_text((ROOT / "tasks" / "sed.yaml").read_text()
                                       + "label_map: {protocol: exact}\n")
    assert load_card(tmp_path / "sed.yaml").card["label_map"] == {"protocol": "exact"}


# -- scoring ------------------------------------------------------------------------------------

def _score(**kw):
    from timebench.io import read_predictions, read_references
    from timebench.scoring import score
    from timebench.tasks import get_task

    refs = read_references(FIX / "desed_refs.jsonl")
    preds = read_predictions(FIX / "desed_preds.jsonl")
    return score(get_task("sed"), refs, preds, **kw)


def test_score_maps_model_wording_and_reports_the_rest():
    rep = _score()
    lm = rep.to_json()["label_mapping"]
    assert (lm["n_events"], lm["n_matched"], lm["n_exact"], lm["n_mapped"]) == (10, 8, 1, 7)
    assert lm["mapping_rate"] == pytest.approx(0.8)
    assert [r["label"] for r in lm["top_unmapped"]] == ["a kitchen appliance whirring",
                                                       "a man whistling"]
    # 8 of 10 events timed exactly and now labelled: P = R = 0.8
    assert rep.metrics["event_f1"] == pytest.approx(0.8)
    row = rep.per_sample_rows()[0]
    assert "label 'a man talking' -> 'Speech' (via Male speech, man speaking)" in row["notes"]


def test_score_exact_protocol_and_fail_policy():
    rep = _score(label_map={"protocol": "exact"})
    assert rep.to_json()["label_mapping"]["n_matched"] == 1
    assert rep.metrics["event_f1"] == pytest.approx(0.1)
    with pytest.raises(InputError, match="2 of 10 predicted event labels map to no class"):
        _score(label_map={"unmapped": "fail"})


def test_structured_events_are_mapped_too():
    from timebench.scoring import score
    from timebench.tasks import get_task
    from timebench.types import Event, Prediction, Reference

    ref = Reference(id="a", audio="a.wav", duration=10.0,
                    events=(Event(1.0, 2.0, "Dog"),))
    pred = Prediction(id="a", events=(Event(1.0, 2.0, "dog barking"),))
    rep = score(get_task("sed"), [ref], [pred], labels=DESED)
    assert rep.metrics["event_f1"] == 1.0


def test_qa_choice_answer_read_with_the_mapper():
    from timebench.scoring import score
    from timebench.tasks import get_task
    from timebench.types import Prediction, Reference

    refs = [Reference(id=f"q{i}", audio="a.wav", duration=10.0,
                      question="Which happens first, the beep or the speech?", answer="speech",
                      extra={"qtype": "order", "options": ["beep", "speech"]})
            for i in range(3)]
    preds = [Prediction(id="q0", text="The person talking comes first."),   # mapper
             Prediction(id="q1", text="First a beep, then a person talking."),  # parser
             Prediction(id="q2", text="A person talking and a high-pitched beeping.")]  # tie
    rep = score(get_task("tqa"), refs, preds)
    assert [s.parsed.value for s in rep.samples] == ["speech", "beep", None]
    assert rep.samples[0].parsed.notes[-1] == ("answer read as option 'speech' by the label "
                                               "mapper (via Speech)")
    assert rep.samples[2].parsed.failed


def _cli(*args):
    from procs import helper_env

    return subprocess.run([sys.executable, "-m", "timebench", *args], capture_output=True,
                          text=True, env=helper_env(), cwd=ROOT, timeout=120)


def test_cli_score_prints_mapping_rate_and_unmapped(tmp_path):
    base = ["score", "--task", "sed", "--references", str(FIX / "desed_refs.jsonl"),
            "--predictions", str(FIX / "desed_preds.jsonl")]
    out = _cli(*base, "--output", str(tmp_path / "m.json"))
    assert out.returncode == 0, out.stderr
    assert ("labels (ontology, unmapped: keep): 8/10 predicted events mapped (80.0 %; 1 exact, "
            "7 by the mapper); unmapped: 'a kitchen appliance whirring' ×1, "
            "'a man whistling' ×1") in out.stdout
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["label_mapping"]["n_matched"] == 8
    out = _cli(*base, "--unmapped", "fail", "-q")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "map to no class" in out.stderr


def test_run_results_and_html_report_carry_the_mapping(tmp_path):
    from timebench.cli import main
    from timebench.report.html import html_report

    rc = main(["run", "--tasks", "sed", "--models", "label_adapters:Paraphraser",
               "--out", str(tmp_path), "--bootstrap", "20", "--limit", "3", "-q",
               "--no-progress"])
    assert rc == 0
    results = json.loads((tmp_path / "results.json").read_text())
    lm = next(iter(results["results"].values()))["sed"]["label_mapping"]
    assert lm["n_unmapped"] == 3 and lm["top_unmapped"][0] == {
        "label": "a car horn", "count": 3, "status": "unmapped"}
    assert lm["n_matched"] == lm["n_events"] - 3
    page = html_report({"run": (tmp_path / "results.json", results)})
    assert "Predicted labels mapped to the task's classes" in page
    assert "&#x27;a car horn&#x27; ×3" in page


def test_real_model_captions_score_output(tmp_path):
    """Twenty Speech events labelled with real Qwen2.5-Omni / MiDashengLM captions."""
    base = ["score", "--task", "sed", "--references", str(FIX / "real_refs.jsonl"),
            "--predictions", str(FIX / "real_preds.jsonl")]
    out = _cli(*base, "--output", str(tmp_path / "m.json"))
    assert out.returncode == 0, out.stderr
    assert "19/20 predicted events mapped (95.0 %; 0 exact, 19 by the mapper)" in out.stdout
    assert "unmapped: 'The speaker's voice is characterized" in out.stdout
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["metrics"]["event_f1"] == pytest.approx(0.95)


def test_any_text_maps_without_error_and_deterministically():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    fresh = LabelMapper(DESED)

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=80) | st.sampled_from(["a dog barking", "dogs and cats", "no speech"]))
    def check(text):
        a, b = get_mapper(DESED).map(text), fresh.map(text)
        assert a == b
        assert a.label is None or a.label in DESED
        assert a.status in ("exact", "mapped", "ambiguous", "unmapped")

    check()
