"""Seeded fuzz campaigns: parsers, ``score``, loaders (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 90


def fuzz_campaigns(A: Attacks, n: int) -> None:
    from timebench.datasets import load_dataset
    from timebench.errors import InputError
    from timebench.parsing import PIPELINES, parse

    rng = random.Random(7)
    texts = [r["text"] for r in corpus_records() if "text" in r]

    def parsers():
        cases = bad = 0
        for _ in range(n * 10):
            pieces = [rng.choice(texts) if rng.random() < 0.5 else rng.choice(NASTY)
                      for _ in range(rng.randint(1, 6))]
            text = "".join(pieces)
            dur = rng.choice([None, 30.0, 0.5, float("nan"), 1e9])
            for name in PIPELINES.names():
                cases += 1
                try:
                    ans = parse(text, pipeline=name, duration=dur,
                                labels=("A", "B") if name in ("choice", "mcq") else None)
                    limit = dur if dur is not None and math.isfinite(dur) else math.inf
                    if any(not (0 <= e.onset <= e.offset <= limit) for e in ans.events):
                        bad += 1
                except Exception:  # noqa: BLE001
                    bad += 1
        return f"{cases} parses ({len(PIPELINES.names())} pipelines): {bad} exception(s) or " \
               f"invalid event(s)", bad == 0
    A.run("fuzz (seed 7)", "parsers: corpus fragments spliced with hostile characters",
          "never raises; events finite, 0 <= onset <= offset <= duration", parsers)

    def score():
        d = A.work / "fuzz_score"
        refs = write(d / "refs.jsonl", "".join(json.dumps(r) + "\n" for r in REFS))
        values = [None, True, 5, -1, 1e308, 10**400, float("nan"), "x", [], {}, [1, 2], [5, 2],
                  [[0, 1e400]], "c1#q0", "\u202e", "a\nb"]
        counts = {0: 0, 2: 0, "other": 0}
        for i in range(n):
            recs = []
            for _ in range(rng.randint(0, 4)):
                rec = {"id": rng.choice(["c1#q0", "c2#q0", "c1#q0", rng.choice(values)]),
                       rng.choice(["text", "events", "present", "answer"]):
                       rng.choice(texts + values + [[[1, 2]], [{"onset": 1, "offset": 3}]])}
                if rng.random() < 0.2:
                    del rec["id"]
                recs.append(rec)
            raw = "\n".join(json.dumps(r, allow_nan=True, default=str) for r in recs).encode()
            if rng.random() < 0.3 and raw:
                j = rng.randrange(len(raw))
                raw = raw[:j] + bytes([rng.randrange(256)]) + raw[j + 1:]
            if rng.random() < 0.2:
                raw = b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
            preds = write(d / f"p{i}.jsonl", raw)
            out = d / "m.json"
            out.unlink(missing_ok=True)
            try:
                rc, _, err = cli("score", "--task", "tag", "--references", refs,
                                 "--predictions", preds, "-o", out, "-q")
            except BaseException:  # noqa: BLE001
                counts["other"] += 1
                continue
            if rc == 0:
                m = json.loads(out.read_text())["metrics"]
                ok = all(v is None or 0 <= v <= 1 for v in m.values())
            else:
                ok = rc == 2 and len(err.strip().splitlines()) == 1 and str(preds) in err
            counts[rc if ok and rc in (0, 2) else "other"] += 1
        return f"{n} files: {counts[0]} exit 0 (metrics in [0, 1]), {counts[2]} exit 2 " \
               f"(one line naming the file), {counts['other']} other", counts["other"] == 0
    A.run("fuzz (seed 7)", "`timebench score` on mutated prediction files",
          "exit 0 with metrics in [0, 1], or exit 2 naming the file", score)

    def loaders():
        formats = {"spotsound": ("spotsound", "spotsound_bench.json", {}),
                   "lighthouse": ("lighthouse", "tut2017_test_release.jsonl", {}),
                   "jsonl": ("jsonl", "refs.jsonl", {}),
                   "ftar": ("ftar", "ftar_sample.json", {"strip_prefix": "/data/WavCaps/"}),
                   "audiogrounding": ("audiogrounding", "test.json", {})}
        hostile = ["../../etc/passwd", "/etc/passwd", float("nan"), 10**400, -1, None, "", [],
                   {}, [[5, 2]], [[0, 1e400]], "a" * 300, "\x00", True, "1.0 - 0.5"]
        counts = {"loaded": 0, "InputError": 0, "other": 0}
        for i in range(n):
            fmt = rng.choice(sorted(formats))
            sub, name, opts = formats[fmt]
            dst = A.work / "fuzz_loaders" / str(i)
            shutil.copytree(FIXTURES / sub, dst)
            path = dst / name
            text = path.read_text()
            as_list = text.lstrip().startswith("[")
            recs = json.loads(text) if as_list else [json.loads(x) for x in text.splitlines() if x]
            rec = rng.choice(recs)
            rec[rng.choice(sorted(rec))] = rng.choice(hostile)
            body = "\n".join(json.dumps(r, allow_nan=True) for r in recs)
            path.write_text("[\n" + body.replace("\n", ",\n") + "\n]" if as_list else body)
            try:
                load_dataset(fmt, path, **opts)
                counts["loaded"] += 1
            except InputError as e:
                counts["InputError" if e.path == str(path) and e.line else "other"] += 1
            except Exception:  # noqa: BLE001
                counts["other"] += 1
        return f"{n} manifests: {counts['loaded']} loaded, {counts['InputError']} InputError " \
               f"with file and line, {counts['other']} other", counts["other"] == 0
    A.run("fuzz (seed 7)", "loaders: one field of a fixture row set to a hostile value",
          "loads, or InputError naming file and line", loaders)



def attacks(A: Attacks) -> None:
    fuzz_campaigns(A, A.fuzz)
