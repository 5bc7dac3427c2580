"""The pycocoevalcap / Java bridge of the caption metrics: PTB tokenizer, METEOR JVM, jar lookup.

Used by the dense-captioning metrics (:mod:`timebench.metrics.captioning`, which re-exports
every public name here), SODA_c (:mod:`timebench.metrics.soda`) and the summary metrics.
pycocoevalcap is imported lazily (when a scorer runs), so importing this module needs neither
pycocoevalcap nor Java.

Performance
    One :class:`CaptionScorer` holds one METEOR JVM for the whole run (its first call takes about
    8-9 s to load the paraphrase table; later calls take milliseconds) and a tokenisation cache.
    The CoreNLP PTB tokenizer does not answer line by line on a pipe (it buffers until end of
    input), so it cannot be kept running as a server; instead every metric call gathers all its
    captions first and tokenises them in **one** JVM call (about 0.2-0.5 s), and the cache makes
    later calls tokenise only new captions.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import tempfile
import threading
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import MissingDependencyError, TimebenchError
from ..java import JAVA_HINT, ensure_java_on_path, find_java

__all__ = [
    "CaptionScorer",
    "remove_nonascii",
    "ptb_tokenize",
    "spice_available",
    "require_captioning_dependencies",
]

# pycocoevalcap/tokenizer/ptbtokenizer.py: tokens removed after PTB tokenisation.
_PTB_PUNCTUATIONS = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                               ".", "?", "!", ",", ":", "-", "--", "...", ";"])
_PTB_JAR = ("tokenizer", "stanford-corenlp-3.4.1.jar")
_SPICE_JARS = (("spice", "lib", "stanford-corenlp-3.6.0.jar"),
               ("spice", "lib", "stanford-corenlp-3.6.0-models.jar"))


def remove_nonascii(text: str) -> str:
    """Replace every non-ASCII character by a space (densevid_eval / SODA ``remove_nonascii``)."""
    return "".join(ch if ord(ch) < 128 else " " for ch in text)


def _pycoco_file(*parts: str) -> str | None:
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], *parts)


def require_captioning_dependencies(*, java: bool = True) -> None:
    """Raise :class:`MissingDependencyError` unless pycocoevalcap (and, if asked, Java) is there."""
    if importlib.util.find_spec("pycocoevalcap") is None:
        raise MissingDependencyError("pycocoevalcap", "captioning",
                                     "dense-captioning metrics (METEOR, CIDEr, BLEU, ROUGE-L)")
    if java and find_java() is None:
        raise MissingDependencyError("java", "captioning",
                                     "METEOR and the PTB tokenizer (pycocoevalcap)",
                                     hint=JAVA_HINT)


def spice_available() -> bool:
    """True when SPICE can run offline: pycocoevalcap, Java and the CoreNLP 3.6.0 jars present."""
    if importlib.util.find_spec("pycocoevalcap") is None or find_java() is None:
        return False
    paths = [_pycoco_file(*parts) for parts in _SPICE_JARS]
    return all(p is not None and os.path.isfile(p) for p in paths)


_CONTROL = {i: " " for i in range(32)}


def ptb_tokenize(texts: Sequence[str]) -> list[str]:
    """PTB-tokenise captions exactly as ``pycocoevalcap.tokenizer.PTBTokenizer`` does, in one JVM.

    Same command (CoreNLP 3.4.1 ``PTBTokenizer -preserveLines -lowerCase``) and the same removal
    of punctuation tokens.  Differences, all on purpose: the temporary file goes to the system
    temporary folder (pycocoevalcap writes it next to its jar, inside site-packages), ASCII
    control characters become spaces (pycocoevalcap only replaces ``\\n``; a ``\\r`` would split a
    line and shift every later caption), and blank captions are answered ``""`` without being
    sent (an empty last line is dropped by the tokenizer's output).
    """
    require_captioning_dependencies()
    texts = [str(t) for t in texts]
    out = [""] * len(texts)
    todo = [i for i, t in enumerate(texts) if t.strip()]
    if not todo:
        return out
    jar = _pycoco_file(*_PTB_JAR)
    lines = [texts[i].translate(_CONTROL) for i in todo]
    with tempfile.TemporaryDirectory(prefix="timebench-ptb-") as tmp:
        path = os.path.join(tmp, "captions.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
        java = find_java()
        if java is None:
            raise MissingDependencyError("java", "captioning", "the PTB tokenizer (pycocoevalcap)",
                                         hint=JAVA_HINT)
        proc = subprocess.run(
            [java, "-cp", jar, "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines",
             "-lowerCase", path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise TimebenchError("PTB tokenizer (Java) failed: "
                             + proc.stderr.decode("utf-8", "replace").strip()[-500:])
    got = proc.stdout.decode("utf-8", "replace").split("\n")
    if len(got) < len(lines):
        raise TimebenchError(f"PTB tokenizer returned {len(got)} lines for {len(lines)} captions")
    for i, line in zip(todo, got):
        out[i] = " ".join(w for w in line.rstrip().split(" ") if w not in _PTB_PUNCTUATIONS)
    return out


# ---------------------------------------------------------------------------------------------
# the run-long scorer (one METEOR JVM)
# ---------------------------------------------------------------------------------------------
class CaptionScorer:
    """Holds one METEOR process and a tokenisation cache for a whole evaluation run.

    Use as a context manager (or call :meth:`close`)::

        with CaptionScorer() as scorer:
            caps = dense_caption_scores(refs, preds, scorer=scorer)
            soda = soda_c(refs, preds, scorer=scorer)

    The METEOR JVM (pycocoevalcap's ``Meteor()``: ``java -jar -Xmx2G meteor-1.5.jar - - -stdio
    -l en -norm``) starts on the first METEOR request, so a run that needs no METEOR never
    starts it; ``meteor_starts`` counts how often it was started (at most once).
    """

    def __init__(self) -> None:
        require_captioning_dependencies()
        self._meteor = None
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._closed = False
        self.meteor_starts = 0
        self.tokenizer_calls = 0

    # -- context management -------------------------------------------------------------------
    def __enter__(self) -> "CaptionScorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the METEOR process (idempotent)."""
        with self._lock:
            self._closed = True
            meteor, self._meteor = self._meteor, None
        if meteor is not None:
            proc = meteor.meteor_p
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
            except OSError:  # pragma: no cover - pipe already gone
                pass
            proc.kill()
            proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()

    def __del__(self) -> None:  # pragma: no cover - safety net only
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._closed

    # -- tokenisation -------------------------------------------------------------------------
    def tokenize(self, texts: Iterable[str]) -> list[str]:
        """PTB tokens (space-joined) of each text, after :func:`remove_nonascii`; cached."""
        cleaned = [remove_nonascii(str(t)) for t in texts]
        new = [t for t in dict.fromkeys(cleaned) if t not in self._tokens]
        if new:
            self.tokenizer_calls += 1
            for text, tok in zip(new, ptb_tokenize(new)):
                self._tokens[text] = tok
        return [self._tokens[t] for t in cleaned]

    # -- METEOR -------------------------------------------------------------------------------
    def _meteor_obj(self):
        if self._closed:
            raise TimebenchError("CaptionScorer is closed")
        if self._meteor is None:
            from pycocoevalcap.meteor.meteor import Meteor

            if ensure_java_on_path() is None:  # Meteor() runs plain `java` from PATH
                raise MissingDependencyError("java", "captioning", "METEOR (pycocoevalcap)",
                                             hint=JAVA_HINT)
            self._meteor = Meteor()
            self.meteor_starts += 1
        return self._meteor

    def meteor(self, gts: Mapping[Any, list[str]], res: Mapping[Any, list[str]]
               ) -> tuple[float, list[float]]:
        """``Meteor().compute_score(gts, res)`` on the shared process: (aggregate, per item).

        Inputs are tokenised captions: ``res[k]`` one hypothesis, ``gts[k]`` its references.
        """
        if not gts:
            return 0.0, []
        clean_gts = {k: [r.replace("|||", " ") for r in v] for k, v in gts.items()}
        with self._lock:
            meteor = self._meteor_obj()
            try:
                score, scores = meteor.compute_score(clean_gts, dict(res))
            except (ValueError, OSError) as exc:
                raise TimebenchError(f"the METEOR process failed: {exc}") from exc
        return float(score), [float(s) for s in scores]

    def meteor_segment_scores(self, hypotheses: Sequence[str], references: Sequence[str]
                              ) -> np.ndarray:
        """METEOR of each tokenised ``hypotheses[i]`` against the single ``references[i]``.

        Segment scores depend only on their own pair, so any number of pairs (for example every
        cell of every SODA matrix of a dataset) is scored in one request.
        """
        if len(hypotheses) != len(references):
            raise ValueError("hypotheses and references must have the same length")
        if not hypotheses:
            return np.zeros(0, dtype=np.float64)
        keys = range(len(hypotheses))
        _, scores = self.meteor({k: [references[k]] for k in keys},
                                {k: [hypotheses[k]] for k in keys})
        return np.asarray(scores, dtype=np.float64)
