"""Audio-side time prompts (TimePro-RL style): token vocabulary, interleaving, embedding initialisation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from model_adapters.time_prompts import TimePromptError, TimePromptSpec


# -- pure layout (no torch) ---------------------------------------------------------------------------
def test_default_vocabulary_is_timepro_rl():
    # 0-30 s at 0.04 s: 30 / 0.04 = 750 tokens, <0.04> ... <30.00> (paper digest)
    vocab = TimePromptSpec().vocabulary()
    assert len(vocab) == 750
    assert vocab[:3] == ["<0.04>", "<0.08>", "<0.12>"] and vocab[-1] == "<30.00>"
    assert len(set(vocab)) == 750
    start = TimePromptSpec(label="start").vocabulary()
    assert start[0] == "<0.00>" and start[-1] == "<29.96>" and len(start) == 750


def test_interleaving_one_token_before_every_frame():
    spec = TimePromptSpec()
    # 5 frames: T F T F T F T F T F -> timestamps at 0,2,4,6,8 and frames at 1,3,5,7,9
    assert spec.positions(5) == ([0, 2, 4, 6, 8], [1, 3, 5, 7, 9])
    assert spec.expand(3, "<A>") == "<0.04><A><0.08><A><0.12><A>"
    assert spec.groups(0) == []


def test_interleaving_with_a_coarser_step():
    spec = TimePromptSpec(step=0.08)
    # 5 frames in groups of 2: [T F F][T F F][T F] -> the last group is shorter
    assert spec.groups(5) == [("<0.08>", 2), ("<0.16>", 2), ("<0.24>", 1)]
    assert spec.positions(5) == ([0, 3, 6], [1, 2, 4, 5, 7])
    assert TimePromptSpec(step=1.0).groups(60) == [("<1.00>", 25), ("<2.00>", 25), ("<3.00>", 10)]
    assert TimePromptSpec(step=1.0, label="start").expand(26, "A") == "<0.00>" + "A" * 25 + "<1.00>A"


def test_invalid_specs_and_overflow():
    with pytest.raises(TimePromptError, match="whole number"):
        TimePromptSpec(step=0.05)
    with pytest.raises(TimePromptError):
        TimePromptSpec(label="middle")
    spec = TimePromptSpec(max_seconds=1.0)          # 25 tokens
    assert len(spec.groups(25)) == 25
    with pytest.raises(TimePromptError, match="covers 1 s"):
        spec.groups(26)


# -- installation on a tiny model --------------------------------------------------------------------
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent / "helpers"))
import tiny_lalm  # noqa: E402

from model_adapters.time_prompts import install_time_tokens  # noqa: E402


@pytest.fixture()
def tiny():
    return tiny_lalm.tiny_qwen2_audio(seed=3)


def test_install_adds_tokens_and_initialises_with_mean_of_subwords(tiny):
    model, processor = tiny
    tok = processor.tokenizer
    before = model.get_input_embeddings().weight.detach().clone()
    n_before = len(tok)
    # the sub-word split of each number, taken before any timestamp token exists
    pieces = {s: tok(s, add_special_tokens=False)["input_ids"] for s in ("0.04", "1.00", "30.00")}
    assert all(len(p) >= 2 for p in pieces.values())
    spec = TimePromptSpec()
    ids = install_time_tokens(model, tok, spec)
    assert len(ids) == 750 and len(tok) == n_before + 750
    assert sorted(ids.values()) == list(range(n_before, n_before + 750))
    weight = model.get_input_embeddings().weight.detach()
    assert weight.shape[0] >= n_before + 750                            # resized
    assert torch.equal(weight[:before.shape[0]], before)                # old rows untouched
    for number, subwords in pieces.items():
        expected = before[subwords].mean(dim=0)                         # mean of the number's sub-words
        assert torch.allclose(weight[ids[f"<{number}>"]], expected, atol=1e-6)
    # the tokenizer keeps a timestamp token whole
    assert tok("<1.00>", add_special_tokens=False)["input_ids"] == [ids["<1.00>"]]


def test_install_keeps_a_checkpoints_rows_unless_asked(tiny):
    model, processor = tiny
    tok = processor.tokenizer
    spec = TimePromptSpec()
    ids = install_time_tokens(model, tok, spec)
    with torch.no_grad():                                               # "fine-tuned" row
        model.get_input_embeddings().weight[ids["<0.04>"]] = 7.0
    again = install_time_tokens(model, tok, spec)                       # init="auto": kept
    assert again == ids
    assert bool((model.get_input_embeddings().weight[ids["<0.04>"]] == 7.0).all())
    install_time_tokens(model, tok, spec, init="mean")                  # re-initialised
    assert not bool((model.get_input_embeddings().weight[ids["<0.04>"]] == 7.0).all())


def test_partial_vocabulary_is_an_error(tiny):
    model, processor = tiny
    processor.tokenizer.add_tokens(["<0.04>", "<0.08>"], special_tokens=True)
    with pytest.raises(TimePromptError, match="2 of the 750"):
        install_time_tokens(model, processor.tokenizer, TimePromptSpec())
