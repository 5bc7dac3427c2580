"""Cache identity: nothing that changes an output may be missing from the cache key (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cache_records, cli, first_line, outputs, run_args, write

ORDER = 61
CLASS = "Cache identity"
ROOT_FIX = ("one cache key from every output-relevant input (`timebench/cache.py:sample_key`: "
            "id, prompt, audio, duration, reference, run seed, sample seed, labels, task and "
            "task version, adapter, fingerprint, settings, cache version); a per-line checksum; "
            "the line's id checked against its key on read; appends never follow a link")


def attacks(A: Attacks) -> None:
    d = A.work / "cache_identity"

    def run(out, *extra, models="random", tasks="tag"):
        rc, _, err = cli(*run_args(out, *extra, tasks=tasks, models=models, limit="6"))
        return rc, err

    def preds(out, model="random", task="tag"):
        return (out / model / task / "predictions.jsonl").read_bytes()

    def seed_change():
        shared, fresh = d / "seed", d / "seed_fresh"
        run(shared, "--seed", "1")
        rc, err = run(shared, "--seed", "2")
        run(fresh, "--seed", "2")
        res = json.loads((shared / "results.json").read_text())
        same = preds(shared) == preds(fresh)
        n, _ = cache_records(shared)
        return (f"exit {rc}; results seed {res['seed']}; predictions equal a fresh --seed 2 run: "
                f"{same}; cache records {len(n)} (6 per seed)",
                rc == 0 and same and res["seed"] == 2 and len(n) == 12)
    A.run("cache identity", "rerun on one --out with another --seed",
          "outputs recomputed (equal to a fresh run with the new seed), not reused", seed_change)

    def settings_change():
        out, fresh = d / "settings", d / "settings_fresh"
        suite = "name: s\ntasks: [tag]\nmodels:\n  - {name: r, adapter: random, settings: {seed: %d}}\n"
        s1 = write(d / "s1.yaml", suite % 1)
        s2 = write(d / "s2.yaml", suite % 2)
        cli("run", "--suite", s1, "--out", out, "--limit", "6", "-q", "--no-progress")
        rc, _, err = cli("run", "--suite", s2, "--out", out, "--limit", "6", "-q", "--no-progress")
        cli("run", "--suite", s2, "--out", fresh, "--limit", "6", "-q", "--no-progress")
        same = preds(out, "r") == preds(fresh, "r")
        return f"exit {rc}; predictions equal a fresh run with the new settings: {same}", \
            rc == 0 and same
    A.run("cache identity", "same model name, other settings (suite `settings: {seed: 2}`)",
          "outputs recomputed, not reused", settings_change)

    def batch_reuse():
        out = d / "batch"
        run(out, "--batch-size", "2")
        before, _ = cache_records(out)
        rc, err = run(out, "--batch-size", "5")
        after, _ = cache_records(out)
        return f"exit {rc}; cache records {len(before)} -> {len(after)}", \
            rc == 0 and len(before) == len(after) == 6
    A.run("cache identity", "rerun with another --batch-size (not output-relevant)",
          "cache reused: no new records", batch_reuse)

    def tamper(kind):
        def fn():
            out = d / f"tamper_{kind}"
            rc0, _ = run(out)
            first = outputs(out)
            part = next((out / "cache").rglob("*.part-0.jsonl"))
            lines = part.read_bytes().splitlines()
            recs = [json.loads(x) for x in lines]
            if kind == "edited":
                recs[0]["generation"]["text"] = "0.0 - 20.0"  # the sum no longer matches
                lines[0] = json.dumps(recs[0]).encode()
                expected_warn = "checksum mismatch"
            elif kind == "swapped":  # sample 1's record under sample 0's key, re-summed
                from timebench.cache import line_sum

                r = {k: v for k, v in recs[1].items() if k != "sum"}
                r["key"] = recs[0]["key"]
                r["sum"] = line_sum(r)
                lines[0] = json.dumps(r).encode()
                expected_warn = "does not match its key"
            else:  # an old cache version
                r = {k: v for k, v in recs[0].items() if k != "sum"}
                r["v"] = 1
                lines[0] = json.dumps(r).encode()
                expected_warn = "older cache version"
            part.write_bytes(b"\n".join(lines) + b"\n")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                rc, _, err = cli(*run_args(out, tasks="tag", models="random", limit="6"))
            msgs = {str(w.message) for w in caught if expected_warn in str(w.message)}
            same = outputs(out) == first
            return (f"exit {rc}; {len(msgs)} warning(s) '{expected_warn}'; outputs equal the "
                    f"untampered run: {same}", rc0 == 0 and rc == 0 and len(msgs) == 1 and same)
        return fn
    A.run("cache identity", "a cache line's text edited (checksum no longer matches)",
          "warned once, sample recomputed, same outputs", tamper("edited"))
    A.run("cache identity", "another sample's record copied under a key (valid checksum)",
          "warned once (id does not match its key), recomputed, same outputs", tamper("swapped"))
    A.run("cache identity", "a line of the old cache format (v1, no checksum)",
          "skipped with one warning per file, recomputed, same outputs", tamper("old"))

    def part_symlink():
        out = d / "link"
        run(out)
        part = next((out / "cache").rglob("*.part-0.jsonl"))
        victim = write(d / "victim.txt", "precious\n")
        part.unlink()
        part.symlink_to(victim)
        rc, err = run(out, "--seed", "9")  # new keys: the run must append
        intact = victim.read_text() == "precious\n"
        return f"exit {rc}; {first_line(err)}; outside file intact: {intact}", \
            rc == 2 and intact and "Traceback" not in err
    A.run("cache identity", "cache part file replaced by a symbolic link to a file outside",
          "exit 2 naming the cache file; the outside file is not appended to", part_symlink)
