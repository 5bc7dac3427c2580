"""Regenerate the ``mini`` benchmark's speech clips (``assets/speech``).  Maintainers only.

The FLAC files and ``index.json`` are checked in, so users and CI never run this.  It needs the
command-line tools ``espeak-ng`` (speech synthesis) and ``sox`` (resampling and silence
trimming)::

    python -m timebench.datasets.mini.make_speech_assets          # rewrite assets/speech
    python -m timebench.datasets.mini.make_speech_assets --check  # only report what would change

For each utterance of :data:`timebench.datasets.mini.data.TOPICS`:

1. ``espeak-ng -v <voice> -s 160 -w raw.wav "<text>"`` (22.05 kHz mono);
2. ``sox raw.wav -r 16000 -c 1 -b 16 trimmed.wav silence 1 0.02 0.5% reverse silence 1 0.02
   0.5% reverse`` (16 kHz, leading and trailing silence removed);
3. zero-pad the end to a whole number of 10 ms (160 samples), so every utterance lasts an exact
   number of centiseconds, scale the peak to -3 dBFS, write 16-bit FLAC.

``index.json`` lists each clip's name, topic, text, voice and exact length in samples.  The
generator reads only this index (never the audio), so the references do not depend on how the
audio was made.  Even-numbered topics use the voice ``en-us``, odd ones ``en-gb+f2``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .data import SAMPLE_RATE, TOPICS

ASSET_DIR = Path(__file__).resolve().parent / "assets" / "speech"
VOICES = ("en-us", "en-gb+f2")
PEAK = 10 ** (-3 / 20)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()}")


def synthesize(text: str, voice: str, workdir: Path) -> np.ndarray:
    """Return 16 kHz int16 samples of ``text`` (trimmed, padded to a multiple of 160)."""
    import soundfile as sf

    raw, trimmed = workdir / "raw.wav", workdir / "trimmed.wav"
    _run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(raw), text])
    _run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(trimmed),
          "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"])
    data, sr = sf.read(str(trimmed), dtype="float64")
    if sr != SAMPLE_RATE or data.ndim != 1 or data.size == 0:
        raise RuntimeError(f"unexpected sox output: sr={sr}, shape={data.shape}")
    step = SAMPLE_RATE // 100
    pad = (-data.size) % step
    data = np.concatenate([data, np.zeros(pad)])
    data *= PEAK / max(np.max(np.abs(data)), 1e-9)
    return np.round(data * 32767).astype(np.int16)


def build(out_dir: Path) -> dict:
    import soundfile as sf

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed; it is needed to regenerate the assets")
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for t_index, topic in enumerate(TOPICS):
            voice = VOICES[t_index % len(VOICES)]
            for u_index, text in enumerate(topic.utterances):
                name = f"{topic.key}_{u_index}"
                samples = synthesize(text, voice, Path(tmp))
                sf.write(str(out_dir / f"{name}.flac"), samples, SAMPLE_RATE, subtype="PCM_16",
                         format="FLAC")
                entries.append({"name": name, "topic": topic.key, "index": u_index,
                                "text": text, "voice": voice, "samples": int(samples.size)})
    index = {"sample_rate": SAMPLE_RATE, "utterances": entries}
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ASSET_DIR)
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and compare lengths with the index")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            new = build(Path(tmp))
        old = json.loads((ASSET_DIR / "index.json").read_text(encoding="utf-8"))
        same = old == new
        print("assets are up to date" if same else "assets differ from a fresh build")
        return 0 if same else 1
    index = build(args.out)
    total = sum(e["samples"] for e in index["utterances"]) / SAMPLE_RATE
    size = sum(f.stat().st_size for f in args.out.glob("*.flac"))
    print(f"wrote {len(index['utterances'])} clips, {total:.1f} s, {size / 1e6:.2f} MB "
          f"to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
