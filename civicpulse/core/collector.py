"""Pausing Python's cycle collector while a use case builds a great many small containers.

A run folding a year of kept counts decodes hundreds of thousands of small lists and dicts. Every 700
allocations set off a young collection, and the survivors set off older ones that walk everything built so
far: at 1M interactions a year, the collector took 0.11 s of a month's run of 0.47 s and 0.12 s of the
year's 0.72 s (bench/assessment_bench.py). What such a use case builds is plain data that reference
counting frees; the few cycles anything else leaves (a caught exception, say) wait until the pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cycle collection inside; collection goes on as usual afterwards. Nested pauses leave it to the
    outermost to turn the collector back on. The collector is the process's: a pause ending in one thread
    ends it for the others too, which costs them time, never correctness."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
