"""``timebench run --repeats K``: distinct recorded seeds, separate caches, mean and spread."""

from __future__ import annotations

import json

import numpy as np
import pytest

from timebench.cli import main
from timebench.repeats import summarise_repeats


def _run(out, *extra):
    assert main(["run", "--tasks", "tag", "--models", "random,oracle", "--out", str(out),
                 "--bootstrap", "20", "--limit", "15", "-q", "--no-progress", *extra]) == 0
    return json.loads((out / "results.json").read_text())


def test_repeats_use_distinct_seeds_and_report_spread(tmp_path):
    res = _run(tmp_path / "r", "--repeats", "3", "--seed", "7")
    assert res["repeats"] == {"k": 3, "seeds": [7, 8, 9]}
    rand = res["results"]["random"]["tag"]
    rep = rand["repeats"]
    assert rep["k"] == 3 and rep["seeds"] == [7, 8, 9]
    m = rep["metrics"]["mIoU"]
    values = np.array(m["values"])
    assert len(set(m["values"])) == 3                      # sampling differs per seed
    assert m["values"][0] == rand["metrics"]["mIoU"]       # repeat 0 is the reported run
    assert m["mean"] == pytest.approx(values.mean())
    assert m["std"] == pytest.approx(values.std(ddof=1))
    assert (m["min"], m["max"]) == (values.min(), values.max())
    assert "mIoU" in rand["ci"]                            # the bootstrap interval stays
    # a deterministic model has no spread
    assert res["results"]["oracle"]["tag"]["repeats"]["metrics"]["mIoU"]["std"] == 0.0
    # each repeat is cached on its own; repeat 0 shares the plain run's cache
    names = sorted(p.name.split("-")[0] for p in (tmp_path / "r" / "cache").rglob("*.jsonl"))
    assert names == ["tag", "tag", "tag@seed8", "tag@seed8", "tag@seed9", "tag@seed9"]
    assert (tmp_path / "r" / rand["scores"]).is_file()
    assert (tmp_path / "r" / "random" / "tag" / "repeat-2" / "scores.jsonl").is_file()
    # same seed 7 without repeats gives the repeat-0 numbers
    plain = _run(tmp_path / "p", "--seed", "7")
    assert plain["results"]["random"]["tag"]["metrics"] == rand["metrics"]
    assert "repeats" not in plain["results"]["random"]["tag"]


def test_bad_repeats_value_is_an_input_error(tmp_path, capsys):
    assert main(["run", "--tasks", "tag", "--models", "random", "--out", str(tmp_path / "x"),
                 "--repeats", "0", "-q", "--no-progress"]) == 2
    assert "--repeats" in capsys.readouterr().err


def test_summarise_repeats_hand_case():
    s = summarise_repeats([0, 1], [{"a": 0.2, "b": None}, {"a": 0.4, "b": None}])
    assert s["metrics"]["a"] == {"values": [0.2, 0.4], "mean": pytest.approx(0.3),
                                 "std": pytest.approx(np.std([0.2, 0.4], ddof=1)),
                                 "min": 0.2, "max": 0.4}
    assert s["metrics"]["b"]["mean"] is None
