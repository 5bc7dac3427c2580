"""A seeded random source whose draws are the same with every NumPy version.

NumPy guarantees that a *bit generator* (here PCG64) produces the same raw 64-bit stream for a
given seed in every release, but not that ``Generator`` methods (``integers``, ``uniform``,
``choice``, ``shuffle``...) keep turning that stream into the same values (NEP 19).  The
references of the ``mini`` benchmark must be identical on every machine, so the generator draws
only raw 64-bit words from ``numpy.random.PCG64(seed)`` and converts them with the fixed,
documented arithmetic below (plain Python integers and floats, no platform-dependent maths).
"""

from __future__ import annotations

from typing import Sequence, TypeVar

import numpy as np

__all__ = ["StableRng"]

T = TypeVar("T")


class StableRng:
    """Uniform draws from PCG64's raw stream: ``random``, ``integer``, ``choice``, ``shuffle``."""

    def __init__(self, seed: int):
        self._bits = np.random.PCG64(seed)

    def _raw(self) -> int:
        return int(self._bits.random_raw())

    def random(self) -> float:
        """A float in [0, 1): the top 53 bits of one raw word times 2**-53."""
        return (self._raw() >> 11) * (1.0 / 9007199254740992.0)

    def integer(self, low: int, high: int) -> int:
        """An integer in [low, high] (both included), by rejection (no modulo bias)."""
        if high < low:
            raise ValueError(f"empty range [{low}, {high}]")
        span = high - low + 1
        limit = (1 << 64) - ((1 << 64) % span)
        while True:
            word = self._raw()
            if word < limit:
                return low + word % span

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise ValueError("choice from an empty sequence")
        return items[self.integer(0, len(items) - 1)]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items in random order (a partial Fisher-Yates shuffle)."""
        pool = list(items)
        if k > len(pool):
            raise ValueError(f"cannot take {k} of {len(pool)} items")
        for i in range(k):
            j = self.integer(i, len(pool) - 1)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def shuffle(self, items: list[T]) -> None:
        """Shuffle in place (Fisher-Yates)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.integer(0, i)
            items[i], items[j] = items[j], items[i]
