"""Silently wrong numbers from loose input typing (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cli, first_line, one_line_error, write

ORDER = 60
CLASS = "Silently wrong numbers from loose input typing"
ROOT_FIX = ("typed reference/prediction schema per task kind (`timebench/schema.py`), one strict "
            "yes/no and number coercion shared by validation and the QA metric; side inputs "
            "(DCASE durations) checked against the events; one documented precedence rule for "
            "structured fields over `text`, counted as `n_text_ignored`; times above 1e9 s "
            "refused and segment scoring exact for any finite time")

OK2 = "exit 2, one line naming file:line and field"


def _jsonl(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def attacks(A: Attacks) -> None:
    d = A.work / "typing"

    def score(task, refs, preds, *extra, name="preds.jsonl", ref_name="refs.jsonl"):
        r = write(d / ref_name, refs if isinstance(refs, str) else _jsonl(refs))
        p = write(d / name, preds if isinstance(preds, str) else _jsonl(preds))
        out = d / "m.json"
        out.unlink(missing_ok=True)
        rc, so, err = cli("score", "--task", task, "--references", r, "--predictions", p, "-o",
                          out, "-q", *extra)
        metrics = json.loads(out.read_text()) if rc == 0 else None
        return rc, err, metrics

    def qa(answer, qtype="yesno", **extra):
        return {"id": "q1", "question": "Is there a dog?", "answer": answer,
                "extra": {"qtype": qtype, **extra}}

    def accuracy_case(ref_answer, pred, want):
        def fn():
            rc, err, m = score("tqa", [qa(ref_answer)], [{"id": "q1", **pred}])
            if rc != 0:
                return f"exit {rc}; {first_line(err)}", False
            acc = m["metrics"]["accuracy"]
            return f"exit 0; accuracy={acc:.1f}", acc == want
        return fn

    A.run("typing: QA references", 'yes/no reference stored as the string "no", model answers "No."',
          "exit 0, accuracy 1 (\"no\" is false, never truthy)",
          accuracy_case("no", {"text": "No."}, 1.0))
    A.run("typing: QA references", 'yes/no reference "no", model answers "Yes, it does."',
          "exit 0, accuracy 0", accuracy_case("no", {"text": "Yes, it does."}, 0.0))

    def bad_ref(rows, task="tqa", *must):
        def fn():
            rc, err, _ = score(task, rows, [{"id": rows[0]["id"], "text": "1"}])
            return one_line_error(rc, err, "refs.jsonl:1", *must)
        return fn

    A.run("typing: QA references", 'yes/no reference "nope"', OK2,
          bad_ref([qa("nope")], "tqa", "answer"))
    A.run("typing: QA references", "yes/no reference given as the number 0", OK2,
          bad_ref([qa(0)], "tqa", "answer"))
    A.run("typing: QA references", 'count reference "three"', OK2,
          bad_ref([qa("three", "count")], "tqa", "answer"))
    A.run("typing: QA references", "count reference 2.5", OK2,
          bad_ref([qa(2.5, "count")], "tqa", "answer"))
    A.run("typing: QA references", 'unknown question type "sarcasm"', OK2,
          bad_ref([qa("yes", "sarcasm")], "tqa", "extra.qtype"))
    A.run("typing: QA references", "order reference not among its options", OK2,
          bad_ref([qa("cat", "order", options=["dog", "bell"])], "tqa", "answer"))
    A.run("typing: SED references", "a reference event without a class label", OK2,
          bad_ref([{"id": "f1.wav", "events": [{"onset": 1, "offset": 2}]}], "sed",
                  "events[0].label"))
    A.run("typing: references", '`present: "no"` in a reference', OK2,
          bad_ref([{"id": "c1", "duration": 20, "query": "a dog", "present": "no",
                    "events": []}], "spotsound", "present"))
    A.run("typing: references", "an event time of 1e300 s", OK2,
          bad_ref([{"id": "c1", "query": "a dog", "events": [[0, 1e300]]}], "tag",
                  "events[0][1]"))

    def bad_pred(refs, preds, *must, task="tqa"):
        def fn():
            rc, err, _ = score(task, refs, preds)
            return one_line_error(rc, err, "preds.jsonl:1", *must)
        return fn

    A.run("typing: predictions", 'structured answer "maybe" to a yes/no question', OK2,
          bad_pred([qa(True)], [{"id": "q1", "answer": "maybe"}], "answer"))
    A.run("typing: predictions", 'structured answer "three" to a count question', OK2,
          bad_pred([qa(3, "count")], [{"id": "q1", "answer": "three"}], "answer"))
    A.run("typing: predictions", '`present: "no"` in a prediction', OK2,
          bad_pred([{"id": "c1", "duration": 20, "query": "a dog", "present": False,
                     "events": []}], [{"id": "c1", "present": "no"}], "present",
                   task="spotsound"))
    A.run("typing: predictions", 'structured answer "No" to a yes/no question whose reference is '
          "false", "exit 0, accuracy 1 (strict coercion)",
          accuracy_case(False, {"answer": "No"}, 1.0))

    def text_and_structured(pred, task, refs, want_metric, want_value):
        def fn():
            rc, err, m = score(task, refs, [pred])
            if rc != 0:
                return f"exit {rc}; {first_line(err)}", False
            n = m.get("n_text_ignored")
            v = m["metrics"][want_metric]
            warned = "n_text_ignored" in err
            return (f"exit 0; {want_metric}={v:.2f}; n_text_ignored={n}; warning printed: "
                    f"{warned}", n == 1 and warned and abs(v - want_value) < 1e-9)
        return fn

    tag_ref = [{"id": "c1", "duration": 20, "query": "a dog", "events": [[2, 6]]}]
    A.run("typing: text vs structured", "`text` says 2-6 s, `events` says 10-12 s",
          "events scored (documented rule), counted in n_text_ignored, warning",
          text_and_structured({"id": "c1", "text": "2 - 6 s", "events": [[10, 12]]}, "tag",
                              tag_ref, "mIoU", 0.0))
    spot_ref = [{"id": "c1", "duration": 20, "query": "a dog", "present": False, "events": []}]
    A.run("typing: text vs structured", "`text` says 2-6 s, `present: false`",
          "present scored, counted in n_text_ignored, warning",
          text_and_structured({"id": "c1", "text": "from 2 to 6 s", "present": False},
                              "spotsound", spot_ref, "presence_acc_neg", 1.0))

    # -- DCASE durations (a side input) ------------------------------------------------------
    tsv = "filename\tonset\toffset\tevent_label\na.wav\t1.0\t9.0\tdog\nb.wav\t0.5\t1.0\tcat\n"

    def durations(content, *must, expect_rc=2):
        def fn():
            write(d / "dur.tsv", content)
            rc, err, m = score("sed", tsv, tsv, "--durations", d / "dur.tsv",
                               name="preds.tsv", ref_name="refs.tsv")
            if expect_rc == 0:
                return (f"exit {rc}; event_f1={m['metrics']['event_f1']:.2f}" if m else
                        f"exit {rc}; {first_line(err)}", rc == 0)
            return one_line_error(rc, err, "dur.tsv", *must)
        return fn

    A.run("typing: DCASE durations", "a duration shorter than a reference event (5 s, event "
          "ends at 9 s)", "exit 2 naming the durations file:line and field",
          durations("a.wav\t5.0\nb.wav\t10\n", "dur.tsv:1", "duration"))
    A.run("typing: DCASE durations", "the same file listed twice", "exit 2 naming file:line",
          durations("a.wav\t10\na.wav\t12\n", "dur.tsv:2", "filename"))
    A.run("typing: DCASE durations", "duration `nan` and `1e400`", "exit 2 naming file:line",
          durations("a.wav\tnan\n", "dur.tsv:1", "duration"))
    A.run("typing: DCASE durations", "consistent durations (control)", "exit 0",
          durations("a.wav\t10\nb.wav\t10\n", expect_rc=0))

    # -- times near float limits ---------------------------------------------------------------
    from timebench.metrics.detection import event_based_metrics, segment_based_metrics
    from timebench.types import Event

    def near_limits():
        ref = {"f": [Event(0.0, 1.0, "dog")]}
        cases = {"1e300": [Event(0.0, 1e300, "dog")],
                 "2**62": [Event(2.0 ** 62, 2.0 ** 62 + 4096, "dog")],
                 "9.3e18 (beyond int64)": [Event(0.0, 9.3e18, "dog")]}
        texts, ok = [], True
        for name, est in cases.items():
            f = segment_based_metrics(ref, {"f": est})["f_measure"]
            fe = event_based_metrics(ref, {"f": est})["f_measure"]
            ok &= f < 1e-9 and fe == 0.0
            texts.append(f"{name}: segment F={f:.3g}, event F={fe:.3g}")
        exact = segment_based_metrics(ref, {"f": [Event(0.0, 1.0, "dog"),
                                                  Event(1e12, 1e12 + 1, "dog")]})
        ok &= abs(exact["precision"] - 1 / 2) < 1e-12
        texts.append(f"exact count beyond the grid: precision={exact['precision']:.3f}")
        return "; ".join(texts), ok
    A.run("typing: float limits", "segment and event scoring of a whole-file false positive "
          "ending near float limits (metrics called directly)",
          "F near 0, never 1 (no int64 overflow); exact counts beyond the grid", near_limits)
    A.run("typing: float limits", "a DCASE TSV prediction with onset 1e10 s", OK2,
          lambda: (lambda r: one_line_error(r[0], r[1], "preds.tsv:2", "onset"))(
              score("sed", tsv, "filename\tonset\toffset\tevent_label\na.wav\t1e10\t2e10\tdog\n",
                    name="preds.tsv", ref_name="refs.tsv")))
