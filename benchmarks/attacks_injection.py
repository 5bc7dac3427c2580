"""Injection and crashes: hostile names in reports, malformed results files, bad CLI values (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cli, first_line, one_line_error, run_args, write

ORDER = 65
CLASS = "Injection and crashes"
ROOT_FIX = ("Markdown cells and headings escaped by one function (`report/leaderboard.py:"
            "md_text`: control characters, `|`, HTML, Markdown specials); every field the "
            "reports read is type-checked first (`timebench/results_schema.py`, exit 2 naming "
            "file and field); numeric run options range-checked (`timebench/options.py`)")


def _valid():
    return {"suite": "s", "seed": 0, "git_hash": "abc", "timebench_version": "0.1",
            "bootstrap": {"iterations": 10, "confidence": 0.95},
            "tasks": {"tag": {"version": "1-a", "samples_hash": "h", "n": 2,
                              "primary_metric": "mIoU", "leaderboard_metrics": ["mIoU"],
                              "parser": "lenient"}},
            "results": {"m": {"tag": {"metrics": {"mIoU": 0.5}, "ci": {"mIoU": [0.4, 0.6]},
                                      "n": 2, "parse_failure_rate": 0.0}}}}


def _mutations():
    """(description, field the message must name, function mutating a valid results dict)."""
    def at(*keys, value):
        def f(r):
            cur = r
            for k in keys[:-1]:
                cur = cur[k]
            cur[keys[-1]] = value
            return r
        return f
    T, R = ("tasks", "tag"), ("results", "m", "tag")
    return [
        ("top level is a list", "(top level)", lambda r: [r]),
        ("top level is a string", "(top level)", lambda r: "results"),
        ("`results` is a list", "results", at("results", value=[])),
        ("`results.m` is a string", "results.m", at("results", "m", value="x")),
        ("`results.m.tag` is a number", "results.m.tag", at(*R, value=3)),
        ("`metrics` is a list", "metrics", at(*R, "metrics", value=[0.5])),
        ("a metric is a string", "metrics.mIoU", at(*R, "metrics", "mIoU", value="0.5")),
        ("a metric is a list", "metrics.mIoU", at(*R, "metrics", "mIoU", value=[1])),
        ("a metric is a 400-digit integer", "metrics.mIoU",
         at(*R, "metrics", "mIoU", value=10 ** 400)),
        ("a metric is `true`", "metrics.mIoU", at(*R, "metrics", "mIoU", value=True)),
        ("`ci` entry of one number", "ci.mIoU", at(*R, "ci", "mIoU", value=[0.1])),
        ("`ci` entry of strings", "ci.mIoU", at(*R, "ci", "mIoU", value=["a", "b"])),
        ("`ci` is a string", ".ci", at(*R, "ci", value="x")),
        ("`n` is a string", ".n", at(*R, "n", value="2")),
        ("`parse_failure_rate` is a string", "parse_failure_rate",
         at(*R, "parse_failure_rate", value="0")),
        ("`skipped` is a number", "skipped", at(*R, value={"skipped": 1})),
        ("`tasks` is a list", "tasks", at("tasks", value=["tag"])),
        ("`tasks.tag` is a string", "tasks.tag", at(*T, value="x")),
        ("`primary_metric` is a number", "primary_metric", at(*T, "primary_metric", value=1)),
        ("`leaderboard_metrics` is a string", "leaderboard_metrics",
         at(*T, "leaderboard_metrics", value="mIoU")),
        ("`leaderboard_metrics` holds a number", "leaderboard_metrics",
         at(*T, "leaderboard_metrics", value=[1])),
        ("`version` is an object", "version", at(*T, "version", value={})),
        ("`samples_hash` is a list", "samples_hash", at(*T, "samples_hash", value=[1])),
        ("`n` of a task is a float", "tasks.tag.n", at(*T, "n", value=2.5)),
        ("`parser` is a list", "parser", at(*T, "parser", value=["lenient"])),
        ("`bootstrap` is a number", "bootstrap", at("bootstrap", value=5)),
        ("`bootstrap.iterations` is a string", "bootstrap.iterations",
         at("bootstrap", "iterations", value="10")),
        ("`git_hash` is a number", "git_hash", at("git_hash", value=5)),
        ("`seed` is a string", "seed", at("seed", value="0")),
        ("`suite` is a list", "suite", at("suite", value=["s"])),
        ("`timebench_version` is a number", "timebench_version",
         at("timebench_version", value=1)),
        ("a model name that is empty", "results", lambda r: {**r, "results": {"": {}}}),
    ]


def attacks(A: Attacks) -> None:
    d = A.work / "injection"

    def markdown_names():
        res = _valid()
        evil_model = "evil\n| injected | row |\n<script>alert(1)</script>`x`"
        res["results"] = {evil_model: res["results"]["m"], "plain": res["results"]["m"]}
        res["suite"] = "s`\n# heading <img src=x onerror=alert(1)>"
        src = write(d / "md" / "results.json", json.dumps(res))
        md = d / "md" / "LEADERBOARD.md"
        rc, _, err = cli("leaderboard", src, "--markdown", md)
        text = md.read_text() if md.exists() else ""
        raw_html = "<script>" in text or "<img" in text
        rows = [x for x in text.splitlines() if x.startswith("| ")]
        headings = [x for x in text.splitlines() if x.startswith("#")]
        tables, cur = [], []
        for line in text.splitlines() + [""]:
            if line.startswith("|"):
                cur.append(len(re.findall(r"(?<!\\)\|", line)))
            elif cur:
                tables.append(cur)
                cur = []
        bad_rows = [t for t in tables if len(set(t)) != 1]
        injected = any("injected" in x and x.startswith("| injected") for x in rows) or \
            any(x.startswith("# heading") for x in headings)
        ok = rc == 0 and not raw_html and not injected and not bad_rows
        return (f"exit {rc}; raw HTML in the Markdown: {raw_html}; injected row or heading: "
                f"{injected}; {len(rows)} table lines"), ok
    A.run("injection: Markdown", "model name with a newline, a table row, `<script>` and "
          "backticks; suite name with a newline, `#` and `<img onerror>`",
          "escaped: no raw HTML, no extra row or heading", markdown_names)

    def markdown_image():
        res = _valid()
        res["results"] = {"![x](https://tracker.example/p.png) [y](javascript:alert(1))":
                          res["results"]["m"]}
        src = write(d / "img" / "results.json", json.dumps(res))
        md = d / "img" / "LEADERBOARD.md"
        rc, _, err = cli("leaderboard", src, "--markdown", md)
        text = md.read_text() if md.exists() else ""
        live = re.search(r"(?<!\\)\]\(", text) is not None
        return f"exit {rc}; a live inline link or image left: {live}", rc == 0 and not live
    A.run("injection: Markdown", "model name `![x](https://tracker.example/p.png)` and a "
          "`javascript:` link", "no live image or link (`](` escaped); brackets kept",
          markdown_image)

    def html_names():
        res = _valid()
        res["results"] = {"<img src=x onerror=alert(1)>": res["results"]["m"]}
        src = write(d / "html" / "results.json", json.dumps(res))
        page = d / "html" / "r.html"
        rc, _, err = cli("leaderboard", src, "--html", page)
        text = page.read_text() if page.exists() else ""
        return f"exit {rc}; raw <img in the page: {'<img' in text}", rc == 0 and "<img" not in text
    A.run("injection: HTML", "model name `<img src=x onerror=alert(1)>`", "escaped in the HTML "
          "report", html_names)

    muts = _mutations()

    def shapes(command):
        def fn():
            counts = {"exit 2 naming file and field": 0, "other": 0}
            others = []
            for i, (what, field, mutate) in enumerate(muts):
                src = write(d / "shapes" / f"r{i}.json",
                            json.dumps(mutate(copy.deepcopy(_valid()))))
                if command == "leaderboard":
                    rc, _, err = cli("leaderboard", src, "--markdown", d / "shapes" / "x.md")
                else:
                    good = write(d / "shapes" / "good.json", json.dumps(_valid()))
                    rc, _, err = cli("check", "--results", good, "--baseline", src)
                _, ok = one_line_error(rc, err, str(src), field)
                if ok:
                    counts["exit 2 naming file and field"] += 1
                else:
                    counts["other"] += 1
                    others.append(f"{what}: exit {rc} {first_line(err)[:60]}")
            return (f"{len(muts)} shapes: {counts['exit 2 naming file and field']} exit 2 naming "
                    f"file and field, {counts['other']} other {others[:2]}"), not others
        return fn
    A.run("crashes: results files", f"{len(muts)} malformed results-file shapes through "
          "`leaderboard`", "every one exit 2 naming the file and the field, no traceback",
          shapes("leaderboard"))
    A.run("crashes: results files", f"the same {len(muts)} shapes as `check --baseline`",
          "every one exit 2 naming the file and the field", shapes("check"))

    out = d / "run"
    for what, args, field in [
            ("`--seed -1`", ["--seed", "-1"], "--seed"),
            ("`--limit -1`", ["--limit", "-1"], "--limit"),
            ("`--limit 0` (was silently 'no limit')", ["--limit", "0"], "--limit"),
            ("`--batch-size 0`", ["--batch-size", "0"], "--batch-size"),
            ("`--bootstrap -5`", ["--bootstrap", "-5"], "--bootstrap"),
            ("`--shard-timeout nan`", ["--shard-timeout", "nan"], "--shard-timeout")]:
        def fn(args=args, field=field):
            argv = run_args(out, tasks="tag", models="random", limit="3")
            if "--limit" in args or "--bootstrap" in args:  # replace run_args' own values
                i = argv.index(args[0])
                argv[i + 1] = args[1]
            else:
                argv += args
            rc, _, err = cli(*argv)
            return one_line_error(rc, err, field)
        A.run("crashes: CLI values", f"`run` with {what}", "exit 2, one line naming the option", fn)

    for setting in ("batch_size=1e9", "batch_size=1.0e9", "batch_size=-3", "batch_size=abc"):
        def fn(setting=setting):
            rc, _, err = cli(*run_args(out, tasks="tag", models=f"random[{setting}]", limit="3"))
            return one_line_error(rc, err, "batch_size")
        A.run("crashes: CLI values", f"model setting `{setting}`",
              "exit 2, one line naming batch_size", fn)
