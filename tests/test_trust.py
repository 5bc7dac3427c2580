"""Issue 15 root fixes, unit by unit: safe paths, run lock, option ranges, cache identity and
checksums, results-file shapes, Markdown escaping, fail-closed check, exact segment counts,
linear JSON-list reading, the typed schema and side-input validation."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebench.cli import main
from timebench.errors import InputError


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


# -- safepath --------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_safe_component_is_injective_and_one_component(a, b):
    from timebench.safepath import safe_component

    ca, cb = safe_component(a), safe_component(b)
    assert "/" not in ca and "\\" not in ca and "\x00" not in ca and ca not in (".", "..")
    assert not ca.startswith(".")
    if a != b:
        assert ca != cb


def test_safe_component_keeps_plain_names():
    from timebench.safepath import safe_component

    assert safe_component("random") == "random"
    assert safe_component("oracle-2") == "oracle-2"
    assert safe_component("r.1") == "r.1"
    assert safe_component("r,1") != safe_component("r_1") != safe_component("r 1")


def test_inside_and_write_path(tmp_path):
    from timebench.safepath import inside, write_path

    (tmp_path / "run" / "a").mkdir(parents=True)
    assert inside(tmp_path / "run", "a") == (tmp_path / "run" / "a").resolve()
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(InputError):
            inside(tmp_path / "run", bad)
    (tmp_path / "run" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError, match="resolves outside"):
        inside(tmp_path / "run", "link/x")
    with pytest.raises(InputError, match="symbolic link"):
        write_path(tmp_path / "run", "link", "x.json")
    assert write_path(tmp_path / "run", "a", "x.json") == tmp_path / "run" / "a" / "x.json"


# -- run lock --------------------------------------------------------------------------------------

def test_run_lock(tmp_path):
    from timebench.runlock import RunLock

    with RunLock(tmp_path, 0) as lock:
        assert lock.path.exists()
        with pytest.raises(InputError, match="in use"):
            RunLock(tmp_path, 0).acquire()
        RunLock(tmp_path, 1).acquire()  # another rank of the same run
    assert not (tmp_path / ".timebench-lock.0").exists()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    import socket

    (tmp_path / ".timebench-lock.0").write_text(f"{proc.pid} {socket.gethostname()}\n")
    with pytest.warns(UserWarning, match="stale lock"):
        with RunLock(tmp_path, 0):
            pass
    (tmp_path / ".timebench-lock.0").write_text("123 some-other-host\n")
    with pytest.raises(InputError, match="other-host"):
        RunLock(tmp_path, 0).acquire()


def test_run_lock_is_held_by_the_kernel_for_a_live_process_and_freed_by_its_death(tmp_path):
    import signal

    from timebench.runlock import RunLock

    hold = ("import sys, time; from timebench.runlock import RunLock; "
            "RunLock(sys.argv[1], 0).acquire(); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"held"
        with pytest.raises(InputError, match=f"in use by another timebench run \\(pid {proc.pid}\\)"):
            RunLock(tmp_path, 0).acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with pytest.warns(UserWarning, match=f"stale lock of pid {proc.pid}"):
        with RunLock(tmp_path, 0):  # kill -9 left the file, not the lock
            pass
    assert not (tmp_path / ".timebench-lock.0").exists()


def test_run_lock_admits_one_of_many_simultaneous_takers(tmp_path):
    take = ("import sys; from timebench.runlock import RunLock; from timebench.errors import "
            "InputError\ntry:\n    RunLock(sys.argv[1], 0).acquire()\n    print('got', flush=True)\n"
            "    sys.stdin.read()\nexcept InputError:\n    print('busy', flush=True)")
    procs = [subprocess.Popen([sys.executable, "-c", take, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE) for _ in range(6)]
    answers = [p.stdout.readline().strip() for p in procs]
    for p in procs:
        p.communicate(b"")
    assert sorted(answers) == [b"busy"] * 5 + [b"got"]


# -- option ranges ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args,field", [
    (["--seed", "-1"], "--seed"), (["--limit", "-1"], "--limit"), (["--limit", "0"], "--limit"),
    (["--batch-size", "0"], "--batch-size"), (["--bootstrap", "-5"], "--bootstrap"),
    (["--shard-timeout", "nan"], "--shard-timeout"),
    (["--models", "random[batch_size=1e9]"], "batch_size"),
    (["--models", "random[batch_size=1.0e9]"], "batch_size"),
])
def test_bad_run_options_exit_2(tmp_path, args, field):
    argv = ["run", "--tasks", "tag", "--models", "random", "--out", tmp_path / "o", "-q",
            "--no-progress", "--limit", "2", "--bootstrap", "5"]
    for i in range(0, len(args), 2):
        if args[i] in argv:
            argv[argv.index(args[i]) + 1] = args[i + 1]
        else:
            argv += args[i:i + 2]
    rc, _, err = _cli(*argv)
    assert rc == 2 and field in err and "Traceback" not in err, err


# -- cache identity --------------------------------------------------------------------------------

def test_sample_key_covers_every_output_relevant_input():
    from timebench.cache import sample_key

    base = dict(sample_id="a", prompt="p", audio="x.wav", duration=3.0, reference_hash="h",
                run_seed=0, sample_seed=1, task="tag", task_version="1-a", labels=("dog",),
                model={"adapter": "random", "fingerprint": "f", "settings": {"seed": 1}})
    k = sample_key(**base)
    changes = dict(sample_id="b", prompt="q", audio="y.wav", duration=4.0, reference_hash="i",
                   run_seed=1, sample_seed=2, task="sed", task_version="1-b", labels=("cat",),
                   model={"adapter": "random", "fingerprint": "f", "settings": {"seed": 2}})
    for name, value in changes.items():
        assert sample_key(**{**base, name: value}) != k, name


def test_cache_checksum_and_id_check(tmp_path):
    from timebench.cache import CorruptCacheLine, ResultCache

    cache = ResultCache(tmp_path, model_fingerprint="fp", task="tag", task_version="1")
    cache.append([{"key": "k1", "id": "a", "generation": {"text": "1 - 2"}},
                  {"key": "k2", "id": "b", "generation": {"text": "3 - 4"}}])
    assert set(cache.load({"k1": "a", "k2": "b"})) == {"k1", "k2"}
    lines = cache.path.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["generation"]["text"] = "0 - 9"
    cache.path.write_text(json.dumps(rec) + "\n" + lines[1] + "\n")
    with pytest.warns(CorruptCacheLine, match="checksum"):
        assert set(cache.load()) == {"k2"}
    with pytest.warns(CorruptCacheLine, match="does not match its key"):
        assert set(ResultCache(tmp_path, model_fingerprint="fp", task="tag",
                               task_version="1").load({"k2": "zzz"})) == set()


def test_cache_append_does_not_follow_a_planted_link(tmp_path):
    from timebench.cache import ResultCache

    cache = ResultCache(tmp_path, model_fingerprint="fp", task="tag", task_version="1")
    cache.dir.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("x")
    cache.path.symlink_to(victim)
    with pytest.raises(OSError):
        cache.append([{"key": "k", "id": "a", "generation": {}}])
    assert victim.read_text() == "x"


# -- results shapes, Markdown, check -----------------------------------------------------------------

GOOD = {"tasks": {"tag": {"version": "1", "samples_hash": "h"}},
        "results": {"m": {"tag": {"metrics": {"mIoU": 0.5}, "ci": {"mIoU": [0.4, 0.6]}}}}}


@pytest.mark.parametrize("path,value,field", [
    (("results", "m", "tag", "metrics"), [1], "metrics"),
    (("results", "m", "tag", "metrics", "mIoU"), "x", "mIoU"),
    (("results", "m", "tag", "ci", "mIoU"), [1], "ci.mIoU"),
    (("tasks", "tag", "version"), 3, "version"),
    (("tasks",), [], "tasks"),
])
def test_leaderboard_malformed_shapes_exit_2(tmp_path, path, value, field):
    data = json.loads(json.dumps(GOOD))
    cur = data
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    f = tmp_path / "r.json"
    f.write_text(json.dumps(data))
    rc, _, err = _cli("leaderboard", f, "--markdown", tmp_path / "x.md")
    assert rc == 2 and str(f) in err and field in err and "Traceback" not in err, err


def test_md_text_escapes_structure_and_html():
    from timebench.report.leaderboard import md_text

    out = md_text("a|b\n<script>`x` ![i](http://t/p.png)")
    assert "\n" not in out and "<" not in out and "\\|" in out and "\\`" in out
    assert "](" not in out.replace("]\\(", "")
    assert md_text("R1@0.5 [0.1, 0.2] event_f1") == "R1@0.5 [0.1, 0.2] event_f1"


@pytest.mark.parametrize("baseline,expect", [
    ({"results": {}}, 1),
    ({**GOOD, "results": {"m": {"tag": {"metrics": {"mIoU": None}}}}}, 1),
    ({**GOOD, "tasks": {"tag": {"version": "1", "samples_hash": "other"}}}, 1),
    ({**GOOD, "results": {"m": {"tag": {"metrics": {}}}}}, 1),
    (GOOD, 0),
])
def test_check_fails_closed(tmp_path, baseline, expect):
    r, b = tmp_path / "r.json", tmp_path / "b.json"
    r.write_text(json.dumps(GOOD))
    b.write_text(json.dumps(baseline))
    rc, out, _ = _cli("check", "--results", r, "--baseline", b)
    assert rc == expect, out


@pytest.mark.parametrize("tol", ["inf", "nan", "-1"])
def test_check_bad_tolerance_exit_2(tmp_path, tol):
    r = tmp_path / "r.json"
    r.write_text(json.dumps(GOOD))
    rc, _, err = _cli("check", "--results", r, "--baseline", r, "--tolerance", tol)
    assert rc == 2 and "--tolerance" in err


# -- segment counts: the exact interval path equals the grid path -----------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from([0.25, 1.0, 0.1]))
def test_interval_path_equals_grid_path(seed, res):
    import timebench.metrics.detection as det
    from timebench.types import Event

    rng = random.Random(seed)

    def events():
        out = {}
        for f in range(rng.randint(1, 3)):
            evs = []
            for _ in range(rng.randint(0, 4)):
                a = rng.uniform(0, 20)
                evs.append(Event(a, a + rng.uniform(0, 5), rng.choice(["a", "b"])))
            out[f"f{f}"] = evs
        return out
    ref, est = events(), events()
    grid = det.segment_based_counts(ref, est, time_resolution=res)
    old = det._GRID_LIMIT
    det._GRID_LIMIT = 0.0
    try:
        exact = det.segment_based_counts(ref, est, time_resolution=res)
    finally:
        det._GRID_LIMIT = old
    for name in ("ntp", "nref", "nsys"):
        assert (getattr(grid, name) == getattr(exact, name).astype(int)).all()


def test_segment_counts_beyond_int64():
    from timebench.metrics.detection import segment_based_metrics
    from timebench.types import Event

    m = segment_based_metrics({"f": [Event(0, 1, "a")]}, {"f": [Event(0, 9.3e18, "a")]})
    assert m["Ntp"] == 1 and m["Nsys"] == 9_300_000_000_000_000_000 and m["f_measure"] < 1e-15


# -- io: JSON lists --------------------------------------------------------------------------------

def test_json_list_line_numbers(tmp_path):
    from timebench.io import iter_records

    f = tmp_path / "x.json"
    f.write_text('[\n{"id": "a",\n "text": "x"},\n\n  {"id": "b"}, {"id": "c"}\n]\n')
    assert [n for n, _ in iter_records(f)] == [2, 5, 5]


def test_time_limit(tmp_path):
    from timebench.io import parse_number

    with pytest.raises(InputError, match="beyond the limit"):
        parse_number(1e10, field="onset")
    assert parse_number(1e9, field="onset") == 1e9


# -- score: schema, side inputs, overwriting inputs ---------------------------------------------------

def test_yesno_string_no_is_false(tmp_path):
    r, p, o = tmp_path / "r.jsonl", tmp_path / "p.jsonl", tmp_path / "o.json"
    r.write_text(json.dumps({"id": "q", "question": "?", "answer": "no",
                             "extra": {"qtype": "yesno"}}) + "\n")
    p.write_text(json.dumps({"id": "q", "answer": False}) + "\n")
    assert _cli("score", "--task", "tqa", "--references", r, "--predictions", p, "-o", o,
                "-q")[0] == 0
    assert json.loads(o.read_text())["metrics"]["accuracy"] == 1.0
    p.write_text(json.dumps({"id": "q", "answer": True}) + "\n")
    _cli("score", "--task", "tqa", "--references", r, "--predictions", p, "-o", o, "-q")
    assert json.loads(o.read_text())["metrics"]["accuracy"] == 0.0


def test_durations_checked_against_events(tmp_path):
    tsv = tmp_path / "r.tsv"
    tsv.write_text("filename\tonset\toffset\tevent_label\na.wav\t1\t9\tdog\n")
    dur = tmp_path / "d.tsv"
    dur.write_text("a.wav\t5\n")
    rc, _, err = _cli("score", "--task", "sed", "--references", tsv, "--predictions", tsv,
                      "--durations", dur, "-q")
    assert rc == 2 and f"{dur}:1" in err and "duration" in err


def test_score_refuses_to_overwrite_inputs(tmp_path):
    r = tmp_path / "r.jsonl"
    r.write_text(json.dumps({"id": "c", "query": "q", "events": [[0, 1]]}) + "\n")
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps({"id": "c", "text": "0 - 1"}) + "\n")
    before = p.read_bytes()
    rc, _, err = _cli("score", "--task", "tag", "--references", r, "--predictions", p, "-o", p)
    assert rc == 2 and "--output" in err and p.read_bytes() == before


def test_two_models_differing_in_punctuation_get_two_folders(tmp_path):
    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\ntasks: [tag]\nmodels:\n  - {name: 'a.b', adapter: random}\n"
                     "  - {name: 'a,b', adapter: random, settings: {seed: 1}}\n")
    rc, _, err = _cli("run", "--suite", suite, "--out", tmp_path / "o", "--limit", "2", "-q",
                      "--no-progress", "--bootstrap", "5")
    assert rc == 0, err
    res = json.loads((tmp_path / "o" / "results.json").read_text())
    paths = {r["tag"]["predictions"] for r in res["results"].values()}
    assert len(paths) == 2 and all(os.path.isfile(tmp_path / "o" / x) for x in paths)
