"""Case handling through its service functions: intake, every edge of the state machine, clocks, the scan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.enums import CaseStatus, SlaState
from civicpulse.cases.models import Case, CasePause, Visit
from civicpulse.cases.transitions import TRANSITIONS
from civicpulse.catalogue import services as cat
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent, CalendarOverride, WorkCalendar
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICANT = cases.Applicant(name="王小明", id_number="110101199003071234", phone="13812345678")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    with clock.frozen(at("2025-06-02")):
        service, _version = factories.published_service(county, "LIC-1", promised=5, statutory=20)
        draft = cat.version_create(actor=county.quality_a, service=service)
        steps = factories.step_inputs("dept-a")
        steps[1] = cat.StepInput(**{**steps[1].__dict__, "pause_allowed": True})
        cat.version_update(actor=county.quality_a, version=draft, fields={}, steps=steps)
        cat.version_transition(actor=county.quality_a, version=draft, transition="submit")
        cat.version_transition(actor=county.head_a, version=draft, transition="approve")
    return county


def intake(world, day: str = "2025-11-03", hour: int = 10) -> Case:
    with clock.frozen(at(day, hour)):
        return cases.case_intake(
            actor=world.window_officer,
            service_code="LIC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )


def act(world, case: Case, name: str, day: str, who: str = "approver_a", **kwargs) -> Case:
    with clock.frozen(at(day)):
        return cases.case_transition(actor=getattr(world, who), case=case, transition=name, **kwargs)


def test_a_hall_intake_records_the_case_its_visit_and_its_deadline(world):
    case = intake(world)
    assert case.status == CaseStatus.SUBMITTED and case.limit_days == 5
    assert case.due_date == dt.date(2025, 11, 10)
    assert case.version.number == 2 and case.calendar["code"] == "CN"
    assert [v.kind for v in Visit.objects.filter(case=case)] == ["intake"]
    assert list(case.materials.values_list("position", "submitted")) == [(1, True), (2, True)]
    assert AuditEvent.objects.filter(action="cases.case.submitted", target_id=str(case.pk)).count() == 1
    assert str(case) == case.number and APPLICANT.name not in str(case)


def test_intake_on_a_holiday_counts_from_the_next_working_day(world):
    case = intake(world, "2025-10-03")
    assert case.due_date == dt.date(2025, 10, 14)  # 9, 10, 11 (make-up Saturday), 13, 14


def test_only_a_window_officer_of_that_window_takes_hall_applications(world):
    with pytest.raises(NotFound):
        cases.case_intake(
            actor=world.head_b,
            service_code="LIC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[],
            window=world.window,
        )
    with pytest.raises(Forbidden):
        cases.case_intake(
            actor=world.head_a,
            service_code="LIC-1",
            channel="online",
            applicant=APPLICANT,
            submitted_positions=[],
        )
    assert not Case.objects.exists()


def test_a_citizen_applies_online_without_a_window(world):
    case = cases.case_intake(
        actor=world.citizen,
        service_code="LIC-1",
        channel="online",
        applicant=APPLICANT,
        submitted_positions=[1],
    )
    assert case.window is None and case.applicant == world.citizen and not case.visits.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"applicant": cases.Applicant(name=" ", id_number="1", phone="1")}, "applicant_incomplete"),
        ({"submitted_positions": [9]}, "unknown_material"),
        ({"window": None}, "window_required"),
        ({"channel": "fax"}, "invalid_channel"),
    ],
)
def test_bad_intake_is_refused_and_writes_nothing(world, changes, code):
    kwargs = {
        "actor": world.window_officer,
        "service_code": "LIC-1",
        "channel": "hall",
        "applicant": APPLICANT,
        "submitted_positions": [1],
        "window": world.window,
        **changes,
    }
    with pytest.raises(ValidationFailed) as error:
        cases.case_intake(**kwargs)
    assert error.value.code == code
    assert not Case.objects.exists() and not Visit.objects.exists()


# How to bring a fresh case to each status, by the transitions that lead there.
PATHS = {
    CaseStatus.SUBMITTED: [],
    CaseStatus.REFUSED: [("refuse", {"reason": "材料不齐且无法补正"})],
    CaseStatus.IN_PROGRESS: [("accept", {})],
    CaseStatus.PAUSED: [("accept", {}), ("advance", {}), ("request_supplement", {"missing": [2]})],
    CaseStatus.DECIDED: [("accept", {}), ("approve", {})],
    CaseStatus.DELIVERED: [("accept", {}), ("approve", {}), ("deliver", {})],
    CaseStatus.CLOSED: [("accept", {}), ("approve", {}), ("deliver", {}), ("close", {})],
    CaseStatus.WITHDRAWN: [("withdraw", {"reason": "申请人撤回"})],
}
WHO = {"close": "head_a", "withdraw": "head_a"}
ARGS = {
    "refuse": {"reason": "x"},
    "deny": {"reason": "不符合法定条件"},
    "pause": {"reason": "专家评审"},
    "request_supplement": {"missing": [2]},
    "withdraw": {"reason": "x"},
}


def case_in(world, status: str) -> Case:
    case = intake(world)
    for name, kwargs in PATHS[status]:
        case = act(world, case, name, "2025-11-05", WHO.get(name, "approver_a"), **kwargs)
    assert case.status == status
    return case


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_edge_of_the_state_machine_is_allowed_or_refused_as_the_table_says(world, status, name):
    case = case_in(world, status)
    rule = TRANSITIONS[name]
    if name in ("request_supplement", "pause") and status == CaseStatus.IN_PROGRESS:
        case = act(world, case, "advance", "2025-11-05")  # step 2 is where the procedure allows a pause
    try:
        after = act(world, case, name, "2025-11-06", WHO.get(name, "approver_a"), **ARGS.get(name, {}))
    except Conflict as error:
        assert status not in rule.sources, f"{name} from {status} should be allowed"
        assert error.code == "transition_not_allowed"
        assert Case.objects.get(pk=case.pk).status == status
    else:
        assert status in rule.sources, f"{name} from {status} should be refused"
        assert after.status == rule.target


def test_a_role_outside_the_table_or_the_unit_is_refused(world):
    case = intake(world)
    for who in ("head_b", "supervisor", "citizen"):
        with pytest.raises(NotFound):
            act(world, case, "accept", "2025-11-04", who)
    with pytest.raises(NotFound):  # window officers take cases in, they do not decide them
        act(world, act(world, case, "accept", "2025-11-04"), "approve", "2025-11-04", "window_officer")


def test_a_supplement_request_lists_the_missing_materials_and_stops_the_clock(world):
    case = intake(world)  # Mon 3 Nov, 5 working days: due Mon 10
    case = act(world, case, "accept", "2025-11-03")
    case = act(world, case, "advance", "2025-11-04")
    case = act(world, case, "request_supplement", "2025-11-05", missing=[1, 2])  # Wed: day 2 counted
    assert case.status == CaseStatus.PAUSED and case.due_date is None
    assert CasePause.objects.get(case=case).missing == [1, 2]
    case = act(world, case, "resume", "2025-11-12", "window_officer")  # Thu 6 .. Wed 12 do not count
    assert case.due_date == dt.date(2025, 11, 17)


def test_a_pause_across_a_holiday_only_removes_its_working_days(world):
    case = intake(world, "2025-09-29")  # Mon; 5 working days
    case = act(world, case, "accept", "2025-09-29")
    case = act(world, case, "advance", "2025-09-29")
    case = act(world, case, "pause", "2025-09-30", reason="专家评审", pause_kind="expert_review")
    case = act(world, case, "resume", "2025-10-09")  # pause (30 Sep, 9 Oct]: only 9 Oct is a working day
    # Counted: 30 Sep; then 10, 11 (make-up Saturday), 13, 14 Oct.
    assert case.due_date == dt.date(2025, 10, 14)


def test_no_pause_where_the_procedure_allows_none(world):
    case = act(world, intake(world), "accept", "2025-11-03")  # step 1 allows no pause
    with pytest.raises(ValidationFailed) as error:
        act(world, case, "request_supplement", "2025-11-04", missing=[1])
    assert error.value.code == "pause_not_allowed"


def test_a_supplement_request_must_name_the_missing_materials(world):
    case = act(world, act(world, intake(world), "accept", "2025-11-03"), "advance", "2025-11-03")
    for missing in ([], [7]):
        with pytest.raises(ValidationFailed):
            act(world, case, "request_supplement", "2025-11-04", missing=missing)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS


def test_a_procedure_republished_mid_case_does_not_change_the_case(world):
    case = intake(world)
    service = case.service
    with clock.frozen(at("2025-11-04")):
        draft = cat.version_create(actor=world.quality_a, service=service)
        cat.version_update(actor=world.quality_a, version=draft, fields={"promised_limit_days": 8})
        cat.version_transition(actor=world.quality_a, version=draft, transition="submit")
        cat.version_transition(actor=world.head_a, version=draft, transition="approve")
    case = act(world, case, "accept", "2025-11-05")
    assert case.version.number == 2 and case.limit_days == 5 and case.due_date == dt.date(2025, 11, 10)


def test_a_calendar_override_after_intake_does_not_rewrite_the_deadline(world):
    case = intake(world)
    CalendarOverride.objects.create(
        calendar=WorkCalendar.objects.get(code="CN"),
        date=dt.date(2025, 11, 5),
        is_working_day=False,
        name="local holiday",
    )
    assert act(world, case, "accept", "2025-11-04").due_date == dt.date(2025, 11, 10)
    later = intake(world, "2025-11-04")
    assert later.due_date == dt.date(2025, 11, 12)  # the new case sees the holiday


def test_the_scan_marks_warnings_and_overdue_cases_once(world):
    case = act(world, intake(world), "accept", "2025-11-03")  # due 10 Nov
    with clock.frozen(at("2025-11-07")):  # 4 of 5 used
        assert cases.sla_scan()["warning"] == 1
        assert cases.sla_scan() == {"on_track": 0, "warning": 0, "overdue": 0, "step_overdue": 0}
    with clock.frozen(at("2025-11-11")):
        assert cases.sla_scan()["overdue"] == 1
        assert cases.sla_scan()["overdue"] == 0
    assert Case.objects.get(pk=case.pk).sla_state == SlaState.OVERDUE
    assert AuditEvent.objects.filter(action="cases.case.sla_changed", target_id=str(case.pk)).count() == 2


def test_a_step_past_its_own_budget_is_flagged_once_and_the_next_step_starts_afresh(world):
    from civicpulse.core.models import Notification

    case = act(world, intake(world), "accept", "2025-11-03")  # step 1: budget 1, due Tue 4 Nov
    assert (case.step_started_on, case.step_due_date) == (dt.date(2025, 11, 3), dt.date(2025, 11, 4))
    with clock.frozen(at("2025-11-04")):
        assert cases.sla_scan()["step_overdue"] == 0
    with clock.frozen(at("2025-11-05")):
        assert cases.sla_scan()["step_overdue"] == 1
        assert cases.sla_scan()["step_overdue"] == 0
    late = Notification.objects.filter(code="cases.step_overdue", target_id=str(case.pk))
    assert {n.recipient for n in late} == {case.assignee, world.head_a}
    assert Case.objects.get(pk=case.pk).step_overdue
    assert Case.objects.get(pk=case.pk).sla_state == SlaState.ON_TRACK  # the case as a whole is on time
    moved = act(world, Case.objects.get(pk=case.pk), "advance", "2025-11-05")  # step 2: budget 3
    assert not moved.step_overdue and moved.step_due_date == dt.date(2025, 11, 10)
    paused = act(world, moved, "pause", "2025-11-06", reason="专家评审")
    assert paused.step_due_date is None
    resumed = act(world, paused, "resume", "2025-11-10")  # Fri 7 and Mon 10 did not count
    assert resumed.step_due_date == dt.date(2025, 11, 12)
    decided = act(world, resumed, "approve", "2025-11-11")
    assert decided.step_due_date is None


def test_of_two_transitions_from_one_state_the_second_gets_a_conflict(world):
    case = act(world, intake(world), "accept", "2025-11-03")
    stale = Case.objects.get(pk=case.pk)
    act(world, case, "approve", "2025-11-04")
    with pytest.raises(Conflict) as error:
        act(world, stale, "deny", "2025-11-04", reason="不符合条件")
    assert error.value.code == "transition_not_allowed"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.decision == "approved" and fresh.reason == ""
    assert AuditEvent.objects.filter(action="cases.case.denied").count() == 0


def test_the_applicant_may_withdraw_their_own_online_case(world):
    case = cases.case_intake(
        actor=world.citizen,
        service_code="LIC-1",
        channel="online",
        applicant=APPLICANT,
        submitted_positions=[1],
    )
    assert (
        act(world, case, "withdraw", "2025-11-04", "citizen", reason="不再需要").status
        == CaseStatus.WITHDRAWN
    )


def test_the_sla_command_reports_what_changed(world):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import translation

    act(world, intake(world), "accept", "2025-11-03")
    out = StringIO()
    with clock.frozen(at("2025-11-11")), translation.override("en"):
        call_command("sla", "scan", stdout=out)
        call_command("sla", "scan", stdout=out)
    first, second = [line for line in out.getvalue().splitlines() if line.startswith("Time limits scanned")]
    assert "1 now overdue" in first and "0 now overdue" in second
    assert "Rectification orders: 0 citizens not contacted in time" in out.getvalue()


def test_each_step_goes_to_the_least_loaded_holder_of_its_role(world):
    other = factories.staff("approver_a2", world.dept_a, [Role.APPROVER])
    first = act(world, intake(world), "accept", "2025-11-03")
    second = act(world, intake(world), "accept", "2025-11-03")
    assert {first.assignee, second.assignee} == {world.approver_a, other}
    decided = act(world, first, "approve", "2025-11-04", first.assignee.username)
    assert decided.assignee is None


def test_a_department_head_reassigns_within_the_unit_only(world):
    case = act(world, intake(world), "accept", "2025-11-03")
    colleague = factories.staff("approver_a3", world.dept_a, [Role.APPROVER])
    moved = cases.case_reassign(actor=world.head_a, case=case, assignee=colleague)
    assert moved.assignee == colleague
    with pytest.raises(ValidationFailed):
        cases.case_reassign(actor=world.head_a, case=case, assignee=world.head_b)
    with pytest.raises(NotFound):
        cases.case_reassign(actor=world.head_b, case=case, assignee=colleague)


def test_warnings_reach_the_assignee_and_overdue_cases_climb_to_the_supervisor(world):
    from civicpulse.core.models import Notification

    case = act(world, intake(world), "accept", "2025-11-03")
    with clock.frozen(at("2025-11-07")):
        cases.sla_scan()
    warned = Notification.objects.filter(code="cases.warning", target_id=str(case.pk))
    assert [n.recipient for n in warned] == [case.assignee]
    with clock.frozen(at("2025-11-11")):
        cases.sla_scan()
        cases.sla_scan()  # a second run sends nothing new
    overdue = Notification.objects.filter(code="cases.overdue", target_id=str(case.pk))
    assert {n.recipient for n in overdue} == {case.assignee, world.head_a, world.supervisor}
    assert overdue.count() == 3


def test_an_immediate_service_is_settled_at_the_window_in_one_go(world):
    with clock.frozen(at("2025-06-03")):
        _service, version = factories.published_service(world, "NOW-1", "个人社保参保证明打印")
    from civicpulse.catalogue.models import ProcedureVersion

    # Set up as an immediate service directly: this test is about the window, not about authoring.
    ProcedureVersion.objects.filter(pk=version.pk).update(service_mode="immediate", promised_limit_days=0)
    with clock.frozen(at("2025-11-03")):
        case = cases.case_intake(
            actor=world.window_officer,
            service_code="NOW-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )
        done = cases.case_settle_on_the_spot(actor=world.window_officer, case=case)
    assert done.status == CaseStatus.DELIVERED and done.decision == "approved"
    assert done.visits.count() == 1  # run at most once: the intake visit is the only one
    with pytest.raises(Conflict):
        cases.case_settle_on_the_spot(actor=world.window_officer, case=intake(world))


def test_escalations_arrive_in_the_inbox_and_by_e_mail(
    world, client_for, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "NOTIFIERS": ["civicpulse.core.notify.EmailChannel"]}
    world.head_a.email = "head@example.org"
    world.head_a.save()
    act(world, intake(world), "accept", "2025-11-03")
    with clock.frozen(at("2025-11-11")), django_capture_on_commit_callbacks(execute=True):
        cases.sla_scan()
    # Written in the installation's language: one for the case, one for its first step.
    assert [m.to for m in mailoutbox] == [["head@example.org"]] * 2
    client = client_for(world.head_a, language="en")
    page = client.get("/inbox/").content.decode()
    assert "is overdue" in page and "2 unread messages" in page  # the case, and its first step
    client.post("/inbox/read/")
    assert "0 unread messages" in client.get("/inbox/").content.decode()


def test_an_approver_of_the_steps_section_sees_and_decides_the_case(county):
    """The approver sits in a section below the responsible department: the step's unit is what counts."""
    from civicpulse.cases.permissions import access_case

    with clock.frozen(at("2025-06-02")):
        service, _version = factories.published_service(county, "SEC-1", "分科审查事项")
        draft = cat.version_create(actor=county.quality_a, service=service)
        steps = factories.step_inputs("dept-a")
        steps[1] = cat.StepInput(**{**steps[1].__dict__, "responsible_unit_code": "dept-a-1"})
        cat.version_update(actor=county.quality_a, version=draft, fields={}, steps=steps)
        cat.version_transition(actor=county.quality_a, version=draft, transition="submit")
        cat.version_transition(actor=county.head_a, version=draft, transition="approve")
    with clock.frozen(at("2025-11-03")):
        case = cases.case_intake(
            actor=county.window_officer,
            service_code="SEC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1],
            window=county.window,
        )
        case = cases.case_transition(actor=county.head_a, case=case, transition="accept")
        with pytest.raises(NotFound):  # step 1 belongs to the department, not to the section
            cases.case_transition(actor=county.approver_a, case=case, transition="advance")
        case = cases.case_transition(actor=county.head_a, case=case, transition="advance")
        assert case.assignee == county.approver_a
        assert access_case(county.approver_a, case.number) == case
        decided = cases.case_transition(actor=county.approver_a, case=case, transition="approve")
    assert decided.decision == "approved"
