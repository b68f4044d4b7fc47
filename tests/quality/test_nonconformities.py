"""Nonconformities raised from live data: the rules fire once per subject and month, link every record that
triggered them and never reopen; actions run on working days and escalate when late; the effectiveness
check re-measures the indicator with the assessment engine and closes only on improvement."""

from __future__ import annotations

import datetime as dt

import pytest

from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.quality import services as quality
from civicpulse.quality.models import Nonconformity
from tests.quality.conftest import at, case_decided

pytestmark = pytest.mark.django_db


def _rated(world, intake: str, level: int, *, rated: str | None = None):
    """A case decided two days after intake and rated at completion by its applicant."""
    day = dt.date.fromisoformat(intake)
    case = case_decided(world, intake, (day + dt.timedelta(days=2)).isoformat())
    with clock.frozen(at(rated or (day + dt.timedelta(days=3)).isoformat())):
        ev.evaluation_submit(
            case=case,
            stage="completion",
            channel="link",
            rating=ev.Rating(level, {}, ["slow"] if level <= 2 else []),
            as_applicant=True,
        )
    return case


def _scan(day: str) -> dict[str, int]:
    with clock.frozen(at(day, 7)):
        return quality.quality_scan()


def test_repeated_bad_reviews_raise_one_nonconformity_that_links_them(world):
    for day in ("2025-11-03", "2025-11-04", "2025-11-05"):
        _rated(world, day, 1)
    _rated(world, "2025-11-06", 5)
    assert _scan("2025-12-01")["raised"] == 1
    (nc,) = Nonconformity.objects.all()
    bad = Evaluation.objects.filter(grade="bad")
    assert (nc.source, nc.unit, nc.service, nc.period) == ("bad_reviews", world.dept_a, None, "2025-11")
    assert sorted(nc.records.values_list("object_id", flat=True)) == sorted(bad.values_list("pk", flat=True))
    # The service's three reviews are all on the unit's nonconformity: no second one for them.
    # Baseline: 3 bad of 4 valid ratings in November, as the engine counts it.
    assert (nc.indicator, nc.baseline_value, nc.baseline_n) == ("bad_review_rate", 0.75, 4)
    assert nc.number == "NC2025-0001" and nc.status == "open"
    assert Notification.objects.filter(recipient=world.quality_a, code="quality.nc.raised").count() == 1


def test_a_rule_fires_once_adds_later_records_and_never_reopens(world):
    for day in ("2025-11-03", "2025-11-04", "2025-11-05"):
        _rated(world, day, 1)
    _scan("2025-11-20")
    _rated(world, "2025-11-21", 2, rated="2025-11-24")
    assert _scan("2025-11-25")["raised"] == 0
    nc = Nonconformity.objects.get()
    assert nc.records.count() == 4
    assert AuditEvent.objects.filter(action="quality.nc.records_added", target_id=str(nc.pk)).count() == 1
    with clock.frozen(at("2025-11-26")):
        quality.nc_cancel(actor=world.quality_a, nc=nc, reason="Raised on a training account.")
    _rated(world, "2025-11-26", 1, rated="2025-11-28")
    assert _scan("2025-11-29")["raised"] == 0
    assert Nonconformity.objects.count() == 1 and nc.records.count() == 4


def test_below_the_threshold_nothing_is_raised(world):
    for day in ("2025-11-03", "2025-11-04"):
        _rated(world, day, 1)
    assert _scan("2025-12-01") == {"raised": 0, "escalated": 0, "checked": 0}


def test_cases_decided_late_raise_a_nonconformity_for_their_unit(world):
    # Promised 5 working days; decided 12 working days later: late. Five of six.
    late = [case_decided(world, f"2025-11-0{d}", "2025-11-20") for d in (3, 4, 5, 6, 7)]
    case_decided(world, "2025-11-10", "2025-11-11")
    assert _scan("2025-12-01")["raised"] == 1
    nc = Nonconformity.objects.get(source="sla_breaches")
    assert sorted(nc.records.values_list("object_id", flat=True)) == sorted(c.pk for c in late)
    assert (nc.unit, nc.indicator, nc.baseline_n) == (world.dept_a, "on_time_completion_rate", 6)
    assert nc.baseline_value == pytest.approx(1 / 6)


def test_four_late_cases_are_below_the_minimum(world):
    for d in (3, 4, 5, 6):
        case_decided(world, f"2025-11-0{d}", "2025-11-20")
    assert _scan("2025-12-01")["raised"] == 0


def _raised_on_bad_reviews(world) -> Nonconformity:
    for day in ("2025-11-03", "2025-11-04", "2025-11-05"):
        _rated(world, day, 1)
    _scan("2025-11-10")
    return Nonconformity.objects.get()


def test_an_improvement_measured_again_closes_the_nonconformity(world):
    nc = _raised_on_bad_reviews(world)
    with clock.frozen(at("2025-11-11")):
        quality.nc_analyse(
            actor=world.quality_a,
            nc=nc,
            containment="Called each citizen back.",
            whys=["Applicants waited", "One approver", "No cover for leave"],
            cause_category="management",
            root_cause="No deputy for the approver.",
        )
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="corrective",
            description="Name a deputy approver.",
            owner=world.head_a,
            working_days=5,
        )
    assert action.due_on == dt.date(2025, 11, 18)  # five working days after Tuesday the 11th
    with clock.frozen(at("2025-11-14")):
        quality.action_complete(actor=world.head_a, action=action, result="Deputy named in the duty roster.")
    nc.refresh_from_db()
    assert nc.status == "verifying"
    assert (nc.effect_start, nc.effect_end, nc.check_due) == (
        dt.date(2025, 11, 15),
        dt.date(2025, 12, 14),
        dt.date(2025, 12, 15),
    )
    # After the actions: one bad review among five (0.2, down from 1.0 before).
    for day, level in (("2025-11-17", 5), ("2025-11-18", 5), ("2025-11-19", 4), ("2025-11-20", 5)):
        _rated(world, day, level)
    _rated(world, "2025-11-21", 1)
    with pytest.raises(Conflict), clock.frozen(at("2025-12-10")):  # the span it measures is not over
        quality.nc_check(actor=world.quality_a, nc=nc)
    assert _scan("2025-12-15")["checked"] == 1
    nc.refresh_from_db()
    assert (nc.status, nc.effective, nc.effect_value, nc.effect_n) == ("closed", True, 0.2, 5)
    assert nc.closed_at is not None


def test_no_improvement_sends_the_nonconformity_back_to_actions(world):
    nc = _raised_on_bad_reviews(world)
    with clock.frozen(at("2025-11-11")):
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="correction",
            description="Apologise.",
            owner=world.head_a,
            working_days=2,
        )
        quality.action_complete(actor=world.quality_a, action=action, result="Apologised to each citizen.")
    for day in ("2025-11-17", "2025-11-18"):
        _rated(world, day, 1)
    _scan("2025-12-12")
    nc.refresh_from_db()
    assert (nc.status, nc.effective, nc.effect_value) == ("actions", False, 1.0)
    # Raised by a rule, it has no owner yet: the quality office hears of it.
    assert (
        Notification.objects.filter(recipient=world.quality_a, code="quality.nc.not_effective").count() == 1
    )


def test_an_overdue_action_is_escalated_once(world):
    nc = _raised_on_bad_reviews(world)
    with clock.frozen(at("2025-11-11")):
        quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="corrective",
            description="Retrain.",
            owner=world.head_a,
            working_days=1,
        )
    assert _scan("2025-11-12")["escalated"] == 0
    assert _scan("2025-11-13")["escalated"] == 1
    assert _scan("2025-11-14")["escalated"] == 0
    assert Notification.objects.filter(recipient=world.head_a, code="quality.action.overdue").count() == 1
    assert Notification.objects.filter(recipient=world.quality_a, code="quality.action.overdue").count() == 1


def test_only_the_quality_office_of_the_unit_manages_its_nonconformities(world):
    nc = _raised_on_bad_reviews(world)
    with clock.frozen(at("2025-11-11")):
        for outsider in (world.window_officer, world.head_b, world.head_a):
            with pytest.raises(Forbidden):
                quality.action_add(
                    actor=outsider,
                    nc=nc,
                    kind="corrective",
                    description="x",
                    owner=world.head_a,
                    working_days=3,
                )
        with pytest.raises(Forbidden):
            quality.nc_raise(
                actor=world.quality_a,
                title="Rude reply",
                description="A complaint by letter.",
                source="complaint",
                severity="minor",
                unit=world.dept_b,
            )
        with pytest.raises(ValidationFailed):
            quality.nc_raise(
                actor=world.quality_a,
                title="t",
                description="d",
                source="bad_reviews",
                severity="minor",
                unit=world.dept_a,
            )
        raised = quality.nc_raise(
            actor=world.quality_a,
            title="Rude reply",
            description="A complaint by letter.",
            source="complaint",
            severity="minor",
            unit=world.section_a1,
        )
    assert raised.number == "NC2025-0002" and raised.raised_by == world.quality_a


def test_a_nonconformity_without_an_indicator_is_closed_by_hand_once_its_actions_are_done(world):
    with clock.frozen(at("2025-11-11")):
        nc = quality.nc_raise(
            actor=world.quality_a,
            title="Form outdated",
            description="Old form at the window.",
            source="manual",
            severity="minor",
            unit=world.dept_a,
        )
        with pytest.raises(Conflict):
            quality.nc_close(actor=world.quality_a, nc=nc, note="Done.")
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="correction",
            description="Replace the forms.",
            owner=world.head_a,
            working_days=1,
        )
        with pytest.raises(Forbidden):  # neither its owner nor the quality office
            quality.action_complete(actor=world.window_officer, action=action, result="Replaced.")
        quality.action_complete(actor=world.head_a, action=action, result="Replaced at every window.")
        nc.refresh_from_db()
        assert nc.status == "verifying"
        closed = quality.nc_close(actor=world.quality_a, nc=nc, note="Forms checked at every window.")
    assert closed.status == "closed" and closed.closed_at is not None


def test_a_changed_procedure_is_linked_to_the_action(world):
    from civicpulse.catalogue.models import ProcedureVersion

    nc = _raised_on_bad_reviews(world)
    version = ProcedureVersion.objects.get(service__code="SVC-1", status="published")
    with clock.frozen(at("2025-11-11")):
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="corrective",
            description="Shorten the review step.",
            owner=world.head_a,
            working_days=10,
        )
        done = quality.action_complete(
            actor=world.head_a, action=action, result="Review step cut to one day.", procedure_version=version
        )
    assert done.procedure_version == version
    event = AuditEvent.objects.filter(action="quality.action.done").get()
    assert event.data["procedure"] == f" (SVC-1 v{version.number})"


def test_a_window_answers_through_the_department_it_serves(world, client_for):
    # Pad ratings at the hall window: the nonconformity is the window's, seen and run by dept-a's office.
    for day in ("2025-11-03", "2025-11-04", "2025-11-05"):
        case = case_decided(world, day, "2025-11-07")
        with clock.frozen(at("2025-11-08")):
            ev.evaluation_submit(
                case=case, stage="intake", channel="pad", rating=ev.Rating(1, {}, ["slow"]), as_applicant=True
            )
    _scan("2025-11-10")
    nc = Nonconformity.objects.get(unit=world.window)
    assert Notification.objects.filter(recipient=world.quality_a, code="quality.nc.raised").exists()
    assert client_for(world.quality_a).get(f"/staff/quality/nonconformities/{nc.number}/").status_code == 200
    assert client_for(world.head_b).get(f"/staff/quality/nonconformities/{nc.number}/").status_code == 404


def test_an_action_owner_without_quality_rights_reads_and_completes_it(world, client_for):
    nc = _raised_on_bad_reviews(world)
    with clock.frozen(at("2025-11-11")):
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="correction",
            description="Brief the window.",
            owner=world.window_officer,
            working_days=3,
        )
        page = client_for(world.window_officer).get(f"/staff/quality/nonconformities/{nc.number}/")
        assert page.status_code == 200 and "Mark done" in page.content.decode()
        done = client_for(world.window_officer).post(
            f"/staff/quality/nonconformities/{nc.number}/",
            {"do": "done", "action": str(action.pk), "result": "Briefed."},
        )
    assert done.status_code == 302
    assert client_for(world.window_officer).get("/staff/quality/nonconformities/").status_code == 404


def test_raised_by_hand_with_an_indicator_it_has_a_baseline_and_closes_by_note_after_a_failed_check(world):
    for day in ("2025-11-03", "2025-11-04"):
        _rated(world, day, 1)
    with clock.frozen(at("2025-11-10")):
        nc = quality.nc_raise(
            actor=world.quality_a,
            title="Letters about delays",
            description="Two letters.",
            source="complaint",
            severity="minor",
            unit=world.dept_a,
            indicator="bad_review_rate",
        )
        assert (nc.baseline_start, nc.baseline_end, nc.baseline_value, nc.baseline_n) == (
            dt.date(2025, 10, 11),
            dt.date(2025, 11, 9),
            1.0,
            2,
        )
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="corrective",
            description="Retrain.",
            owner=world.head_a,
            working_days=2,
        )
        quality.action_complete(actor=world.head_a, action=action, result="Retrained.")
        with pytest.raises(Conflict):  # not before its check
            quality.nc_close(actor=world.quality_a, nc=nc, note="Looks better.")
    _scan("2025-12-12")  # nothing rated after the actions: too few records to tell
    nc.refresh_from_db()
    assert (nc.status, nc.effective, nc.effect_n) == ("actions", False, 0)
    with clock.frozen(at("2025-12-12")):
        closed = quality.nc_close(actor=world.quality_a, nc=nc, note="No ratings since; letters stopped.")
    assert closed.status == "closed"


def test_a_case_indicator_is_checked_once_the_cases_of_its_span_could_end(world):
    late = [case_decided(world, f"2025-11-0{d}", "2025-11-20") for d in (3, 4, 5, 6, 7)]
    assert late
    _scan("2025-11-24")
    nc = Nonconformity.objects.get(source="sla_breaches")
    with clock.frozen(at("2025-11-25")):
        action = quality.action_add(
            actor=world.quality_a,
            nc=nc,
            kind="corrective",
            description="Add an approver.",
            owner=world.head_a,
            working_days=2,
        )
        quality.action_complete(actor=world.head_a, action=action, result="Added.")
    nc.refresh_from_db()
    # 30 days measured, then 30 more for the cases received in them to be decided.
    assert (nc.effect_end, nc.check_due) == (dt.date(2025, 12, 25), dt.date(2026, 1, 25))


def test_cases_received_months_ago_and_decided_late_now_are_still_found(world):
    for d in (1, 2, 3, 4, 5):
        case_decided(world, f"2025-09-0{d}", "2025-11-20")
    assert _scan("2025-11-24")["raised"] == 1
    assert Nonconformity.objects.get(source="sla_breaches").period == "2025-09"
