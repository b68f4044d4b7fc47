"""The rectification deadlines on every preset: pure functions, no database, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from civicpulse.core.calendars import official_cn_calendar
from civicpulse.core.workdays import WorkingCalendar
from civicpulse.rectification.deadlines import (
    PRESETS,
    Deadlines,
    appeal_due,
    deadlines,
    is_late,
    next_working_day_from,
    preset_get,
)

D = dt.date
WEEKENDS = WorkingCalendar(covers_all_years=True)
# A made-up year: Wednesday 5 and Thursday 6 March are holidays, Saturday 8 March is a make-up working day.
SPRING = WorkingCalendar(
    holidays=frozenset({D(2025, 3, 5), D(2025, 3, 6)}),
    workdays=frozenset({D(2025, 3, 8)}),
    covered_years=frozenset({2025}),
)


def test_the_four_presets_of_the_domain_reference_are_offered():
    assert sorted(PRESETS) == ["calendar_7", "same_day", "standard", "working_15"]
    assert preset_get("standard").contact_working_days == 1 and preset_get("standard").rectify_days == 5


def test_an_unknown_preset_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown rectification preset"):
        preset_get("whenever")


@pytest.mark.parametrize(
    ("preset", "opened", "contact", "rectify"),
    [
        # Monday 3 November 2025, a plain week.
        ("standard", D(2025, 11, 3), D(2025, 11, 4), D(2025, 11, 10)),
        ("same_day", D(2025, 11, 3), D(2025, 11, 3), D(2025, 11, 10)),
        ("calendar_7", D(2025, 11, 3), D(2025, 11, 4), D(2025, 11, 10)),
        ("working_15", D(2025, 11, 3), D(2025, 11, 4), D(2025, 11, 24)),
        # Friday 7 November: the weekend is not counted.
        ("standard", D(2025, 11, 7), D(2025, 11, 10), D(2025, 11, 14)),
        ("same_day", D(2025, 11, 7), D(2025, 11, 7), D(2025, 11, 14)),
        ("calendar_7", D(2025, 11, 7), D(2025, 11, 10), D(2025, 11, 14)),
        ("working_15", D(2025, 11, 7), D(2025, 11, 10), D(2025, 11, 28)),
        # Saturday 8 November: the day of opening is never counted; same-day contact waits for Monday.
        ("standard", D(2025, 11, 8), D(2025, 11, 10), D(2025, 11, 14)),
        ("same_day", D(2025, 11, 8), D(2025, 11, 10), D(2025, 11, 14)),
        # Seven calendar days from Saturday end on Saturday 15th: a day off, so Monday 17th.
        ("calendar_7", D(2025, 11, 8), D(2025, 11, 10), D(2025, 11, 17)),
        ("working_15", D(2025, 11, 8), D(2025, 11, 10), D(2025, 11, 28)),
    ],
)
def test_deadlines_on_a_calendar_of_weekends(preset, opened, contact, rectify):
    assert deadlines(WEEKENDS, opened, preset_get(preset)) == Deadlines(contact, rectify)


@pytest.mark.parametrize(
    ("preset", "opened", "contact", "rectify"),
    [
        # Tuesday 4 March: Wed-Thu are holidays, Friday counts, Saturday 8th is a make-up working day.
        ("standard", D(2025, 3, 4), D(2025, 3, 7), D(2025, 3, 12)),
        ("same_day", D(2025, 3, 4), D(2025, 3, 4), D(2025, 3, 12)),
        ("calendar_7", D(2025, 3, 4), D(2025, 3, 7), D(2025, 3, 11)),
        ("working_15", D(2025, 3, 4), D(2025, 3, 7), D(2025, 3, 26)),
        # Opened on the holiday itself: same-day contact is the next working day.
        ("same_day", D(2025, 3, 5), D(2025, 3, 7), D(2025, 3, 12)),
        # Opened on the make-up Saturday: it is a working day, so same-day contact is that Saturday.
        ("same_day", D(2025, 3, 8), D(2025, 3, 8), D(2025, 3, 14)),
        # Seven calendar days from Friday 28 February end on Friday 7 March: a working day, kept.
        ("calendar_7", D(2025, 2, 28), D(2025, 3, 3), D(2025, 3, 7)),
        # Seven calendar days from Thursday 27 February end on Thursday 6 March, a holiday: Friday 7th.
        ("calendar_7", D(2025, 2, 27), D(2025, 2, 28), D(2025, 3, 7)),
    ],
)
def test_deadlines_skip_holidays_and_count_make_up_working_days(preset, opened, contact, rectify):
    assert deadlines(SPRING, opened, preset_get(preset)) == Deadlines(contact, rectify)


@pytest.mark.parametrize(
    ("preset", "contact", "rectify"),
    [
        # The domain reference's example: 1-8 October 2025 are holidays, Saturday 11 October is worked.
        ("standard", D(2025, 10, 9), D(2025, 10, 14)),
        ("same_day", D(2025, 9, 30), D(2025, 10, 14)),
        # 30 September + 7 days is 7 October, inside the holiday: the first working day after it.
        ("calendar_7", D(2025, 10, 9), D(2025, 10, 9)),
        ("working_15", D(2025, 10, 9), D(2025, 10, 28)),
    ],
)
def test_deadlines_over_the_national_day_holiday_on_the_official_calendar(preset, contact, rectify):
    assert deadlines(official_cn_calendar(), D(2025, 9, 30), preset_get(preset)) == Deadlines(
        contact, rectify
    )


def test_the_rectification_deadline_is_never_before_the_contact_deadline():
    for preset in PRESETS.values():
        for offset in range(60):
            opened = D(2025, 9, 1) + dt.timedelta(days=offset)
            due = deadlines(official_cn_calendar(), opened, preset)
            assert opened <= due.contact_due <= due.rectify_due


def test_the_appeal_window_counts_working_days_after_the_opening():
    assert appeal_due(WEEKENDS, D(2025, 11, 3), 3) == D(2025, 11, 6)
    assert appeal_due(WEEKENDS, D(2025, 11, 6), 3) == D(2025, 11, 11)
    assert appeal_due(SPRING, D(2025, 3, 4), 3) == D(2025, 3, 10)
    assert appeal_due(official_cn_calendar(), D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_a_deadline_is_missed_only_once_its_day_has_passed():
    assert not is_late(D(2025, 11, 4), D(2025, 11, 4))
    assert is_late(D(2025, 11, 4), D(2025, 11, 5))


def test_the_next_working_day_from_a_working_day_is_that_day():
    assert next_working_day_from(SPRING, D(2025, 3, 4)) == D(2025, 3, 4)
    assert next_working_day_from(SPRING, D(2025, 3, 5)) == D(2025, 3, 7)
    assert next_working_day_from(SPRING, D(2025, 3, 9)) == D(2025, 3, 10)
