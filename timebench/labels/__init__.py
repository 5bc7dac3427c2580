"""Open-vocabulary labels: map what a model says onto a task's classes (``docs/LABELS.md``).

Modules, one job each:

* :mod:`.text`     words, inflection-folded stems, clauses with head/context parts;
* :mod:`.ontology` the bundled AudioSet ontology (``data/ontology.json``, CC BY-SA 4.0);
* :mod:`.tables`   class tables (DESED, mini) and cue phrases per ontology node;
* :mod:`.vocab`    named vocabularies (``desed``, ``mini``, ``audioset``);
* :mod:`.mapper`   :class:`LabelMapper`: the matching, ranking and tie/none rules;
* :mod:`.apply`    settings (card ``label_map``, CLI), mapping parsed answers, the report;
* :mod:`.corpus`   reading the paraphrase corpus used by the tests and the benchmark.

Usage::

    from timebench.labels import LabelMapper
    LabelMapper(["Dog", "Speech"]).map("a man talking")   # -> LabelMatch(label="Speech", ...)

Pure standard library; deterministic; no downloads.
"""

from .mapper import PROTOCOLS, LabelMapper, LabelMatch, get_mapper

__all__ = ["LabelMapper", "LabelMatch", "get_mapper", "PROTOCOLS"]
