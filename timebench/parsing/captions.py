"""Captions attached to intervals, and mapping captions onto a class vocabulary.

**Attachment** (:func:`attach_captions`).  The text outside the interval matches is cut into
*gaps*: ``g0`` before the first interval, ``g_i`` between interval ``i`` and ``i+1``, ``g_n``
after the last.  A gap is split at hard separators (``.``/``!``/``?`` followed by a space or
the end, ``;``, ``|``, a newline).  Then

* ``trail_i`` = the first piece of the gap after interval ``i`` (text that follows it),
* ``lead_i``  = the last piece of the gap before interval ``i`` (text that precedes it); when
  it holds ``:``, its last ``:``-separated part that has words (``Events: dog 1-2`` ->
  ``dog``; ``Dog: 1-2`` -> ``Dog``);
  a gap with no hard separator is both ``trail_i`` and ``lead_{i+1}``;
* a leading piece before the first interval that is a preamble (``Here are the events:``,
  ``Sure!``, ``The timestamps are``, or more than six words ending with ``:``) is not a
  caption.

The answer's *style* is decided once: *caption before* when more intervals have a leading
caption than a trailing one, else *caption after* (ties go to *after*, the FTAR/TimeAudio
format).  In *after* style an interval takes its trailing caption, and an interval with no
caption of its own takes the caption of the next interval when nothing but connectors
(``,``/``and``) separates them; *before* style mirrors this (an interval inherits the previous
caption).  So::

    7.90 - 8.32, 8.71 - 8.81, brief impact sounds. 0.00 - 10.00, a truck.
      -> "brief impact sounds", "brief impact sounds", "a truck"
    A dog barks from 1.0 to 2.0 s; a car horn from 3 to 4 s
      -> "A dog barks", "a car horn"

**Cleaning** (:func:`clean_caption`) strips brackets, quotes, list markers, trailing
punctuation, leading connectors (``and``, ``then``, ``followed by``, ``meanwhile``...), leading
field names (``Event:``, ``label:``), trailing connector/verb words (``from``, ``at``, ``is
heard``, ``occurs``...) and clip references (``of the clip``, ``in the audio``).  The case is
kept.  A caption with no letter left is ``None``.

**Vocabulary mapping** (:func:`map_label`), when the task gives ``labels`` (SED classes):
exact match ignoring case -> the same after folding ``_``/``-`` to spaces and plurals to
singular (``dogs`` ~ ``Dog``, ``alarm bell ringing`` ~ ``Alarm_bell_ringing``) -> the vocabulary
label whose folded words occur in the caption as a whole-word run (longest label first, then
earliest in the caption; ``A dog barks loudly`` -> ``Dog``) -> otherwise the caption is kept and a
note says it matched no label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .intervals import Candidate, short

__all__ = ["attach_captions", "clean_caption", "map_label", "fold_words", "vocab_words"]

_HARD_SEP = re.compile(r"[.!?]+(?=\s|$)|[;|\n\u3002]+")
_LETTER = re.compile(r"[^\W\d_]")
_EDGE_PUNCT = " \t\n,;:.!?-–—~*#>•·\"'`()[]{}/\\\u3001\u3002"
_LIST_MARKER = re.compile(r"^(?:\d{1,2}[.)]|[a-z][.)]|[-*•·#>]+)\s", re.IGNORECASE)
_FIELD_NAME = re.compile(
    r"^(?:event|events|sound|sounds|caption|label|description|class|summary|speech|segment|"
    r"interval|result|answer)(?: ?\d{1,3})?\s?[:=]\s?", re.IGNORECASE)
_CLIP_REF = re.compile(
    r"^(?:(?:of|in|into|within|throughout) (?:the |this )?"
    r"(?:audio|clip|recording|sound file|file|track|sample)s?)\b", re.IGNORECASE)
_LEADING_WORDS = frozenset("""
and then also while next finally meanwhile plus with after afterwards later again subsequently
followed by first firstly second secondly third lastly additionally moreover furthermore there
is are was were yes yeah yep no nope sure okay ok certainly indeed
""".split())
_TRAILING_WORDS = frozenset("""
and from between at during in on for within is are was were be been occurs occur occurring
occurred happens happen happening appears appear appearing starts start starting begins begin
starting heard audible can could present seconds second secs sec s timestamp
timestamps approximately around about roughly again also roughly the a an of to it which that
""".split())
_PREAMBLE = re.compile(
    r"\b(?:here|following|answer|answers|result|results|timestamps?|intervals?|output|sure|"
    r"okay|ok|certainly|below|detected events|sound events|events are|events detected)\b",
    re.IGNORECASE)


def clean_caption(text: str | None) -> str | None:
    """Strip connectors and punctuation around a caption (rules in the module docstring)."""
    if not text:
        return None
    s = text.strip(_EDGE_PUNCT)
    for _ in range(4):
        before = s
        s = _LIST_MARKER.sub("", s).strip(_EDGE_PUNCT)
        s = _FIELD_NAME.sub("", s).strip(_EDGE_PUNCT)
        s = _CLIP_REF.sub("", s).strip(_EDGE_PUNCT)
        words = s.split(" ")
        while words and words[0].lower().strip(_EDGE_PUNCT) in _LEADING_WORDS:
            words.pop(0)
        while words and words[-1].lower().strip(_EDGE_PUNCT) in _TRAILING_WORDS:
            words.pop()
        s = " ".join(words).strip(_EDGE_PUNCT)
        if s == before:
            break
    if not _LETTER.search(s):
        return None
    return s


def _pieces(gap: str) -> list[str]:
    return _HARD_SEP.split(gap)


def _lead(piece: str, *, first: bool) -> str | None:
    """Leading caption: the last ``:``-separated part with words in it (``Events: dog 1-2``
    -> ``dog``; ``Dog: 1-2`` -> ``Dog``); a preamble before the first interval is none."""
    parts = piece.split(":") if ":" in piece else [piece]
    for k in range(len(parts) - 1, -1, -1):
        cap = clean_caption(parts[k])
        if cap is None:
            continue
        if first and (_PREAMBLE.search(parts[k])
                      or (k < len(parts) - 1 and len(cap.split()) > 6)):
            return None
        return cap
    return None


def attach_captions(text: str, cands: Sequence[Candidate]) -> None:
    """Set ``label`` on text candidates (in place) from the text around them."""
    n = len(cands)
    if n == 0:
        return
    gaps = [text[:cands[0].start]]
    gaps += [text[cands[i].end:cands[i + 1].start] for i in range(n - 1)]
    gaps.append(text[cands[-1].end:])
    pieces = [_pieces(g) for g in gaps]
    hard = [len(p) > 1 for p in pieces]  # gap i holds a hard separator
    lead = [_lead(pieces[i][-1], first=i == 0) for i in range(n)]  # gap i precedes interval i
    trail = [clean_caption(pieces[i + 1][0]) for i in range(n)]  # gap i+1 follows interval i
    n_lead = sum(x is not None for x in lead)
    n_trail = sum(x is not None for x in trail)
    labels: list[str | None] = [None] * n
    if n_lead > n_trail:
        for i in range(n):
            if lead[i] is not None:
                labels[i] = lead[i]
            elif i > 0 and not hard[i]:
                labels[i] = labels[i - 1]
    else:
        for i in range(n - 1, -1, -1):
            if trail[i] is not None:
                labels[i] = trail[i]
            elif i < n - 1 and not hard[i + 1]:
                labels[i] = labels[i + 1]
    for c, lab in zip(cands, labels, strict=False):
        if not c.fixed_label:
            c.label = lab


# --------------------------------------------------------------------- vocabulary mapping ----
_WORD = re.compile(r"[^\W_]+")


def _singular(w: str) -> str:
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "sses", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def fold_words(text: str) -> tuple[str, ...]:
    """Lower-case words with ``_``/``-`` as spaces and plurals folded to singular."""
    return tuple(_singular(w) for w in _WORD.findall(text.lower().replace("_", " ")))


@lru_cache(maxsize=256)
def _folded_vocab(labels: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((lab, fold_words(lab)) for lab in labels)


def vocab_words(labels: Sequence[str] | None) -> frozenset[str]:
    """Every lower-case word (and its singular) of the label vocabulary."""
    if not labels:
        return frozenset()
    out: set[str] = set()
    for lab in labels:
        for w in _WORD.findall(str(lab).lower().replace("_", " ")):
            out.add(w)
            out.add(_singular(w))
    return frozenset(out)


def map_label(caption: str | None, labels: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Map a caption onto the vocabulary; return (label, note or None)."""
    if caption is None:
        return None, None
    low = caption.strip().lower()
    for lab in labels:
        if lab.lower() == low:
            return lab, None
    words = fold_words(caption)
    vocab = _folded_vocab(labels)
    for lab, fw in vocab:
        if fw and fw == words:
            return lab, f"label '{short(caption)}' -> '{lab}' (variant)"
    best: tuple[int, int, int, str] | None = None
    for order, (lab, fw) in enumerate(vocab):
        k = len(fw)
        if k == 0 or k > len(words):
            continue
        for pos in range(len(words) - k + 1):
            if words[pos:pos + k] == fw:
                key = (-sum(len(w) for w in fw), pos, order, lab)
                if best is None or key < best:
                    best = key
                break
    if best is not None:
        return best[3], f"label '{short(caption)}' -> '{best[3]}' (contained)"
    return caption, f"label '{short(caption)}' matched no vocabulary label (kept)"
