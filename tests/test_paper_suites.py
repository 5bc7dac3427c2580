"""Paper suites and per-task protocols in suites: they load and validate, and a run records the
protocol and prints the gap to the published numbers (the paper suites themselves need weights
and data that are not here, so they are validated, not run)."""

from __future__ import annotations

import json

import pytest

from timebench.cli import main
from timebench.errors import InputError
from timebench.metrics.protocols import PROTOCOLS
from timebench.metrics.suites import build_suite
from timebench.report.published import gap_rows
from timebench.suites import get_suite, load_suite
from timebench.tasks import available_tasks, load_card

#: built-in benchmark cards added by the real-benchmarks branch (issue 16); checked once present
BENCHMARK_CARDS = {"ftar-tag", "ftar-dac", "ftar-tss", "spotsound-bench", "clotho-moment",
                   "unav100-subset", "audiogrounding"}


def _produced(task) -> set[str]:
    names = set()
    for spec in task.metrics:
        suite = build_suite(spec)
        names.update(suite.produces)
        if "thresholds" in suite.params:
            names.update(f"R1@{t:g}" for t in suite.params["thresholds"])
    return names


@pytest.mark.parametrize("name", ["paper-timeaudio", "paper-spotsound"])
def test_paper_suites_load_and_validate(name):
    suite = get_suite(name)
    assert suite.published and dict(suite.protocols)
    assert set(dict(suite.protocols)) == set(suite.tasks)
    assert all(p in PROTOCOLS for _, p in suite.protocols)
    cards = available_tasks()
    for task in suite.tasks:
        if task not in cards:
            assert task in BENCHMARK_CARDS, task
            continue
        produced = _produced(load_card(cards[task]))
        for pub in suite.published:
            if pub.task == task:
                assert pub.metric in produced, (task, pub.metric)
    for pub in suite.published:
        assert 0 <= pub.value <= 100 and pub.source


def _write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


BASE = "name: s\ntasks: [tag]\nmodels: [{name: o, adapter: oracle}]\n"


@pytest.mark.parametrize("extra,field", [
    ("protocols: {tag: lightouse}\n", "protocols.tag"),
    ("protocols: {sed: dcase}\n", "protocols.sed"),
    ("published: [{model: x, task: tag, metric: mIoU, value: 1, source: s}]\n", "published[0].model"),
    ("published: [{model: o, task: tag, metric: mIoU, value: high, source: s}]\n", "published[0].value"),
    ("published: [{model: o, task: tag, metric: mIoU, value: 1}]\n", "published[0].source"),
    ("published: [{model: o, task: tag, metric: mIoU, value: 1, source: s, colour: red}]\n", "published[0]"),
])
def test_bad_suite_entries_name_the_field(tmp_path, extra, field):
    with pytest.raises(InputError) as err:
        load_suite(_write(tmp_path, BASE + extra))
    assert err.value.field == field


def test_gap_rows_never_fill_missing_numbers(tmp_path):
    suite = load_suite(_write(tmp_path, BASE + "published:\n"
                              "  - {model: o, task: tag, metric: mIoU, value: 80, source: paper}\n"
                              "  - {model: o, task: tag, metric: R1@0.5, value: 50, source: paper}\n"))
    rows = gap_rows(suite, {"results": {"o": {"tag": {"metrics": {"mIoU": 0.75}, "protocol": "lighthouse"}}}})
    assert rows[0]["ours"] == pytest.approx(75.0) and rows[0]["gap"] == pytest.approx(-5.0)
    assert rows[0]["protocol"] == "lighthouse"
    assert rows[1]["ours"] is None and rows[1]["gap"] is None


def test_run_records_protocols_and_prints_the_gap(tmp_path, capsys):
    suite = _write(tmp_path, BASE.replace("tasks: [tag]", "tasks: [tag, sed]") + "protocols: {tag: lighthouse}\n"
                   "published: [{model: o, task: tag, metric: mIoU, value: 97.5, source: 'a paper'}]\n"
                   f"out: {tmp_path / 'run'}\n")
    assert main(["run", "--suite", str(suite), "--no-progress", "--limit", "4"]) == 0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["tasks"]["tag"]["protocol"] == "lighthouse" and results["tasks"]["sed"]["protocol"] == "timebench"
    assert results["results"]["o"]["tag"]["protocol"] == "lighthouse"
    assert results["results"]["o"]["tag"]["n_truncated"] == 0
    out = capsys.readouterr().out
    assert "gap to the published table" in out and "+2.5" in out and "lighthouse" in out
    # --protocol overrides the suite's for every task
    assert main(["run", "--suite", str(suite), "--no-progress", "--limit", "4", "--protocol", "spotsound",
                 "--out", str(tmp_path / "run2"), "--quiet"]) == 0
    results = json.loads((tmp_path / "run2" / "results.json").read_text())
    assert {t["protocol"] for t in results["tasks"].values()} == {"spotsound"}
    assert main(["run", "--suite", str(suite), "--protocol", "nope", "--quiet"]) == 2


def test_score_records_the_protocol(tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "mini-tag-0000", "events": [{"onset": 0, "offset": 99}]}\n')
    out = tmp_path / "o.json"
    assert main(["score", "--task", "tag", "--predictions", str(preds), "--protocol", "lighthouse",
                 "-o", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["protocol"] == "lighthouse"
    assert data["metric_suites"][0]["mode"] == "top1" and data["metric_suites"][0]["tolerance"] == 0.0
    assert main(["score", "--task", "tag", "--predictions", str(preds), "-o", str(out), "-q"]) == 0
    assert json.loads(out.read_text())["protocol"] == "timebench"


def test_leaderboard_prints_the_gap_of_a_stored_run(tmp_path, capsys, monkeypatch):
    suite = _write(tmp_path, BASE + "published: [{model: o, task: tag, metric: R1@0.5, value: 90, source: 'p'}]\n"
                   f"out: {tmp_path / 'run'}\n")
    monkeypatch.setenv("TIMEBENCH_SUITES_PATH", str(tmp_path))
    assert main(["run", "--suite", "s", "--no-progress", "--limit", "3", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["leaderboard", str(tmp_path / "run" / "results.json")]) == 0
    out = capsys.readouterr().out
    assert "gap to the published table (s)" in out and "+10.0" in out
