"""Fast case-insensitive word-pattern search (pure ``re``).

Python's ``re`` scans slowly under ``IGNORECASE`` or when a pattern starts with ``\\b``: it
cannot skip ahead to the possible first characters (about 5x slower on answer-sized text).
:class:`Fast` keeps a case-insensitive pattern whose top-level alternatives each start with
``\\b``, compiles it case-sensitively without those leading ``\\b``, searches the
ASCII-lowered text (:func:`lower_ascii`: same length and offsets) and accepts a match only where
the ``\\b`` would hold.  The matches (positions and groups) are the original pattern's; the
equivalence is property-tested against the original on arbitrary text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["Fast", "lower_ascii", "spaced", "top_level_alternatives"]

_ASCII_LOWER = {i: i + 32 for i in range(65, 91)}


_LAST_LOW: tuple[str | None, str | None] = (None, None)    # (text, lowered) of the last call


def lower_ascii(text: str) -> str:
    """``text`` with A-Z lowered and every other character kept (same length and offsets).
    The last result is kept: the extractors and the presence patterns lower the same text
    object several times per answer."""
    global _LAST_LOW
    last, low = _LAST_LOW
    if text is last:
        return low
    low = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
    _LAST_LOW = (text, low)
    return low


#: byte table: every character that is not an ASCII word character (``[a-zA-Z0-9_]``) -> a
#: space (bytes.translate is the fastest way to do it)
_NON_WORD_SPACE = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == 0x5F) else 0x20
                        for c in range(256))


def spaced(low: str) -> bytes:
    """ASCII ``low`` as bytes with every non-word character a space (same offsets): a word
    start is where a space is followed by a letter, which ``re`` finds fast with a pattern
    that opens with the literal space."""
    return low.encode("ascii").translate(_NON_WORD_SPACE)


def top_level_alternatives(source: str) -> list[str]:
    """The top-level alternatives of a regex source (``"|".join`` of them is ``source``)."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    in_class = False
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            cur.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            if source.startswith(("[]", "[^]"), i):
                raise ValueError("a class opening with ']' is not supported")
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class Fast:
    """``pattern`` (case-insensitive, ASCII words) searched fast; see the module docstring.

    ``no_boundary``: prefixes of alternatives that have no leading ``\\b`` in the original
    (``n't``), accepted anywhere.
    """

    def __init__(self, pattern: re.Pattern, no_boundary: tuple[str, ...] = (),
                 needles: tuple[str, ...] = (),
                 parts: tuple[tuple[str, ...], ...] = (), first_words: str = ""):
        #: lower-case literals of which every match holds at least one (empty: no pre-check);
        #: a text holding none of them cannot match and is not searched (property-tested)
        self.needles = needles
        src = pattern.pattern.replace(r"(?:\bnot|\bnever|\bcannot|n't)",
                                      "(?:not|never|cannot|n't)")
        self.pattern = re.compile(re.sub(r"(^|\|)\\b", r"\1", src))
        self.original = pattern
        self.no_boundary = no_boundary + (("n't",) if "n't" in src else ())
        #: ``parts``: needles per top-level alternative.  Then :meth:`search` searches each
        #: run of alternatives with the same needles on its own, only where a needle is in
        #: the text, and keeps the leftmost match (at equal starts the earlier alternative,
        #: as the whole pattern would): a few short scans instead of the whole alternation
        #: ``first_words``: an alternation of lower-case words one of which every match
        #: starts with.  Then :meth:`finditer` on ASCII text tries the pattern only where
        #: such a word starts a word (found by a literal-space scan of :func:`spaced`)
        self.first_words = (re.compile(b" (?:" + first_words.encode("ascii") + b")")
                            if first_words and not self.no_boundary else None)
        self.parts: tuple[tuple[Fast, tuple[str, ...]], ...] = ()
        if parts:
            alts = top_level_alternatives(pattern.pattern)
            if len(alts) != len(parts):
                raise ValueError(f"{len(parts)} needle sets for {len(alts)} alternatives")
            runs: list[tuple[list[str], tuple[str, ...]]] = []
            for alt, alt_needles in zip(alts, parts):
                if not alt_needles:
                    raise ValueError(f"alternative {alt!r} has no needles")
                if runs and runs[-1][1] == alt_needles:
                    runs[-1][0].append(alt)
                else:
                    runs.append(([alt], alt_needles))
            self.parts = tuple((Fast(re.compile("|".join(a), pattern.flags), no_boundary), n)
                               for a, n in runs)

    def could_match(self, low: str) -> bool:
        """False when the lowered text holds none of :attr:`needles` (then nothing matches)."""
        for needle in self.needles:
            if needle in low:
                return True
        return not self.needles

    def _ok(self, low: str, i: int, left: int) -> bool:
        return (i == left or not _word(low[i - 1]) or not _word(low[i])
                or low.startswith(self.no_boundary, i))

    def search(self, text: str, pos: int = 0, endpos: int | None = None, *,
               low: str | None = None) -> re.Match | None:
        """The first match in ``text[pos:endpos]`` (``low``: its ``lower_ascii``, if known)."""
        low = lower_ascii(text) if low is None else low
        if self.parts:
            best = None
            for part, needles in self.parts:
                for needle in needles:
                    if needle in low:
                        break
                else:
                    continue
                m = part.search(text, pos, endpos, low=low)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            return best
        if self.needles and not self.could_match(low):
            return None
        end = len(low) if endpos is None else endpos
        i = pos
        while True:
            m = self.pattern.search(low, i, end)
            if m is None or self._ok(low, m.start(), pos):
                return m
            i = m.start() + 1

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None, *,
                 low: str | None = None) -> Iterator[re.Match]:
        """Every match in ``text[pos:endpos]``, left to right, not overlapping."""
        low = lower_ascii(text) if low is None else low
        if self.needles and not self.could_match(low):
            return
        end = len(low) if endpos is None else endpos
        if self.first_words is not None and low.isascii():
            yield from self._at_first_words(low, pos, end)
            return
        i = pos
        while i <= end:
            m = self.search(text, i, end, low=low) if i == pos else self._next(low, i, end, pos)
            if m is None:
                return
            yield m
            i = m.end() if m.end() > m.start() else m.start() + 1

    def _at_first_words(self, low: str, pos: int, end: int) -> Iterator[re.Match]:
        """:meth:`finditer` for ASCII text: a match starts at ``pos`` or after a non-word
        character (the boundary) with one of :attr:`first_words`; try the pattern there."""
        match = self.pattern.match
        nxt = pos
        m = match(low, pos, end)
        if m is not None:
            yield m
            nxt = m.end() if m.end() > m.start() else m.start() + 1
        for hit in self.first_words.finditer(spaced(low), pos, end):
            i = hit.start() + 1
            if i < nxt:
                continue
            m = match(low, i, end)
            if m is not None:
                yield m
                nxt = m.end() if m.end() > m.start() else m.start() + 1

    def _next(self, low: str, i: int, end: int, left: int) -> re.Match | None:
        while True:
            m = self.pattern.search(low, i, end)
            if m is None or self._ok(low, m.start(), left):
                return m
            i = m.start() + 1
