"""``timebench compare``: paired statistics (coverage over simulations, p-values, Holm) and
comparisons of constructed run folders with a known difference."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthetic_runs import grounding_references, grounding_rows, write_run
from timebench.cli import main
from timebench.compare import compare_runs
from timebench.paired import (SumStatistic, f1_from_sums, holm, mean_statistic,
                              paired_compare, paired_compare_many)
from timebench.runs import load_run


def _simulate(delta: float, sims: int = 400, n: int = 80, seed: int = 0):
    """Per-sample scores with a sample effect shared by A and B, true mean difference delta."""
    rng = np.random.default_rng(seed)
    covered, pvals = 0, []
    for s in range(sims):
        base = rng.beta(2, 3, size=n)               # how hard each sample is (shared)
        a = base + rng.normal(0, 0.1, n)
        b = base + delta + rng.normal(0, 0.1, n)    # E[b - a] = delta exactly (no clipping)
        r = paired_compare(mean_statistic(a), mean_statistic(b), iterations=400, seed=s)
        covered += r.ci_low <= delta <= r.ci_high
        pvals.append(r.p_value)
    return covered / sims, np.array(pvals)


def test_interval_coverage_and_p_values_with_zero_difference():
    coverage, p = _simulate(0.0)
    assert 0.90 <= coverage <= 0.99
    # under H0 the permutation p-value is (close to) uniform: about 5 % below 0.05
    assert 0.01 <= np.mean(p < 0.05) <= 0.10


def test_interval_coverage_and_p_values_with_a_large_difference():
    coverage, p = _simulate(0.3, seed=1)
    assert 0.90 <= coverage <= 0.99
    assert np.all(p <= 2 / 401)       # never one extreme permutation out of 400


def test_ratio_metric_is_recomputed_on_resamples_not_averaged():
    # F1 from counts: the paired diff is F1(B) - F1(A) of the pooled counts
    xa = np.array([[1, 2, 2], [0, 1, 3], [2, 2, 2]], float)
    xb = np.array([[2, 2, 2], [1, 1, 1], [2, 2, 2]], float)
    r = paired_compare(SumStatistic(xa, f1_from_sums), SumStatistic(xb, f1_from_sums),
                       iterations=200)
    f = lambda x: 2 * x[:, 0].sum() / (x[:, 1].sum() + x[:, 2].sum())  # noqa: E731
    assert r.diff == pytest.approx(f(xb) - f(xa))
    assert r.ci_low <= r.diff <= r.ci_high


def test_identical_systems_give_zero_interval_and_p_one():
    a = mean_statistic(np.linspace(0, 1, 50))
    r = paired_compare(a, a, iterations=100)
    assert (r.diff, r.ci_low, r.ci_high, r.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_shared_draws_give_the_same_result_as_one_at_a_time():
    rng = np.random.default_rng(3)
    a, b = rng.random(30), rng.random(30)
    one = paired_compare(mean_statistic(a), mean_statistic(b), iterations=300, seed=5)
    many = paired_compare_many([(mean_statistic(a), mean_statistic(b)),
                                (mean_statistic(b), mean_statistic(a))], iterations=300, seed=5)
    assert many[0] == one
    assert many[1].diff == pytest.approx(-one.diff)


def test_holm_hand_case():
    assert holm([0.01, 0.04, 0.03, float("nan")])[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm([0.01, float("nan")])[1])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def _two_runs(tmp_path, n=200, delta=0.25, drop=("s000003",), extra=("x1",)):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.6, n)
    a_rows = grounding_rows(base)
    b_rows = grounding_rows(base + delta)
    b_rows = [r for r in b_rows if r["id"] not in drop]
    b_rows += [dict(r, id=e) for r, e in zip(grounding_rows(np.array([0.5] * len(extra))), extra)]
    refs = grounding_references(n)
    ra = write_run(tmp_path / "a", {"m": {"tag": a_rows}}, {"tag": refs})
    rb = write_run(tmp_path / "b", {"m": {"tag": b_rows}}, {"tag": refs})
    return ra, rb, base


def test_compare_runs_known_difference_and_unshared_samples(tmp_path):
    ra, rb, base = _two_runs(tmp_path)
    out = compare_runs(load_run(ra), load_run(rb), iterations=500)
    by = {e["metric"]: e for e in out["entries"]}
    miou = by["mIoU"]
    assert miou["primary"] and miou["n"] == 199
    assert miou["diff"] == pytest.approx(0.25)
    assert miou["ci_low"] == pytest.approx(0.25) and miou["ci_high"] == pytest.approx(0.25)
    assert miou["p_value"] < 0.01
    keep = np.delete(base, 3)
    assert by["R1@0.5"]["diff"] == pytest.approx(np.mean(keep + 0.25 >= 0.5) - np.mean(keep >= 0.5))
    assert out["unshared"] == [{"model_a": "m", "model_b": "m", "task": "tag",
                                "only_a": ["s000003"], "only_b": ["x1"]}]
    assert all(e["p_holm"] >= e["p_value"] for e in out["entries"])
    assert out["multiple_comparisons"]["tests"] == 3


def test_compare_cli_json_has_contract_fields(tmp_path, capsys):
    ra, rb, _ = _two_runs(tmp_path, delta=0.0, drop=(), extra=())
    assert main(["compare", str(ra), str(rb / "results.json"), "--json", "--iterations", "200",
                 "--markdown", str(tmp_path / "cmp.md")]) == 0
    data = json.loads(capsys.readouterr().out)
    for e in data["entries"]:
        assert {"n", "diff", "ci_low", "ci_high", "p_value"} <= set(e)
        assert e["diff"] == 0.0 and e["p_value"] == 1.0 and e["n"] == 200
    md = (tmp_path / "cmp.md").read_text()
    assert md.startswith("## Paired comparison") and "| m | tag | mIoU * | 200 |" in md


def test_compare_two_models_of_one_run_and_bad_input(tmp_path, capsys):
    refs = grounding_references(50)
    run = write_run(tmp_path / "r", {"x": {"tag": grounding_rows(np.full(50, 0.2))},
                                     "y": {"tag": grounding_rows(np.full(50, 0.7))}},
                    {"tag": refs})
    assert main(["compare", str(run), str(run), "--models", "x,y"]) == 0
    text = capsys.readouterr().out
    assert "x → y" in text and "+0.5000" in text
    assert main(["compare", str(run), str(run)]) == 2          # which models? -> exit 2
    assert "--models" in capsys.readouterr().err
    assert main(["compare", str(run), str(tmp_path / "nope")]) == 2


def test_metrics_that_need_more_than_per_sample_rows_are_listed(tmp_path):
    rows = [{"id": f"s{i}", "failed": False, "events": [], "event_ntp": i % 2, "event_nref": 1,
             "event_nsys": 1, "segment_ntp": 1, "segment_nref": 2, "segment_nsys": 1,
             "event_er_S": 0, "event_er_D": 1 - i % 2, "event_er_I": 1 - i % 2,
             "event_er_nref": 1} for i in range(20)]
    refs = [{"id": f"s{i}", "duration": 10.0, "events": []} for i in range(20)]
    ra = write_run(tmp_path / "a", {"m": {"sed": rows}}, {"sed": refs})
    rb = write_run(tmp_path / "b", {"m": {"sed": [dict(r, event_ntp=1, event_er_D=0,
                                                       event_er_I=0) for r in rows]}},
                   {"sed": refs})
    out = compare_runs(load_run(ra), load_run(rb), iterations=100, all_metrics=False)
    by = {e["metric"]: e for e in out["entries"]}
    assert by["event_f1"]["diff"] == pytest.approx(0.5)
    assert by["segment_f1"]["diff"] == 0.0
    assert by["event_error_rate"]["diff"] == pytest.approx(-1.0)
    reasons = {nc["metric"]: nc["reason"] for nc in out["not_compared"]}
    assert "suite settings" in reasons["event_f1_macro"]   # this synthetic run has none


def test_recomputed_metrics_equal_the_run_metrics(tmp_path):
    """Every metric compare recomputes from per-sample rows equals the run's own value."""
    out = tmp_path / "run"
    assert main(["run", "--tasks", "tag,sed,tqa,spotsound", "--models", "oracle,random",
                 "--out", str(out),
                 "--bootstrap", "10", "--limit", "25", "-q", "--no-progress"]) == 0
    run = load_run(out)
    cmp = compare_runs(run, load_run(out / "results.json"), models=["oracle", "random"],
                       iterations=20, all_metrics=True, psds_iterations=0)
    assert len(cmp["entries"]) > 20
    for e in cmp["entries"]:
        for side, model in (("a", "oracle"), ("b", "random")):
            want = run.result(model, e["task"])["metrics"][e["metric"]]
            assert e[side] == pytest.approx(want, abs=1e-12), (e["task"], e["metric"], side)
    compared = {e["metric"] for e in cmp["entries"]}
    assert {"event_f1_macro", "segment_f1_macro", "event_error_rate", "mAP", "joint_f1",
            "count_mae", "presence_acc_neg",
            "segment_insertion_rate", "accuracy", "R1@0.9"} <= compared
    # everything else a run reports is compared (PSDS was switched off here)
    assert {nc["metric"] for nc in cmp["not_compared"]} <= {"psds1", "psds2"}


def test_run_files_with_blank_lines_or_odd_json_take_the_careful_reader(tmp_path):
    ra, rb, _ = _two_runs(tmp_path, delta=0.0, drop=(), extra=())
    path = rb / "m" / "tag" / "scores.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:5] + ["", "   "] + lines[5:]) + "\n")
    out = compare_runs(load_run(ra), load_run(rb), iterations=20)
    assert out["entries"][0]["n"] == 200
    path.write_text(path.read_text() + '{"id": "z", "iou": NaN}\n')
    from timebench.errors import InputError

    with pytest.raises(InputError, match="scores.jsonl:203"):
        compare_runs(load_run(ra), load_run(rb), iterations=20)
