"""Faults: full disk, read-only folder, a raising adapter, signals, corrupt cache (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 40


def fault_attacks(A: Attacks) -> None:
    import timebench.atomic as tatomic
    from timebench.cache import ResultCache

    d = A.work / "faults"
    refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
    preds = write(d / "preds.jsonl", GOOD)

    def output_fault(kind):
        def fn():
            target = write(d / kind / "out.json", "OLD\n")
            patch = {"fsync": (tatomic.os, "fsync", enospc),
                     "replace": (tatomic.os, "replace", enospc),
                     "eacces": (tatomic.tempfile, "mkstemp", eacces)}[kind]
            with patched(*patch):
                rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                                 preds, "-q", "--output", target)
            happened, ok = one_line_error(rc, err, str(target))
            intact = target.read_text() == "OLD\n"
            left = leftovers(target.parent)
            return (f"{happened}; old file intact: {intact}; temp files left: {len(left)}",
                    ok and intact and not left)
        return fn
    expected = "exit 2 naming the path; old file intact; no temp file"
    A.run("faults: writing", "disk full (ENOSPC) at fsync of `score --output`", expected,
          output_fault("fsync"), name="fsync")
    A.run("faults: writing", "disk full (ENOSPC) at the rename of `score --output`", expected,
          output_fault("replace"), name="replace")
    A.run("faults: writing", "permission denied (EACCES) on the output folder", expected,
          output_fault("eacces"), name="eacces")

    def results_fault():
        out = d / "run_results"
        rc0 = cli(*run_args(out))[0]
        before = (out / "results.json").read_bytes()
        real_replace = os.replace

        def replace(src, dst, *a, **k):  # the disk fills up as results.json is renamed in
            if Path(dst).name == "results.json":
                enospc()
            return real_replace(src, dst, *a, **k)
        with patched(tatomic.os, "replace", replace):
            rc, _, err = cli(*run_args(out))
        happened, ok = one_line_error(rc, err, str(out / "results.json"), "ENOSPC")
        intact = (out / "results.json").read_bytes() == before
        return (f"{happened}; old results.json intact: {intact}; temp files left: "
                f"{len(leftovers(out))}", rc0 == 0 and ok and intact and not leftovers(out))
    A.run("faults: writing", "disk full while `run` writes results.json",
          "exit 2 naming results.json; old file intact; no temp file", results_fault,
          name="results-enospc")

    def cache_full():
        reference = d / "cache_ref"
        cli(*run_args(reference, "--batch-size", "2"))
        out = d / "cache_full"
        real_append = ResultCache.append
        calls = {"n": 0}

        def append(self, records):
            calls["n"] += 1
            if calls["n"] >= 3:
                if calls["n"] == 3:  # a torn half line, then the disk is full
                    line = json.dumps({"v": 1, **records[0]})
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with open(self.path, "ab") as fh:
                        fh.write(line[: len(line) // 2].encode())
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            return real_append(self, records)
        with patched(ResultCache, "append", append):
            rc1, _, err1 = cli(*run_args(out, "--batch-size", "2"))
        done, torn = cache_records(out)
        rc2, _, err2 = cli(*run_args(out, "--batch-size", "2"))
        recs, torn2 = cache_records(out)
        keys = [r["key"] for r in recs]
        same = stable_results(reference) == stable_results(out)
        ok = rc1 == 2 and "rerun resumes" in err1 and rc2 == 0 and len(keys) == len(set(keys)) == 16 \
            and same
        return (f"exit {rc1}: {first_line(err1)} | {len(done)} samples cached, {torn} torn line; "
                f"rerun exit {rc2}: {len(keys)} records, {len(set(keys))} distinct, results "
                f"identical: {same}"), ok
    A.run("faults: cache", "disk full on the 3rd cache append (a torn half line first)",
          "run stops, exit 2 with the cache path; rerun resumes, no duplicates, same results",
          cache_full, name="cache-full")

    def adapter_raises():
        out = d / "flaky"
        spec = "fake_adapters:Flaky[fail=mini-tag-0003]"
        rc, _, err = cli("run", "--tasks", "tag", "--models", spec, "--out", out, "--bootstrap",
                         "0", "--limit", "6", "--no-progress", "-q")
        res = json.loads((out / "results.json").read_text())["results"][spec]["tag"]
        warn = first_line(err)
        ok = rc == 0 and res["n_generation_errors"] == 1 and "1 of 6 sample(s) failed" in warn
        return f"exit {rc}; n_generation_errors={res['n_generation_errors']}; {warn}", ok
    A.run("faults: adapter", "adapter raises on 1 of 6 samples",
          "that sample scored as a failure, run continues, results and output say 1 of 6",
          adapter_raises, name="adapter-raises")

    def signal_run(sig):
        def fn():
            reference, out = d / f"sig{sig}_ref", d / f"sig{sig}"
            cmd = [sys.executable, "-m", "timebench", "run", "--tasks", "tag", "--models",
                   f"{ECHO}[latency=0.1]", "--bootstrap", "30", "--batch-size", "2", "-q",
                   "--no-progress"]
            subprocess.run(cmd + ["--out", str(reference)], env=env(), cwd=d, check=True,
                           capture_output=True, timeout=300)
            proc = subprocess.Popen(cmd + ["--out", str(out)], env=env(), cwd=d,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if (out / "cache").exists() and len(cache_records(out)[0]) >= 8:
                    break
                time.sleep(0.02)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            before, torn = cache_records(out)
            res = subprocess.run(cmd + ["--out", str(out)], env=env(), cwd=d,
                                 capture_output=True, text=True, timeout=300)
            recs, _ = cache_records(out)
            keys = [r["key"] for r in recs]
            same = stable_results(reference) == stable_results(out)
            want_rc = 130 if sig == signal.SIGINT else -signal.SIGKILL
            msg_ok = sig != signal.SIGINT or ("rerun resumes" in err and "Traceback" not in err)
            ok = proc.returncode == want_rc and msg_ok and res.returncode == 0 and \
                len(keys) == len(set(keys)) == 40 and same and (sig != signal.SIGINT or torn == 0)
            msg = first_line(err) if sig == signal.SIGINT else "(killed)"
            return (f"exit {proc.returncode}: {msg} | {len(before)} samples cached, {torn} torn; "
                    f"rerun: {len(keys)} records, {len(set(keys))} distinct, results identical: "
                    f"{same}"), ok
        return fn
    A.run("faults: signals", "SIGINT after 8 of 40 samples (subprocess)",
          "exit 130, one-line 'rerun resumes' message, whole cache lines; rerun: no duplicates, "
          "same results", signal_run(signal.SIGINT), name="sigint")
    A.run("faults: signals", "SIGKILL after 8 of 40 samples (subprocess)",
          "rerun: no duplicates, same results", signal_run(signal.SIGKILL), name="sigkill")

    def corrupt_cache():
        out = d / "corrupt"
        args = run_args(out, tasks="tag", models=ECHO)
        cli(*args)
        before = stable_results(out)
        part = next((out / "cache").rglob("tag-*.part-0.jsonl"))
        lines = part.read_bytes().splitlines()
        recs = [json.loads(x) for x in lines]
        r0 = copy.deepcopy(recs[0])
        r0["generation"]["text"] = 5
        r1 = copy.deepcopy(recs[1])
        r1["generation"] = {"events": [{"onset": 5, "offset": 2}]}
        from timebench.cache import CACHE_VERSION, line_sum

        def summed(r):  # a valid checksum, so only the content makes the line bad
            r = {k: v for k, v in r.items() if k != "sum"}
            return json.dumps({**r, "sum": line_sum(r)}).encode()
        bad = [summed(r0), b"garbage in the middle",
               summed(r1), json.dumps({"v": CACHE_VERSION, "key": recs[2]["key"]}).encode(),
               recs[3]["key"].encode() + b"\xff", *lines[4:],
               summed({"v": CACHE_VERSION, "key": "0" * 32, "generation": {"text": "1 - 2"}})]
        part.write_bytes(b"\n".join(bad) + b"\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rc, _, err = cli(*args)
        n_warn = len({str(w.message) for w in caught if "unreadable cache line" in str(w.message)})
        same = stable_results(out) == before
        return (f"exit {rc}; {n_warn} distinct warnings; results identical: {same}",
                rc == 0 and n_warn == 5 and same)
    A.run("faults: cache", "cache with garbage, wrong types, wrong schema, invalid UTF-8, an "
          "unknown key", "5 lines skipped with a warning, samples recomputed, same results",
          corrupt_cache, name="corrupt-cache")



def attacks(A: Attacks) -> None:
    fault_attacks(A)
