"""A case's clock as pure functions: deadlines, days used and the time-limit state."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from civicpulse.cases.clocks import Clock, deadline, sla_state, step_deadline, used_days
from civicpulse.core.workdays import WorkingCalendar

D = dt.date.fromisoformat
OFFICIAL = WorkingCalendar(
    holidays=frozenset(chinese_calendar.holidays),
    workdays=frozenset(chinese_calendar.workdays),
    covered_years=frozenset(range(2004, 2027)),
)


def test_the_deadline_skips_the_national_day_holidays():
    assert deadline(OFFICIAL, Clock(D("2025-09-30"), 5)) == D("2025-10-14")


def test_an_open_pause_has_no_deadline_yet_and_stops_the_count():
    paused = Clock(D("2025-11-03"), 10, [(D("2025-11-05"), None)])
    assert deadline(OFFICIAL, paused) is None
    # Tue 4 and Wed 5 count; from Thu 6 the clock stands still however long the pause lasts.
    assert used_days(OFFICIAL, paused, D("2025-11-05")) == 2
    assert used_days(OFFICIAL, paused, D("2025-11-28")) == 2


def test_a_closed_pause_moves_the_deadline_by_its_working_days():
    plain = deadline(OFFICIAL, Clock(D("2025-11-03"), 10))
    paused = deadline(OFFICIAL, Clock(D("2025-11-03"), 10, [(D("2025-11-05"), D("2025-11-10"))]))
    assert plain == D("2025-11-17")
    assert paused == D("2025-11-20")  # Thu 6, Fri 7 and Mon 10 did not count


@pytest.mark.parametrize(
    ("today", "state"),
    [
        ("2025-11-03", "on_track"),  # intake day: nothing used
        ("2025-11-12", "on_track"),  # 7 of 10 working days used
        ("2025-11-13", "warning"),  # 8 of 10: 80 %
        ("2025-11-14", "warning"),  # 9 of 10
        ("2025-11-17", "warning"),  # 10 of 10: due today
        ("2025-11-18", "overdue"),
    ],
)
def test_warning_at_eighty_percent_and_overdue_after_the_deadline(today, state):
    assert sla_state(OFFICIAL, Clock(D("2025-11-03"), 10), D(today), 0.8) == state


def test_a_deadline_on_a_friday_is_overdue_on_the_saturday():
    case = Clock(D("2025-11-10"), 5)  # due Mon 17
    assert deadline(OFFICIAL, case) == D("2025-11-17")
    friday_case = Clock(D("2025-11-07"), 5)  # due Fri 14
    assert sla_state(OFFICIAL, friday_case, D("2025-11-14"), 0.8) == "warning"
    assert sla_state(OFFICIAL, friday_case, D("2025-11-15"), 0.8) == "overdue"


def test_an_immediate_service_is_due_the_day_it_is_received():
    case = Clock(D("2025-11-03"), 0)
    assert deadline(OFFICIAL, case) == D("2025-11-03")
    assert sla_state(OFFICIAL, case, D("2025-11-03"), 0.8) == "warning"
    assert sla_state(OFFICIAL, case, D("2025-11-04"), 0.8) == "overdue"


def test_a_paused_case_does_not_become_overdue_while_paused():
    case = Clock(D("2025-11-03"), 3, [(D("2025-11-04"), None)])
    assert sla_state(OFFICIAL, case, D("2025-12-31"), 0.8) == "on_track"


def test_a_step_budget_counts_from_the_day_the_step_began():
    # Step began Mon 2025-11-10 with 3 working days: Tue, Wed, Thu.
    assert step_deadline(OFFICIAL, Clock(D("2025-11-03"), 10), D("2025-11-10"), 3) == D("2025-11-13")


def test_a_pause_in_an_earlier_step_does_not_move_a_later_step():
    clock = Clock(D("2025-11-03"), 10, [(D("2025-11-04"), D("2025-11-06"))])
    assert step_deadline(OFFICIAL, clock, D("2025-11-10"), 3) == D("2025-11-13")


def test_a_pause_inside_the_step_moves_its_budget():
    # Paused Tue 11 > Thu 13: Wed 12 and Thu 13 do not count, so Tue 11, Fri 14, Mon 17.
    clock = Clock(D("2025-11-03"), 10, [(D("2025-11-11"), D("2025-11-13"))])
    assert step_deadline(OFFICIAL, clock, D("2025-11-10"), 3) == D("2025-11-17")


def test_a_pause_straddling_the_step_start_counts_only_its_part_inside_the_step():
    # Paused Fri 7 > Tue 11; the step began Mon 10, so only Tue 11 is excluded.
    clock = Clock(D("2025-11-03"), 10, [(D("2025-11-07"), D("2025-11-11"))])
    assert step_deadline(OFFICIAL, clock, D("2025-11-10"), 3) == D("2025-11-14")


def test_a_step_has_no_deadline_while_the_case_is_paused():
    clock = Clock(D("2025-11-03"), 10, [(D("2025-11-11"), None)])
    assert step_deadline(OFFICIAL, clock, D("2025-11-10"), 3) is None


def test_a_step_without_budget_is_due_the_day_it_began():
    assert step_deadline(OFFICIAL, Clock(D("2025-11-03"), 10), D("2025-11-10"), 0) == D("2025-11-10")
