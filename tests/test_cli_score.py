"""`timebench score` end to end: contract output, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from timebench.cli import main


def jl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tag_files(tmp_path):
    refs = jl(tmp_path / "refs.jsonl", [
        {"id": "c1#q0", "audio": "c1.wav", "duration": 20.0, "query": "a dog barks",
         "events": [{"onset": 2.0, "offset": 6.0}]},
        {"id": "c2#q0", "audio": "c2.wav", "duration": 20.0, "query": "a bell",
         "events": [{"onset": 10.0, "offset": 12.0}]},
        {"id": "c3#q0", "audio": "c3.wav", "duration": 20.0, "query": "rain",
         "events": [{"onset": 0.0, "offset": 20.0}]},
    ])
    preds = jl(tmp_path / "preds.jsonl", [
        {"id": "c1#q0", "events": [{"onset": 4.0, "offset": 8.0}]},   # IoU 2/6
        {"id": "c2#q0", "events": [{"onset": 10.0, "offset": 12.0}]},  # IoU 1
        # c3 missing: a failure, IoU 0
    ])
    return refs, preds


def test_score_tag_writes_contract_json(tag_files, tmp_path, capsys):
    refs, preds = tag_files
    out = tmp_path / "m.json"
    rc = main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds),
               "--output", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["task"] == "tag" and data["n"] == 3
    assert data["metrics"]["mIoU"] == pytest.approx((2 / 6 + 1 + 0) / 3)
    assert data["metrics"]["R1@0.3"] == pytest.approx(2 / 3)
    assert data["metrics"]["R1@0.5"] == pytest.approx(1 / 3)
    assert data["parse_failure_rate"] == pytest.approx(1 / 3)
    assert data["parse_failures"] == {"missing": 1}
    assert data["n_missing"] == 1
    assert data["task_version"].startswith("1-") and data["timebench_version"]
    printed = capsys.readouterr().out
    assert "mIoU" in printed and "parse failures by reason: missing 1" in " ".join(printed.split())


def test_score_top1_mode_via_metric_arg(tmp_path):
    refs = jl(tmp_path / "r.jsonl", [{"id": "a", "duration": 30, "query": "q",
                                      "events": [{"onset": 0, "offset": 2}, {"onset": 10, "offset": 12}]}])
    preds = jl(tmp_path / "p.jsonl", [{"id": "a", "events": [{"onset": 0, "offset": 2}]}])
    out = tmp_path / "m.json"
    main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds),
          "-o", str(out), "-q", "--metric-arg", "grounding.mode=top1"])
    assert json.loads(out.read_text())["metrics"]["mIoU"] == 1.0
    main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds),
          "-o", str(out), "-q"])
    assert json.loads(out.read_text())["metrics"]["mIoU"] == pytest.approx(0.5)


def test_unknown_prediction_id_exits_2_with_location(tag_files, tmp_path, capsys):
    refs, _ = tag_files
    preds = jl(tmp_path / "bad.jsonl", [{"id": "c1#q0", "events": []}, {"id": "zzz", "events": []}])
    rc = main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2" in err and "'zzz' is not in the references" in err


@pytest.mark.parametrize("content, expect", [
    ('{"id": "c1#q0", "events": [{"onset": 1, "offset": NaN}]}\n', "bad.jsonl:1"),
    ('{"id": "c1#q0", "events": [{"onset": 5, "offset": 1}]}\n', "onset 5.0 is after offset 1.0"),
    ('{"id": "c1#q0", "text": "x"}\n{"id": "c1#q0", "text": "y"}\n', "duplicate id"),
    ('not json\n', "malformed JSON"),
])
def test_bad_predictions_exit_2(tag_files, tmp_path, capsys, content, expect):
    refs, _ = tag_files
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    rc = main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(bad)])
    assert rc == 2
    assert expect in capsys.readouterr().err


def test_unknown_task_suggests(capsys, tag_files):
    refs, preds = tag_files
    rc = main(["score", "--task", "spotsund", "--references", str(refs), "--predictions", str(preds)])
    assert rc == 2
    assert "did you mean 'spotsound'" in capsys.readouterr().err


def test_reference_missing_a_task_field_exits_2(tmp_path, capsys):
    refs = jl(tmp_path / "r.jsonl", [{"id": "a", "events": [{"onset": 0, "offset": 1}]}])
    preds = jl(tmp_path / "p.jsonl", [{"id": "a", "events": []}])
    rc = main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds)])
    assert rc == 2
    assert "r.jsonl:1" in capsys.readouterr().err


def test_sed_with_dcase_tsv_matches_direct_metrics(tmp_path):
    from timebench.io import read_dcase_tsv
    from timebench.metrics.detection import event_based_metrics, segment_based_metrics

    (tmp_path / "ref.tsv").write_text(
        "filename\tonset\toffset\tevent_label\n"
        "a.wav\t0.0\t2.0\tdog\na.wav\t3.0\t4.0\tspeech\nb.wav\t1.0\t5.0\tspeech\n")
    (tmp_path / "est.tsv").write_text(
        "filename\tonset\toffset\tevent_label\n"
        "a.wav\t0.1\t2.2\tdog\na.wav\t6.0\t7.0\tspeech\nb.wav\t1.1\t4.5\tspeech\n")
    out = tmp_path / "m.json"
    rc = main(["score", "--task", "sed", "--references", str(tmp_path / "ref.tsv"),
               "--predictions", str(tmp_path / "est.tsv"), "-o", str(out), "-q"])
    assert rc == 0
    m = json.loads(out.read_text())["metrics"]
    refs, ests = read_dcase_tsv(tmp_path / "ref.tsv"), read_dcase_tsv(tmp_path / "est.tsv")
    direct = event_based_metrics(refs, ests, labels=["dog", "speech"])
    assert m["event_f1"] == direct["f_measure"] == pytest.approx(2 / 3)
    assert m["event_f1_macro"] == direct["f_measure_macro"]
    assert m["segment_f1"] == segment_based_metrics(refs, ests, labels=["dog", "speech"])["f_measure"]
    assert "psds1" not in m  # hard decisions: no degenerate PSDS


def test_spotsound_structured_presence(tmp_path):
    refs = jl(tmp_path / "r.jsonl", [
        {"id": "p", "duration": 60, "query": "a bell", "present": True,
         "events": [{"onset": 10, "offset": 12}]},
        {"id": "n", "duration": 60, "query": "a cat", "present": False, "events": []},
    ])
    preds = jl(tmp_path / "p.jsonl", [
        {"id": "p", "events": [{"onset": 10, "offset": 12}]},
        {"id": "n", "events": [], "present": False},
    ])
    out = tmp_path / "m.json"
    assert main(["score", "--task", "spotsound", "--references", str(refs), "--predictions",
                 str(preds), "-o", str(out), "-q"]) == 0
    m = json.loads(out.read_text())["metrics"]
    assert m["presence_acc_pos"] == 1.0 and m["presence_acc_neg"] == 1.0
    assert m["joint_f1"] == 1.0 and m["mIoU"] == 1.0


def test_scoring_does_not_import_torch(tag_files, tmp_path):
    refs, preds = tag_files
    code = ("import sys; from timebench.cli import main; "
            f"rc = main(['score', '--task', 'tag', '--references', {str(refs)!r}, "
            f"'--predictions', {str(preds)!r}, '-q']); "
            "bad = [m for m in ('torch', 'transformers') if m in sys.modules]; "
            "print('LOADED', bad); sys.exit(rc or (1 if bad else 0))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "LOADED []" in res.stdout


@pytest.mark.parametrize("arg, field", [
    ("grounding.thresholds=x", "grounding.thresholds"),
    ("grounding.thresholds=[0.5, 1.5]", "grounding.thresholds"),
    ("grounding.mode=best", "grounding.mode"),
    ("grounding.tolerance=-1", "grounding.tolerance"),
])
def test_bad_metric_arguments_exit_2(tag_files, capsys, arg, field):
    refs, preds = tag_files
    rc = main(["score", "--task", "tag", "--references", str(refs), "--predictions", str(preds),
               "--metric-arg", arg])
    assert rc == 2
    assert f"field '{field}'" in capsys.readouterr().err


def test_bad_detection_arguments_exit_2(tmp_path, capsys):
    (tmp_path / "r.tsv").write_text("a.wav\t0\t1\tdog\n")
    for arg in ("event_f1.t_collar=abc", "event_f1.t_collar=-1",
                "event_f1.percentage_of_length=2", "segment_f1.time_resolution=0",
                "event_f1.empty_system_output=maybe", "event_f1.evaluate_onset=3"):
        rc = main(["score", "--task", "sed", "--references", str(tmp_path / "r.tsv"),
                   "--predictions", str(tmp_path / "r.tsv"), "-q", "--metric-arg", arg])
        assert rc == 2, arg
        assert "error:" in capsys.readouterr().err
