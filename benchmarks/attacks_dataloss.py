"""Data loss: colliding output folders, outputs over inputs, two runs on one folder (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import (REFS, Attacks, cache_records, cli, env, first_line, one_line_error,
                          run_args, write)

ORDER = 64
CLASS = "Data loss"
ROOT_FIX = ("injective output-folder names (`safepath.safe_component`: a name with any other "
            "character gets a slug plus 8 hex digits of its hash); `score` refuses an output "
            "that is one of its inputs; a run-folder lock per rank (`timebench/runlock.py`) "
            "with a pid check for stale locks")


def attacks(A: Attacks) -> None:
    d = A.work / "dataloss"

    def punctuation():
        suite = write(d / "punct.yaml", "name: punct\ntasks: [tag]\nmodels:\n"
                      "  - {name: 'r.1', adapter: random, settings: {seed: 1}}\n"
                      "  - {name: 'r,1', adapter: random, settings: {seed: 2}}\n"
                      "  - {name: 'r/1', adapter: random, settings: {seed: 3}}\n"
                      "  - {name: 'r 1', adapter: random, settings: {seed: 4}}\n")
        out = d / "punct"
        rc, _, err = cli("run", "--suite", suite, "--out", out, "--limit", "4", "-q",
                         "--no-progress", "--bootstrap", "10")
        res = json.loads((out / "results.json").read_text()) if rc == 0 else {}
        paths = {m: r["tag"]["predictions"] for m, r in res.get("results", {}).items()}
        distinct = len(set(paths.values())) == 4 and all((out / p).is_file()
                                                         for p in paths.values())
        return f"exit {rc}; {len(set(paths.values()))} distinct prediction files for 4 models: " \
               f"{sorted(set(paths.values()))}", rc == 0 and distinct
    A.run("data loss: folders", "four model names differing only in punctuation "
          "(`r.1`, `r,1`, `r/1`, `r 1`)", "four distinct folders, none overwritten", punctuation)

    refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
    preds_text = '{"id": "c1#q0", "text": "2 - 6"}\n'

    def overwrite(*args, must=()):
        def fn():
            preds = write(d / "preds.jsonl", preds_text)
            before = refs.read_bytes(), preds.read_bytes()
            rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                             preds, "-q", *[a if a not in ("REFS", "PREDS") else
                                            {"REFS": refs, "PREDS": preds}[a] for a in args])
            intact = (refs.read_bytes(), preds.read_bytes()) == before
            text, ok = one_line_error(rc, err, *must)
            return f"{text}; inputs intact: {intact}", ok and intact
        return fn
    A.run("data loss: score", "`score -o` naming the predictions file", "exit 2, inputs intact",
          overwrite("-o", "PREDS", must=("--output",)))
    A.run("data loss: score", "`score --per-sample` naming the references file",
          "exit 2, inputs intact", overwrite("--per-sample", "REFS", must=("--per-sample",)))
    A.run("data loss: score", "`-o` and `--per-sample` naming one file", "exit 2",
          overwrite("-o", d / "same.json", "--per-sample", d / "same.json",
                    must=("--per-sample",)))

    def link_to_input():
        link = d / "link.json"
        link.unlink(missing_ok=True)
        link.symlink_to(refs)
        return overwrite("-o", link, must=("--output",))()
    A.run("data loss: score", "`score -o` a symbolic link to the references file",
          "exit 2, inputs intact", link_to_input)

    def locked(pid_alive: bool):
        def fn():
            out = d / f"lock_{pid_alive}"
            out.mkdir(parents=True, exist_ok=True)
            if pid_alive:  # a live run: a process that really holds the lock
                hold = ("import sys, time; from timebench.runlock import RunLock; "
                        "RunLock(sys.argv[1], 0).acquire(); print('held', flush=True); "
                        "time.sleep(60)")
                proc = subprocess.Popen([sys.executable, "-c", hold, str(out)], env=env(),
                                        stdout=subprocess.PIPE)
                proc.stdout.readline()
            else:  # a killed run: its file is left, naming a dead pid
                proc = subprocess.Popen([sys.executable, "-c", "pass"])
                proc.wait()
                write(out / ".timebench-lock.0", f"{proc.pid} {socket.gethostname()}\n")
            try:
                rc, _, err = cli(*run_args(out, tasks="tag", models="random", limit="4"))
            finally:
                if pid_alive:
                    proc.kill()
                    proc.wait()
            if pid_alive:
                text, ok = one_line_error(rc, err, "in use", str(proc.pid))
                return text, ok and not (out / "results.json").exists()
            return f"exit {rc}; lock left: {(out / '.timebench-lock.0').exists()}", \
                rc == 0 and (out / "results.json").exists() and \
                not (out / ".timebench-lock.0").exists()
        return fn
    A.run("data loss: lock", "a run on an --out locked by a live process",
          "exit 2 naming the folder and the pid; nothing written", locked(True))
    A.run("data loss: lock", "a stale lock left by a killed run (pid no longer alive)",
          "taken over (warning), exit 0, lock released", locked(False))

    def concurrent():
        out = d / "concurrent"
        slow = ECHO + "[latency=0.3]"
        cmd = [sys.executable, "-m", "timebench",
               *run_args(str(out), tasks="tag,spotsound", models=slow, limit="20")]
        procs = [subprocess.Popen(cmd, env=env(), cwd=d, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs]
        rcs = sorted(rc for rc, _ in results)
        recs, torn = cache_records(out)
        keys = [r["key"] for r in recs]
        loser = next((e for rc, e in results if rc == 2), "")
        ok = rcs == [0, 2] and "in use" in loser and len(keys) == len(set(keys)) and not torn
        return (f"exit codes {rcs}; loser: {first_line(loser)}; {len(keys)} cache records, "
                f"{len(set(keys))} distinct, {torn} torn"), ok
    A.run("data loss: lock", "two `run` processes started together on one --out",
          "one exits 2 ('in use'), the other finishes; no duplicated cache records", concurrent)
