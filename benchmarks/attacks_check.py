"""`timebench check` must fail closed: anything it cannot compare is a failure (issue 15)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks, cli, first_line, one_line_error, write

ORDER = 62
CLASS = "`check` that cannot fail"
ROOT_FIX = ("`timebench/check.py` fails closed: a NaN/null baseline value, an empty baseline, "
            "a task without metrics, another sample set (samples hash) are UNCOMPARABLE rows "
            "(exit 1); a tolerance that is not a finite number >= 0 is bad input (exit 2); the "
            "results-file shape is checked first (`timebench/results_schema.py`, exit 2)")


def _results(metrics=None, *, samples_hash="h1", tasks=True, ci=None):
    res = {"metrics": {"mIoU": 0.6, "R1@0.5": 0.5} if metrics is None else metrics}
    if ci is not None:
        res["ci"] = ci
    out = {"results": {"m": {"tag": res}}}
    if tasks:
        out["tasks"] = {"tag": {"version": "1-a", "samples_hash": samples_hash}}
    return out


def attacks(A: Attacks) -> None:
    d = A.work / "check"
    now = write(d / "now.json", json.dumps(_results()))

    def check(baseline, *extra, results=now, expect=1, must=()):
        def fn():
            base = write(d / "base.json", baseline if isinstance(baseline, str)
                         else json.dumps(baseline))
            rc, out, err = cli("check", "--results", results, "--baseline", base, *extra)
            if expect == 2:
                return one_line_error(rc, err, *must)
            text = out + err
            ok = rc == expect and "Traceback" not in text and all(m in text for m in must)
            line = next((x for x in text.splitlines() if x.startswith(("UNCOMPARABLE", "REGRESS",
                                                                       "ok:"))), first_line(text))
            return f"exit {rc}; {line}", ok
        return fn

    A.run("check", "baseline metric `null`", "exit 1, UNCOMPARABLE",
          check(_results({"mIoU": None, "R1@0.5": 0.5}), must=("UNCOMPARABLE",)))
    A.run("check", "baseline metric `NaN` literal", "exit 1, UNCOMPARABLE",
          check(json.dumps(_results()).replace("0.6", "NaN"), must=("UNCOMPARABLE",)))
    A.run("check", "baseline `{\"results\": {}}` (nothing to compare)", "exit 1, UNCOMPARABLE",
          check({"results": {}}, must=("UNCOMPARABLE",)))
    A.run("check", "baseline task with an empty metrics object", "exit 1, UNCOMPARABLE",
          check(_results({}), must=("UNCOMPARABLE",)))
    A.run("check", "baseline from another sample set (samples_hash differs)",
          "exit 1, UNCOMPARABLE naming the hashes",
          check(_results(samples_hash="other"), must=("UNCOMPARABLE", "samples_hash")))
    A.run("check", "baseline without a `tasks` table entry for the task", "exit 1, UNCOMPARABLE",
          check({**_results(), "tasks": {"sed": {"samples_hash": "h1"}}},
                must=("UNCOMPARABLE",)))
    for value in ("inf", "nan", "-0.1"):
        A.run("check", f"`--tolerance {value}`", "exit 2, one line naming --tolerance",
              check(_results(), "--tolerance", value, expect=2, must=("--tolerance",)))
    A.run("check", "baseline `ci` with strings", "exit 2 naming file and field",
          check(_results(ci={"mIoU": ["low", "high"]}), expect=2, must=("base.json",
                                                                        "ci.mIoU")))
    A.run("check", "a metric undefined (null) in both baseline and results", "exit 0 (equal)",
          check(_results({"mIoU": None}), expect=0,
                results=write(d / "null.json", json.dumps(_results({"mIoU": None})))))
    A.run("check", "identical results (control)", "exit 0", check(_results(), expect=0,
                                                                  must=("ok:",)))
