"""Text side of label mapping: words, inflection-folded stems, clauses and their heads.

Rules (``docs/LABELS.md`` gives the reasons):

* **words**: lower case, ``_``/``-``/``/`` and apostrophes as spaces, letters only;
* **stem** (:func:`stem`): a small irregular table (``men`` -> ``man``, ``ran`` -> ``run``,
  ``spoke`` -> ``speak``...), a verb-synonym table (``talk``/``chat``/``speech`` -> ``speak``,
  ``hoover`` -> ``vacuum``, ``faucet`` -> ``tap``...), then suffix folding: ``-ies``/``-ied`` ->
  ``-i``, ``-ing``/``-ed``/``-es``/``-s`` removed (not ``-ss``/``-us``/``-is``), a final ``-e``
  and ``-y`` folded, a final doubled consonant other than ``l``/``s``/``z`` undoubled (as in
  Porter's stemmer: ``fill`` stays apart from ``file``).  Stems are only compared with stems
  made by the same function, so ``barking``/``barks``/``bark`` -> ``bark``, ``sizzling``/
  ``sizzles`` -> ``sizzl``, ``running`` -> ``run``, ``dishes`` -> ``dish``;
* **stop words** (articles, pronouns, auxiliaries, ``someone``, ``heard``...) carry no class
  and are dropped;
* **clauses**: split at ``,`` ``;`` and the conjunctions ``and``/``while``/``as``/``then``/
  ``followed by``/``before``/``after``/``plus``/``whilst``/``meanwhile``;
* **head and context**: inside a clause, words after the first preposition (``in``, ``on``,
  ``near``, ``with`` ...) are *context* (``food sizzling | in a pan``); the words before it are
  the *head* part.  ``of`` and ``from`` introduce the source, not a context (``the hum of an
  electric shaver``, ``water running from a tap``), so they do not end the head part;
* **weak words** (``sound``, ``noise``, ``audio``, ``background``, and modifiers such as
  ``loud``, ``brief``, ``distant``, ``repeatedly``) are kept but marked: a reading matched by
  them alone ranks below any other;
* **negation**: a clause word after ``no``/``not``/``without``/``never``/``nothing`` is dropped
  (``no dog barking`` names no dog);
* **verb form**: a word that ended in ``-ing`` or ``-ed`` is marked as a verb form (a head
  noun outranks a verb cue: ``blender running`` is the blender, not the ``Run`` class).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Word", "Clause", "stem", "words", "stems", "clauses", "is_ing", "raw_stem",
           "GENERIC", "STOP"]

_WORD = re.compile(r"[a-z]+")

_IRREGULAR = {
    "men": "man", "women": "woman", "children": "child", "people": "person", "geese": "goose",
    "mice": "mouse", "teeth": "tooth", "feet": "foot", "knives": "knife", "leaves": "leaf",
    "ran": "run", "rang": "ring", "rung": "ring", "spoke": "speak", "spoken": "speak",
    "said": "say", "says": "say", "sang": "sing", "sung": "sing", "blew": "blow", "blown": "blow",
    "fell": "fall", "fallen": "fall", "flew": "fly", "flown": "fly", "shut": "shut",
    "hit": "hit", "struck": "strike", "broke": "break", "broken": "break", "dishes": "dish",
    "glasses": "glass", "wolves": "wolf", "shelves": "shelf", "lives": "life", "wives": "wife",
    "bus": "bus", "gas": "gas", "news": "news", "chess": "chess", "species": "species",
    "laughter": "laugh", "hoovering": "vacuum", "hoover": "vacuum", "hoovers": "vacuum",
}

#: Synonyms folded onto one stem (general English, not per class): documented in LABELS.md.
_SYNONYM = {
    "talk": "speak", "chat": "speak", "speech": "speak", "spoken": "speak",
    "faucet": "tap", "miaow": "meow", "mew": "meow", "woof": "bark", "puppy": "dog",
    "doggy": "dog", "kitten": "cat", "kitty": "cat", "razor": "shaver", "shave": "shaver",
    "telephone": "phone", "cellphone": "phone", "plate": "dish", "crockery": "dish",
    "tableware": "dish", "cookware": "pot", "sizzle": "fry", "sizzl": "fry", "fri": "fry",
    "frie": "fry", "shav": "shaver", "kid": "child", "boy": "child", "girl": "child",
    "male": "man", "female": "woman",
}

STOP = frozenset("""
a an the this that these those some any one two three several many few various another other
is are was were be been being am has have had having do does did can could will would may might
it its it's he she they them his her their there here which who whom whose what where when
someone somebody something anyone anybody everyone
clip recording track sample file event events source type types kind kinds sort sorts
different variety
heard hear hearing audible present occurring occurs occur occurred happens happening happen
s very quite rather slightly somewhat foreground again also just still only
""".split())

#: weak words: generic nouns and manner/loudness/length modifiers.  They are kept (``White
#: noise``, ``Background music``, ``Brief tone`` name them, and a phrase must hold them to read
#: those classes) but a reading matched by weak words alone ranks below any other (``dog
#: noises`` is the dog).
GENERIC = frozenset("""
sound sounds noise noises audio background
clearly loudly softly quietly briefly repeatedly continuously constantly rapidly slowly
distant distance nearby close loud quiet soft faint brief short long continuous constant
intermittent intermittently occasional occasionally
""".split())

_PREPOSITIONS = frozenset("""
in on from at into onto near by under over inside outside with within against behind beside
beneath above across along through around toward towards for of off to upon amid among
""".split())
#: prepositions that introduce the sound's source rather than a context (``the hum of an
#: electric shaver``, ``water running from a tap``): they do not end the head part.
_SOURCE_PREPOSITIONS = frozenset({"of", "from"})
_CONJUNCTIONS = frozenset("and while whilst as then plus meanwhile before after but or".split())
_NEGATIONS = frozenset("no not without never nothing none nobody".split())
_VOWELS = set("aeiou")


def _fold_suffix(w: str) -> str:
    if len(w) <= 2:
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "i"
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith(("ches", "shes", "xes", "sses", "zzes")) and len(w) > 4:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 2 and w.endswith("y"):
        w = w[:-1] + "i"
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in "lsz":
        w = w[:-1]
    return w


@lru_cache(maxsize=65536)
def raw_stem(word: str) -> str:
    """:func:`stem` without the synonym table (the word as written, inflection folded)."""
    return _fold_suffix(_IRREGULAR.get(word, word))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Inflection-folded stem of one lower-case word (rules in the module docstring)."""
    w = _IRREGULAR.get(word, word)
    w = _SYNONYM.get(w, w)
    s = _fold_suffix(w)
    return _SYNONYM.get(s, s)


def words(text: str) -> list[str]:
    """Lower-case letter-only words; ``_``, ``-``, ``/`` and apostrophes separate words."""
    t = text.lower().replace("'s ", " ").replace("’s ", " ")
    return _WORD.findall(t)


def stems(text: str) -> tuple[str, ...]:
    """Stems of the content words of ``text`` (stop words dropped), in order."""
    return tuple(stem(w) for w in words(text) if w not in STOP and w not in _PREPOSITIONS
                 and w not in _CONJUNCTIONS)


def is_ing(word: str) -> bool:
    """Whether a surface word is an ``-ing`` form (``ringing``, not ``ring``)."""
    return word.endswith("ing") and len(word) > 5


@dataclass(frozen=True)
class Word:
    stem: str
    position: int          # index among the phrase's content words
    head: bool             # before the clause's first preposition
    verb_form: bool        # the surface form ended in -ing / -ed
    generic: bool = False  # one of GENERIC
    ing: bool = False      # the surface form ended in -ing
    raw: str = ""          # raw_stem of the surface word (before synonyms)


@dataclass(frozen=True)
class Clause:
    words: tuple[Word, ...]

    @property
    def stem_set(self) -> frozenset[str]:
        return frozenset(w.stem for w in self.words)


@lru_cache(maxsize=16384)
def clauses(text: str) -> tuple[Clause, ...]:
    """Split ``text`` into clauses of content words with head/context and verb-form marks."""
    out: list[Clause] = []
    pos = 0
    for piece in re.split(r"[,;:.!?()\[\]]|\bfollowed by\b", text.lower()):
        cur: list[Word] = []
        head = True
        negated = False

        def flush():
            nonlocal cur, head, negated
            if cur:
                out.append(Clause(tuple(cur)))
            cur, head, negated = [], True, False

        for w in words(piece):
            if w in _CONJUNCTIONS:
                flush()
                continue
            if w in _NEGATIONS:
                negated = True
                if w == "without":
                    head = False
                continue
            if w in _PREPOSITIONS:
                if cur and w not in _SOURCE_PREPOSITIONS:
                    head = False
                continue
            if w in STOP or negated:
                continue
            verb = w.endswith(("ing", "ed")) and len(w) > 5
            cur.append(Word(stem(w), pos, head, verb, w in GENERIC, is_ing(w), raw_stem(w)))
            pos += 1
        flush()
    return tuple(out)
