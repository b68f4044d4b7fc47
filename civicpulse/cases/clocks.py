"""A case's clock: its deadline, the working days it has used and its SLA state. Pure functions.

The clock starts the working day after intake and stops during statutory pauses (domain.md §3). An open
pause has no end yet: while it lasts the deadline is unknown and the days used stay where they were.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from civicpulse.core.workdays import WorkingCalendar, due_date, elapsed_working_days


@dataclass(frozen=True)
class Clock:
    intake_date: dt.date
    limit_days: int
    # (start, end) per pause; end None while the pause is open.
    pauses: Sequence[tuple[dt.date, dt.date | None]] = ()

    def closed_pauses(self, today: dt.date) -> list[tuple[dt.date, dt.date]]:
        return [(start, end if end is not None else max(today, start)) for start, end in self.pauses]

    @property
    def is_paused(self) -> bool:
        return any(end is None for _start, end in self.pauses)


def deadline(calendar: WorkingCalendar, clock: Clock) -> dt.date | None:
    """The last working day of the limit, pauses added; None while a pause is open."""
    if clock.is_paused:
        return None
    return due_date(calendar, clock.intake_date, clock.limit_days, clock.closed_pauses(clock.intake_date))


def used_days(calendar: WorkingCalendar, clock: Clock, today: dt.date) -> int:
    """Working days counted against the limit up to and including `today`."""
    return elapsed_working_days(calendar, clock.intake_date, today, clock.closed_pauses(today))


def sla_state(calendar: WorkingCalendar, clock: Clock, today: dt.date, warning_share: float) -> str:
    """ "overdue" once the deadline has passed, "warning" from `warning_share` of the limit, else "on_track".

    An immediate service (limit 0) is due on the day of intake itself.
    """
    used = used_days(calendar, clock, today)
    due = deadline(calendar, clock)
    if used > clock.limit_days or (due is not None and today > due):
        return "overdue"
    if used >= math.ceil(warning_share * clock.limit_days):
        return "warning"
    return "on_track"


def step_deadline(
    calendar: WorkingCalendar, clock: Clock, step_start: dt.date, budget_days: int
) -> dt.date | None:
    """The last working day of a step's own budget, counted from the day the step began.

    Only pauses (or the parts of them) after the step began move it: a pause in an earlier step was
    already spent there. None while a pause is open, like the case's deadline.
    """
    if clock.is_paused:
        return None
    pauses = [
        (max(start, step_start), end) for start, end in clock.closed_pauses(step_start) if end >= step_start
    ]
    return due_date(calendar, step_start, budget_days, pauses)
