"""Working-day arithmetic. Pure: no database, no Django settings needed.

Expected dates in the tables were worked out by hand from the State Council holiday notices for 2024, 2025
and 2026, then checked against the `chinesecalendar` data the application ships.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from civicpulse.core.workdays import (
    WorkingCalendar,
    add_working_days,
    due_date,
    elapsed_between_instants,
    elapsed_working_days,
    first_counted_day,
    local_date,
    paused_days,
    uncovered_years,
    working_days_between,
)

D = dt.date.fromisoformat
ONE_DAY = dt.timedelta(days=1)

# Built straight from the package, weekend days of holiday periods included, so these tests also show
# that listing a weekend as a holiday changes nothing.
OFFICIAL = WorkingCalendar(
    holidays=frozenset(chinese_calendar.holidays),
    workdays=frozenset(chinese_calendar.workdays),
    covered_years=frozenset(range(2004, 2027)),
)
WEEKENDS_ONLY = WorkingCalendar(covers_all_years=True)


# --- The official schedule, period by period ------------------------------------------------------------

# (days off on what would be a weekday, make-up working days on a weekend), per holiday period.
PERIODS = {
    "2024 New Year": (["2024-01-01"], []),
    "2024 Spring Festival": (
        ["2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16"],
        ["2024-02-04", "2024-02-18"],
    ),
    "2024 Qingming": (["2024-04-04", "2024-04-05"], ["2024-04-07"]),
    "2024 Labour Day": (["2024-05-01", "2024-05-02", "2024-05-03"], ["2024-04-28", "2024-05-11"]),
    "2024 Dragon Boat": (["2024-06-10"], []),
    "2024 Mid-Autumn": (["2024-09-16", "2024-09-17"], ["2024-09-14"]),
    "2024 National Day": (
        ["2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-07"],
        ["2024-09-29", "2024-10-12"],
    ),
    "2025 New Year": (["2025-01-01"], []),
    "2025 Spring Festival": (
        ["2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04"],
        ["2025-01-26", "2025-02-08"],
    ),
    "2025 Qingming": (["2025-04-04"], []),
    "2025 Labour Day": (["2025-05-01", "2025-05-02", "2025-05-05"], ["2025-04-27"]),
    "2025 Dragon Boat": (["2025-06-02"], []),
    # In 2025 Mid-Autumn (6 October) falls inside the National Day week.
    "2025 National Day and Mid-Autumn": (
        ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"],
        ["2025-09-28", "2025-10-11"],
    ),
    "2026 New Year": (["2026-01-01", "2026-01-02"], ["2026-01-04"]),
    "2026 Spring Festival": (
        ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23"],
        ["2026-02-14", "2026-02-28"],
    ),
    "2026 Qingming": (["2026-04-06"], []),
    "2026 Labour Day": (["2026-05-01", "2026-05-04", "2026-05-05"], ["2026-05-09"]),
    "2026 Dragon Boat": (["2026-06-19"], []),
    "2026 Mid-Autumn": (["2026-09-25"], []),
    "2026 National Day": (
        ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
        ["2026-09-20", "2026-10-10"],
    ),
}


@pytest.mark.parametrize("period", PERIODS)
def test_weekday_holidays_are_days_off_and_make_up_weekends_are_working_days(period):
    days_off, make_up = PERIODS[period]
    for day in map(D, days_off):
        assert day.weekday() < 5 and not OFFICIAL.is_working_day(day), day
    for day in map(D, make_up):
        assert day.weekday() >= 5 and OFFICIAL.is_working_day(day), day


def test_the_period_tables_list_every_weekday_holiday_and_make_up_day_of_2024_to_2026():
    listed_off = {D(day) for off, _ in PERIODS.values() for day in off}
    listed_on = {D(day) for _, on in PERIODS.values() for day in on}
    shipped_off = {d for d in chinese_calendar.holidays if 2024 <= d.year <= 2026 and d.weekday() < 5}
    shipped_on = {d for d in chinese_calendar.workdays if 2024 <= d.year <= 2026}
    assert listed_off == shipped_off
    assert listed_on == shipped_on


def test_lunar_new_years_eve_2024_was_a_working_day_but_2025_made_it_a_holiday():
    assert OFFICIAL.is_working_day(D("2024-02-09"))
    assert not OFFICIAL.is_working_day(D("2025-01-28"))


# (start, n, expected): mostly the last working day before a period, so the count has to jump it.
ACROSS_PERIODS = [
    # 2024
    ("2023-12-29", 1, "2024-01-02"),
    ("2023-12-29", 3, "2024-01-04"),
    ("2024-02-02", 1, "2024-02-04"),  # Sunday make-up day
    ("2024-02-08", 2, "2024-02-18"),  # 9 Feb, then nothing until the Sunday make-up day
    ("2024-02-08", 3, "2024-02-19"),
    ("2024-04-03", 1, "2024-04-07"),
    ("2024-04-03", 2, "2024-04-08"),
    ("2024-04-26", 1, "2024-04-28"),
    ("2024-04-26", 4, "2024-05-06"),
    ("2024-04-30", 6, "2024-05-11"),
    ("2024-06-07", 1, "2024-06-11"),
    ("2024-09-13", 1, "2024-09-14"),
    ("2024-09-13", 2, "2024-09-18"),
    ("2024-09-27", 1, "2024-09-29"),
    ("2024-09-27", 3, "2024-10-08"),
    ("2024-09-30", 5, "2024-10-12"),
    # 2025
    ("2024-12-31", 1, "2025-01-02"),
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-24", 3, "2025-02-05"),
    ("2025-01-27", 4, "2025-02-08"),
    ("2025-04-03", 1, "2025-04-07"),
    ("2025-04-25", 1, "2025-04-27"),
    ("2025-04-25", 4, "2025-04-30"),
    ("2025-04-25", 5, "2025-05-06"),
    ("2025-05-30", 1, "2025-06-03"),
    ("2025-09-26", 1, "2025-09-28"),
    ("2025-09-26", 10, "2025-10-16"),
    ("2025-09-30", 5, "2025-10-14"),  # the example in docs/domain.md
    # 2026
    ("2025-12-31", 1, "2026-01-04"),
    ("2025-12-31", 2, "2026-01-05"),
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-13", 2, "2026-02-24"),
    ("2026-02-13", 6, "2026-02-28"),
    ("2026-04-03", 1, "2026-04-07"),
    ("2026-04-30", 1, "2026-05-06"),
    ("2026-04-30", 4, "2026-05-09"),
    ("2026-06-18", 1, "2026-06-22"),
    ("2026-09-24", 1, "2026-09-28"),
    ("2026-09-18", 1, "2026-09-20"),
    ("2026-09-30", 1, "2026-10-08"),
    ("2026-09-30", 3, "2026-10-10"),
    ("2026-09-30", 4, "2026-10-12"),
]


@pytest.mark.parametrize(("start", "n", "expected"), ACROSS_PERIODS)
def test_adding_working_days_skips_holidays_and_counts_make_up_days(start, n, expected):
    assert add_working_days(OFFICIAL, D(start), n) == D(expected)
    assert working_days_between(OFFICIAL, D(start), D(expected)) == n


@pytest.mark.parametrize(("year", "expected"), [(2024, 251), (2025, 248), (2026, 248)])
def test_a_whole_year_has_the_published_number_of_working_days(year, expected):
    assert working_days_between(OFFICIAL, dt.date(year - 1, 12, 31), dt.date(year, 12, 31)) == expected


# --- Rules of counting ----------------------------------------------------------------------------------


def test_the_intake_day_is_not_counted_even_when_it_is_a_working_day():
    assert add_working_days(WEEKENDS_ONLY, D("2025-03-03"), 1) == D("2025-03-04")
    assert working_days_between(WEEKENDS_ONLY, D("2025-03-03"), D("2025-03-03")) == 0


def test_intake_on_a_weekend_or_holiday_counts_from_the_next_working_day():
    assert add_working_days(WEEKENDS_ONLY, D("2025-03-08"), 1) == D("2025-03-10")
    assert add_working_days(OFFICIAL, D("2025-10-03"), 1) == D("2025-10-09")


def test_zero_working_days_is_the_start_day_itself():
    assert add_working_days(OFFICIAL, D("2025-10-04"), 0) == D("2025-10-04")
    assert due_date(OFFICIAL, D("2025-10-04"), 0) == D("2025-10-04")


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError):
        add_working_days(OFFICIAL, D("2025-01-01"), -1)
    with pytest.raises(ValueError):
        due_date(OFFICIAL, D("2025-01-01"), -1)


def test_working_days_between_is_zero_when_the_end_is_not_after_the_start():
    assert working_days_between(OFFICIAL, D("2025-03-10"), D("2025-03-03")) == 0


def test_a_listed_make_up_day_wins_over_the_same_day_listed_as_holiday():
    calendar = WorkingCalendar(holidays=frozenset({D("2025-03-08")}), workdays=frozenset({D("2025-03-08")}))
    assert calendar.is_working_day(D("2025-03-08"))


def test_only_the_covered_years_count_as_covered_unless_the_calendar_covers_all():
    assert OFFICIAL.is_covered(D("2026-12-31")) and not OFFICIAL.is_covered(D("2027-01-01"))
    assert not OFFICIAL.is_covered(D("2003-12-31"))
    assert WEEKENDS_ONLY.is_covered(D("2999-01-01"))


def test_uncovered_years_lists_each_year_in_the_span_without_a_schedule():
    assert uncovered_years(OFFICIAL, D("2025-06-01"), D("2028-01-02")) == [2027, 2028]
    assert uncovered_years(OFFICIAL, D("2024-01-01"), D("2026-12-31")) == []
    assert uncovered_years(WEEKENDS_ONLY, D("2027-01-01"), D("2030-01-01")) == []


def test_beyond_the_published_years_only_weekends_are_days_off():
    # 1 January 2027 is a Friday; the official notice for 2027 was not in the data, so it counts.
    assert add_working_days(OFFICIAL, D("2026-12-31"), 1) == D("2027-01-01")
    assert add_working_days(OFFICIAL, D("2027-01-01"), 1) == D("2027-01-04")


# --- Pauses ---------------------------------------------------------------------------------------------


def test_a_supplement_request_day_counts_and_the_receipt_day_does_not():
    # Intake Mon 3 March, supplement requested Wed 5, materials received Mon 10 (weekends-only calendar).
    pause = [(D("2025-03-05"), D("2025-03-10"))]
    assert paused_days(WEEKENDS_ONLY, pause) == {D("2025-03-06"), D("2025-03-07"), D("2025-03-10")}
    assert elapsed_working_days(WEEKENDS_ONLY, D("2025-03-03"), D("2025-03-11"), pause) == 3  # 4, 5, 11
    assert due_date(WEEKENDS_ONLY, D("2025-03-03"), 5, pause) == D("2025-03-13")
    assert due_date(WEEKENDS_ONLY, D("2025-03-03"), 5) == D("2025-03-10")


def test_a_pause_over_a_holiday_period_removes_only_its_working_days():
    # 29 Sep 2025 to 9 Oct 2025: the working days inside are 30 Sep and 9 Oct.
    pause = [(D("2025-09-29"), D("2025-10-09"))]
    assert paused_days(OFFICIAL, pause) == {D("2025-09-30"), D("2025-10-09")}
    # Counted: Sun 28 Sep (make-up), Mon 29 Sep (the request day), 10, 11 (make-up) and 13 Oct.
    assert due_date(OFFICIAL, D("2025-09-26"), 5, pause) == D("2025-10-13")


def test_overlapping_pauses_are_not_subtracted_twice():
    pauses = [(D("2025-03-05"), D("2025-03-12")), (D("2025-03-10"), D("2025-03-14"))]
    merged = [(D("2025-03-05"), D("2025-03-14"))]
    start, end = D("2025-03-03"), D("2025-03-31")
    assert elapsed_working_days(WEEKENDS_ONLY, start, end, pauses) == elapsed_working_days(
        WEEKENDS_ONLY, start, end, merged
    )
    assert elapsed_working_days(WEEKENDS_ONLY, start, end, merged) == 20 - 7


def test_a_pause_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        paused_days(OFFICIAL, [(D("2025-03-10"), D("2025-03-05"))])


# --- Local dates ----------------------------------------------------------------------------------------


def test_local_date_is_the_date_in_the_calendar_zone():
    late_utc = dt.datetime(2025, 9, 30, 16, 30, tzinfo=dt.UTC)
    assert local_date(late_utc, ZoneInfo("Asia/Shanghai")) == D("2025-10-01")
    assert local_date(late_utc, dt.UTC) == D("2025-09-30")


def test_local_date_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        local_date(dt.datetime(2025, 9, 30, 12, 0), ZoneInfo("Asia/Shanghai"))


# --- Properties -----------------------------------------------------------------------------------------

SYNTHETIC_SPAN = (dt.date(2024, 1, 1), dt.date(2026, 12, 31))


@st.composite
def synthetic_calendars(draw):
    """Random holidays (weekends included, which must be harmless) and random make-up weekend days."""
    days = st.dates(*SYNTHETIC_SPAN)
    holidays = draw(st.frozensets(days, max_size=80))
    workdays = draw(st.frozensets(days.filter(lambda d: d.weekday() >= 5), max_size=20))
    years = draw(st.frozensets(st.integers(2023, 2027)))
    return WorkingCalendar(holidays=holidays, workdays=workdays, covered_years=years)


# One long block of holidays, so a count has to run far to find its working days.
LONG_CLOSURE = WorkingCalendar(
    holidays=frozenset(dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(120)),
    covered_years=frozenset({2025}),
)

calendars = st.one_of(st.just(OFFICIAL), st.just(WEEKENDS_ONLY), st.just(LONG_CLOSURE), synthetic_calendars())
starts = st.dates(dt.date(2003, 10, 1), dt.date(2027, 6, 30))
counts = st.integers(0, 500)


@st.composite
def pause_lists(draw, start):
    """Closed pauses placed around `start`: before it, across it, or after it, sometimes overlapping."""
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        offset = draw(st.integers(-30, 400))
        length = draw(st.integers(0, 60))
        p_start = start + dt.timedelta(days=offset)
        pauses.append((p_start, p_start + dt.timedelta(days=length)))
    return pauses


def previous_working_day(calendar, day):
    day -= ONE_DAY
    while not calendar.is_working_day(day):
        day -= ONE_DAY
    return day


def next_working_day(calendar, day):
    day += ONE_DAY
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day


def brute_force_elapsed(calendar, start, end, pauses):
    count, day = 0, start + ONE_DAY
    while day <= end:
        inside_pause = any(p_start < day <= p_end for p_start, p_end in pauses)
        if calendar.is_working_day(day) and not inside_pause:
            count += 1
        day += ONE_DAY
    return count


@given(calendars, starts, st.integers(1, 500))
def test_the_due_day_is_a_working_day_exactly_n_working_days_after_the_start(calendar, start, n):
    due = add_working_days(calendar, start, n)
    assert calendar.is_working_day(due)
    assert working_days_between(calendar, start, due) == n
    assert working_days_between(calendar, start, due - ONE_DAY) == n - 1


@given(calendars, starts, counts, counts)
def test_more_working_days_always_end_strictly_later(calendar, start, n, m):
    assume(n != m)
    n, m = sorted((n, m))
    assert add_working_days(calendar, start, n) < add_working_days(calendar, start, m)


@given(calendars, starts, st.integers(1, 300))
def test_intake_on_a_day_off_is_due_with_intake_on_the_previous_working_day(calendar, start, n):
    assume(not calendar.is_working_day(start))
    earlier = previous_working_day(calendar, start)
    assert add_working_days(calendar, start, n) == add_working_days(calendar, earlier, n)


@given(calendars, starts, st.integers(1, 300))
def test_the_first_working_day_after_intake_is_day_one_of_the_count(calendar, start, n):
    first = next_working_day(calendar, start)
    assert add_working_days(calendar, start, n) == add_working_days(calendar, first, n - 1)


@given(calendars, starts, st.integers(0, 800), st.integers(0, 800))
def test_working_days_between_adds_up_over_consecutive_spans(calendar, a, x, y):
    b, c = a + dt.timedelta(days=x), a + dt.timedelta(days=x + y)
    assert working_days_between(calendar, a, b) + working_days_between(calendar, b, c) == (
        working_days_between(calendar, a, c)
    )


@given(calendars, starts, st.integers(0, 800))
def test_elapsed_without_pauses_is_the_working_days_between(calendar, start, length):
    end = start + dt.timedelta(days=length)
    assert elapsed_working_days(calendar, start, end) == working_days_between(calendar, start, end)


@given(st.data(), calendars, starts, st.integers(-10, 800))
def test_elapsed_counts_working_days_outside_every_pause(data, calendar, start, length):
    end = start + dt.timedelta(days=length)
    pauses = data.draw(pause_lists(start))
    elapsed = elapsed_working_days(calendar, start, end, pauses)
    assert elapsed == brute_force_elapsed(calendar, start, end, pauses)
    assert elapsed <= elapsed_working_days(calendar, start, end)


@given(st.data(), calendars, starts, st.integers(0, 800))
def test_repeating_or_splitting_a_pause_into_overlapping_parts_changes_nothing(data, calendar, start, length):
    end = start + dt.timedelta(days=length)
    p_start = start + dt.timedelta(days=data.draw(st.integers(-20, 400)))
    p_end = p_start + dt.timedelta(days=data.draw(st.integers(0, 100)))
    cut = p_start + dt.timedelta(days=data.draw(st.integers(0, (p_end - p_start).days)))
    overlap = dt.timedelta(days=data.draw(st.integers(0, 30)))
    whole = [(p_start, p_end)]
    parts = [(p_start, min(cut + overlap, p_end)), (max(cut - overlap, p_start), p_end), (p_start, p_end)]
    assert elapsed_working_days(calendar, start, end, parts) == elapsed_working_days(
        calendar, start, end, whole
    )


@given(st.data(), calendars, starts, st.integers(1, 300))
def test_pauses_never_bring_the_due_date_forward_and_it_is_reached_exactly(data, calendar, start, n):
    pauses = data.draw(pause_lists(start))
    due = due_date(calendar, start, n, pauses)
    assert due >= due_date(calendar, start, n) == add_working_days(calendar, start, n)
    assert elapsed_working_days(calendar, start, due, pauses) == n
    assert elapsed_working_days(calendar, start, due - ONE_DAY, pauses) == n - 1


@given(st.data(), calendars, starts, st.integers(1, 300))
def test_one_pause_resumes_the_count_where_it_stopped(data, calendar, start, n):
    p_start = start + dt.timedelta(days=data.draw(st.integers(0, 400)))
    p_end = p_start + dt.timedelta(days=data.draw(st.integers(0, 90)))
    counted_before = working_days_between(calendar, start, p_start)
    assume(counted_before < n)
    assert due_date(calendar, start, n, [(p_start, p_end)]) == add_working_days(
        calendar, p_end, n - counted_before
    )


@given(calendars, starts, st.integers(1, 300), st.integers(0, 60))
def test_a_pause_entirely_before_intake_changes_nothing(calendar, start, n, length):
    p_end = start - dt.timedelta(days=1)
    pause = [(p_end - dt.timedelta(days=length), p_end)]
    assert due_date(calendar, start, n, pause) == add_working_days(calendar, start, n)


SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_an_evening_intake_before_a_holiday_counts_from_the_first_working_day_after_it():
    calendar = OFFICIAL
    tuesday_evening = dt.datetime(2025, 9, 30, 19, 30, tzinfo=SHANGHAI)
    assert first_counted_day(calendar, tuesday_evening, SHANGHAI) == dt.date(2025, 10, 9)


def test_an_instant_just_after_midnight_in_beijing_is_still_the_previous_day_in_utc_terms():
    calendar = OFFICIAL
    # 2025-10-08 16:30 UTC is 00:30 on the 9th in Beijing: the intake date is the 9th, day one the 10th.
    instant = dt.datetime(2025, 10, 8, 16, 30, tzinfo=dt.UTC)
    assert first_counted_day(calendar, instant, SHANGHAI) == dt.date(2025, 10, 10)


def test_elapsed_between_instants_excludes_a_supplement_pause():
    calendar = OFFICIAL
    intake = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)  # Monday
    requested = dt.datetime(2025, 11, 5, 15, 0, tzinfo=SHANGHAI)  # Wednesday: day 2, still counted
    received = dt.datetime(2025, 11, 10, 9, 0, tzinfo=SHANGHAI)  # next Monday: not counted
    now = dt.datetime(2025, 11, 12, 18, 0, tzinfo=SHANGHAI)  # Wednesday
    # Counted: Tue 4, Wed 5, then Tue 11, Wed 12 -> 4 (Thu 6, Fri 7 and Mon 10 lie in the pause).
    assert elapsed_between_instants(calendar, intake, now, SHANGHAI, [(requested, received)]) == 4
    assert elapsed_between_instants(calendar, intake, now, SHANGHAI) == 7
