"""Prompt-echo removal: the answer must not be scored on the prompt's own example.

TimeChat's ``extract_time`` meant to delete the prompt's example sentence ("a specific example
is : 20.8 - 30.0 seconds") from the answer but discarded the result of ``str.replace``, so
models that echo the example were scored on it.  Here, when the pipeline is given the
``prompt``:

1. **example phrases** are found in the prompt: a cue (``for example``, ``for instance``,
   ``e.g.``, ``such as``, ``example:``, ``an example is``, ``a specific example is``,
   ``sample answer``) followed by text up to the end of its sentence; the intervals inside it
   are the *example intervals*;
2. an **echoed prompt** (the whole prompt, at least 20 characters, repeated in the answer) is
   removed (note ``removed echoed prompt``);
3. each **echoed example phrase** (the cue and its example, compared ignoring case, quotes and
   spacing) is removed (note ``removed prompt echo '<phrase>'``);
4. any other answer clause introduced by an example cue whose intervals are all example
   intervals is removed (note ``removed prompt echo '<clause>'``);
5. after extraction, :func:`timebench.parsing.postprocess.drop_prompt_examples` drops left-over
   intervals equal to an example interval *when other intervals remain*; when the example
   interval is the only answer it is kept and noted (the model may really mean it).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .context import ParseContext
from .intervals import TokenIntervals, short
from .normalise import clean_text

__all__ = ["remove_prompt_echo", "prompt_examples", "find_intervals"]

_CUE = (r"(?:for example|for instance|e\.g\.|e\.g|such as|example:|an example is|"
        r"a specific example is|sample answer|example answer)")
_CUE_WORDS = ("example", "instance", "e.g", "such as", "sample answer")
_EXAMPLE = re.compile(_CUE + r"[ :,]{0,3}(.{1,200}?)(?=[.!?](?:\s|$)|\n|$)", re.IGNORECASE)
_PIECE = re.compile(r"\w+(?:\.\w+)*|[^\w\s\"'`]")
_TOKENS = TokenIntervals()


def find_intervals(text: str) -> list[tuple[float, float]]:
    """Intervals of ``text`` by the lenient text rules (for comparing with the prompt)."""
    ctx = ParseContext(raw=text, text=text, duration=None, prompt=None, labels=None, opts={})
    return [(c.onset, c.offset) for c in _TOKENS.extract(text, ctx) if not c.relative]


def _flexible(phrase: str) -> re.Pattern | None:
    pieces = _PIECE.findall(phrase)
    if not pieces:
        return None
    return re.compile(r"[\s\"'`]{0,3}".join(re.escape(p) for p in pieces), re.IGNORECASE)


@lru_cache(maxsize=512)
def prompt_examples(prompt: str) -> tuple[str, tuple[tuple[str, re.Pattern], ...],
                                           tuple[tuple[float, float], ...]]:
    """(normalised prompt, (phrase, pattern) of its example phrases, its example intervals)."""
    text, _ = clean_text(prompt)
    patterns: list[tuple[str, re.Pattern]] = []
    intervals: list[tuple[float, float]] = []
    low = text.lower()
    if not any(k in low for k in _CUE_WORDS):          # no example cue: nothing to find
        return text, (), ()
    for m in _EXAMPLE.finditer(text):
        found = find_intervals(m.group(1))
        if not found:
            continue
        intervals.extend(found)
        pat = _flexible(m.group(0))
        if pat is not None:
            patterns.append((m.group(0).strip(), pat))
    return text, tuple(patterns), tuple(intervals)


@lru_cache(maxsize=512)
def _prompt_echo_facts(prompt: str) -> tuple[str, str, tuple[tuple[str, re.Pattern], ...],
                                            tuple[tuple[float, float], ...]]:
    """(normalised prompt, its lower case, patterns, example intervals) of ``prompt``: what
    :func:`remove_prompt_echo` reads per answer, computed once per prompt."""
    text, patterns, examples = prompt_examples(prompt)
    return text, text.lower(), patterns, examples


_SPACES = re.compile(r" {2,}")


def remove_prompt_echo(ctx: ParseContext) -> None:
    """Remove echoes of ``ctx.prompt`` from ``ctx.text`` (rules in the module docstring)."""
    if not ctx.prompt:
        return
    prompt_text, prompt_low, patterns, examples = _prompt_echo_facts(ctx.prompt)
    ctx.example_intervals = examples
    text = ctx.text
    if len(prompt_text) >= 20 and len(text) >= len(prompt_text):
        low = text.lower()
        idx = low.find(prompt_low)
        if idx >= 0 and len(low) == len(text):
            text = (text[:idx] + " " + text[idx + len(prompt_text):]).strip()
            ctx.note("removed echoed prompt")
    for phrase, pat in patterns:
        new, n = pat.subn(" ", text)
        if n:
            ctx.note(f"removed prompt echo '{short(phrase)}'")
            text = new
    if examples:
        def drop(m: re.Match) -> str:
            found = find_intervals(m.group(1))
            if found and all(any(abs(a - x) < 1e-9 and abs(b - y) < 1e-9 for x, y in examples)
                             for a, b in found):
                ctx.note(f"removed prompt echo '{short(m.group(0).strip())}'")
                return " "
            return m.group(0)

        text = _EXAMPLE.sub(drop, text)
    ctx.text = _collapse_spaces(text).strip()


def _collapse_spaces(text: str) -> str:
    """``re.sub(r" {2,}", " ", text)``, without the search when it cannot change anything."""
    return _SPACES.sub(" ", text) if "  " in text else text
