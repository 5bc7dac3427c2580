"""``timebench diff``: two runs of one model that differ in known samples."""

from __future__ import annotations

import json

import numpy as np

from synthetic_runs import grounding_references, grounding_rows, write_run
from timebench.cli import main
from timebench.rundiff import diff_runs
from timebench.runs import load_run


def _runs(tmp_path):
    n = 30
    ious = np.full(n, 0.5)
    refs = grounding_references(n)
    a_rows = grounding_rows(ious)
    b_ious = ious.copy()
    b_ious[7] = 0.9     # parse and score change: +0.4
    b_ious[12] = 0.4    # parse and score change: -0.1
    b_rows = grounding_rows(b_ious)
    b_rows[20] = dict(b_rows[20], failed=True, events=[], iou=0.0)   # parse failure: -0.5
    a_preds = [{"id": r["id"], "text": "0.00 - 5.00"} for r in a_rows]
    b_preds = [dict(p) for p in a_preds]
    b_preds[7]["text"] = "0.00 - 9.00"
    b_preds[12]["text"] = "0.00 - 4.00"
    b_preds[20]["text"] = "I cannot tell."
    b_preds[3]["text"] = "0.0 - 5.0"          # text changed, same parse and score
    b_rows = b_rows[1:]                        # s000000 only in A
    b_preds = b_preds[1:]
    ra = write_run(tmp_path / "a", {"m": {"tag": a_rows}}, {"tag": refs}, {"m": {"tag": a_preds}})
    rb = write_run(tmp_path / "b", {"m": {"tag": b_rows}}, {"tag": refs}, {"m": {"tag": b_preds}})
    return ra, rb


def test_diff_finds_the_changed_samples_in_score_order(tmp_path):
    ra, rb = _runs(tmp_path)
    out = diff_runs(load_run(ra), load_run(rb))
    (t,) = out["tasks"]
    assert t["metric"] == "mIoU" and t["n_shared"] == 29
    assert t["only_a"] == ["s000000"] and t["only_b"] == []
    assert (t["n_text_changed"], t["n_parse_changed"], t["n_score_changed"]) == (4, 3, 3)
    assert [c["id"] for c in t["changes"]] == ["s000020", "s000007", "s000012", "s000003"]
    first = t["changes"][0]
    assert first["delta"] == -0.5 and first["failed_b"] and first["text_b"] == "I cannot tell."
    assert first["reference"]["events"] == [{"onset": 0.0, "offset": 10.0}]
    last = t["changes"][-1]
    assert last["text_changed"] and not last["parse_changed"] and last["delta"] == 0.0
    assert t["mean_score_change"] == (0.4 - 0.1 - 0.5) / 29


def test_diff_cli_terminal_json_and_html(tmp_path, capsys):
    ra, rb = _runs(tmp_path)
    page = tmp_path / "diff.html"
    assert main(["diff", str(ra), str(rb), "--top", "2", "--html", str(page)]) == 0
    text = capsys.readouterr().out
    assert "s000020" in text and "s000007" in text and "s000003" not in text
    assert "only in run A: s000000" in text
    html = page.read_text()
    assert "<script" not in html and "s000020" in html and "I cannot tell." in html
    assert html.count('<div class="clip">') == 2
    assert main(["diff", str(ra), str(rb), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"][0]["n_score_changed"] == 3
    assert main(["diff", str(ra), str(rb), "--model", "nope"]) == 2


def test_html_report_hook_embeds_the_diff_section(tmp_path):
    from timebench.report.diff_html import diff_section
    from timebench.report.html import html_report

    ra, rb = _runs(tmp_path)
    section = diff_section(diff_runs(load_run(ra), load_run(rb)), top=1)
    page = html_report({}, extra_sections=[section])
    assert "Run diff: m" in page and page.count('<div class="clip">') == 1


def test_leaderboard_html_with_diff_section(tmp_path, capsys):
    ra, rb = _runs(tmp_path)
    page = tmp_path / "report.html"
    assert main(["leaderboard", str(ra / "results.json"), "--html", str(page),
                 "--diff", str(ra), str(rb)]) == 0
    html = page.read_text()
    assert "Run diff: m" in html and "s000020" in html
