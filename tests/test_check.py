"""`timebench check`: regressions by tolerance and by bootstrap interval."""

from __future__ import annotations

import copy
import json

import pytest

from timebench.check import compare_results
from timebench.cli import main

BASE = {
    "tasks": {"tag": {"version": "1-aaa", "samples_hash": "h"}},
    "results": {
        "m": {"tag": {"metrics": {"mIoU": 0.60, "R1@0.5": 0.55, "parse_failure_rate": 0.10},
                      "ci": {"mIoU": [0.50, 0.70], "R1@0.5": [0.54, 0.56],
                             "parse_failure_rate": [0.05, 0.15]}}},
        "skip": {"tag": {"skipped": "not supported"}},
    },
}


def with_metrics(**metrics):
    r = copy.deepcopy(BASE)
    r["results"]["m"]["tag"]["metrics"].update(metrics)
    return r


def bad(comparisons):
    return sorted((c.task, c.metric) for c in comparisons if c.regressed)


def test_tolerance_mode():
    comps, warns = compare_results(with_metrics(mIoU=0.596), BASE, tolerance=0.005)
    assert bad(comps) == [] and warns == []
    comps, _ = compare_results(with_metrics(mIoU=0.59), BASE, tolerance=0.005)
    assert bad(comps) == [("tag", "mIoU")]
    # lower is better for parse_failure_rate
    comps, _ = compare_results(with_metrics(parse_failure_rate=0.2), BASE, tolerance=0.005)
    assert bad(comps) == [("tag", "parse_failure_rate")]
    comps, _ = compare_results(with_metrics(parse_failure_rate=0.0, mIoU=0.9), BASE)
    assert bad(comps) == []


def test_ci_mode_ignores_drops_inside_the_interval():
    comps, _ = compare_results(with_metrics(mIoU=0.55), BASE, tolerance=0.005, mode="ci")
    assert bad(comps) == []  # 0.55 is inside [0.50, 0.70]
    comps, _ = compare_results(with_metrics(mIoU=0.45), BASE, tolerance=0.005, mode="ci")
    assert bad(comps) == [("tag", "mIoU")]
    comps, _ = compare_results(with_metrics(**{"R1@0.5": 0.53}), BASE, tolerance=0.005, mode="ci")
    assert bad(comps) == [("tag", "R1@0.5")]


def test_missing_entries_are_regressions_and_version_changes_warn():
    r = copy.deepcopy(BASE)
    del r["results"]["m"]["tag"]["metrics"]["R1@0.5"]
    r["tasks"]["tag"]["version"] = "2-bbb"
    comps, warns = compare_results(r, BASE)
    assert bad(comps) == [("tag", "R1@0.5")]
    assert any("version differs" in w for w in warns)
    r2 = copy.deepcopy(BASE)
    del r2["results"]["m"]
    comps, _ = compare_results(r2, BASE)
    assert bad(comps) == [("tag", "*")]


def test_cli_exit_codes(tmp_path, capsys):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(BASE))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(with_metrics(mIoU=0.61)))
    worse = tmp_path / "worse.json"
    worse.write_text(json.dumps(with_metrics(mIoU=0.40)))
    assert main(["check", "--results", str(good), "--baseline", str(base)]) == 0
    assert main(["check", "--results", str(worse), "--baseline", str(base)]) == 1
    assert "REGRESSION m/tag/mIoU" in capsys.readouterr().out
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{nope")
    assert main(["check", "--results", str(garbage), "--baseline", str(base)]) == 2
    assert "garbage.json:1" in capsys.readouterr().err
    assert main(["check", "--results", str(good), "--baseline", str(base),
                 "--tolerance", "-1"]) == 2
