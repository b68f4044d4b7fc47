"""The part of a run's input digest that covers its counts: a multiset hash, so that counts kept per unit and
month add up to the digest of their sum (decision 0006).

Each count is an element (the source, the field and, for a histogram, its key) repeated as many times as it
counts; an element hashes to a 1,024-bit number and a subject's counts to the sum of their elements' numbers,
each times its count, modulo 2**1024. Summing two subjects' counts sums their digests, so a run that folds
kept rows adds the digests kept with them instead of writing every histogram out again, and a run that
counts the raw tables gets the same digest from the same counts. Pure: no database, clock or settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from civicpulse.assessment import indicators as lib

# Bumped whenever what a digest covers or how it is written changes: digests of different formats are not
# comparable (Run.digest_format). 1: every count written out in order (before 2026-11); 2: this module.
FORMAT = 2
BITS = 1024
MODULUS = 1 << BITS
SIZE = BITS // 8


def element(source: str, name: str, key: Any = None) -> int:
    """The number of one counted thing: a scalar count (`key` None) or one key of a histogram."""
    return _of_text(repr((source, name) if key is None else (source, name, key)))


# Cached by the text, not the key: 3 == 3.0 as a key of a cache, and they are different inputs.
@lru_cache(maxsize=65_536)
def _of_text(text: str) -> int:
    return int.from_bytes(hashlib.shake_256(text.encode()).digest(SIZE), "big")


def of_values(source: str, values: Mapping[str, Any]) -> int:
    """The digest of one subject's counts of `source`, given as field -> count or field -> histogram."""
    total = 0
    for name, value in values.items():
        if isinstance(value, Mapping):
            for key, count in value.items():
                total += count * element(source, name, key)
        elif value:
            total += value * element(source, name)
    return total % MODULUS


def of_counts(source: str, counts: Any) -> int:
    """The digest of a counts dataclass of indicators.py."""
    return of_values(source, lib.fields_of(counts))


def add(*digests: int) -> int:
    return sum(digests) % MODULUS


def to_bytes(digest: int) -> bytes:
    return digest.to_bytes(SIZE, "big")


def from_bytes(data: bytes | memoryview) -> int:
    return int.from_bytes(data, "big")
