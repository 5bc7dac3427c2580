"""Hostile prediction and reference files through ``timebench score`` (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 10


def score_attacks(A: Attacks) -> None:
    d = A.work / "score"
    refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
    out = d / "m.json"

    def scored(content, *, expect_rc, must=(), name="preds.jsonl"):
        def fn():
            preds = write(d / name, content)
            out.unlink(missing_ok=True)
            rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                             preds, "-o", out, "-q")
            if expect_rc == 0:
                ok = rc == 0 and "Traceback" not in err
                if ok:
                    m = json.loads(out.read_text())["metrics"]
                    ok = all(v is None or 0 <= v <= 1 for v in m.values())
                    return f"exit 0; mIoU={m['mIoU']:.3f}, parse_failure_rate=" \
                           f"{m['parse_failure_rate']:.3f}", ok
                return f"exit {rc}; {first_line(err)}", False
            return one_line_error(rc, err, *must)
        return fn

    ok2 = "exit 2, one line naming file:line and field"
    deep = '{"id": "a", "text": ' + "[" * 10_000 + "]" * 10_000 + "}\n"
    cases = [  # (what was tried, expected, file content, exit code, fragments of the message)
        ("UTF-8 BOM + CRLF line ends", "exit 0, same scores as plain",
         "\ufeff" + GOOD.replace("\n", "\r\n"), 0, ()),
        ("JSON list form with BOM", "exit 0",
         "\ufeff[\n" + GOOD.strip().replace("\n", ",\n") + "\n]", 0, ()),
        ("`NaN` literal as onset", ok2,
         '{"id": "c1#q0", "events": [{"onset": NaN, "offset": 2}]}\n', 2, ("preds.jsonl:1",)),
        ("`Infinity` as offset", ok2,
         '{"id": "c1#q0", "events": [[0, Infinity]]}\n', 2, ("preds.jsonl:1",)),
        ("a 400-digit integer as time", ok2,
         '{"id": "c1#q0", "events": [[0, ' + "9" * 400 + "]]}\n", 2, ("field 'events[0][1]'",)),
        ("negative onset", ok2,
         '{"id": "c1#q0", "events": [[-1, 2]]}\n', 2, ("field 'events[0][0]'",)),
        ("onset after offset", ok2,
         '{"id": "c1#q0", "events": [[5, 2]]}\n', 2, ("field 'events[0]'",)),
        ("id not in the references", ok2,
         '{"id": "nope", "text": "1 - 2"}\n', 2, ("preds.jsonl:1: field 'id'",)),
        ("duplicate id", ok2,
         GOOD + '{"id": "c1#q0", "text": "x"}\n', 2, ("preds.jsonl:3: field 'id'",)),
        ("`text` is a number", ok2, '{"id": "c1#q0", "text": 5}\n', 2, ("field 'text'",)),
        ("truncated JSON", "exit 2 naming file:line", GOOD[:30], 2, ("preds.jsonl:1",)),
        ("10 000 nested brackets", "exit 2 (depth limit 64)", deep, 2, ("nested deeper",)),
        ("random bytes (invalid UTF-8)", "exit 2 naming file:line",
         b"\x00\xff\xfe\x80garbage\n", 2, ("not valid UTF-8",)),
        ("id with a newline and an ANSI escape", "exit 2, still one line (escaped)",
         '{"id": "a\\n\\u001b[31mb", "text": "1 - 2"}\n', 2, ("\\x1b",)),
        ("unicode ids (RTL override, CJK)", "exit 2 unknown id, one line",
         '{"id": "\u6807\u8bc6\u202e", "text": "1 - 2"}\n', 2, ("is not in the references",)),
        ("empty predictions file", "exit 0, every sample a failure", "", 0, ()),
        ("raw U+2028 / U+0085 inside a JSON string", "exit 0 (valid JSON Lines, one record)",
         '{"id": "c1#q0", "text": "2.0 - 6.0\u2028s\x85"}\n', 0, ()),
    ]
    for tried, expected, content, rc, must in cases:
        A.run("score: predictions", tried, expected, scored(content, expect_rc=rc, must=must))

    big = "The audio contains many sounds. " * 330_000 + "The dog barks from 2.0 to 6.0 s."
    A.run("score: predictions", "a 10 MB prediction line", "exit 0, parsed (limit is 16 MiB)",
          scored(json.dumps({"id": "c1#q0", "text": big}) + "\n", expect_rc=0))
    over = json.dumps({"id": "c1#q0", "text": "x" * (tio.MAX_LINE_BYTES + 10)})
    A.run("score: predictions", "a 16 MiB + 10 B line", "exit 2 naming file:line",
          scored(GOOD + over + "\n", expect_rc=2, must=("preds.jsonl:3: line longer",)))

    def not_a_file(target):
        def fn():
            rc, _, err = cli("score", "--task", "tag", "--references", refs, "--predictions",
                             target, "-q")
            return one_line_error(rc, err, str(target))
        return fn
    A.run("score: predictions", "`--predictions /dev/zero`", "exit 2 (not a regular file), no endless read",
          not_a_file(Path("/dev/zero")))
    A.run("score: predictions", "`--predictions` a directory", "exit 2", not_a_file(d))

    def bad_refs(content, must):
        def fn():
            r = write(d / "bad_refs.jsonl", content)
            p = write(d / "p.jsonl", GOOD)
            rc, _, err = cli("score", "--task", "tag", "--references", r, "--predictions", p, "-q")
            return one_line_error(rc, err, *must)
        return fn
    A.run("score: references", "reference event beyond the clip duration", ok2,
          bad_refs('{"id": "c1#q0", "duration": 5, "query": "q", "events": [[1, 9]]}\n',
                   ("bad_refs.jsonl:1: field 'events[0].offset'",)))
    A.run("score: references", "reference without the task's `query`", ok2,
          bad_refs('{"id": "c1#q0", "duration": 5, "events": [[1, 2]]}\n',
                   ("bad_refs.jsonl:1: field 'query'",)))

    def tqa_huge_answer():
        r = write(d / "tqa.jsonl", json.dumps({"id": "q", "question": "How many times?",
                                               "answer": 10**400, "extra": {"qtype": "count"}}) + "\n")
        p = write(d / "tqa_p.jsonl", json.dumps({"id": "q", "answer": 10**400}) + "\n")
        rc, _, err = cli("score", "--task", "tqa", "--references", r, "--predictions", p, "-q",
                         "-o", out)
        return f"exit {rc}; {first_line(err) or 'scored'}", rc in (0, 2) and "Traceback" not in err
    A.run("score: references", "temporal-QA answer 10**400 (reference and prediction)",
          "exit 0 or 2, no OverflowError", tqa_huge_answer)



def attacks(A: Attacks) -> None:
    score_attacks(A)
