"""A report's numbers are the assessment engine's: counted independently here with counts/from_counts for
the same unit, month and cut-off, and compared with a finalized assessment run of the same month."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import count, wait_target_minutes
from civicpulse.assessment.facts import expected_days_before, unit_resolver
from civicpulse.assessment.models import RunValue
from civicpulse.assessment.services import run_compute, run_finalize
from civicpulse.core import clock
from civicpulse.reports import figures
from tests.assessment.conftest import at
from tests.reports.conftest import CUTOFF

pytestmark = pytest.mark.django_db


def engine(subjects, subject, month_start, month_end, cutoff, codes, *, expected=True):
    """The indicators `codes` of `subject`, counted among `subjects` as a run would count them."""
    counted = count(
        start=month_start,
        end=month_end,
        cutoff=cutoff,
        resolve=unit_resolver(subjects),
        by_staff=False,
        members=[],
    )
    references = {
        "expected_days": expected_days_before(month_start, cutoff) if expected else None,
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": wait_target_minutes(),
    }
    found = {}
    for code in codes:
        indicator = lib.INDICATORS[code]
        counts = counted.by_subject[indicator.source].get(subject) or lib.COUNTS_OF[indicator.source]()
        found[code] = lib.from_counts(code, counts, references[indicator.needs] if indicator.needs else None)
    return found


def same(figure: figures.Figure, value: lib.IndicatorValue) -> bool:
    return (
        figure.code,
        figure.value,
        figure.n,
        figure.numerator,
        figure.low,
        figure.high,
        figure.insufficient,
        figure.raw,
    ) == (
        value.code,
        value.value,
        value.n,
        float(value.numerator),
        value.low,
        value.high,
        value.insufficient,
        value.raw,
    )


NOVEMBER = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))


@pytest.mark.parametrize("unit", ["region", "dept_a", "dept_b", "hall", "section_a1"])
def test_the_headline_is_the_engine_s_for_the_unit_the_month_and_the_cut_off(november, unit):
    subject = getattr(november, unit)
    found = figures.compute(subject, "2025-11", CUTOFF)
    expected = engine([subject.pk], subject.pk, *NOVEMBER, CUTOFF, figures.HEADLINE)
    assert list(found.headline) == list(figures.HEADLINE)
    for code in figures.HEADLINE:
        assert same(found.headline[code], expected[code]), code


def test_the_month_has_something_in_every_group_to_compare(november):
    found = figures.compute(november.dept_a, "2025-11", CUTOFF).headline
    # Hand-counted from the fixture: 3 of 4 cases decided by the cut-off, 2 of them on time; 1 good and 1
    # bad rating; 3 tickets after 5, 12 and 25 minutes; the bad review's citizen called the same day.
    assert (found["on_time_completion_rate"].numerator, found["on_time_completion_rate"].n) == (2, 3)
    assert (found["good_review_rate"].value, found["bad_review_rate"].value) == (0.5, 0.5)
    assert (found["mean_wait"].value, found["mean_wait"].n) == (pytest.approx(14.0), 3)
    assert (found["wait_within_target_rate"].numerator, found["p90_wait"].value) == (2, pytest.approx(25.0))
    assert (found["contact_on_time_rate"].value, found["contact_on_time_rate"].n) == (1.0, 1)
    assert all(f.insufficient for f in found.values()), "a fixture this small is below every minimum sample"


def test_what_happens_after_the_cut_off_changes_nothing_until_a_later_cut_off(november):
    from civicpulse.cases import services as cases

    before = figures.compute(november.dept_a, "2025-11", CUTOFF)
    still_open = cases.Case.objects.get(intake_date=dt.date(2025, 11, 25))
    with clock.frozen(at("2025-12-05")):
        cases.case_transition(actor=november.approver_a, case=still_open, transition="approve")
    after = figures.compute(november.dept_a, "2025-11", CUTOFF)
    assert after == before and after.digest() == before.digest()
    later = figures.compute(november.dept_a, "2025-11", at("2025-12-08"))
    assert later.headline["on_time_completion_rate"].n == 4 and later.digest() != before.digest()


def test_the_figures_equal_a_finalized_run_of_the_same_month(november):
    with clock.frozen(at("2025-12-03", 9)):
        run = run_compute(actor=None, version=november.version, period="2025-11", cutoff=CUTOFF)
        run_finalize(actor=november.leader, run=run)
    region = figures.compute(november.region, "2025-11", CUTOFF)
    rows = {row.code: row for row in region.breakdown}
    compared = 0
    for unit in (november.dept_a, november.dept_b):
        mine = figures.compute(unit, "2025-11", CUTOFF).headline
        for stored in RunValue.objects.filter(subject__run=run, subject__unit=unit):
            theirs = (stored.value, stored.n, stored.numerator, stored.low, stored.high)
            assert (mine[stored.indicator].value, mine[stored.indicator].n) == theirs[:2], stored.indicator
            assert (mine[stored.indicator].numerator, mine[stored.indicator].low) == theirs[2:4]
            assert mine[stored.indicator].high == theirs[4]
            # The region's breakdown counts its departments side by side, as the run counts its members.
            row = rows[unit.code].figures[stored.indicator]
            assert (row.value, row.n, row.numerator, row.low, row.high) == theirs
            compared += stored.n
    assert compared >= 5


def test_the_trend_is_twelve_months_each_counted_like_its_own_month(november):
    found = figures.compute(november.dept_a, "2025-11", CUTOFF)
    assert [m.month for m in found.trend] == ["2024-12", *[f"2025-{m:02d}" for m in range(1, 12)]]
    october = next(m for m in found.trend if m.month == "2025-10").figures
    expected = engine(
        [november.dept_a.pk],
        november.dept_a.pk,
        dt.date(2025, 10, 1),
        dt.date(2025, 10, 31),
        CUTOFF,
        figures.TREND,
        expected=False,
    )
    assert all(same(october[code], expected[code]) for code in figures.TREND)
    assert october["on_time_completion_rate"].n == 2
    assert found.trend[-1].figures == {code: found.headline[code] for code in figures.TREND}
    empty = found.trend[0].figures["good_review_rate"]
    assert (empty.value, empty.n) == (None, 0)


def test_the_region_compares_its_departments_and_a_department_its_sections(november):
    region = figures.compute(november.region, "2025-11", CUTOFF)
    assert [(r.code, r.rest) for r in region.breakdown] == [("dept-a", False), ("dept-b", False)]
    department = figures.compute(november.dept_a, "2025-11", CUTOFF)
    # The section has no records of its own; the department's cases and its window's are "other records".
    assert [(r.code, r.rest) for r in department.breakdown] == [("dept-a-1", False), ("dept-a", True)]
    side_by_side = [november.section_a1.pk, november.dept_a.pk]
    for row, subject in zip(department.breakdown, side_by_side, strict=True):
        expected = engine(side_by_side, subject, *NOVEMBER, CUTOFF, figures.BREAKDOWN, expected=False)
        assert all(same(row.figures[code], expected[code]) for code in figures.BREAKDOWN)
    assert department.breakdown[1].figures["on_time_completion_rate"].insufficient
    window = figures.compute(november.window, "2025-11", CUTOFF)
    assert window.breakdown == []


def test_rectification_orders_open_and_overdue_at_the_cut_off(november):
    # Opened on Friday 21 November, to be rectified within 5 working days (by 28 November); contacted,
    # never answered.
    assert november.order.rectify_due == dt.date(2025, 11, 28)
    cases = [
        (at("2025-11-20"), 0, 0),
        (at("2025-11-25"), 1, 0),
        (CUTOFF, 1, 1),
    ]
    for cutoff, open_orders, overdue in cases:
        found = figures.compute(november.dept_a, "2025-11", cutoff)
        assert (found.orders_open, found.orders_overdue) == (open_orders, overdue), cutoff
    assert figures.compute(november.dept_b, "2025-11", CUTOFF).orders_open == 0
    assert figures.compute(november.region, "2025-11", CUTOFF).orders_open == 1


def test_the_figures_survive_their_json_and_their_digest_names_no_primary_key(november):
    found = figures.compute(november.region, "2025-11", CUTOFF)
    assert figures.Figures.from_json(found.as_json()) == found
    assert "unit_id" not in str(found.as_json())
    changed = dataclasses.replace(found, orders_open=found.orders_open + 1)
    assert changed.digest() != found.digest() and len(found.digest()) == 64


@pytest.mark.parametrize(
    ("month", "back"),
    [("2025-11", ["2025-09", "2025-10", "2025-11"]), ("2026-02", ["2025-12", "2026-01", "2026-02"])],
)
def test_months_back(month, back):
    assert figures.months_back(month, 3) == back


@pytest.mark.parametrize("month", ["2025-13", "2025-Q4", "2025", "Nov 2025", ""])
def test_only_a_month_is_a_month(month):
    with pytest.raises(ValueError):
        figures.month_bounds(month)
