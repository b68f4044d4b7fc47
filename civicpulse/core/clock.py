"""The one source of "now". Deadline logic asks this module, so tests pin time with `frozen()`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous
