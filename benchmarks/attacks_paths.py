"""Untrusted files steering paths: results `suite`, `run_dir`, links planted in run folders (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cli, first_line, one_line_error, run_args, write

ORDER = 63
CLASS = "Untrusted files steering paths"
ROOT_FIX = ("one safe-path helper (`timebench/safepath.py`): `safe_component` (injective "
            "names, never a path), `inside` (relative, no `..`, no link out), `write_path` "
            "(no writes through a link below a run or cache folder); the HTML report trusts a "
            "recorded `run_dir` only inside the current folder or for the very same run")


def _results(suite=None, run_dir=None, model="m"):
    out = {"tasks": {"tag": {"version": "1-a", "samples_hash": "h", "primary_metric": "mIoU",
                             "n": 1}},
           "results": {model: {"tag": {"metrics": {"mIoU": 0.5}, "n": 1}}}}
    if suite is not None:
        out["suite"] = suite
    if run_dir is not None:
        out["run_dir"] = run_dir
    return out


def attacks(A: Attacks) -> None:
    d = A.work / "paths"
    project = d / "project"
    (project / "leaderboards" / "results").mkdir(parents=True)
    stored = project / "leaderboards" / "results"

    def store(suite, *, plant=None):
        def fn():
            src = write(d / "in" / "results.json", json.dumps(_results(suite)))
            if plant is not None:
                plant()
            before = {p for p in d.rglob("*") if p.is_file()}
            old_env = os.environ.get("TIMEBENCH_SUITES_PATH")
            os.environ["TIMEBENCH_SUITES_PATH"] = str(project / "leaderboards")
            try:
                rc, out, err = cli("leaderboard", "--store", src)
            finally:
                if old_env is None:
                    os.environ.pop("TIMEBENCH_SUITES_PATH", None)
                else:
                    os.environ["TIMEBENCH_SUITES_PATH"] = old_env
            new = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()
                         and p not in before and p != src)
            outside = [n for n in new if not n.startswith("project/leaderboards/results/")]
            if plant is not None:
                intact = (d / "victim.json").read_text() == "precious"
                return one_line_error(rc, err, "symbolic link")[0] + \
                    f"; new files outside: {outside}; victim intact: {intact}", \
                    rc == 2 and not outside and intact
            return f"exit {rc}; new files: {new}", rc == 0 and len(new) == 1 and not outside
        return fn

    A.run("paths: leaderboard --store", "results `suite` = `../../../escaped`",
          "stored inside leaderboards/results/ under a slug + `~` + hash", store("../../../escaped"))
    A.run("paths: leaderboard --store", "results `suite` = an absolute path `/tmp/x`",
          "stored inside leaderboards/results/", store(str(d / "abs" / "x")))
    A.run("paths: leaderboard --store", "results `suite` with a newline and a NUL byte",
          "stored inside leaderboards/results/", store("a\nb\x00c"))

    def plant_link():
        victim = write(d / "victim.json", "precious")
        link = stored / "evil.json"
        link.unlink(missing_ok=True)
        link.symlink_to(victim)
    A.run("paths: leaderboard --store", "stored file planted as a symbolic link to a file "
          "outside", "exit 2, the outside file untouched", store("evil", plant=plant_link))

    def store_empty():
        src = write(d / "in2" / "results.json", json.dumps(_results("")))
        rc, _, err = cli("leaderboard", "--store", src)
        return one_line_error(rc, err, "results.json", "suite")
    A.run("paths: leaderboard --store", "results `suite` = empty string", "exit 2 naming the "
          "file and field", store_empty)

    def html_run_dir():
        foreign = d / "foreign_run"
        write(foreign / "references" / "tag.jsonl",
              json.dumps({"id": "x", "query": "TOP SECRET QUERY", "events": [[0, 1]]}) + "\n")
        write(foreign / "m" / "tag" / "predictions.jsonl",
              json.dumps({"id": "x", "text": "TOP SECRET ANSWER"}) + "\n")
        res = _results(run_dir=str(foreign))
        res["results"]["m"]["tag"]["predictions"] = "m/tag/predictions.jsonl"
        src = write(d / "stored" / "handmade.json", json.dumps(res))
        page = d / "report.html"
        rc, _, err = cli("leaderboard", src, "--html", page)
        text = page.read_text() if page.exists() else ""
        leaked = "TOP SECRET" in text
        return f"exit {rc}; foreign run folder read into the report: {leaked}", \
            rc == 0 and not leaked
    A.run("paths: HTML report", "results `run_dir` pointing at another folder (outside the "
          "current one) holding a run", "not read: no content of it in the report", html_run_dir)

    def planted(rel, *, make_dir=False):
        def fn():
            out = d / f"run_{rel.replace('/', '_')}"
            rc0, _, _ = cli(*run_args(out, tasks="tag", models="random", limit="4"))
            victim = d / f"victim_{rel.replace('/', '_')}"
            target = out / rel
            if make_dir:
                victim.mkdir()
                shutil.rmtree(target)
            else:
                write(victim, "precious\n")
                target.unlink()
            target.symlink_to(victim)
            rc, _, err = cli(*run_args(out, "--seed", "5", tasks="tag", models="random",
                                       limit="4"))
            intact = (not any(victim.iterdir())) if make_dir else \
                victim.read_text() == "precious\n"
            text, ok = one_line_error(rc, err, "symbolic link")
            return f"{text}; outside target intact: {intact}", ok and intact and rc0 == 0
        return fn
    A.run("paths: run folder", "`<out>/random/tag/predictions.jsonl` planted as a link to a "
          "file outside", "exit 2 naming the link, outside file intact",
          planted("random/tag/predictions.jsonl"))
    A.run("paths: run folder", "`<out>/random` planted as a link to a folder outside",
          "exit 2 naming the link, nothing written outside", planted("random", make_dir=True))
    A.run("paths: run folder", "`<out>/results.json` planted as a link to a file outside",
          "exit 2 naming the link, outside file intact", planted("results.json"))
    A.run("paths: run folder", "`<out>/references/tag.jsonl` planted as a link to a file "
          "outside", "exit 2 naming the link, outside file intact",
          planted("references/tag.jsonl"))
