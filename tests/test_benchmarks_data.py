"""Public benchmarks by name: fixtures in each official layout, the benchmark's own row rules,
``timebench data list|verify``, the data root, ``timebench tasks`` readiness, and the oracle
ceiling of ``timebench run`` on a fixture data root.

The fixture data root (``tests/fixtures/data_root``, written by
``tests/helpers/make_benchmark_fixtures.py``) holds every built-in benchmark with malformed rows
of the kinds official releases contain.  Expected values below are worked out by hand from
those files and the rules in ``timebench/datasets/rules.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from timebench.cli import main as cli
from timebench.data.catalog import BENCHMARKS, load_benchmark
from timebench.data.root import resolve_data_root
from timebench.data.verify import verify_benchmark
from timebench.errors import InputError
from timebench.tasks import get_task

ROOT = Path(__file__).parent / "fixtures" / "data_root"

# benchmark -> (samples after the rule, repaired rows by kind:action)
EXPECTED = {
    "ftar": (6, {"inverted:dropped": 1, "past_end:clipped": 1}),
    "spotsound-bench": (3, {"inverted:swapped": 1, "past_end:clipped": 1}),
    "clotho-moment": (2, {"duplicate_id:replaced": 1}),
    "unav100-subset": (3, {"past_end:kept": 1, "zero_length:dropped": 1}),
    "tut2017": (2, {"empty_query:dropped": 1, "inverted:dropped": 2}),
    "audiogrounding": (3, {"duplicate_id:merged": 1, "inverted:dropped": 1, "past_end:kept": 1}),
    "tacos": (2, {"inverted:dropped": 1, "past_end:clipped": 1}),
    "desed-public-eval": (4, {"inverted:dropped": 1, "past_end:kept": 1}),
    "audioset-strong-eval": (2, {"inverted:dropped": 1}),
}


def _ev(ref):
    return [(e.onset, e.offset) for e in ref.events]


def test_every_benchmark_has_a_fixture_with_malformed_rows():
    assert set(EXPECTED) == set(BENCHMARKS)
    for name, (n, issues) in EXPECTED.items():
        ds = load_benchmark(name, data_root=ROOT)
        assert (len(ds), ds.issue_counts()) == (n, issues), name
        assert ds.rule is not None and ds.rule["source"], name
        # every repair names the file and line (or clip) it happened at
        assert all(str(ROOT) in i.where for i in ds.issues), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_strict_mode_still_refuses_the_same_files(name):
    with pytest.raises(InputError) as err:
        load_benchmark(name, data_root=ROOT, on_invalid="error")
    assert err.value.path and str(ROOT) in err.value.path


def test_lighthouse_rules_match_standalone_eval():
    unav = {r.id: r for r in load_benchmark("unav100-subset", data_root=ROOT)}
    assert _ev(unav["2"]) == [(26.0, 48.0)] and unav["2"].duration == 46.0   # kept unclipped
    assert _ev(unav["3"]) == [(10.0, 18.0)]                                   # 30-30 dropped
    clotho = {r.id: r for r in load_benchmark("clotho-moment", data_root=ROOT)}
    assert _ev(clotho["102"]) == [(0.0, 10.5), (40.0, 60.0)]                  # the last line
    assert clotho["101"].audio == "Park_525_2705.wav"
    tut = load_benchmark("tut2017", data_root=ROOT)
    assert [r.id for r in tut] == ["0", "1"] and _ev(tut.references[1]) == [(50.0, 55.5)]


def test_other_benchmark_rules():
    spot = load_benchmark("spotsound-bench", data_root=ROOT).references
    assert _ev(spot[1]) == [(4.0, 6.0)] and _ev(spot[2]) == [(8.0, 10.0)]    # swapped, clipped
    assert spot[0].duration == 10.0 and spot[2].duration == 10.0            # header / name
    ag = {r.id: r for r in load_benchmark("audiogrounding", data_root=ROOT)}
    assert _ev(ag["5001_4"]) == [(3.2, 4.0)]
    assert _ev(ag["5002_0"]) == [(0.0, 10.0), (2.0, 3.0)] and ag["5002_0"].duration == 9.98
    tacos = {r.id: r for r in load_benchmark("tacos", data_root=ROOT)}
    assert [(e.onset, e.offset, e.label) for e in tacos["123456.mp3"].events] == [
        (0.0, 4.25, "A dog barks, then growls."), (5.5, 30.0, "Wind blows steadily.")]
    ground = load_benchmark("tacos", data_root=ROOT, mode="grounding")
    assert [(r.query, _ev(r)) for r in ground][-1] == (
        'Someone says "hello" loudly.', [(1.0, 2.0), (12.0, 14.0)])
    ftar = {r.id: r for r in load_benchmark("ftar", data_root=ROOT)}
    assert _ev(ftar["syn_2"]) == [(8.0, 9.0)] and _ev(ftar["Y0ab"])[-1] == (4.0, 10.0)
    assert ftar["tqa_3#2"].answer == "2.5" and ftar["tqa_3#2"].extra["answer_text"] == \
        "2.5 seconds"
    assert ftar["syn_1"].audio == "AudioTime/syn_1.wav"
    desed = {r.id: r for r in load_benchmark("desed-public-eval", data_root=ROOT)}
    assert [e.label for e in desed["Y2bbbbbbbbbb_0_10.wav"].events] == ["Dog"]
    aset = load_benchmark("audioset-strong-eval", data_root=ROOT)
    assert aset.labels == ("Cheering", "Speech")


def test_verify_reports_audio_and_ranges():
    r = verify_benchmark("desed-public-eval", data_root=ROOT)
    a = r["audio"]
    assert (a["files"], a["present"], a["missing"], a["unreadable"]) == (4, 2, 1, 1)
    assert a["examples"]["missing"] == ["Y4dddddddddd_0_10.wav"]
    assert r["out_of_range"] == 1 and r["count_ok"] is False and not r["ok"]
    c = verify_benchmark("clotho-moment", data_root=ROOT)
    assert c["audio"]["duration_mismatch"] == 1                   # 58 s file, 60 s stated
    assert c["audio"]["examples"]["duration_mismatch"][0].startswith("Kitchen_00_105.wav")
    u = verify_benchmark("unav100-subset", data_root=ROOT)
    assert u["out_of_range"] == 1 and u["audio"]["missing"] == 3
    assert u["issues"] == {"past_end:kept": 1, "zero_length:dropped": 1}
    m = verify_benchmark("tut2017", data_root=ROOT / "nowhere")
    assert not m["ok"] and m["problems"][0].startswith("annotations not found")


def test_data_cli_json_and_exit_codes(capsys):
    assert cli(["data", "verify", "audiogrounding", "--data-root", str(ROOT), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["references"] == 3 and report["issues"]["duplicate_id:merged"] == 1
    assert cli(["data", "verify", "audiogrounding", "--data-root", str(ROOT), "--no-audio"]) == 0
    out = capsys.readouterr().out
    assert "duplicate_id:merged 1" in out and "verdict" in out
    assert cli(["data", "list", "--data-root", str(ROOT / "nowhere"), "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    rows = {b["name"]: b for b in listing["benchmarks"]}
    assert not rows["tut2017"]["ready"] and "timebench data download tut2017" in \
        rows["tut2017"]["status"]
    assert rows["unav100-subset"]["manual"].startswith("UnAV-100 clips come from YouTube")
    assert cli(["data", "verify", "no-such-benchmark"]) == 2


def test_data_root_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("TIMEBENCH_DATA_ROOT", raising=False)
    monkeypatch.setenv("TIMEBENCH_CACHE", str(tmp_path / "cache"))
    cfg = tmp_path / "cfg" / "config.yaml"
    monkeypatch.setenv("TIMEBENCH_CONFIG", str(cfg))
    assert resolve_data_root() == (tmp_path / "cache" / "data",
                                   "default (~/.cache/timebench/data)")
    cfg.parent.mkdir()
    cfg.write_text("data_root: bench\n")                 # relative to the config file
    assert resolve_data_root()[0] == tmp_path / "cfg" / "bench"
    monkeypatch.setenv("TIMEBENCH_DATA_ROOT", str(tmp_path / "env"))
    assert resolve_data_root() == (tmp_path / "env", "$TIMEBENCH_DATA_ROOT")
    assert resolve_data_root(tmp_path / "cli")[0] == tmp_path / "cli"
    monkeypatch.delenv("TIMEBENCH_DATA_ROOT")
    cfg.write_text("data_root: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError):                      # safe YAML only
        resolve_data_root()


def test_tasks_command_shows_readiness(capsys):
    assert cli(["tasks", "--json", "--data-root", str(ROOT / "nowhere")]) == 0
    data = {r["task"]: r["data"] for r in json.loads(capsys.readouterr().out)}
    assert data["clotho-moment"].startswith(
        "not ready: missing clotho-moment/clotho_moment_test_release.jsonl")
    assert data["tag"] == "bundled"
    assert cli(["tasks", "--json", "--data-root", str(ROOT)]) == 0
    data = {r["task"]: r["data"] for r in json.loads(capsys.readouterr().out)}
    assert data["tut2017"] == "ready (annotations only: no audio folder tut2017/audio)"
    assert data["desed-public-eval"] == "ready"
    assert cli(["tasks", "--data-root", str(ROOT)]) == 0        # the table prints too
    assert "tut2017" in capsys.readouterr().out


def test_cards_name_their_protocol_and_keep_explicit_parameters():
    protocols = {"timebench", "lighthouse", "spotsound", "timeaudio", "densevid2018",
                 "densevid2019", "soda-official", "coco-ptb", "dcase"}
    for bench in BENCHMARKS.values():
        for name in bench.tasks:
            task = get_task(name)
            assert task.card["protocol"] in protocols, name
            assert task.data["benchmark"] == bench.name
            assert all(len(m) > 1 or m["suite"] in ("soda", "summary") for m in task.metrics)


# -- the oracle ceiling -------------------------------------------------------------------------

def _set_iou(pred, ref):
    """Independent set-IoU over merged unions (test-side re-implementation)."""
    def merge(iv):
        out = []
        for s, e in sorted(iv):
            if out and s <= out[-1][1]:
                out[-1][1] = max(out[-1][1], e)
            else:
                out.append([s, e])
        return out
    p, r = merge(pred), merge(ref)
    inter = sum(max(0.0, min(a[1], b[1]) - max(a[0], b[0])) for a in p for b in r)
    union = sum(e - s for s, e in p) + sum(e - s for s, e in r) - inter
    return inter / union if union > 0 else 0.0


GROUNDING = ["clotho-moment", "unav100-subset", "tut2017", "audiogrounding", "spotsound-bench",
             "ftar-tag", "tacos-grounding"]


def test_oracle_run_gives_the_ceiling(tmp_path, capsys):
    tasks = GROUNDING + ["desed-public-eval", "audioset-strong-eval"]
    rc = cli(["run", "--tasks", ",".join(tasks), "--models", "oracle", "--data-root", str(ROOT),
              "--out", str(tmp_path / "run"), "--no-progress", "--bootstrap", "0", "-q"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "unav100-subset: rows repaired by the benchmark's own rule (past_end:kept 1, " \
           "zero_length:dropped 1)" in err
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    for name in GROUNDING:
        refs = [json.loads(x) for x in
                (tmp_path / "run" / "references" / f"{name}.jsonl").read_text().splitlines()]
        # the oracle answers the reference; answers are clipped to the clip duration, ground
        # truth kept as published by the benchmark's rule: the ceiling is IoU(clip(gt), gt)
        ceil = []
        for r in refs:
            gt = [(e["onset"], e["offset"]) for e in r["events"]]
            d = r.get("duration")
            pred = [(s, min(e, d) if d is not None else e) for s, e in gt]
            ceil.append(_set_iou(pred, gt))
        got = results["results"]["oracle"][name]["metrics"]["mIoU"]
        assert got == pytest.approx(sum(ceil) / len(ceil), abs=1e-12), name
    assert results["results"]["oracle"]["unav100-subset"]["metrics"]["mIoU"] == \
        pytest.approx((1 + 20 / 22 + 1) / 3)                     # 26-48 on a 46 s clip
    assert results["results"]["oracle"]["clotho-moment"]["metrics"]["mIoU"] == 1.0
    for name in ("desed-public-eval", "audioset-strong-eval"):
        assert results["results"]["oracle"][name]["metrics"]["event_f1"] == 1.0
    info = results["tasks"]["unav100-subset"]["data_issues"]
    assert info["counts"] == {"past_end:kept": 1, "zero_length:dropped": 1}
    assert info["rule"]["past_end"] == "keep"


def test_contract_jsonl_stays_strict(tmp_path, capsys):
    refs = tmp_path / "refs.jsonl"
    refs.write_text('{"id": "a", "duration": 10.0, "query": "q", '
                    '"events": [{"onset": 1.0, "offset": 12.0}]}\n')
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "a", "text": "1 - 2"}\n')
    assert cli(["score", "--task", "tag", "--references", str(refs), "--predictions",
                str(preds)]) == 2
    assert "beyond the duration" in capsys.readouterr().err
