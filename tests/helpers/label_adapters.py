"""An adapter that answers SED in its own words (for the label-mapping runner test)."""

from __future__ import annotations

from model_adapters.base import Generation, ModelAdapter

#: mini class -> how a model might say it
WORDS = {"beep": "a high-pitched beeping", "chirp": "a rising chirp",
         "noise burst": "a burst of static noise", "click train": "rapid clicking",
         "speech": "a person talking", "alarm": "a warning alarm", "knock": "someone knocking",
         "hum": "a low electrical hum"}


class Paraphraser(ModelAdapter):
    """Answers with the reference events, each labelled by a paraphrase (``WORDS``); the
    first event of each clip gets a label that names no class (``a car horn``)."""

    name = "paraphraser"
    outputs = frozenset({"text"})
    sample_rate = 16000
    needs_reference = True

    def generate(self, requests):
        out = []
        for r in requests:
            lines = []
            for k, e in enumerate(r.reference.events):
                label = "a car horn" if k == 0 else WORDS.get(e.label or "", e.label or "")
                lines.append(f"{e.onset:.2f} - {e.offset:.2f}, {label}")
            out.append(Generation(text="\n".join(lines) if lines else "none"))
        return out
