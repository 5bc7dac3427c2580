"""A pause of the cyclic garbage collector around loops that build objects which are all kept."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block: when every object built there is kept
    (the records of a file, one parsed answer per sample), the collections that the
    allocations would trigger walk a growing heap and find nothing.  Reference counting still
    frees what is dropped at once; the collector is enabled again however the block ends, and
    left alone when it was off already."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
