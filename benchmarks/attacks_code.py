"""No code execution from YAML, settings or metric arguments (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 30


def code_execution_attacks(A: Attacks) -> None:
    d = A.work / "yaml"
    marker = d / "pwned"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    card = ("name: evil\nversion: 1\nkind: grounding\nprompts: {default: x}\n"
            "metrics: [{suite: grounding}]\nprimary_metric: mIoU\n"
            f"data: {payload}\n")
    write(d / "cards" / "evil.yaml", card)
    write(d / "evil_suite.yaml", f"tasks: [tag]\nmodels: [random]\nout: {payload}\n")
    refs = write(d / "r.jsonl", '{"id": "a", "duration": 9, "query": "q", "events": [[1, 2]]}\n')
    preds = write(d / "p.jsonl", '{"id": "a", "text": "1 - 2"}\n')

    def attempt(*argv):
        def fn():
            rc, _, err = cli(*argv)
            happened, ok = one_line_error(rc, err)
            return happened + f"; payload ran: {marker.exists()}", ok and not marker.exists()
        return fn
    expected = "exit 2 naming file:line, payload never runs"
    A.run("no code execution", "task card with `!!python/object/apply:os.system`", expected,
          attempt("tasks", "evil", "--include-tasks", d / "cards"))
    A.run("no code execution", "suite with `!!python/object/apply:os.system`", expected,
          attempt("run", "--suite", d / "evil_suite.yaml", "--out", d / "run"))
    A.run("no code execution", "`--metric-arg` with a Python tag", "exit 2, payload never runs",
          attempt("score", "--task", "tag", "--references", refs, "--predictions", preds, "-q",
                  "--metric-arg", f"grounding.mode={payload}"))
    A.run("no code execution", "model setting with a Python tag", "exit 2, payload never runs",
          attempt("run", "--tasks", "tag", "--models", f"random[seed={payload}]", "--out",
                  d / "run2", "--limit", "1", "-q", "--no-progress"))

    def bomb():
        lines = ["name: evil", "version: 1", "kind: grounding", "prompts: {default: x}",
                 "metrics: [{suite: grounding}]", "primary_metric: mIoU",
                 'notes: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"n{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
        write(d / "bomb" / "bomb.yaml", "\n".join(lines) + "\n")
        rc, _, err = cli("tasks", "bomb", "--include-tasks", d / "bomb")
        return one_line_error(rc, err, "values")
    A.run("no code execution", "YAML alias bomb (9 levels of 9 aliases)",
          "exit 2 (over 100 000 values), no memory blow-up", bomb)

    def static_scan():
        spec = importlib.util.spec_from_file_location(
            "_scan", ROOT / "tests" / "test_fuzz_no_code_execution.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        bad = [v for p in mod.SOURCES for v in mod.scan(p)[0]]
        return (f"{len(mod.SOURCES)} files scanned, {len(bad)} violation(s)"
                + (f": {bad[0]}" if bad else "")), not bad
    A.run("no code execution", "static scan: pickle, eval/exec, yaml.load, torch.load without "
          "weights_only, shell=True, os.system", "no occurrence outside the allow-list",
          static_scan)



def attacks(A: Attacks) -> None:
    code_execution_attacks(A)
