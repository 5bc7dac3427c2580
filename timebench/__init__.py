"""timebench: evaluation harness for temporal audio understanding in audio-language models.

Importing this package loads only the standard library, numpy and the small modules it needs;
torch and transformers are imported lazily inside model adapters.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, TimebenchError, UnknownNameError  # noqa: E402
from .types import Event, ParsedAnswer, Prediction, Reference  # noqa: E402

__all__ = [
    "__version__",
    "Event",
    "Reference",
    "Prediction",
    "ParsedAnswer",
    "InputError",
    "TimebenchError",
    "UnknownNameError",
]
