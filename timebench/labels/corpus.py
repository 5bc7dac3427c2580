"""Reading the label-mapping corpus (``tests/corpus/labels``): paraphrases and distractors.

``<vocab>.tsv`` rows are ``label(s) <TAB> text <TAB> source``; ``A|B`` lists labels that are
all correct (AudioSet names a sound at several ontology levels).  ``distractors.tsv`` rows are
``vocab <TAB> text <TAB> source`` and name no class of ``vocab``.  Lines starting with ``#``
are comments.  Row ``k`` (0-based, comments not counted) is *held out* when ``k % 3 == 2``: the
rules were written looking only at the other rows, and the benchmark reports both parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CorpusItem", "read_corpus", "read_distractors"]


@dataclass(frozen=True)
class CorpusItem:
    vocab: str
    labels: tuple[str, ...]   # accepted classes (empty for a distractor)
    text: str
    source: str
    held_out: bool


def _rows(path: Path):
    k = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not all(c.strip() for c in cells):
            raise ValueError(f"{path}:{number}: expected 3 tab-separated cells")
        yield k, cells
        k += 1


def read_corpus(folder: str | Path, vocab: str) -> list[CorpusItem]:
    path = Path(folder) / f"{vocab}.tsv"
    return [CorpusItem(vocab, tuple(c[0].split("|")), c[1], c[2], k % 3 == 2)
            for k, c in _rows(path)]


def read_distractors(folder: str | Path) -> list[CorpusItem]:
    path = Path(folder) / "distractors.tsv"
    return [CorpusItem(c[0], (), c[1], c[2], k % 3 == 2) for k, c in _rows(path)]
