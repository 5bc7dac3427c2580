"""Named vocabularies: ``desed`` (10 classes), ``mini`` (8) and ``audioset`` (ontology names).

``audioset`` is every ontology class that is neither ``abstract`` nor ``blacklist``-ed (543
names).  The AudioSet-Strong evaluation label set (about 456 classes) is a subset of it; the
exact list is not bundled, so this is its stand-in (``docs/LABELS.md``).
"""

from __future__ import annotations

from .ontology import load_ontology
from .tables import TABLES

__all__ = ["VOCABULARIES", "vocabulary"]

VOCABULARIES = ("desed", "mini", "audioset")


def vocabulary(name: str) -> tuple[str, ...]:
    """The class names of a named vocabulary."""
    if name in TABLES:
        return tuple(TABLES[name])
    if name == "audioset":
        onto = load_ontology()
        return tuple(n.name for n in onto.nodes.values()
                     if not {"abstract", "blacklist"} & set(n.restrictions))
    raise KeyError(f"unknown vocabulary {name!r}; known: {VOCABULARIES}")
