"""The label mapper: free text -> one class of a task's vocabulary, or an explicit none.

Protocols (``docs/LABELS.md``):

``exact``
    A label maps when it equals a class after folding case, ``_``/``-`` and inflection
    (``dogs`` ~ ``Dog``, ``alarm bell ringing`` ~ ``Alarm_bell_ringing``); nothing else maps.

``ontology`` (the default)
    1. the ``exact`` rule;
    2. every *reading* of the text is collected: an ontology node (or a class's own words, or a
       cue phrase) reads the text when all the stems of one of its phrases occur in one clause
       of the text (order free; see :mod:`.text` for stems, clauses, head and context);
    3. readings are ranked by, in order: a matched word is not generic (``sound``, ``noise``);
       all matched words are in the clause's *head* part; the number of matched words; a
       matched word is not a verb form (``blender running``: Blender, not Run); the ``-ing``
       forms agree (``crows``: Crow, not Crowing); the words match as written rather than
       through the synonym table (``faucet``: Water tap, not the knock ``Tap``); the phrase is
       a task class's own name (the vocabulary's ``chirp`` over the bird's ``Chirp, tweet``);
       the phrase is
       a node's first display name rather than a later synonym or a cue (``Dog`` over
       ``Canidae, dogs, wolves``); the reading starts earlier in the clause (the subject:
       ``a dog howls`` is the dog).  A head part that names no source (only verb forms and
       generic words: ``tapping on a typewriter``) does not outrank the rest of its clause.
       Only the best rank of each clause counts, plus any
       ontology descendant of a best reading matched as strongly in the first two keys
       (``a cat purring``: Purr, under Cat);
    4. a node reads as the task class whose ontology subtree holds it (a ``Male speech``
       reading counts for a ``Speech`` class; a node under two classes, such as ``Growling``
       under ``Dog`` and ``Cat``, is ambiguous), a node under no class reads as *outside*;
    5. **tie/none rule**: a clause maps to a class when all its best readings give that one
       class (when they give a class and its ontology descendant class, the descendant);
       readings that disagree (two classes, or a class and an outside node) make the clause
       ambiguous, except that an outside reading which is an ontology ancestor of a class
       reading (``Canidae, dogs, wolves`` above ``Dog``) is the same reading, less specific.
       The text maps when the clauses that map name exactly one class and no clause is
       ambiguous with another reading; two classes (``a dog barks and a man speaks``) make it
       ambiguous; clauses that read only outside nodes are ignored (``a dog barks as a car
       passes`` is ``Dog``); no class at all leaves it unmapped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from .ontology import Ontology, aliases, load_ontology
from .tables import CUES, IGNORED_SUBTREES, TABLES, ClassSpec
from .text import Clause, clauses, is_ing, raw_stem, stem, stems, words

__all__ = ["LabelMatch", "LabelMapper", "PROTOCOLS", "get_mapper"]

PROTOCOLS = ("ontology", "exact")


@dataclass(frozen=True)
class LabelMatch:
    """Outcome of mapping one text: ``label`` is a class or ``None``.

    ``status``: ``exact`` (a class name up to case/inflection), ``mapped`` (by the ontology
    rules), ``ambiguous`` (readings disagree; ``candidates`` names them) or ``unmapped``
    (no class named; ``via`` names an outside ontology node when one was read).
    """

    text: str
    label: str | None
    status: str
    via: str | None = None
    candidates: tuple[str, ...] = ()

    @property
    def mapped(self) -> bool:
        return self.label is not None


@dataclass(frozen=True, eq=False)
class _Reading:
    stems: frozenset[str]
    phrase: str
    node: str | None          # ontology id, or None for a class's own words
    classes: frozenset[str]   # task classes it reads as (empty: outside)
    primary: bool             # a node's first display name (or a class's own name)
    stems_ing: dict           # stem -> whether the phrase's word ended in -ing
    raw: frozenset[str]       # raw stems (before synonyms) of the phrase's words


def _fold(label: str) -> tuple[str, ...]:
    return stems(label)


class LabelMapper:
    """Maps free text onto ``labels`` under ``protocol``; results are cached per string."""

    def __init__(self, labels: Sequence[str], *, protocol: str = "ontology",
                 ontology: Ontology | None = None):
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown label-map protocol {protocol!r}; known: {PROTOCOLS}")
        self.labels = tuple(dict.fromkeys(str(x) for x in labels))
        self.protocol = protocol
        self._cache: dict[str, LabelMatch] = {}
        self._exact: dict[tuple[str, ...], str] = {}
        for lab in self.labels:
            self._exact.setdefault(_fold(lab), lab)
        self._readings: list[_Reading] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        self.roots: dict[str, frozenset[str]] = {}
        if protocol == "ontology":
            self._onto = ontology or load_ontology()
            self._build()

    # ------------------------------------------------------------------ vocabulary ----
    def _class_roots(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """class -> (root node ids, excluded node ids)."""
        onto = self._onto
        table: dict[str, ClassSpec] = {}
        for tab in TABLES.values():
            if all(lab in tab for lab in self.labels):
                table = tab
                break
        by_alias: dict[tuple[str, ...], str] = {}
        for node in onto.nodes.values():
            for a in (node.name, *aliases(node.name)):
                by_alias.setdefault(_fold(a), node.id)
        out = {}
        for lab in self.labels:
            if lab in table:
                spec = table[lab]
                roots = frozenset(onto.find(n) for n in spec.roots)
                excl = set()
                for n in spec.exclude:
                    i = onto.find(n)
                    excl |= {i} | onto.descendants(i)
                out[lab] = (roots, frozenset(excl))
            elif lab in onto.nodes:
                out[lab] = (frozenset({lab}), frozenset())
            elif lab.lower() in onto.by_name:
                out[lab] = (frozenset({onto.by_name[lab.lower()]}), frozenset())
            elif _fold(lab) in by_alias:
                out[lab] = (frozenset({by_alias[_fold(lab)]}), frozenset())
            else:
                out[lab] = (frozenset(), frozenset())
        return out

    def _build(self) -> None:
        onto = self._onto
        spec = self._class_roots()
        self.roots = {lab: r for lab, (r, _) in spec.items()}
        # node -> nearest classes: walk each class's subtree, stopping at other classes' roots
        root_of = defaultdict(set)
        for lab, (roots, _) in spec.items():
            for r in roots:
                root_of[r].add(lab)
        node_classes: dict[str, set[str]] = defaultdict(set)
        for lab, (roots, excl) in spec.items():
            stack = list(roots)
            seen = set()
            while stack:
                n = stack.pop()
                if n in seen or n in excl or n not in onto.nodes:
                    continue
                seen.add(n)
                if n in root_of and lab not in root_of[n]:
                    continue  # another class owns this subtree
                node_classes[n].add(lab)
                stack.extend(onto.nodes[n].child_ids)
        ignored = set()
        for name in IGNORED_SUBTREES:
            i = onto.find(name)
            ignored |= {i} | onto.descendants(i)
        cues: dict[str, tuple[str, ...]] = {onto.find(k): v for k, v in CUES.items()}
        for node in onto.nodes.values():
            classes = frozenset(node_classes.get(node.id, ()))
            if node.id in ignored and not classes:
                continue
            names = aliases(node.name)
            for j, phrase in enumerate((*names, *cues.get(node.id, ()))):
                self._add(phrase, node.id, classes, primary=j == 0)
        for lab, (roots, _) in spec.items():
            # a class's own name, unless it is the display name of its one node (read above)
            only = next(iter(roots)) if len(roots) == 1 else None
            if only is None or lab not in (only, onto.nodes[only].name):
                self._add(lab, None, frozenset({lab}), primary=True)

    def _add(self, phrase: str, node: str | None, classes: frozenset[str], *,
             primary: bool) -> None:
        st = frozenset(stems(phrase))
        if not st:
            return
        ing = {stem(w): is_ing(w) for w in words(phrase)}
        k = len(self._readings)
        raw = frozenset(raw_stem(w) for w in words(phrase))
        self._readings.append(_Reading(st, phrase, node, classes, primary, ing, raw))
        for s in st:
            self._index[s].append(k)

    # --------------------------------------------------------------------- mapping ----
    def map(self, text: str | None) -> LabelMatch:
        """Map one text (a predicted label or caption); see the module docstring."""
        if text is None:
            return LabelMatch("", None, "unmapped")
        text = str(text)
        hit = self._cache.get(text)
        if hit is None:
            hit = self._map(text)
            if len(self._cache) < 100_000:
                self._cache[text] = hit
        return hit

    def _map(self, text: str) -> LabelMatch:
        if text in self.labels:
            return LabelMatch(text, text, "exact")
        folded = _fold(text)
        if folded and folded in self._exact:
            return LabelMatch(text, self._exact[folded], "exact")
        if self.protocol == "exact":
            return LabelMatch(text, None, "unmapped")
        named: dict[str, str] = {}
        outside: str | None = None
        ambiguous: set[str] = set()
        ambiguous_sets: list[set[str]] = []
        for clause in clauses(text):
            result = self._clause(clause)
            if result is None:
                continue
            kind, value, via = result
            if kind == "class":
                named.setdefault(value, via)
            elif kind == "ambiguous":
                ambiguous |= set(value)
                ambiguous_sets.append(set(value))
            elif outside is None:
                outside = via
        if len(named) == 1 and all(set(named) <= amb for amb in ambiguous_sets):
            (lab, via), = named.items()
            return LabelMatch(text, lab, "mapped", via)
        if len(named) > 1:
            return LabelMatch(text, None, "ambiguous", None, tuple(sorted(named)))
        if ambiguous:
            ambiguous |= set(named)
            return LabelMatch(text, None, "ambiguous", None, tuple(sorted(ambiguous)))
        return LabelMatch(text, None, "unmapped", outside)

    def _clause(self, clause: Clause):
        present = clause.stem_set
        # a head naming no source (only verb forms / generic words: ``tapping on a typewriter``)
        # does not outrank the rest of the clause
        sourceless = not any(w.head and not w.verb_form and not w.generic for w in clause.words)
        seen: set[int] = set()
        found: list[tuple[tuple, _Reading]] = []
        for w in clause.words:
            for k in self._index.get(w.stem, ()):
                if k in seen:
                    continue
                seen.add(k)
                r = self._readings[k]
                if not r.stems <= present:
                    continue
                used = [x for x in clause.words if x.stem in r.stems]
                rank = (any(not x.generic for x in used),
                        sourceless or all(x.head for x in used),
                        len(r.stems), any(not x.verb_form for x in used),
                        all(x.ing == (r.stems_ing.get(x.stem, x.ing)) for x in used),
                        all(x.raw in r.raw for x in used), r.node is None, r.primary,
                        -min(x.position for x in used))
                found.append((rank, r))
        if not found:
            return None
        best_rank = max(rank for rank, _ in found)
        best = [r for rank, r in found if rank == best_rank]
        # an ontology descendant read with the same strength is the more specific reading
        # (``a cat purring``: Purr under Cat; ``a power tool sanding``: Sanding)
        nodes = {r.node for r in best if r.node}
        for rank, r in found:
            if rank[:2] == best_rank[:2] and r.node and r not in best and \
                    nodes & self._onto.ancestors(r.node):
                best.append(r)
        classes: set[str] = set()
        inside = [r for r in best if r.classes]
        if inside:  # an outside reading that is an ancestor of an inside one is the same thing
            below = set()
            for r in inside:
                below |= {r.node} if r.node else set().union(
                    *(self.roots.get(c, frozenset()) for c in r.classes))
            above = set().union(*(self._onto.ancestors(n) for n in below)) if below else set()
            best = inside + [r for r in best if not r.classes and r.node not in above]
        outside = [r for r in best if not r.classes]
        for r in best:
            classes |= r.classes
        if len(classes) > 1:
            classes = self._most_specific(classes)
        via = self._onto.nodes[best[0].node].name if best[0].node else best[0].phrase
        if not classes:
            return ("outside", None, via)
        if outside or len(classes) > 1:
            names = set(classes) | {self._onto.nodes[r.node].name for r in outside if r.node}
            return ("ambiguous", tuple(sorted(names)), None)
        lab = next(iter(classes))
        via = next((self._onto.nodes[r.node].name if r.node else r.phrase)
                   for r in best if lab in r.classes)
        return ("class", lab, via)

    def _most_specific(self, classes: set[str]) -> set[str]:
        """Drop a class whose roots are all ontology ancestors of another class's roots."""
        keep = set(classes)
        for a in classes:
            for b in classes:
                if a == b or not self.roots.get(a) or not self.roots.get(b):
                    continue
                anc_b = set().union(*(self._onto.ancestors(r) for r in self.roots[b]))
                if self.roots[a] <= anc_b:
                    keep.discard(a)
        return keep or classes


_MAPPERS: dict[tuple[tuple[str, ...], str], LabelMapper] = {}


def get_mapper(labels: Sequence[str], protocol: str = "ontology") -> LabelMapper:
    """A shared mapper per (vocabulary, protocol): built once, its cache kept."""
    key = (tuple(labels), protocol)
    m = _MAPPERS.get(key)
    if m is None:
        if len(_MAPPERS) > 64:
            _MAPPERS.clear()
        m = _MAPPERS[key] = LabelMapper(labels, protocol=protocol)
    return m
