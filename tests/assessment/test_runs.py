"""Assessment runs end to end: facts as of the cut-off, scores and grades per category, reproducibility."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from civicpulse.assessment.facts import period_bounds
from civicpulse.assessment.models import Run, RunSubject, RunValue, SchemeVersion
from civicpulse.assessment.selectors import values_behind
from civicpulse.assessment.services import run_compute
from civicpulse.cases import services as cases
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, ValidationFailed
from civicpulse.evaluations import services as ev
from tests.assessment.conftest import at, case_accepted, case_decided


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2025-11", "2025-11-01", "2025-11-30"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2025-12", "2025-12-01", "2025-12-31"),
        ("2025-Q4", "2025-10-01", "2025-12-31"),
        ("2025-Q1", "2025-01-01", "2025-03-31"),
        ("2025", "2025-01-01", "2025-12-31"),
    ],
)
def test_periods_are_months_quarters_and_years(label, first, last):
    assert period_bounds(label) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


@pytest.mark.parametrize("label", ["2025-13", "2025-Q5", "Nov 2025", ""])
def test_a_malformed_period_is_refused(label):
    with pytest.raises(ValueError):
        period_bounds(label)


def test_a_run_scores_the_category_from_the_facts_and_reproduces_exactly(world):
    on_time = case_decided(world, "2025-11-03", "2025-11-05")  # promised 5 working days: on time
    case_decided(world, "2025-11-04", "2025-11-20")  # 12 working days: late
    pending = case_accepted(world, "2025-11-28")  # still open at the cut-off; decided after it
    with clock.frozen(at("2025-11-06")):
        ev.evaluation_submit(
            case=on_time, stage="completion", channel="link", rating=ev.Rating(5, {}, []), as_applicant=True
        )
    cutoff = at("2025-12-03")
    with clock.frozen(at("2025-12-03", 11)):
        first = run_compute(actor=None, version=world.version, period="2025-11", cutoff=cutoff)
    subject = RunSubject.objects.get(run=first, unit=world.dept_a)
    values = {v.indicator: v for v in RunValue.objects.filter(subject=subject)}
    # Hand-computed: 1 of 2 decided on time (the open case waits) -> 0.5 -> 0 of 60 points; 1 good of 1 ->
    # 1.0 -> 40 points.
    assert (values["on_time_completion_rate"].value, values["on_time_completion_rate"].n) == (0.5, 2)
    assert (values["good_review_rate"].value, values["good_review_rate"].n) == (1.0, 1)
    assert subject.base == pytest.approx(40.0) and subject.rank == 1
    assert list(values_behind(subject)["on_time_completion_rate"].record_ids) == sorted(
        cases.Case.objects.exclude(pk=pending.pk).values_list("pk", flat=True)
    )
    empty = RunSubject.objects.get(run=first, unit=world.dept_b)
    assert empty.base is None and empty.rank is None and empty.grade == ""  # insufficient data: not ranked

    # Later events (the open case decided, a late rating) do not change a re-run with the same cut-off.
    with clock.frozen(at("2025-12-10")):
        cases.case_transition(actor=world.approver_a, case=pending, transition="approve")
    with clock.frozen(at("2025-12-15")):
        ev.evaluation_submit(
            case=on_time, stage="intake", channel="link", rating=ev.Rating(1, {}, ["slow"]), as_applicant=True
        )
        second = run_compute(actor=None, version=world.version, period="2025-11", cutoff=cutoff)
    assert second.number == 2 and second.digest == first.digest

    def snapshot(run: Run) -> list[tuple]:
        return sorted(
            RunValue.objects.filter(subject__run=run).values_list(
                "subject__unit_id", "indicator", "value", "n", "numerator", "points"
            )
        )

    assert snapshot(first) == snapshot(second)
    # The drill-down reads the same records again for either run.
    assert values_behind(RunSubject.objects.get(run=second, unit=world.dept_a)) == values_behind(subject)
    # A later cut-off sees the decision and the new rating.
    with clock.frozen(at("2025-12-16")):
        third = run_compute(actor=None, version=world.version, period="2025-11", cutoff=at("2025-12-16"))
    assert third.digest != first.digest


def test_only_a_published_version_runs_and_the_period_must_match(world):
    draft = SchemeVersion.objects.create(
        scheme=world.version.scheme, number=2, author=world.quality_a, created_at=clock.now()
    )
    with pytest.raises(Conflict):
        run_compute(actor=None, version=draft, period="2025-11")
    with pytest.raises(ValidationFailed):
        run_compute(actor=None, version=world.version, period="2025-Q4")
    with pytest.raises(ValidationFailed):
        run_compute(actor=None, version=world.version, period="November")


def test_the_command_runs_a_scheme_and_reports_it(world):
    case_decided(world, "2025-11-03", "2025-11-05")
    out = StringIO()
    with translation.override("en"), clock.frozen(at("2025-12-03")):
        call_command(
            "assess", "run", "--scheme", "depts", "--period", "2025-11", stdout=out, stderr=StringIO()
        )
    assert "2 subjects" in out.getvalue() and Run.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "today", "period"),
    [
        ("month", "2025-12-03", "2025-11"),
        ("month", "2026-01-05", "2025-12"),
        ("quarter", "2026-01-06", "2025-Q4"),
        ("quarter", "2025-10-09", "2025-Q3"),
        ("quarter", "2025-12-03", "2025-Q3"),
        ("year", "2026-01-06", "2025"),
    ],
)
def test_the_period_just_ended(kind, today, period):
    from civicpulse.assessment.services import previous_period

    assert previous_period(kind, dt.date.fromisoformat(today)) == period


def test_routine_runs_start_on_the_third_working_day_after_the_period_and_run_once(world):
    from civicpulse.assessment.services import routine_runs

    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-12-02")):  # Monday 1st and Tuesday 2nd: the 2nd working day
        assert routine_runs() == []
    with clock.frozen(at("2025-12-03")):
        [run] = routine_runs()
        assert run.period == "2025-11" and run.cutoff == at("2025-12-03")
    with clock.frozen(at("2025-12-04")):
        assert routine_runs() == []
    # A quarterly scheme is run in the month after its quarter only.
    SchemeVersion.objects.filter(pk=world.version.pk).update(period_kind="quarter")
    with clock.frozen(at("2025-12-05")):
        assert routine_runs() == []
    with clock.frozen(at("2026-01-06")):
        assert [r.period for r in routine_runs()] == ["2025-Q4"]


def test_a_refused_case_stays_completed_after_it_is_closed_and_re_runs_agree(world):
    from civicpulse.assessment.facts import load, unit_resolver

    with clock.frozen(at("2025-11-03")):
        case = cases.case_intake(
            actor=world.window_officer,
            service_code="SVC-1",
            channel="hall",
            applicant=cases.Applicant(name="李四", id_number="110101199003071234", phone="13811113333"),
            submitted_positions=[1, 2],
            window=world.window,
        )
    with clock.frozen(at("2025-11-03", 11)):
        cases.case_transition(actor=world.head_a, case=case, transition="refuse", reason="不属于本部门职权。")

    def completed(cutoff: str) -> list[bool]:
        facts = load(
            start=dt.date(2025, 11, 1),
            end=dt.date(2025, 11, 30),
            cutoff=at(cutoff),
            resolve=unit_resolver([world.dept_a.pk]),
        )
        return [f.completed for f in facts.cases]

    before = completed("2025-12-03")
    assert before == [True]
    assert completed("2025-11-03") == [False]  # received at 10:00, refused at 11:00: not yet at 10:00
    with clock.frozen(at("2025-12-10")):
        cases.case_transition(actor=world.window_officer, case=case, transition="close")
    assert completed("2025-12-03") == before == completed("2025-12-20")
