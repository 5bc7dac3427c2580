"""Prompt snapshots: the exact text each transformers adapter gives its model, per task kind.

For a fixed request per task kind (the prompt rendered from the shipped task card, a fixed clip
length) the full model input is rendered with the audio placeholders written as ``{<tok> xN}``
and compared with ``tests/snapshots/<adapter>.txt``.  The snapshots were reviewed against the
papers / model cards (docs/MODELS.md); any change to a chat template, a placeholder count, the
audio placement or a task card's prompt fails here.  After a deliberate change, regenerate with::

    TIMEBENCH_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_adapter_prompts.py

and review the diff.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
sys.path.insert(0, str(Path(__file__).parent / "helpers"))
import tiny_lalm  # noqa: E402

from model_adapters.audio_flamingo import AudioFlamingo3Adapter, SpotSoundAdapter  # noqa: E402
from model_adapters.base import Request  # noqa: E402
from model_adapters.qwen_audio import Qwen2AudioAdapter  # noqa: E402
from model_adapters.qwen_omni import QwenOmniAdapter  # noqa: E402
from model_adapters.salmonn import SalmonnAdapter  # noqa: E402
from timebench.tasks import get_task  # noqa: E402
from timebench.types import Reference  # noqa: E402

SNAPSHOTS = Path(__file__).parent / "snapshots"
SR = 16000

#: one fixed request per task kind: (kind, task card, reference, class vocabulary)
CASES = [
    ("grounding", "tag", Reference(id="s", duration=2.5, query="a dog barks"), None),
    ("presence", "spotsound", Reference(id="s", duration=2.5, query="glass breaking"), None),
    ("detection", "sed", Reference(id="s", duration=2.5), ("dog", "speech", "alarm")),
    ("captioning", "dac", Reference(id="s", duration=2.5), None),
    ("summary", "tss", Reference(id="s", duration=2.5), None),
    ("qa", "tqa", Reference(id="s", duration=2.5, question="How many times does the dog bark?"), None),
]

def _salmonn(model, extractor):
    return SalmonnAdapter.from_components(model, feature_extractor=extractor)


#: snapshot name -> (builder, clip seconds, what it shows)
ADAPTERS = {
    "qwen2_audio": (lambda: Qwen2AudioAdapter.from_components(*tiny_lalm.tiny_qwen2_audio()), 2.5,
                    "qwen2-audio (instruct template)"),
    "qwen2_audio_time_prompt": (lambda: Qwen2AudioAdapter.from_components(*tiny_lalm.tiny_qwen2_audio(),
                                                                          time_prompt=True), 0.5,
                                "qwen2-audio:time_prompt=true (TimePro-RL, 0.04-s step)"),
    "qwen2_5_omni": (lambda: QwenOmniAdapter.from_components(*tiny_lalm.tiny_qwen_omni(chunk_length=30)), 2.5,
                     "qwen2.5-omni (thinker)"),
    "qwen2_5_omni_time_prompt": (lambda: QwenOmniAdapter.from_components(*tiny_lalm.tiny_qwen_omni(chunk_length=30),
                                                                         time_prompt=True), 0.5,
                                 "qwen2.5-omni:time_prompt=true (TimePro-RL, 0.04-s step)"),
    "audio_flamingo_3": (lambda: AudioFlamingo3Adapter.from_components(*tiny_lalm.tiny_audio_flamingo3()), 2.5,
                         "audio-flamingo-3"),
    "spotsound": (lambda: SpotSoundAdapter.from_components(*tiny_lalm.tiny_audio_flamingo3(), lora="none"), 2.5,
                  "spotsound (AF3 + timestamp-interleaved input; the LoRA does not change the input)"),
    "salmonn": (lambda: _salmonn(*tiny_lalm.tiny_salmonn()), 2.5, "salmonn"),
}


def render_snapshot(name: str) -> str:
    build, seconds, title = ADAPTERS[name]
    adapter = build()
    wav = (np.random.default_rng(0).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)
    lines = [f"# prompt snapshot: {title}; a {seconds:.2f}-s clip; placeholders written as {{<tok> xN}}",
             "# regenerate: TIMEBENCH_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_adapter_prompts.py"]
    for kind, task_name, ref, labels in CASES:
        task = get_task(task_name)
        assert task.kind == kind
        prompt = task.render_prompt(ref, labels=labels)
        request = Request(id="s", prompt=prompt, task=task_name, kind=kind, waveform=wav, sample_rate=SR,
                          duration=seconds)
        lines.append(f"=== {kind} (task card {task_name}, prompt '{task.prompt}') ===")
        lines.append(adapter.render_inputs([request])[0])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_prompt_snapshot(name):
    path = SNAPSHOTS / f"{name}.txt"
    got = render_snapshot(name)
    if os.environ.get("TIMEBENCH_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; create it with TIMEBENCH_UPDATE_SNAPSHOTS=1 and review it"
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "rendered now"))
        pytest.fail(f"model input changed for {name}:\n{diff[:6000]}")
