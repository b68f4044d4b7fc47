"""Rectification deadlines (domain.md §5): pure functions over a `WorkingCalendar`, no ORM and no clock.

Presets are local practice, chosen by settings.CIVICPULSE["RECTIFICATION_PRESET"]. Counting follows the
working-day rule of core.workdays: the day a bad review arrives is not counted, so "contact within 1 working
day" ends on the first working day after it.

Two choices a statute does not spell out for us:
- "Same day" contact (0 days) on a day off means the next working day: nobody is at the desk to call.
- A limit in calendar days that ends on a day off moves to the next working day, as periods do in Chinese
  law (民法典 art. 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpulse.core.workdays import WorkingCalendar, add_working_days


@dataclass(frozen=True)
class Preset:
    contact_working_days: int
    rectify_days: int
    # False: `rectify_days` are working days; True: calendar days.
    rectify_in_calendar_days: bool = False


PRESETS: dict[str, Preset] = {
    "standard": Preset(contact_working_days=1, rectify_days=5),
    "same_day": Preset(contact_working_days=0, rectify_days=5),
    "calendar_7": Preset(contact_working_days=1, rectify_days=7, rectify_in_calendar_days=True),
    "working_15": Preset(contact_working_days=1, rectify_days=15),
}


@dataclass(frozen=True)
class Deadlines:
    contact_due: dt.date
    rectify_due: dt.date


def preset_get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown rectification preset {name!r}; one of {sorted(PRESETS)}") from None


def next_working_day_from(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    """`day` itself when it is a working day, otherwise the first working day after it."""
    return day if calendar.is_working_day(day) else add_working_days(calendar, day, 1)


def deadlines(calendar: WorkingCalendar, opened_on: dt.date, preset: Preset) -> Deadlines:
    if preset.contact_working_days == 0:
        contact_due = next_working_day_from(calendar, opened_on)
    else:
        contact_due = add_working_days(calendar, opened_on, preset.contact_working_days)
    if preset.rectify_in_calendar_days:
        rectify_due = next_working_day_from(calendar, opened_on + dt.timedelta(days=preset.rectify_days))
    else:
        rectify_due = add_working_days(calendar, opened_on, preset.rectify_days)
    return Deadlines(contact_due=contact_due, rectify_due=max(rectify_due, contact_due))


def appeal_due(calendar: WorkingCalendar, opened_on: dt.date, working_days: int) -> dt.date:
    """The last day on which an appeal against the review may be filed."""
    return add_working_days(calendar, opened_on, working_days)


def is_late(due: dt.date, today: dt.date) -> bool:
    """A deadline is missed once its day has passed: work done on the due date is on time."""
    return today > due
