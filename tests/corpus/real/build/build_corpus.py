"""Rebuild the real-output corpus files from local snapshots of the source repositories.

Not part of the test suite and not needed to use the corpus: the committed *.jsonl files are
the corpus. This script documents exactly how each file was cut from its source (which file,
which field, dedupe, the deterministic sample) so that the selection can be audited or redone.

Usage (needs the snapshots that the corpus helper fetched, see SOURCES.md):
    python tests/corpus/real/build/build_corpus.py
Hand-checked truths live in truths.jsonl (keyed by source + sha1 of the text) and are merged in.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
BUILD = Path(__file__).resolve().parent
MIRRORS = Path("/work/.mirror")


def git_show(repo: str, path: str, rev: str = "HEAD") -> str:
    gitdir = MIRRORS / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "--git-dir", str(gitdir), "show", f"{rev}:{path}"],
                          check=True, capture_output=True, text=True).stdout


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def sample(rows: list[dict], cap: int | None) -> list[dict]:
    """Dedupe identical texts (first occurrence kept), then keep `cap` rows chosen by the
    sha1 order of their text (a stable pseudo-random sample), in source order."""
    seen: set[str] = set()
    uniq = []
    for r in rows:
        if not isinstance(r["text"], str) or r["text"] in seen:
            continue
        seen.add(r["text"])
        uniq.append(r)
    if cap is None or len(uniq) <= cap:
        return uniq
    keep = {text_key(r["text"]) for r in sorted(uniq, key=lambda r: text_key(r["text"]))[:cap]}
    return [r for r in uniq if text_key(r["text"]) in keep]


# ---------------------------------------------------------------- Hasnat79/uag (no licence)
UAG = "Hasnat79/uag"
UAG_CAP = 350
UAG_SMALL_CAP = 50

UAG_FILES = [
    # key, file, text field, system, dataset, cap
    ("uag-videochat2-oops", "results/videochat2_pred_uag_oops_dataset_v1.json", "videochat2_pred",
     "VideoChat2", "oops", UAG_CAP),
    ("uag-videochatgpt-oops", "results/video_chatgpt_pred_uag_oops_dataset_v1.json", "video_chatgpt_pred",
     "Video-ChatGPT (7B)", "oops", UAG_CAP),
    ("uag-videollama2-oops", "results/video_llama2_pred_uag_oops_dataset_v1.json", "video_llama2_pred",
     "Video-LLaMA (DAMO-NLP-SG, audio-visual eval config; 'video_llama2' in the repo)", "oops", UAG_CAP),
    ("uag-videollama-ft-oops", "results/finetuned_videollama_pred_x_uag_oops_dataset_v1.json",
     "video_llama2_pred", "Video-LLaMA (DAMO-NLP-SG) fine-tuned on UAG-OOPS instructions", "oops", UAG_CAP),
    ("uag-llama3-blip2-oops", "results/llama3_pred_x_blip2_text_rep_x_uag_oops_dataset_v1.json",
     "llama3_pred", "Llama-3-8B-Instruct over BLIP-2 per-second frame captions", "oops", UAG_CAP),
    ("uag-videochatgpt-ssbd", "results/video_chatgpt_pred_ssbd_dataset.json", "video_chatgpt_pred",
     "Video-ChatGPT (7B)", "ssbd", UAG_SMALL_CAP),
    ("uag-videollama2-ssbd", "results/video_llama2_pred_ssbd_dataset.json", "video_llama2_pred",
     "Video-LLaMA (DAMO-NLP-SG, audio-visual eval config; 'video_llama2' in the repo)", "ssbd", UAG_SMALL_CAP),
    ("uag-llama3-vl2-ssbd", "results/llama3_pred_x_videollama2_text_rep_x_ssbd_dataset.json", "llama3_pred",
     "Llama-3-8B-Instruct over Video-LLaMA clip descriptions", "ssbd", UAG_SMALL_CAP),
    ("uag-llama3-blip2-ssbd", "results/llama3_pred_x_blip2_text_rep_x_ssbd_dataset.json", "llama3_pred",
     "Llama-3-8B-Instruct over BLIP-2 per-second frame captions", "ssbd", UAG_SMALL_CAP),
    ("uag-videochatgpt-funqa", "results/video_chatgpt_pred_x_funqa_dataset.json", "video_chatgpt_pred",
     "Video-ChatGPT (7B)", "funqa", UAG_SMALL_CAP),
    ("uag-videollama-funqa", "results/videollama_pred_x_funqa_dataset.json", "videollama_pred",
     "Video-LLaMA (DAMO-NLP-SG)", "funqa", UAG_SMALL_CAP),
]


def uag_rows(key, path, field, system, dataset, repo=UAG):
    data = json.loads(git_show(repo, path))
    items = list(data.values()) if isinstance(data, dict) else data
    rows = []
    for it in items:
        if dataset == "oops":
            query = it.get("description")
            prompt = it.get("query") or None
        elif dataset == "ssbd":
            b = it.get("behaviour") or it.get("behavior") or {}
            query = f"A person is {b.get('category')} with {b.get('intensity')} intensity." if b else None
            prompt = it.get("query") or None
        else:  # funqa
            query = it.get("instruction")
            prompt = it.get("instruction")
        rows.append({"source": key, "system": system, "task": "tag", "prompt": prompt,
                     "query": query, "duration": None, "text": it.get(field)})
    return rows


# Hasnat79/UAL_Bench (the published UAL-Bench version of the same project; no licence stated):
# only the FunQA runs of the two VLM+LLM pipelines, which Hasnat79/uag does not hold.
UAL = "Hasnat79/UAL_Bench"
UAL_FILES = [
    ("ual-llama3-blip2-funqa", "outputs/vlm_llm_prediction_generations/blip2_llama3_funqa.json", "llama3_pred",
     "Llama-3-8B-Instruct over BLIP-2 per-second frame captions", "funqa", UAG_SMALL_CAP),
    ("ual-llama3-vl2-funqa", "outputs/vlm_llm_prediction_generations/videollama2_llama3_funqa.json", "llama3_pred",
     "Llama-3-8B-Instruct over Video-LLaMA clip descriptions", "funqa", UAG_SMALL_CAP),
]


def build_uag():
    out = {}
    for key, path, field, system, dataset, cap in UAG_FILES:
        out[key] = sample(uag_rows(key, path, field, system, dataset), cap)
    for key, path, field, system, dataset, cap in UAL_FILES:
        out[key] = sample(uag_rows(key, path, field, system, dataset, repo=UAL), cap)
    return out


# ------------------------------------------------- younissk/TACoBeLAL (no licence stated)
TACO = "younissk/TACoBeLAL"
TACO_SYSTEMS = {"qwen2-audio-7b-instruct": ("tacobelal-qwen2audio", "Qwen2-Audio-7B-Instruct"),
                "audio-flamingo-3": ("tacobelal-af3", "Audio Flamingo 3")}


def build_tacobelal():
    """Raw multiple-choice answers of two audio LLMs to the temporal 'trivial suite' (order, count,
    gap, duration, loudness, pitch pattern) and the event-presence check. Most answers are a bare
    option letter, so identical (task, text) pairs are kept once per system: the set is small and
    only covers the distinct answer shapes."""
    listing = subprocess.run(["git", "--git-dir", str(MIRRORS / TACO.replace("/", "+") / "repo"),
                              "ls-tree", "-r", "--name-only", "HEAD", "results/"],
                             check=True, capture_output=True, text=True).stdout.split()
    out: dict[str, list[dict]] = {}
    seen: set[tuple[str, str, str]] = set()
    for path in sorted(p for p in listing if p.endswith("/raw_model_outputs.jsonl")):
        family, system_dir = path.split("/")[1], path.split("/")[3]
        if system_dir not in TACO_SYSTEMS:
            continue
        key, system = TACO_SYSTEMS[system_dir]
        for line in git_show(TACO, path).splitlines():
            rec = json.loads(line)
            text = rec["pred"]
            if (key, family, text) in seen:
                continue
            seen.add((key, family, text))
            out.setdefault(key, []).append({
                "source": key, "system": system, "task": "tqa",
                "prompt": rec["question"], "query": family, "duration": None, "text": text})
    return out


BUILDERS = [build_uag, build_tacobelal]

# ------------------------------------------------------------------------ held-out set -----
# Answers the parser was never developed on: for each UAG/UAL file, the `n` distinct answers
# that come right after the corpus sample in the same sha1 order (ranks cap+1 .. cap+n), minus
# any text that is already in the corpus.  Their truths (build/heldout_truths.jsonl) were
# written by readers who had not run the parser on them; bench_parser.py reports the exact
# rate on them separately.
HELDOUT_DIR = HERE / "heldout"
HELDOUT_N = {"oops": 36, "ssbd": 16, "funqa": 16}


def heldout_sample(rows: list[dict], cap: int, n: int, exclude: set[str]) -> list[dict]:
    """The distinct answers ranked cap+1 .. cap+n by the sha1 of their text (the ranks the
    corpus sample stops before), skipping texts in ``exclude``, in source order."""
    uniq = sample(rows, None)
    ranked = sorted(uniq, key=lambda r: text_key(r["text"]))[cap:]
    keep = {text_key(r["text"]) for r in [r for r in ranked if r["text"] not in exclude][:n]}
    return [r for r in uniq if text_key(r["text"]) in keep]


def build_heldout(corpus_texts: set[str]):
    out = {}
    for files, repo in ((UAG_FILES, UAG), (UAL_FILES, UAL)):
        for key, path, field, system, dataset, cap in files:
            rows = uag_rows(key, path, field, system, dataset, repo=repo)
            out[key] = heldout_sample(rows, cap, HELDOUT_N[dataset], corpus_texts)
    return out


def load_truths(name: str = "truths.jsonl") -> dict[tuple[str, str], dict]:
    truths = {}
    p = BUILD / name
    if p.exists():
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line)
                truths[(t["source"], t["key"])] = t
    return truths


def main(argv: list[str]) -> int:
    truths = load_truths()
    truths.update(load_truths("heldout_truths.jsonl"))
    used = set()
    # (folder, id prefix, source key, rows)
    built = [(HERE, "", key, rows) for build in BUILDERS for key, rows in build().items()]
    corpus_texts = {r["text"] for *_, rows in built for r in rows}
    HELDOUT_DIR.mkdir(exist_ok=True)
    built += [(HELDOUT_DIR, "heldout/", key, rows)
              for key, rows in build_heldout(corpus_texts).items()]
    for folder, prefix, key, rows in built:
        with open(folder / f"{key}.jsonl", "w", encoding="utf-8") as fh:
            for n, r in enumerate(rows, 1):
                rec = {"id": f"{prefix}{key}/{n}", **r}
                t = truths.get((key, text_key(r["text"])))
                if t:
                    used.add((key, t["key"]))
                    rec["expect"] = t["expect"]
                    if t.get("note"):
                        rec["note"] = t["note"]
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"{prefix}{key}: {len(rows)}")
    missing = set(truths) - used
    if missing:
        print(f"truths not matched: {sorted(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
