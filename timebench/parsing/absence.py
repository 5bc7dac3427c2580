"""Presence and absence statements: "not present", "No.", "Yes." and their relatives.

:func:`detect_presence` answers ``("absent", cue)``, ``("affirmed", cue)`` or ``None`` for a
normalised answer text, trying in this order:

1. the first word: ``no``/``nope``/``none``/``nothing``/``negative``/``false`` -> absent;
   ``yes``/``yeah``/``yep``/``yup``/``affirmative``/``correct``/``true``/``indeed`` -> affirmed
   (``No, it barks from 1 to 2 s`` still gives the interval: the interval pipelines use this
   only when no interval was found);
2. an absence phrase anywhere -> absent:
   ``there is no``/``there are no``/``there isn't``, a negation (``not``, ``never``,
   ``cannot``, ``-n't``) followed within two words by a presence word (``present``,
   ``heard``, ``audible``, ``detected``, ``found``, ``occur…``, ``appear…``, ``exist…``,
   ``contain…``, ``happen…``, ``hear``, ``include…``, ``there``, ``in the audio``...)
   (``does not occur``, ``doesn't appear``, ``cannot be heard``, ``is not present``),
   ``absent``/``absence``, ``no such``/``no sign of``/``no trace``/``no evidence``/
   ``no occurrence``, ``no <up to 3 words> is heard/present/detected``, ``none``,
   ``nowhere``, ``inaudible``;
3. a presence phrase -> affirmed: ``is/are present|audible|heard|detected``, ``occurs``,
   ``appears``, ``happens``, ``can be heard``, ``is heard``.

:func:`detect_presence_strict` accepts only the canonical one-word answers ``Yes``/``No``/
``None`` (any case, optional final punctuation), the existence answers SpotSound trains on.
"""

from __future__ import annotations

import re

from .fastre import Fast as _Fast

__all__ = ["detect_presence", "detect_presence_strict", "detect_refusal", "leading_absence"]

_START_NO = re.compile(
    r"^[\W_]{0,8}(?:no|nope|none|nothing|negative|false)\b(?![- ](?:doubt|problem|wait|idea|clue))",
    re.IGNORECASE)
_START_YES = re.compile(
    r"^[\W_]{0,8}(?:yes|yeah|yep|yup|affirmative|correct|true|indeed)\b", re.IGNORECASE)
_PRESENCE_WORD = (
    r"(?:present|heard|audible|detect(?:ed|able)?|found|occurr?\w*|appear\w*|exist\w*|"
    r"contain\w*|happen\w*|hear|include\w*|identif\w*|notic\w*|there|show\w*|depict\w*|"
    r"in (?:the|this) (?:audio|clip|recording|sound))"
)
_ABSENT = re.compile(
    r"\bthere(?: is|'s| are| was| were) (?:no|not any|none|nothing)\b(?! doubt)"
    r"|\bthere (?:isn't|aren't|wasn't|weren't)\b"
    rf"|(?:\bnot|\bnever|\bcannot|n't) (?:\w+ ){{0,2}}?{_PRESENCE_WORD}\b"
    r"|\babsen(?:t|ce)\b"
    r"|\bno (?:such|signs?|traces?|evidence|instances?|occurrences?|indication)\b"
    r"|\bno (?:\w+ ){1,3}(?:is|are|was|were|can be|could be) "
    r"(?:heard|present|detected|audible|found)\b"
    r"|\bnone\b|\bnowhere\b|\binaudible\b",
    re.IGNORECASE,
)
#: every _ABSENT match holds one of these ("cannot" holds "not")
_ABSENT_NEEDLES = ("there", "not", "no ", "none", "nowhere", "never", "n't", "absen",
                   "inaudible")
#: the needles of each alternative of _ABSENT, in order (searched one run at a time)
_ABSENT_PARTS = (("there",), ("there",), ("not", "never", "n't"), ("absen",), ("no ",),
                 ("no ",), *(("none", "nowhere", "inaudible"),) * 3)
_ABSENT = _Fast(_ABSENT, needles=_ABSENT_NEEDLES, parts=_ABSENT_PARTS)
_AFFIRM = re.compile(
    r"\b(?:is|are|was|were) (?:clearly |indeed |definitely |also )?"
    r"(?:present|audible|heard|detected)\b"
    r"|\b(?:occurs|appears|happens|can be heard|is heard|does occur)\b",
    re.IGNORECASE,
)
_AFFIRM_NEEDLES = ("present", "audible", "heard", "detected", "occur", "appear", "happens")
_AFFIRM_PARTS = (("present", "audible", "heard", "detected"),
                 ("occur", "appears", "happens", "heard"))
_AFFIRM = _Fast(_AFFIRM, needles=_AFFIRM_NEEDLES, parts=_AFFIRM_PARTS)
_STRICT = re.compile(r"^\W{0,3}(yes|no|none)\W{0,3}$", re.IGNORECASE)


def _cue(m: re.Match) -> str:
    return m.group(0).strip(" \t\n.,;:!?-'\"()[]*").lower()


def detect_presence(text: str) -> tuple[str, str] | None:
    """``("absent" | "affirmed", cue)`` for a presence statement, else ``None``."""
    m = _START_NO.search(text)
    if m:
        return "absent", _cue(m)
    m = _START_YES.search(text)
    if m:
        return "affirmed", _cue(m)
    m = _ABSENT.search(text)
    if m:
        return "absent", _cue(m)
    m = _AFFIRM.search(text)
    if m:
        return "affirmed", _cue(m)
    return None


def detect_presence_strict(text: str) -> tuple[str, str] | None:
    """Only a whole answer of ``Yes``/``No``/``None`` (see module docstring)."""
    m = _STRICT.match(text.strip())
    if not m:
        return None
    word = m.group(1).lower()
    return ("affirmed" if word == "yes" else "absent"), word


# A refusal: the model says it cannot do the task (no claim about the sound either way).
_REFUSAL = re.compile(
    r"\bas an ai\b"
    r"|\bi(?: do not|'m not| am not|'m unable| am unable| don't) "
    r"(?:have (?:the ability|access|the capability)|able to|(?:have )?enough information)"
    r"|\b(?:i|we) (?:cannot|can't|can not|could not|couldn't|am unable to|'m unable to|"
    r"am not able to|'m not able to|was unable to|was not able to) "
    r"(?:\w+ ){0,2}?(?:determine|provide|pinpoint|process|access|analy[sz]e|listen|play|"
    r"specify|give|tell|identify the (?:exact|precise|specific)|answer|help|assist|locate)\b"
    r"|\b(?:it is|it's) (?:not possible|impossible|difficult|hard) to (?:determine|tell|say|"
    r"pinpoint|identify|know)\b"
    r"|\bunable to (?:determine|provide|pinpoint|process|access|analy[sz]e|specify|tell)\b"
    r"|\b(?:sorry|apologi[sz]e),? (?:but )?i (?:cannot|can't|am unable|'m unable)"
    # says no time can be given ("the video does not provide any timestamps")
    r"|\b(?:does|do|did|will) not (?:provide|give|show|specify|mention|indicate|include|"
    r"contain|offer)(?: \w+){0,4}? (?:information|timestamps?|times?|details|timing)\b"
    r"|\b(?:times?|timestamps?|timing)\b(?: [\w\"']+){0,12}? (?:is|are) not (?:provided|available|"
    r"given|specified|mentioned|clear|known|shown|stated|explicitly)"
    r"|\bcannot be (?:determined|identified|pinpointed|specified)\b|\bnot clear enough to\b"
    r"|\bnot (?:a )?valid (?:query|question|answer)\b|\b(?:please|can you|could you) "
    r"(?:please )?provide\b",
    re.IGNORECASE,
)


#: every _REFUSAL match holds one of these (alternative by alternative: "as an ai"; "i do
#: not have ..."/"... able to"/"... enough information"; "cannot" (holds "not")/"can't"/
#: "could not"/"unable to"; "not possible"/"impossible"/"difficult"/"hard"; "sorry"/
#: "apologise"; "does not provide ..."/"... is not provided"/"not clear"/"not valid";
#: "please provide"/"can you provide")
_REFUSAL_NEEDLES = ("as an ai", "have ", "enough information", "can't", "can you", "could",
                    "able to", "possible", "difficult", "hard", "sorry", "apologi", "not",
                    "provide")
#: the needles of each alternative of _REFUSAL, in order: "as an ai"; "i do not ..."/
#: "i'm unable ..."/"i don't ..."; "i cannot/can't/can not/could not/couldn't/... able to";
#: "not possible"/"impossible"/"difficult"/"hard"; "unable to"; "sorry"/"apologise";
#: "does not provide ..."; "... is not provided"; "cannot be"; "not clear"; "not valid";
#: "please provide"
_REFUSAL_PARTS = (("as an ai",), (" not ", "unable ", "don't "),
                  ("can", "could", "able to"), ("possible", "difficult", "hard"),
                  ("unable to",), ("sorry", "apologi"), (" not ",), (" not ",),
                  ("cannot be",), ("not clear",), ("valid",), ("provide",))
_REFUSAL = _Fast(_REFUSAL, needles=_REFUSAL_NEEDLES, parts=_REFUSAL_PARTS)


def detect_refusal(text: str) -> str | None:
    """The refusal cue in ``text`` ("I'm sorry, I cannot determine ...", "As an AI ..."),
    else ``None``.  Used only when no interval was read: an answer that declines and then gives
    a window still gives the window."""
    m = _REFUSAL.search(text)
    return m.group(0) if m else None


def leading_absence(text: str) -> str | None:
    """The absence word an answer opens with (``No, ...``), else ``None`` (a cheap check for
    the note on answers that give windows anyway)."""
    m = _START_NO.search(text)
    return _cue(m) if m else None
