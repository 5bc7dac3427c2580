"""Load the real-output corpus (``tests/corpus/real/*.jsonl``) and judge parses against it.

Format: ``/work/wt/notes/corpus-format.md`` (one answer a line; hand-checked items carry
``expect``).  Hand-checked truths may also sit in ``truths.jsonl`` (``source`` + ``key`` = the
first 12 hex digits of sha1 of the text), which are merged in here.  The folder can be pointed
elsewhere with ``TIMEBENCH_REAL_CORPUS`` (used while the corpus lives on another branch).

Used by ``tests/test_parsing_real_corpus.py`` and ``benchmarks/bench_parser.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

REAL = Path(__file__).resolve().parent.parent / "corpus" / "real"
TOL = 0.011  # seconds; corpus truths are given to 1/100 s at most
#: corpus task -> timebench task kind
KIND = {"tag": "grounding", "spotsound": "presence", "sed": "detection", "dac": "captioning",
        "tss": "summary", "tqa": "qa"}


def corpus_dir() -> Path:
    env = os.environ.get("TIMEBENCH_REAL_CORPUS")
    return Path(env) if env else REAL


def heldout_dir() -> Path:
    """The held-out answers (``heldout/`` in the corpus folder): answers the parser was never
    developed on, hand-checked by readers who had not run the parser on them."""
    return corpus_dir() / "heldout"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load(folder: Path | None = None) -> list[dict]:
    """Every answer of the corpus (``expect`` merged in from ``truths.jsonl`` when there)."""
    folder = folder or corpus_dir()
    if not folder.is_dir():
        return []
    truths: dict[tuple[str, str], dict] = {}
    tfile = folder / "truths.jsonl"
    if tfile.exists():
        for line in tfile.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line)
                truths[(t["source"], t["key"])] = t
    rows: list[dict] = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.name == "truths.jsonl":
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row.get("text"), str):
                    continue
                if "expect" not in row:
                    t = truths.get((row.get("source"), text_key(row["text"])))
                    if t is not None:
                        row["expect"] = t["expect"]
                        if t.get("note"):
                            row.setdefault("note", t["note"])
                rows.append(row)
    return rows


def kind_of(row: dict) -> str:
    return KIND.get(row.get("task") or "tag", "grounding")


_OPTION = re.compile(r"^([A-H])[.)] (.+?)\s*$", re.MULTILINE)
_LABEL_FREE = ("grounding", "presence")
LETTERS = "ABCDEFGH"
YESNO_Q = re.compile(r"\s*(?:<[a-z]+>\s*)?(?:is|are|does|do|did|was|were|can|has|have)\b",
                     re.IGNORECASE)


def options_of(row: dict) -> list[str]:
    """The lettered options (``A. True`` lines) of a multiple-choice prompt, in order."""
    return [m.group(2) for m in _OPTION.finditer(row.get("prompt") or "")]


def parse_row(row: dict, parse):
    """Parse one corpus answer the way ``timebench score`` would for its task, with ``parse``
    (``timebench.parsing.parse`` or an older release's): grounding/presence with captions off
    and ``single_query`` on (what the scorer passes for those kinds, where the parser has the
    options), QA with the options of the prompt (``choice``) or ``number``/``yesno``.
    Returns ``(answer, pipeline, options)``."""
    kind = kind_of(row)
    if kind == "qa":
        opts = options_of(row) or list(LETTERS)   # options not stored: the letters
        ans = parse(row["text"], pipeline="choice", labels=opts)
        if ans.failed and YESNO_Q.match(row.get("prompt") or ""):
            return parse(row["text"], pipeline="yesno"), "yesno", None
        return ans, "choice", opts
    options = None
    if kind in _LABEL_FREE:
        options = {"captions": False, "single_query": True}
    try:
        ans = parse(row["text"], duration=row.get("duration"), prompt=row.get("prompt"),
                    options=options)
    except Exception:  # an older release without these options
        ans = parse(row["text"], duration=row.get("duration"), prompt=row.get("prompt"))
    return ans, "lenient", None


def judge(ans, expect: dict, options: list[str] | None = None) -> str | None:
    """Why an *accounted* parsed answer ``ans`` misses ``expect`` (None when it matches).

    ``events``: same number of windows, each within :data:`TOL` (labels not compared unless
    the truth gives one: then the parsed label must contain it, ignoring case); ``absent``;
    ``failure`` (any reason; the reason is compared by :func:`reason_matches`); ``value``.
    """
    outcome = expect.get("outcome")
    if outcome == "events":
        want = expect.get("events") or []
        got = [(e.onset, e.offset, e.label) for e in ans.events]
        if ans.failed or len(got) != len(want):
            return f"want {want}, got {got} failed={ans.failed} notes={ans.notes}"
        for w, g in zip(want, got):
            if abs(w[0] - g[0]) > TOL or abs(w[1] - g[1]) > TOL:
                return f"want {want}, got {got} notes={ans.notes}"
        return None
    if outcome == "absent":
        return None if ans.absent and not ans.events else f"want absent, got {ans}"
    if outcome in ("failure", "failed"):
        return None if ans.failed else f"want failure, got events={ans.events} {ans.notes}"
    if outcome == "value":
        want = expect.get("value")
        got = ans.value
        if options and isinstance(want, str):
            if len(want) == 1 and "A" <= want <= "H" and ord(want) - 65 < len(options):
                want = options[ord(want) - 65]
            elif want.lower() in ("yes", "no") and isinstance(got, str):
                truth = {"true": "yes", "yes": "yes", "false": "no", "no": "no"}
                got = truth.get(got.lower(), got)
        if isinstance(got, bool) and isinstance(want, str):
            got = "yes" if got else "no"
        if isinstance(want, (int, float)) and isinstance(got, (int, float)):
            return None if abs(float(got) - float(want)) <= TOL else f"want {want}, got {got}"
        return None if str(got).lower() == str(want).lower() else f"want {want}, got {got}"
    return f"unknown expected outcome {outcome!r}"


def reason_matches(ans, expect: dict) -> bool:
    want = expect.get("reason")
    return not want or want == "other" or ans.reason == want
