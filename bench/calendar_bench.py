"""Working-day arithmetic: CivicPulse's pure functions against a naive day-by-day loop, same run."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

import chinese_calendar

from civicpulse.core import workdays
from civicpulse.core.calendars import official_cn_calendar


def naive_add(start: dt.date, n: int) -> dt.date:
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def measure(label: str, func, cases, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for case in cases:
            func(*case)
        best = min(best, time.perf_counter() - started)
    rate = len(cases) / best
    print(f"{label:<44} {rate:>12,.0f} /s")
    return rate


def main() -> None:
    rng = random.Random(2026)
    calendar = official_cn_calendar()
    starts = [dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 900)) for _ in range(20000)]
    cases = [(s, rng.choice([1, 5, 10, 20, 60])) for s in starts]
    ours = measure(
        "civicpulse add_working_days", lambda s, n: workdays.add_working_days(calendar, s, n), cases
    )
    ref = measure("reference: day-by-day chinese_calendar loop", naive_add, cases)
    # Both must agree, or the comparison means nothing.
    assert all(workdays.add_working_days(calendar, s, n) == naive_add(s, n) for s, n in cases[:2000])
    pauses = [((s, n), [(s + dt.timedelta(days=3), s + dt.timedelta(days=9))]) for s, n in cases]
    paused = measure(
        "civicpulse due_date with one pause",
        lambda case, p: workdays.due_date(calendar, case[0], case[1], p),
        pauses,
    )
    result = {
        "add_working_days_per_s": ours,
        "reference_per_s": ref,
        "ratio_vs_reference": ours / ref,
        "due_date_with_pause_per_s": paused,
    }
    print(f"ratio add_working_days / reference: {ours / ref:.1f}x")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "calendar.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
