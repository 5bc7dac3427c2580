"""The vocabulary of the ``mini`` benchmark: sound classes and spoken topics.

Everything the generator says in words lives here: class labels (SED), the phrases used as
grounding queries and dense captions, the names used in questions, and the spoken topics with
their utterances (rendered once to ``assets/speech`` by ``make_speech_assets.py``) and the
one-line summaries that label timeline-speech-summary segments.

Durations are in centiseconds (integers) so that every reference time is an exact decimal.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SoundClass", "CLASSES", "CLASS_BY_LABEL", "LABELS", "Topic", "TOPICS",
           "COUNTABLE", "SAMPLE_RATE", "TASKS"]

SAMPLE_RATE = 16000

#: The tasks of the benchmark, one manifest file each (``manifest/<task>.jsonl``).
TASKS = ("tag", "spotsound", "sed", "dac", "tss", "tqa")


@dataclass(frozen=True)
class SoundClass:
    """One synthesisable sound class.

    ``label``: SED label; ``name``: how questions refer to it ("the beep"); ``queries``:
    grounding / SpotSound query phrases; ``captions``: dense-captioning captions;
    ``min_cs``/``max_cs``: event length range in centiseconds (speech uses the utterance length).
    """

    label: str
    name: str
    queries: tuple[str, ...]
    captions: tuple[str, ...]
    min_cs: int
    max_cs: int


CLASSES: tuple[SoundClass, ...] = (
    SoundClass("beep", "beep",
               ("a steady electronic beep", "a high-pitched beep tone", "a beeping sound"),
               ("a steady high-pitched beep", "an electronic beep tone"), 30, 150),
    SoundClass("chirp", "chirp",
               ("a rising chirp", "a tone sweeping upward in pitch", "an upward chirp"),
               ("a tone sweeps upward in pitch", "a short rising chirp"), 50, 200),
    SoundClass("noise burst", "noise burst",
               ("a burst of noise", "a short hiss of static", "a noise burst"),
               ("a short burst of hissing noise", "a blast of static noise"), 30, 150),
    SoundClass("click train", "clicking",
               ("a rapid train of clicks", "fast ticking clicks", "a series of clicks"),
               ("rapid clicking like a ticking mechanism", "a fast train of sharp clicks"),
               100, 300),
    SoundClass("speech", "speech",
               ("a person speaking", "a synthetic voice talking", "someone says a sentence"),
               ("a synthetic voice speaks a sentence", "a person talks briefly"), 0, 0),
    SoundClass("alarm", "alarm",
               ("a two-tone alarm", "an alternating siren-like alarm", "a warning alarm"),
               ("a two-tone alarm alternates between pitches", "a siren-like warning alarm"),
               200, 500),
    SoundClass("knock", "knocking",
               ("knocking on a door", "someone knocking", "a few dull knocks"),
               ("someone knocks on a door", "a few dull knocks"), 0, 0),
    SoundClass("hum", "hum",
               ("a low electrical hum", "a deep humming drone", "a low buzzing hum"),
               ("a low electrical hum drones", "a deep steady hum"), 300, 800),
)

CLASS_BY_LABEL = {c.label: c for c in CLASSES}
LABELS: tuple[str, ...] = tuple(sorted(CLASS_BY_LABEL))

#: Classes whose events are single, countable occurrences ("How many times does ... occur?").
COUNTABLE = ("beep", "chirp", "noise burst", "alarm")


@dataclass(frozen=True)
class Topic:
    """A spoken topic: a summary (the TSS label) and three utterances in speaking order."""

    key: str
    summary: str
    utterances: tuple[str, str, str]


TOPICS: tuple[Topic, ...] = (
    Topic("weather", "the speaker describes the weather",
          ("The morning started cold and very foggy.",
           "By noon the sun came out over the hills.",
           "Tonight we expect light rain and strong wind.")),
    Topic("cooking", "the speaker explains how to cook soup",
          ("First, chop two onions and some carrots.",
           "Then let the vegetables simmer in the pot.",
           "Add salt and pepper before you serve it.")),
    Topic("train", "the speaker talks about a train journey",
          ("Our train left the station at seven.",
           "We passed small villages and green fields.",
           "The journey to the coast took three hours.")),
    Topic("football", "the speaker reports on a football match",
          ("The home team scored in the first minute.",
           "The visitors equalised just before half time.",
           "A late header won the match for the home side.")),
    Topic("garden", "the speaker gives gardening advice",
          ("Plant tomatoes where they get full sun.",
           "Water the garden early in the morning.",
           "Pull the weeds before they spread.")),
    Topic("museum", "the speaker describes a museum visit",
          ("The museum opens its doors at ten.",
           "The first hall shows ancient pottery.",
           "Upstairs you can see old maps and coins.")),
    Topic("computer", "the speaker explains how to fix a computer",
          ("If your computer is slow, restart it first.",
           "Then close the programs you do not need.",
           "Finally, check that the disk is not full.")),
    Topic("birthday", "the speaker describes a birthday party",
          ("We planned a party for my sister.",
           "Everyone sang while she blew out the candles.",
           "Later we played games in the garden.")),
    Topic("ocean", "the speaker talks about the ocean",
          ("The ocean covers most of our planet.",
           "Whales travel thousands of miles each year.",
           "Coral reefs are home to many fish.")),
    Topic("science", "the speaker teaches a science lesson",
          ("Water boils at one hundred degrees.",
           "When it freezes, it turns into ice.",
           "Heat makes most materials expand.")),
)
