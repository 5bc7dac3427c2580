"""The static HTML report: one safe file, tables, timelines, markers, missing files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from timebench.report.html import LaneSpec, choose_clips, html_report, sample_quality, timeline_svg

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x>'
HOSTILE_MODEL = "m<b>2</b>"


def _write_jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _ev(on, off, label=None):
    return {"onset": on, "offset": off, **({"label": label} if label is not None else {})}


# A tiny run directory written by hand: a grounding task with an absent-event negative, a SED
# task with labels and a QA task; model "alpha" and a model with a hostile name stored in "m2/".
REFS = {
    "ground": [
        {"id": "g0", "audio": "a.wav", "duration": 10.0, "query": f"a dog {SCRIPT}",
         "events": [_ev(1.0, 3.0)], "present": True},
        {"id": "g1", "audio": "b.wav", "duration": 20.0, "query": "a siren",
         "events": [], "present": False},
        {"id": "g2", "audio": "c.wav", "duration": 8.0, "query": f"glass {IMG}",
         "events": [_ev(2.0, 4.0), _ev(5.0, 6.0)], "present": True},
    ],
    "sed": [
        {"id": "s0", "audio": "a.wav", "duration": 10.0,
         "events": [_ev(0.5, 2.0, "dog"), _ev(1.0, 4.0, "speech"), _ev(6.0, 7.0, IMG)]},
        {"id": "s1", "audio": "b.wav", "duration": 12.0, "events": [_ev(3.0, 5.0, "dog")]},
    ],
    "qa": [
        {"id": "q0", "audio": "a.wav", "duration": 10.0, "question": f"How many? {SCRIPT}",
         "events": [], "answer": 3, "extra": {"qtype": "count"}},
        {"id": "q1", "audio": "b.wav", "duration": 10.0, "question": "Which first, dog or cat?",
         "events": [], "answer": "dog", "extra": {"qtype": "order", "options": ["dog", "cat"]}},
    ],
}

# per model, task: (predictions rows, scores rows)
RUNS = {
    "alpha": {
        "ground": (
            [{"id": "g0", "text": "1.0 - 3.0"}, {"id": "g1", "text": "No."},
             {"id": "g2", "text": f"between 2 and 4 {SCRIPT}"}],
            [{"id": "g0", "parser": "lenient", "failed": False, "absent": False,
              "events": [_ev(1.0, 3.0)], "iou": 1.0},
             {"id": "g1", "parser": "lenient", "failed": False, "absent": True, "events": [],
              "presence_correct": True},
             {"id": "g2", "parser": "lenient", "failed": False, "absent": False,
              "events": [_ev(2.0, 4.0)], "iou": 0.5}]),
        "sed": (
            [{"id": "s0", "text": "dog 0.5-2"}, {"id": "s1", "text": "dog 3-5"}],
            [{"id": "s0", "parser": "lenient", "failed": False, "absent": False,
              "events": [_ev(0.5, 2.0, "dog"), _ev(1.2, 3.9, f"speech {IMG}")],
              "event_ntp": 1, "event_nref": 3, "event_nsys": 2},
             {"id": "s1", "parser": "lenient", "failed": False, "absent": False,
              "events": [_ev(3.0, 5.0, "dog")], "event_ntp": 1, "event_nref": 1,
              "event_nsys": 1}]),
        "qa": (
            [{"id": "q0", "text": "three"}, {"id": "q1", "text": "dog"}],
            [{"id": "q0", "parser": "number", "failed": False, "absent": False, "events": [],
              "value": 3.0, "correct": True, "abs_error": 0.0},
             {"id": "q1", "parser": "choice", "failed": False, "absent": False, "events": [],
              "value": "dog", "correct": True}]),
    },
    HOSTILE_MODEL: {
        "ground": (
            [{"id": "g0", "text": f"I think {SCRIPT}"}, {"id": "g2", "text": "4 - 7"}],
            [{"id": "g0", "parser": "lenient", "failed": True, "absent": False, "events": []},
             {"id": "g1", "parser": "missing", "failed": True, "absent": False, "events": []},
             {"id": "g2", "parser": "lenient", "failed": False, "absent": False,
              "events": [_ev(4.0, 7.0)], "iou": 0.2}]),
        "sed": (
            [{"id": "s0", "text": "nothing"}, {"id": "s1", "error": "CUDA out of memory"}],
            [{"id": "s0", "parser": "lenient", "failed": False, "absent": False, "events": [],
              "event_ntp": 0, "event_nref": 3, "event_nsys": 0},
             {"id": "s1", "parser": "error", "failed": True, "absent": False, "events": [],
              "event_ntp": 0, "event_nref": 1, "event_nsys": 0}]),
        "qa": (
            [{"id": "q0", "text": IMG}, {"id": "q1", "text": "cat"}],
            [{"id": "q0", "parser": "number", "failed": True, "absent": False, "events": [],
              "correct": False},
             {"id": "q1", "parser": "choice", "failed": False, "absent": False, "events": [],
              "value": "cat", "correct": False}]),
    },
}

DIRS = {"alpha": "alpha", HOSTILE_MODEL: "m2"}
PRIMARY = {"ground": "mIoU", "sed": "event_f1", "qa": "accuracy"}


def make_run(root: Path) -> tuple[Path, dict]:
    """Write the run directory; return (results path, results dict)."""
    for task, rows in REFS.items():
        _write_jsonl(root / "references" / f"{task}.jsonl", rows)
    results: dict = {
        "schema_version": 1, "timebench_version": "0.1.0", "git_hash": "abc123def456",
        "created": "2026-01-01T00:00:00+0000", "suite": "handmade", "seed": 7,
        "bootstrap": {"iterations": 100, "confidence": 0.95, "seed": 7},
        "environment": {"python": "3.11", "numpy": "2.3.5"},
        "tasks": {}, "models": {}, "results": {},
    }
    for task in REFS:
        suites = [{"suite": "qa"}] if task == "qa" else [{"suite": "grounding"}]
        results["tasks"][task] = {
            "version": f"1-{task}", "n": len(REFS[task]), "samples_hash": "f" * 64,
            "parser": "lenient", "prompt": "default", "source": f"mini:{task}",
            "metric_suites": suites, "primary_metric": PRIMARY[task],
            "leaderboard_metrics": [PRIMARY[task]], "references": f"references/{task}.jsonl",
            "labels": ["dog", "speech", IMG] if task == "sed" else None,
        }
    for model, per_task in RUNS.items():
        results["models"][model] = {"adapter": "replay", "fingerprint": "0", "config": {}}
        for task, (preds, scores) in per_task.items():
            d = f"{DIRS[model]}/{task}"
            _write_jsonl(root / d / "predictions.jsonl", preds)
            _write_jsonl(root / d / "scores.jsonl", scores)
            value = 0.75 if model == "alpha" else 0.25
            results["results"].setdefault(model, {})[task] = {
                "metrics": {PRIMARY[task]: value, "parse_failure_rate": 0.0},
                "ci": {PRIMARY[task]: [value - 0.1, value + 0.1]},
                "n": len(REFS[task]), "n_missing": 0, "parse_failure_rate": 0.0,
                "predictions": f"{d}/predictions.jsonl", "scores": f"{d}/scores.jsonl"}
    path = root / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    return path, results


class _TagChecker(HTMLParser):
    """Checks that every non-void element is closed in order (a basic well-formedness test)."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = False
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):  # <rect .../> inside SVG
        self.tags.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run")


def render(path, results, **kw):
    return html_report({"handmade": (path, results)}, **kw)


def _ref_event_count() -> int:
    return sum(len(r["events"]) for t in ("ground", "sed") for r in REFS[t])


def _model_event_count() -> int:
    # events drawn for a model lane: those of the parsed answer, unless the parse failed
    return sum(len(row["events"]) for per_task in RUNS.values() for t in ("ground", "sed")
               for row in per_task[t][1] if not row["failed"])


def test_one_self_contained_well_formed_file(run):
    page = render(*run, clips_per_task=10)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<html") == 1 and page.count("</html>") == 1
    low = page.lower()
    assert "<script" not in low
    assert "http" not in low                      # no links, fonts, CDNs or namespaces
    assert "@import" not in low and "javascript:" not in low
    assert re.findall(r"url\(([^)]*)\)", page) and all(
        u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    checker = _TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.doctype and not checker.errors and checker.stack == []
    # no element or attribute that loads, links out or runs anything
    assert not checker.tags & {"script", "img", "link", "iframe", "object", "embed", "image",
                               "use", "foreignobject", "audio", "video", "source", "base"}
    for tag, name, value in checker.attrs:
        assert name not in ("src", "srcset", "xlink:href", "action") and not name.startswith("on")
        if name == "href":
            assert value.startswith("#"), (tag, value)


def test_tables_models_tasks_and_provenance(run):
    page = render(*run)
    for task in REFS:
        assert f">{task}<" in page
    assert ">alpha<" in page
    assert "m&lt;b&gt;2&lt;/b&gt;" in page and HOSTILE_MODEL not in page
    for needle in ("abc123def456", "2026-01-01T00:00:00+0000", "100 resamples", "0.95",
                   "0.750", "[0.650, 0.850]", "0.250", "[0.150, 0.350]"):
        assert needle in page, needle


def test_every_event_is_one_rectangle(run):
    # clips_per_task above the number of samples: every clip of the timeline tasks is drawn
    page = render(*run, clips_per_task=10)
    assert page.count('class="ev"') == _ref_event_count() + _model_event_count()
    # only the timeline tasks get figures: 3 grounding + 2 SED clips
    assert page.count('<svg class="timeline"') == 5


def test_hostile_strings_are_escaped(run):
    page = render(*run, clips_per_task=10)
    assert SCRIPT not in page and IMG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x&gt;" in page


def test_markers_for_negatives_failures_missing_and_errors(run):
    page = render(*run, clips_per_task=10)
    assert "absent-event negative: no events" in page        # g1 reference
    assert "said absent (no events)" in page                 # alpha on g1
    assert 'class="marker failed"' in page                   # m2 on g0
    assert 'class="marker missing"' in page                  # m2 on g1
    assert 'class="marker error"' in page                    # m2 on s1
    assert 'class="marker empty"' in page                    # m2 on s0: no events
    assert "CUDA out of memory" in page                      # the error text is shown


def test_qa_shows_question_reference_and_answers(run):
    page = render(*run, clips_per_task=10)
    qa = page[page.index('id="s0-t-qa"'):]
    assert "How many? &lt;script&gt;" in qa and "Which first, dog or cat?" in qa
    assert "<td>3</td>" in qa and "<td>dog</td>" in qa       # reference answers
    assert "3 ✓" in qa and "dog ✓" in qa and "cat ✗" in qa   # model answers with verdicts
    assert "parse failed" in qa
    assert "<svg class=\"timeline\"" not in qa


def test_missing_files_are_reported_and_the_report_still_renders(run, tmp_path):
    path, results = run
    root = path.parent
    # the run directory holding the results file wins over a recorded run_dir elsewhere
    intact, _ = make_run(tmp_path / "intact")
    results = dict(results, run_dir=str(intact.parent))
    (root / "m2" / "sed" / "predictions.jsonl").unlink()
    (root / "alpha" / "ground" / "scores.jsonl").unlink()
    (root / "references" / "qa.jsonl").unlink()
    page = render(path, results, clips_per_task=10)
    assert "Incomplete run directory" in page
    assert "m2/sed/predictions.jsonl: not found" in page
    assert "alpha/ground/scores.jsonl: not found" in page
    assert "references/qa.jsonl: not found" in page
    assert "data file missing" in page and 'class="marker unavailable"' in page
    assert "(predictions file missing)" in page
    assert "No reference file" in page


def test_paths_outside_the_run_directory_are_refused(run, tmp_path):
    path, results = run
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps({"id": "g0", "text": "TOP SECRET"}) + "\n")
    results["results"]["alpha"]["ground"]["predictions"] = "../secret.jsonl"
    results["results"]["alpha"]["sed"]["predictions"] = str(secret)
    page = render(path, results, clips_per_task=10)
    assert "TOP SECRET" not in page
    assert page.count("refused, the path leaves the run directory") == 2


def test_results_path_elsewhere_falls_back_to_run_dir(run, tmp_path):
    path, results = run
    stored = tmp_path / "stored" / "handmade.json"
    stored.parent.mkdir()
    results = dict(results, run_dir=str(path.parent))
    page = render(stored, results, clips_per_task=10)
    assert "Incomplete run directory" not in page
    assert page.count('class="ev"') == _ref_event_count() + _model_event_count()


def test_clip_choice_is_deterministic_and_mixes_cases():
    ids = [f"c{i}" for i in range(20)]
    quality = {i: n / 19 for n, i in enumerate(ids)}
    quality["c5"] = None
    picked = choose_clips(ids, k=4, seed=3, task="t", quality=quality, negatives=["c7", "c9"],
                          failures=["c11"])
    assert picked == choose_clips(ids, k=4, seed=3, task="t", quality=quality,
                                  negatives=["c7", "c9"], failures=["c11"])
    assert len(picked) == 4 and picked == sorted(picked, key=ids.index)
    assert "c11" in picked and len({"c7", "c9"} & set(picked)) == 1
    assert "c0" in picked and "c19" in picked            # worst and best of the rest
    assert choose_clips(ids, k=50, seed=0, task="t") == ids
    assert choose_clips(ids, k=0, seed=0, task="t") == []
    # with ties everywhere the seed decides
    flat = {i: 0.5 for i in ids}
    seeds = {tuple(choose_clips(ids, k=3, seed=s, task="t", quality=flat)) for s in range(6)}
    assert len(seeds) > 1


def test_sample_quality():
    assert sample_quality({"iou": 0.25}) == ("iou", 0.25)
    assert sample_quality({"iou": 0.25, "METEOR": 0.5}, primary="METEOR") == ("METEOR", 0.5)
    assert sample_quality({"correct": False}) == ("correct", 0.0)
    # per-clip event F1 = 2 TP / (N_ref + N_sys) = 2 * 1 / (3 + 2) = 0.4
    assert sample_quality({"event_ntp": 1, "event_nref": 3, "event_nsys": 2}) == ("event F1", 0.4)
    assert sample_quality({"event_ntp": 0, "event_nref": 0, "event_nsys": 0}) == ("event F1", 1.0)
    assert sample_quality({"iou": "0.5"}) is None and sample_quality(None) is None


def test_timeline_geometry_and_overlap_rows():
    lanes = [LaneSpec("reference", events=[(0.0, 5.0, "a"), (2.0, 8.0, "b"), (9.0, 10.0, None)],
                      is_reference=True),
             LaneSpec("model", status="failed")]
    svg = timeline_svg(lanes, duration=10.0)
    rects = re.findall(r'<rect class="ev" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"', svg)
    assert len(rects) == 3
    (x0, y0, w0), (x1, y1, w1), (_, y2, _) = [tuple(map(float, r)) for r in rects]
    # plot spans x = 150 .. 880 (1000 - 150 - 120) for 0 .. 10 s: 73 units a second
    assert (x0, w0) == (150.0, 365.0) and (x1, w1) == (296.0, 438.0)
    assert y1 > y0 and y2 == y0          # overlapping events stack, the later one reuses row 0
    assert 'class="marker failed"' in svg and ">parse failed<" in svg
    ticks = re.findall(r'<text class="tl"[^>]*>([^<]+)</text>', svg)
    assert ticks == ["0", "2", "4", "6", "8", "10"]


def test_skipped_models_are_named_not_drawn(run):
    path, results = run
    results["results"]["gamma"] = {task: {"skipped": "adapter 'gamma' does not support this"}
                                   for task in REFS}
    page = render(path, results, clips_per_task=10)
    assert page.count("gamma: skipped (adapter &#x27;gamma&#x27; does not support this)") == 3
    assert ">gamma</text>" not in page        # no timeline lane for a skipped model
    assert page.count('class="ev"') == _ref_event_count() + _model_event_count()


def test_leaderboard_command_writes_the_report(run, tmp_path):
    from timebench.cli import main

    path, _ = run
    out = tmp_path / "report.html"
    assert main(["leaderboard", str(path), "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Suite handmade" in page
    assert page.count('class="ev"') > 0 and "<script" not in page.lower()
