"""Per-sample work of ``score`` done once per call equals the per-sample path it replaces
(issue 11, item 4): echo removal with the prompt's facts cached, prompts rendered once per
distinct template value (:meth:`Task.prompt_renderer`), and ``score``'s answer parser
(:class:`timebench.scoring._AnswerParser`) against :func:`timebench.scoring.parse_prediction`."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from timebench import scoring, tasks
from timebench.errors import TimebenchError
from timebench.metrics.protocols import PROTOCOLS
from timebench.parsing import echo
from timebench.parsing.context import ParseContext
from timebench.types import Event, Prediction, Reference

sys.path.insert(0, str(Path(__file__).parent / "helpers"))
import real_corpus as rc  # noqa: E402

CORPUS = Path(__file__).parent / "corpus" / "lalm_outputs.jsonl"


def _texts(limit: int = 400) -> list[str]:
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()
             if line.strip() and isinstance(json.loads(line).get("text"), str)]
    real = [r["text"] for r in rc.load()]
    return texts + real[:: max(1, len(real) // limit)]


# ------------------------------------------------------------------------------ echo removal --
PROMPTS = [
    "What are the start and end times of audio matching 'the event'?",
    "What are the start and end times of audio matching 'a dog barks'? Answer with one or more "
    "intervals in seconds, formatted as 'start - end'.",
    "When does the dog bark? For example: 20.8 - 30.0 seconds. Answer briefly.",
    "Give the times, e.g. 1.5 - 3.0 s, a specific example is : 20.8 - 30.0 seconds.",
    "Short?",
    "İstanbul  sounds: when?  ",
    "",
]


def _ctx(text: str, prompt: str) -> ParseContext:
    return ParseContext(raw=text, text=text, duration=None, prompt=prompt, labels=None, opts={})


def _echo_results(cases) -> list:
    out = []
    for prompt, text in cases:
        ctx = _ctx(text, prompt)
        echo.remove_prompt_echo(ctx)
        out.append((ctx.text, ctx.notes, ctx.example_intervals))
    return out


def test_echo_removal_equals_the_uncached_path(monkeypatch):
    texts = _texts()
    extra = []
    for p in PROMPTS:
        extra += [p, f"Sure. {p} It is 1.0 - 2.0 s.", f"{p.upper()}  12 - 14 s", "  a  b  ",
                  f"For example: 20.8 - 30.0 seconds. Also 3 - 4 s. {p}", "İİ " + p]
    cases = [(prompt, text) for prompt in PROMPTS for text in texts + extra]
    fast = _echo_results(cases)

    def uncached_facts(prompt):
        text, patterns, examples = echo.prompt_examples.__wrapped__(prompt)
        return text, text.lower(), patterns, examples

    monkeypatch.setattr(echo, "_prompt_echo_facts", uncached_facts)
    monkeypatch.setattr(echo, "_collapse_spaces", lambda t: re.sub(r" {2,}", " ", t))
    slow = _echo_results(cases)
    for case, f, s in zip(cases, fast, slow):
        assert f == s, case
    n_changed = sum(f[0] != text for (_, text), f in zip(cases, fast))
    assert n_changed > 50  # the cases do reach the removal and whitespace rules
    assert sum(bool(f[1]) for f in fast) > 20   # ... and the echo notes


# -------------------------------------------------------------------------- prompt rendering --
def _refs() -> list[Reference]:
    out = []
    for i, (q, d, extra) in enumerate([
            ("a dog barks", 30.0, {}), ("a dog barks", 12.345, {}), (None, None, {}),
            ("", -0.0, {"options": ["A", 2, None]}), ("x", 0.0, {"options": []}),
            ("x", -0.0, {"options": []}), (["not", "a", "str"], 3.0, {"options": [["A"]]}),
            (1, 3.0, {}), (True, 3.0, {}), (1.0, 3.0, {}), ("a dog barks", "abc", {}),
            ("a dog barks", 30, {}), ("a dog barks", 30.0, {"options": 5}),
            ("a dog barks", 30.0, {"options": "AB"}),
            ("{query}", float("nan"), {"options": ("b", "c")}), ("a dog barks", 30.004, {}),
            ("ünï ✓", 1e9, {"qtype": "count"}), ("a dog barks", 30.0, {"options": ["A", 2]})]):
        out.append(Reference(id=f"r{i}", duration=d, query=q, question=q and f"when {q}?",
                             events=(Event(1.0, 2.0),), extra=extra))
    return out


def _outcome(fn, ref):
    try:
        return ("ok", fn(ref))
    except Exception as exc:  # the same error, type and message, on both paths
        return (type(exc).__name__, str(exc))


TEMPLATES = {
    "q": "matching '{query}'?", "qd": "{query} in {duration} s; {query!r} {duration:>8}",
    "all": "{question} {labels} {options} {duration} {query}", "none": "no field at all",
    "bad_field": "{query} {nope}", "attr": "{query.upper}", "index": "{options[0]}",
    "nested": "{query:{duration}}", "positional": "{} {query}", "spec_error": "{query:d}",
}


def test_prompt_renderer_equals_render_prompt():
    base = tasks.get_task("tag")
    cards = [tasks.get_task(name) for name in tasks.available_tasks()]
    cards.append(replace(base, prompts=TEMPLATES, prompt="q"))
    refs = _refs() * 2   # second pass: rendered from the cache
    n = 0
    for task in cards:
        for name in list(task.prompts) + [None, "missing"]:
            for labels in (None, ("dog", "cat"), ()):
                fast = task.prompt_renderer(prompt=name, labels=labels)
                for ref in refs:
                    got = _outcome(fast, ref)
                    want = _outcome(lambda r: task.render_prompt(r, prompt=name, labels=labels),
                                    ref)
                    assert got == want, (task.name, name, labels, ref)
                    n += got[0] == "ok"
    assert n > 500


def test_template_fields_reads_only_plain_known_placeholders():
    assert tasks._template_fields("matching '{query}'? {query}") == ("query",)
    assert tasks._template_fields("{duration:>8} {options}") == ("duration", "options")
    for bad in ("{nope}", "{query.upper}", "{options[0]}", "{query:{duration}}", "{}", "{"):
        assert tasks._template_fields(bad) is None, bad


# ------------------------------------------------------------------------------- answer parse --
def _predictions(texts: list[str]) -> list[Prediction | None]:
    preds: list[Prediction | None] = [Prediction(id="p", text=t) for t in texts]
    preds += [None, Prediction(id="p"), Prediction(id="p", text="1 - 2 s", events=()),
              Prediction(id="p", events=(Event(-1.0, 99.0),), present=False),
              Prediction(id="p", text="x", answer=3), Prediction(id="p", text="x", present=True),
              Prediction(id="p", text="B", present=None), Prediction(id="p", text=12)]
    return preds


@pytest.mark.parametrize("task_name", ["tag", "spotsound", "sed", "tqa", "tss", "dac"])
def test_score_answer_parser_equals_parse_prediction(task_name):
    task = tasks.get_task(task_name)
    texts = _texts(120)
    refs = _refs()
    labels_options = [None, ("dog", "speech")] if task.kind != "detection" else \
        [scoring.task_labels(task, refs) or ("dog",)]
    n = 0
    for proto in PROTOCOLS.values():
        for parser in (None, "strict", "lenient", "choice"):
            for labels in labels_options:
                for extra in (None, {"max_chars": 50}, {"min_length": 0}, {"bogus": 1},
                              {"max_chars": -1}):
                    fast = scoring._AnswerParser(task, parser=parser, labels=labels,
                                                 protocol=proto)
                    for k, pred in enumerate(_predictions(texts)):
                        ref = refs[k % len(refs)]
                        got = _outcome(lambda r: fast(r, pred, extra), ref)
                        want = _outcome(lambda r: scoring.parse_prediction(
                            task, r, pred, parser=parser, labels=labels, extra_options=extra,
                            protocol=proto), ref)
                        assert got == want, (proto.name, parser, labels, extra, ref, pred)
                        n += 1
    assert n > 1000


def test_score_answer_parser_caches_options_by_type():
    task = tasks.get_task("tag")
    fast = scoring._AnswerParser(task, parser=None, labels=None, protocol=None)
    ref, pred = _refs()[0], Prediction(id="p", text="1 - 2 s")
    assert fast(ref, pred, {"clip": True}) == scoring.parse_prediction(
        task, ref, pred, extra_options={"clip": True})
    for bad in ({"clip": 1}, {"clip": 1.0}):
        want = _outcome(lambda r: scoring.parse_prediction(task, r, pred, extra_options=bad), ref)
        assert want[0] == "InputError"
        assert _outcome(lambda r: fast(r, pred, bad), ref) == want


def test_score_answer_parser_when_prompts_fail_to_render():
    task = replace(tasks.get_task("tag"), prompts={"default": "{query} {nope}"})
    with pytest.raises(TimebenchError):
        task.render_prompt(_refs()[0])
    fast = scoring._AnswerParser(task, parser=None, labels=None, protocol=None)
    for text in ("'{query} {nope}' 1 - 2 s", "3 - 4 s"):
        pred = Prediction(id="p", text=text)
        ref = _refs()[0]
        assert fast(ref, pred) == scoring.parse_prediction(task, ref, pred)


# ------------------------------------------------------------------------------ moment mAP --
def test_moment_map_rows_at_once_equal_query_ap_per_sample():
    import numpy as np

    from timebench.metrics import moment_map as mm

    rng = np.random.default_rng(11)
    specials = [0.0, -0.0, 30.0, float("nan"), float("inf"), -float("inf"), 5, 2.5]
    preds, refs = [], []
    for _ in range(6000):
        grid = rng.choice([0.5, 0.1, 1e-3])

        def window():
            a, b = sorted(float(np.round(v / grid) * grid) for v in rng.uniform(-1, 31, 2))
            if rng.random() < 0.03:
                a = specials[int(rng.integers(len(specials)))]
            return a, b

        n_p = int(rng.choice([0, 1, 1, 1, 2, 3, 12]))
        scored = rng.random() < 0.15
        pred = tuple(Event(*window(), score=float(rng.random()) if scored and (
            k > 0 or rng.random() < 0.7) else None) for k in range(n_p))
        n_r = int(rng.choice([0, 1, 1, 1, 1, 2, 3]))
        ref = tuple(Event(*window()) for _ in range(n_r))
        if rng.random() < 0.05 and pred:
            ref = (pred[int(rng.integers(len(pred)))],)      # exact hits at every threshold
        preds.append(pred)
        refs.append(ref)
    fast = mm._event_aps(preds, refs)
    slow = np.array([mm._event_ap(p, r) for p, r in zip(preds, refs)]).reshape(-1, 10)
    assert fast.tobytes() == slow.tobytes()
    assert (fast > 0).any(axis=1).mean() > 0.2 and (fast == 1.0).any()
    assert mm._event_aps([], []).shape == (0, 10)


# ------------------------------------------------------------------------------ samples hash --
def test_reference_json_equals_json_dumps():
    import hashlib

    import numpy as np

    rng = np.random.default_rng(5)
    strings = ["", "a0.wav", 'q "quoted" \\ back', "dög ✓ \u2028 \x00\x1f\t\n", "é" * 3, "𝄞"]
    floats = [0.0, -0.0, 1.5, 1e16, 1e-7, 123456.789, float("nan"), float("inf"),
              -float("inf"), 60.0, 0.1 + 0.2]
    others = [None, 3, True, np.float64(2.5), "7"]

    def pick(values, p_other=0.0):
        if rng.random() < p_other:
            return others[int(rng.integers(len(others)))]
        return values[int(rng.integers(len(values)))]

    refs = []
    for i in range(3000):
        events = tuple(Event(pick(floats, 0.03), pick(floats, 0.03),
                             None if rng.random() < 0.5 else pick(strings, 0.03),
                             None if rng.random() < 0.7 else pick(floats, 0.03))
                       for _ in range(int(rng.choice([0, 1, 1, 2, 5]))))
        refs.append(Reference(
            id=pick(strings) + str(i) if rng.random() > 0.01 else i,
            audio=None if rng.random() < 0.2 else pick(strings, 0.03),
            duration=None if rng.random() < 0.2 else pick(floats, 0.05),
            query=None if rng.random() < 0.3 else pick(strings, 0.03),
            question=None if rng.random() < 0.7 else pick(strings, 0.03),
            events=events, present=pick([None, None, True, False], 0.02),
            answer=None if rng.random() < 0.9 else pick([3, "B", 2.5]),
            extra={} if rng.random() < 0.9 else {"qtype": "count", "n": [1, 2]}))
    n_fast = 0
    for ref in refs:
        want = json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
        got = tasks._reference_json(ref)
        assert got is None or got == want, ref
        n_fast += got is not None
    assert n_fast > 1500
    h = hashlib.sha256()
    for ref in refs * 3:   # past one chunk of rows
        h.update(json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False,
                            default=str).encode("utf-8") + b"\n")
    assert tasks.hash_references(refs * 3) == h.hexdigest()
    assert tasks.hash_references([]) == hashlib.sha256().hexdigest()


def test_gc_paused_restores_the_collector_state():
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with scoring._gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with scoring._gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()   # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_account_shortcut_is_the_prediction_outcome():
    """account() returns an answer with events, not failed and without a reason unchanged
    before working out its outcome: that outcome is a usable prediction for every kind."""
    from timebench.parsing import parse
    from timebench.parsing.accounting import account, outcome
    from timebench.tasks import KINDS

    answers = [parse(t, duration=60.0) for t in _texts(300)]
    answers += [replace(a, absent=True, affirmed=True, value=3) for a in answers[:50]]
    n = 0
    for a in answers:
        if a.events and not a.failed and not a.reason:
            for kind in KINDS:
                assert outcome(a, kind) == ("prediction", "")
                assert account(a, kind) is a
            n += 1
    assert n > 100
