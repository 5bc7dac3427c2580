"""TimeAudio's temporal marker tokens (``added_time_token: "v3"``) and their text conversions.

The released model adds 20 plain (non-special) tokens to Vicuna's vocabulary, in this order
(``TimeAudio.from_config``): ``<a_0>`` ... ``<a_9>`` ("anchors": the digits of the integer seconds)
then ``<f_0>`` ... ``<f_9>`` ("offsets": the tenth of a second).  With ``[PAD]`` added first, their
ids are 32001-32020 and the vocabulary has 32021 entries.

* :func:`format_answer_v3` mirrors ``instruct_dataset.py::format_answer_v3``: every
  ``"start - end"`` pair of decimal numbers becomes marker text, each number rounded to one
  decimal with Python's ``round`` (ties follow the binary value: ``round(12.25, 1) == 12.2``),
  e.g. ``12.47 -> <a_1><a_2><f_5>`` and ``3 -> <a_3><f_0>``; numbers outside a pair are left alone.
* :func:`decode_time_answer_v3` mirrors ``models/utils.py::decode_time_answer_v3``: each run of
  marker tokens (spaces allowed between them, as the slow LLaMA tokenizer decodes added tokens
  with spaces) becomes one number with one decimal, then ``" - "`` and ``", "`` spacing is
  normalised, e.g. ``"<a_3> <f_2> - <a_1> <a_0> <f_5>" -> "3.2 - 10.5"``.

Both are re-implemented here from the released behaviour (no torch needed).
"""

from __future__ import annotations

import re

__all__ = [
    "ANCHOR_TOKENS",
    "MARKER_TOKENS",
    "OFFSET_TOKENS",
    "decode_time_answer_v3",
    "format_answer_v3",
    "has_markers",
    "markers_to_seconds",
    "seconds_to_markers",
]

ANCHOR_TOKENS: tuple[str, ...] = tuple(f"<a_{d}>" for d in range(10))
OFFSET_TOKENS: tuple[str, ...] = tuple(f"<f_{d}>" for d in range(10))
#: In the order the release adds them to the tokenizer (ids 32001..32020 after ``[PAD]`` = 32000).
MARKER_TOKENS: tuple[str, ...] = ANCHOR_TOKENS + OFFSET_TOKENS

_PAIR = re.compile(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)")
_MARKER = r"<(?:a|f)_\d+>"
_MARKER_RUN = re.compile(rf"({_MARKER}(?:\s*{_MARKER})*)")
_ANCHOR_DIGITS = re.compile(r"<a_(\d+)>")
_OFFSET_DIGITS = re.compile(r"<f_(\d+)>")
_HYPHEN = re.compile(r"\s+-\s+")
_COMMA = re.compile(r"\s+,\s*")


def seconds_to_markers(value: str | float) -> str:
    """One number -> marker text: ``12.47 -> "<a_1><a_2><f_5>"``, ``3 -> "<a_3><f_0>"``.

    The number is rounded to one decimal and written with ``str`` (as the release does); a
    string that is not a number is returned unchanged.
    """
    try:
        text = str(round(float(value), 1))
    except (TypeError, ValueError):
        return str(value)
    integer, _, fraction = text.partition(".")
    out = "".join(f"<a_{d}>" for d in integer)
    if fraction:
        out += "".join(f"<f_{d}>" for d in fraction)
    return out


def markers_to_seconds(run: str) -> float:
    """A run of marker tokens -> seconds: anchors give the integer digits, offsets the fraction.

    A run with no anchor reads as ``0.x``; one with no offset as ``x.0`` (the release's rule).
    """
    integer = "".join(_ANCHOR_DIGITS.findall(run)) or "0"
    fraction = "".join(_OFFSET_DIGITS.findall(run)) or "0"
    return float(f"{integer}.{fraction}")


def format_answer_v3(text: str) -> str:
    """Rewrite every ``"a - b"`` pair of numbers in ``text`` as marker tokens (training targets)."""
    return _PAIR.sub(lambda m: f"{seconds_to_markers(m.group(1))} - {seconds_to_markers(m.group(2))}", text)


def decode_time_answer_v3(text: str) -> str:
    """Replace each run of marker tokens in ``text`` by its number with one decimal (``"3.2"``)."""
    out = _MARKER_RUN.sub(lambda m: f"{markers_to_seconds(m.group(0)):.1f}", text)
    out = _HYPHEN.sub(" - ", out)
    return _COMMA.sub(", ", out)


def has_markers(text: str) -> bool:
    """Whether ``text`` holds at least one marker token."""
    return re.search(_MARKER, text) is not None
