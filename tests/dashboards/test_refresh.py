"""Keeping the cells current: a refresh rebuilds the months whose records the audit trail shows changed,
and the current month; the worker's task does it and schedules the next one; boards are kept until the
cells change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from civicpulse.accounts.enums import UnitKind
from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.dashboards import rollup
from civicpulse.dashboards.cache import board_html, warm
from civicpulse.dashboards.models import CaseCell, Grain, MonthState, RatingCell, RenderedBoard
from civicpulse.dashboards.selectors import Filters, Reader, total
from civicpulse.dashboards.tasks import dashboards_refresh_task, schedule_refresh
from civicpulse.evaluations import services as ev
from tests.dashboards.conftest import at, case_accepted, case_decided

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = dt.date(2025, 10, 1), dt.date(2025, 11, 1)


def _started(world, month: dt.date) -> float:
    return total(Reader(Filters(unit=world.dept_a, start=month, end=month)).sums("cases")).get("started", 0)


def _rate(case, day: str, level: int) -> None:
    with clock.frozen(at(day)):
        ev.evaluation_submit(
            case=case,
            stage="completion",
            channel="link",
            rating=ev.Rating(level, {}, ["attitude"]),
            as_applicant=True,
        )


def test_a_refresh_counts_every_month_first_then_only_the_changed_ones(world):
    case_decided(world, "2025-10-06", "2025-10-08")
    accepted = case_accepted(world, "2025-11-03")
    with clock.frozen(at("2025-11-20")):
        first = rollup.refresh()
    assert first == [OCTOBER, NOVEMBER]
    assert (_started(world, OCTOBER), _started(world, NOVEMBER)) == (1, 1)
    october_state = MonthState.objects.get(month=OCTOBER).refreshed_at

    # November's case is decided in December: only November (the case's month) and the current month move.
    from civicpulse.cases import services as cases

    with clock.frozen(at("2025-12-02")):
        cases.case_transition(actor=world.approver_a, case=accepted, transition="approve")
    with clock.frozen(at("2025-12-03")):
        second = rollup.refresh()
    assert second == [NOVEMBER, dt.date(2025, 12, 1)]
    assert MonthState.objects.get(month=OCTOBER).refreshed_at == october_state
    timed = total(Reader(Filters(unit=world.dept_a, start=NOVEMBER, end=NOVEMBER)).sums("cases"))["timed"]
    assert timed == 1


def test_a_rating_moves_its_own_month_and_its_cases(world):
    case = case_decided(world, "2025-10-27", "2025-10-29")
    with clock.frozen(at("2025-11-03")):
        rollup.refresh()
    _rate(case, "2025-11-03", 1)
    with clock.frozen(at("2025-11-04")):
        months = rollup.refresh()
    # The rating counts in November; the case's rated interaction in October.
    assert months == [OCTOBER, NOVEMBER]
    ratings = total(Reader(Filters(unit=world.dept_a, start=NOVEMBER, end=NOVEMBER)).sums("ratings"))
    assert (ratings["valid"], ratings["bad"], ratings["attitude_bad"]) == (1, 1, 1)
    cases = total(Reader(Filters(unit=world.dept_a, start=OCTOBER, end=OCTOBER)).sums("cases"))
    assert (cases["stages"], cases["rated_stages"]) == (3, 1)


def test_a_rebuild_writes_every_grain_and_sums_agree(world):
    case_decided(world, "2025-11-03", "2025-11-05")
    case_accepted(world, "2025-11-04")
    with clock.frozen(at("2025-11-20")):
        rollup.rebuild()
    sums = {
        grain: sum(CaseCell.objects.filter(grain=grain, month=NOVEMBER).values_list("started", flat=True))
        for grain in (Grain.BASE, Grain.UNIT, Grain.SERVICE, Grain.CHANNEL)
    }
    assert set(sums.values()) == {2}
    # Both cases were received at the window by its officer: the staff grain counts them for that person.
    staff = CaseCell.objects.get(grain=Grain.STAFF, month=NOVEMBER)
    assert (staff.staff_id, staff.started) == (world.window_officer.pk, 2)
    assert not RatingCell.objects.filter(month=NOVEMBER).exclude(valid=0).exists()


def test_the_command_rebuilds_with_a_progress_bar(world, capsys):
    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-11-20")), translation.override("en"):
        call_command("dashboards", "rebuild")
    captured = capsys.readouterr()
    assert "1 months rebuilt." in captured.out
    assert "2025-11" in captured.err
    assert _started(world, NOVEMBER) == 1


def test_the_task_refreshes_warms_and_schedules_itself(world):
    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-11-20")):
        months = dashboards_refresh_task.call()
        assert months == ["2025-11"]
        waiting = DBTaskResult.objects.filter(task_path=dashboards_refresh_task.module_path, status="READY")
        assert waiting.count() == 1
        assert not schedule_refresh()  # one waiting run is enough
    # The region's landing boards were rendered for every shared lens and language.
    assert RenderedBoard.objects.count() == 8


def test_a_board_is_kept_until_the_cells_change(world):
    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-11-20")):
        rollup.refresh()
        filters = Filters(unit=world.region, start=NOVEMBER, end=NOVEMBER)
        first = board_html("overview", user=None, filters=filters)
        assert RenderedBoard.objects.count() == 1
        assert board_html("overview", user=None, filters=filters) == first
    case_decided(world, "2025-11-06", "2025-11-07")
    with clock.frozen(at("2025-11-21")):
        rollup.refresh()
        warm()
        # The old board went with the old cells; a new one counts the new case.
        assert not RenderedBoard.objects.filter(html=first).exists()
        again = board_html("overview", user=None, filters=filters)
    assert again != first


def test_a_unit_that_moves_takes_its_months_along_in_the_tree_cells(world):
    from tests.factories import unit

    town = unit("town", UnitKind.REGION, world.region)
    case_decided(world, "2025-10-06", "2025-10-08")
    with clock.frozen(at("2025-11-20")):
        rollup.refresh()

    def started(scope, group="child"):
        reader = Reader(Filters(unit=scope, start=OCTOBER, end=OCTOBER))
        return {pk: sums["started"] for pk, sums in reader.sums("cases", group).items()}

    assert started(town) == {}
    assert started(world.region) == {world.dept_a.pk: 1, world.hall.pk: 1}
    world.dept_a.parent = town
    world.dept_a.save()
    # October's records did not change, so October is not counted again; its tree cells follow the move.
    with clock.frozen(at("2025-11-21")):
        assert rollup.refresh() == [NOVEMBER]
    assert started(town) == {world.dept_a.pk: 1}
    assert started(town, None) == {None: 1}
    assert started(world.region) == {town.pk: 1, world.hall.pk: 1}


def test_running_totals_follow_an_earlier_month_counted_again(world):
    from civicpulse.dashboards.models import ServiceTotal

    case_decided(world, "2025-10-06", "2025-10-08")
    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-11-20")):
        rollup.refresh()

    def totals() -> dict[tuple[dt.date, str], int]:
        return {(t.month, t.channel): t.started for t in ServiceTotal.objects.all()}

    assert totals() == {(OCTOBER, ""): 1, (OCTOBER, "hall"): 1, (NOVEMBER, ""): 2, (NOVEMBER, "hall"): 2}
    # Another October case, written late: October is counted again, and November's totals carry it.
    case_decided(world, "2025-10-07", "2025-10-09")
    with clock.frozen(at("2025-11-21")):
        assert rollup.refresh() == [OCTOBER, NOVEMBER]
    assert totals() == {(OCTOBER, ""): 2, (OCTOBER, "hall"): 2, (NOVEMBER, ""): 3, (NOVEMBER, "hall"): 3}
    reader = Reader(Filters(unit=world.region, start=NOVEMBER, end=NOVEMBER))
    service = Service.objects.get(code="SVC-1")
    assert reader.ranked_services(worst_first=False, limit=5, min_sample=1) == [service.pk]
