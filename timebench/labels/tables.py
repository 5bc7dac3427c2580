"""Class tables: which ontology nodes a dataset's class names stand for, and extra cue phrases.

A *class table* maps a class name to ontology node names (each with its whole subtree, minus
the ``exclude`` subtrees); the mapper uses it when a task's labels are that dataset's names.
Labels not in any table are looked up in the ontology by display name, synonym or id (so an
AudioSet-Strong vocabulary, whose labels are ontology names or ``/m/...`` ids, needs no table);
a label found nowhere stands for its own words.

* **DESED** (DCASE 2019-2024 Task 4, 10 domestic classes).  DESED names its classes after
  AudioSet ones; the roots below follow the class names, and the choices that are ours are
  written down in ``docs/LABELS.md`` (the alarm class takes the ontology's ``Alarm`` and
  ``Bell`` subtrees without street sirens, vehicle horns, foghorns and whistles; ``Frying``
  takes ``Sizzle`` too; ``Running_water`` is tap, sink and bathtub water).
* **mini** (timebench's bundled synthetic benchmark, 8 classes).
* **TACOS** has no class list: its regions carry free-text captions, so it needs no table
  (``docs/LABELS.md``).

*Cues* are extra phrases for an ontology node, written from the ontology's own descriptions
(e.g. ``Vacuum cleaner``: "a device that uses an air pump ... to suck up dust" -> ``vacuum``,
``vacuuming``), plus ``male/female speaker/voice`` and ``discuss``, added after reading real
model captions (docs/LABELS.md).  They apply in every vocabulary that holds the node.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClassSpec", "TABLES", "CUES", "IGNORED_SUBTREES"]


@dataclass(frozen=True)
class ClassSpec:
    roots: tuple[str, ...]               # ontology display names, each with its subtree
    exclude: tuple[str, ...] = ()        # subtrees left out


DESED: dict[str, ClassSpec] = {
    "Alarm_bell_ringing": ClassSpec(
        ("Alarm", "Bell"),
        exclude=("Siren", "Vehicle horn, car horn, honking", "Air horn, truck horn", "Foghorn",
                 "Whistle", "Car alarm", "Tuning fork")),
    "Blender": ClassSpec(("Blender",)),
    "Cat": ClassSpec(("Cat",)),
    "Dishes": ClassSpec(("Dishes, pots, and pans", "Cutlery, silverware")),
    "Dog": ClassSpec(("Dog",)),
    "Electric_shaver_toothbrush": ClassSpec(("Electric shaver, electric razor", "Toothbrush")),
    "Frying": ClassSpec(("Frying (food)", "Sizzle")),
    "Running_water": ClassSpec(("Water tap, faucet", "Sink (filling or washing)",
                                "Bathtub (filling or washing)")),
    "Speech": ClassSpec(("Speech",)),
    "Vacuum_cleaner": ClassSpec(("Vacuum cleaner",)),
}

MINI: dict[str, ClassSpec] = {
    "beep": ClassSpec(("Beep, bleep",)),
    "chirp": ClassSpec(("Chirp tone",)),
    "noise burst": ClassSpec(("White noise",)),
    "click train": ClassSpec(("Clicking",)),
    "speech": ClassSpec(("Speech",)),
    "alarm": ClassSpec(("Alarm",), exclude=("Vehicle horn, car horn, honking",
                                            "Air horn, truck horn", "Foghorn")),
    "knock": ClassSpec(("Knock",)),
    "hum": ClassSpec(("Hum",)),
}

#: dataset -> class table.  A vocabulary uses a table when all its labels are in it.
TABLES: dict[str, dict[str, ClassSpec]] = {"desed": DESED, "mini": MINI}

#: ontology node -> extra cue phrases (from the node's description; general English).
CUES: dict[str, tuple[str, ...]] = {
    "Vacuum cleaner": ("vacuum", "vacuuming", "hoover"),
    "Frying (food)": ("fry", "sizzling", "frying pan", "cooking in oil"),
    "Water tap, faucet": ("running water", "tap water", "tap running", "water from a tap"),
    "Speech": ("speak", "talk", "say", "tell", "announce", "announcement", "lecture",
               "dialogue", "discussion", "discuss", "utterance", "spoken words"),
    "Male speech, man speaking": ("male speaker", "male voice"),
    "Female speech, woman speaking": ("female speaker", "female voice"),
    "Dog": ("canine", "yelp"),
    "Cat": ("feline",),
    "Dishes, pots, and pans": ("plates", "bowls", "crockery", "kitchen utensils", "saucepan"),
    "Blender": ("food processor", "blending"),
    "Electric shaver, electric razor": ("shaving", "beard trimmer", "hair clipper"),
    "Electric toothbrush": ("brushing teeth",),
    "Alarm": ("alarm bell", "bell ringing", "alarm going off"),
    "Alarm clock": ("wake-up alarm",),
    "Beep, bleep": ("beeping",),
    "Knock": ("knocking",),
}

#: subtrees that describe the recording, not a sound event: never a candidate reading
#: unless a task class is in them.
IGNORED_SUBTREES: tuple[str, ...] = ("Acoustic environment",)
