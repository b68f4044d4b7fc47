"""Working-day arithmetic: pure functions over a `WorkingCalendar`, with no database and no clock.

Counting follows the rule that the first day of a period is not counted (期间开始之日不计算在期间内): a
limit of N working days ends on the N-th working day strictly after intake, whatever the hour or the
kind of day of intake, and the working days between A and B are those in (A, B].

Statutory pauses (补正 supplement requests, expert review, public notice, hearings) work at day
granularity with the same half-open rule. A supplement requested on day P1 and received on day P2
excludes the working days in (P1, P2]: P1 still counts because work was done on the case that day, and
the day the materials arrive does not count, just as the day of intake does not. Overlapping pauses are
merged, so a day is never subtracted twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_ONE_DAY = dt.timedelta(days=1)

# Bounds that no real limit comes near; they keep one request from looping over millennia.
MAX_WORKING_DAYS = 3650
MAX_SPAN_DAYS = 36600

Pause = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and for which years the official schedule is known.

    Outside the covered years only weekends are days off (plus any explicit holidays): the caller is
    expected to warn about that, see `uncovered_years`.
    """

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    covered_years: frozenset[int] = frozenset()
    # A calendar that is weekends-only by definition has nothing left to publish, so every year is known.
    covers_all_years: bool = False

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_covered(self, day: dt.date) -> bool:
        return self.covers_all_years or day.year in self.covered_years


def _days_after(start: dt.date) -> Iterator[dt.date]:
    day = start
    while True:
        day += _ONE_DAY
        yield day


def add_working_days(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """The n-th working day strictly after `start`; `start` itself if n == 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n > MAX_WORKING_DAYS:
        raise ValueError(f"n must not exceed {MAX_WORKING_DAYS}")
    if n == 0:
        return start
    counted = 0
    for day in _days_after(start):
        if calendar.is_working_day(day):
            counted += 1
            if counted == n:
                return day
    raise AssertionError("unreachable")  # pragma: no cover


def working_days_between(calendar: WorkingCalendar, a: dt.date, b: dt.date) -> int:
    """Number of working days d with a < d <= b (0 when b <= a)."""
    if (b - a).days > MAX_SPAN_DAYS:
        raise ValueError(f"the span must not exceed {MAX_SPAN_DAYS} days")
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        if calendar.is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


def paused_days(calendar: WorkingCalendar, pauses: Sequence[Pause]) -> frozenset[dt.date]:
    """The working days inside any pause (p_start, p_end], as one set so overlaps count once."""
    days: set[dt.date] = set()
    for p_start, p_end in pauses:
        if p_end < p_start:
            raise ValueError(f"pause ends ({p_end}) before it starts ({p_start})")
        if (p_end - p_start).days > MAX_SPAN_DAYS:
            raise ValueError(f"a pause must not exceed {MAX_SPAN_DAYS} days")
        day = p_start + _ONE_DAY
        while day <= p_end:
            if calendar.is_working_day(day):
                days.add(day)
            day += _ONE_DAY
    return frozenset(days)


def elapsed_working_days(
    calendar: WorkingCalendar, start: dt.date, end: dt.date, pauses: Sequence[Pause] = ()
) -> int:
    """Working days in (start, end] that fall outside every pause."""
    total = working_days_between(calendar, start, end)
    if not pauses or total == 0:
        return total
    paused = sum(1 for day in paused_days(calendar, pauses) if start < day <= end)
    return total - paused


def due_date(calendar: WorkingCalendar, start: dt.date, n: int, pauses: Sequence[Pause] = ()) -> dt.date:
    """The first date d on which `elapsed_working_days(calendar, start, d, pauses)` reaches n.

    Pauses must be closed intervals: an open pause has no due date yet, so callers decide what to show.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n > MAX_WORKING_DAYS:
        raise ValueError(f"n must not exceed {MAX_WORKING_DAYS}")
    if n == 0:
        return start
    paused = paused_days(calendar, pauses)
    counted = 0
    for day in _days_after(start):
        if calendar.is_working_day(day) and day not in paused:
            counted += 1
            if counted == n:
                return day
    raise AssertionError("unreachable")  # pragma: no cover


def uncovered_years(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> list[int]:
    """Years touched by [start, end] for which the calendar has no official schedule, in order."""
    if calendar.covers_all_years:
        return []
    return [year for year in range(start.year, end.year + 1) if year not in calendar.covered_years]


def local_date(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar date of an aware instant in the zone the calendar is kept in."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("local_date() needs an aware datetime")
    return instant.astimezone(tz).date()


def first_counted_day(calendar: WorkingCalendar, intake: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """Day one of a limit for an application received at `intake`: the next working day after its date.

    Intake after office hours or on a day off needs no rule of its own: the intake day is never counted,
    so counting always starts on the first working day after it.
    """
    return add_working_days(calendar, local_date(intake, tz), 1)


def elapsed_between_instants(
    calendar: WorkingCalendar,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    pauses: Sequence[tuple[dt.datetime, dt.datetime]] = (),
) -> int:
    """Working days elapsed between two aware instants, excluding statutory pauses (given as instants)."""
    return elapsed_working_days(
        calendar,
        local_date(start, tz),
        local_date(end, tz),
        [(local_date(p_start, tz), local_date(p_end, tz)) for p_start, p_end in pauses],
    )
