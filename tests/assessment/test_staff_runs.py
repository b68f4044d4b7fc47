"""Staff schemes by role, probationers, bonus and penalty items, and the committee's calibration."""

from __future__ import annotations

import datetime as dt

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.assessment import services as assess
from civicpulse.assessment.models import (
    Adjustment,
    Calibration,
    RunSubject,
    RunValue,
    Scheme,
    SchemeItem,
    SchemeVersion,
)
from civicpulse.assessment.selectors import values_behind
from civicpulse.cases import services as cases
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations import services as ev
from tests import factories
from tests.assessment.conftest import APPLICANT, at

pytestmark = pytest.mark.django_db

LINEAR = {"kind": "linear", "floor": 0.0, "target": 1.0}


def _applicant(n: int) -> cases.Applicant:
    return cases.Applicant(name=APPLICANT.name, id_number=APPLICANT.id_number, phone=f"1390000{n:04d}")


@pytest.fixture
def staff_world(world):
    """Two more window officers (one on probation) at the same window, and a staff scheme by role."""
    world.officer_2 = factories.staff("officer_2", world.window, [Role.WINDOW_OFFICER])
    world.probationer = factories.staff("probationer", world.window, [Role.WINDOW_OFFICER])
    world.probationer.on_probation = True
    world.probationer.save(update_fields=["on_probation"])
    scheme = Scheme.objects.create(code="staff", name_zh="窗口人员考核", name_en="Staff", subject="staff")
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=1,
        status="published",
        author=world.quality_a,
        approver=world.leader,
        created_at=clock.now(),
        ranking="raw",
        bonus_cap=5,
        penalty_cap=10,
        adjustment_items=[
            {"code": "commended", "name_zh": "表彰", "name_en": "Commended", "points": 3},
            {"code": "misconduct", "name_zh": "违纪", "name_en": "Misconduct", "points": -4},
        ],
    )
    for group, code in (("window_officer", "good_review_rate"), ("approver", "on_time_completion_rate")):
        SchemeItem.objects.create(
            version=version, group=group, indicator=code, weight=100, rule=LINEAR, min_sample=1
        )
    world.staff_version = version
    return world


def _hall_case(world, officer, day: str, n: int, rating: int | None):
    with clock.frozen(at(day)):
        case = cases.case_intake(
            actor=officer,
            service_code="SVC-1",
            channel="hall",
            applicant=_applicant(n),
            submitted_positions=[1, 2],
            window=world.window,
        )
    if rating is not None:
        with clock.frozen(at(day, 11)):
            ev.evaluation_submit(
                case=case,
                stage="intake",
                channel="link",
                rating=ev.Rating(rating, {}, [] if rating > 3 else ["slow"]),
                as_applicant=True,
            )
    return case


def _run(world, period="2025-11", cutoff="2025-12-03"):
    with clock.frozen(at(cutoff, 11)):
        return assess.run_compute(actor=None, version=world.staff_version, period=period, cutoff=at(cutoff))


def test_staff_are_scored_within_their_role_on_what_they_did_and_probationers_get_no_grade(staff_world):
    w = staff_world
    for n, (officer, rating) in enumerate(
        [
            (w.window_officer, 5),
            (w.window_officer, 5),
            (w.officer_2, 5),
            (w.officer_2, 1),
            (w.probationer, 5),
        ]
    ):
        _hall_case(w, officer, "2025-11-03", n, rating)
    run = _run(w)
    rows = {s.staff_id: s for s in RunSubject.objects.filter(run=run)}
    assert rows[w.window_officer.pk].group == "window_officer"
    good = {
        staff_id: RunValue.objects.get(subject=row, indicator="good_review_rate")
        for staff_id, row in rows.items()
        if row.group == "window_officer"
    }
    # Each officer's own ratings: 2 of 2 good, 1 of 2 good, 1 of 1 good.
    assert (good[w.window_officer.pk].numerator, good[w.window_officer.pk].n) == (2, 2)
    assert (good[w.officer_2.pk].numerator, good[w.officer_2.pk].n) == (1, 2)
    assert (good[w.probationer.pk].numerator, good[w.probationer.pk].n) == (1, 1)
    assert rows[w.window_officer.pk].final == pytest.approx(100.0)
    assert rows[w.officer_2.pk].final == pytest.approx(50.0)
    # The probationer is scored and ranked but never graded, and gets the neutral coefficient.
    probationer = rows[w.probationer.pk]
    assert probationer.probation and probationer.final == pytest.approx(100.0)
    assert probationer.grade == "" and probationer.incentive == 1.0
    assert rows[w.window_officer.pk].grade != ""
    # The approver is in their own peer group, judged on the cases they decided (none here: no data).
    approver = rows[w.approver_a.pk]
    assert approver.group == "approver" and approver.final is None and approver.grade == ""
    # People who hold no assessed role are not in the run.
    assert w.head_a.pk not in rows and w.leader.pk not in rows


def test_an_approver_is_judged_on_the_cases_they_decided(staff_world):
    w = staff_world
    case = _hall_case(w, w.window_officer, "2025-11-03", 1, None)
    with clock.frozen(at("2025-11-03", 12)):
        case = cases.case_transition(actor=w.head_a, case=case, transition="accept")
    with clock.frozen(at("2025-11-05")):
        cases.case_transition(actor=w.approver_a, case=case, transition="approve")
    run = _run(w)
    value = RunValue.objects.get(
        subject__run=run, subject__staff=w.approver_a, indicator="on_time_completion_rate"
    )
    assert (value.numerator, value.n) == (1, 1)
    assert values_behind(value.subject)["on_time_completion_rate"].record_ids == (case.pk,)


def _record(w, code="commended", staff=None, day="2025-11-10", actor=None):
    with clock.frozen(at(day)):
        return assess.adjustment_record(
            actor=actor or w.admin,
            scheme=w.staff_version.scheme,
            code=code,
            occurred_on=dt.date.fromisoformat(day),
            reason="省级表彰" if code == "commended" else "核实的违纪",
            staff=staff or w.window_officer,
        )


def test_bonus_and_penalty_items_count_in_their_period_capped_and_as_of_the_cut_off(staff_world):
    w = staff_world
    for n, officer in enumerate([w.window_officer, w.officer_2]):
        _hall_case(w, officer, "2025-11-03", n, 3)  # level 3: not good -> 0 points from the rate
    _record(w, "commended")
    _record(w, "commended", day="2025-11-11")  # 3 + 3 = 6, capped at 5
    _record(w, "misconduct", staff=w.officer_2)
    _record(w, "commended", day="2025-10-31")  # another period
    withdrawn = _record(w, "misconduct", day="2025-11-12")
    with clock.frozen(at("2025-11-20")):
        assess.adjustment_withdraw(actor=w.admin, adjustment=withdrawn, reason="录入错误")
    run = _run(w)
    first = RunSubject.objects.get(run=run, staff=w.window_officer)
    second = RunSubject.objects.get(run=run, staff=w.officer_2)
    assert (first.bonus, first.penalty, first.final) == (5.0, 0.0, 5.0)
    assert (second.bonus, second.penalty, second.final) == (0.0, 4.0, 0.0)  # floored at 0
    # An item recorded after the cut-off is not in a re-run at that cut-off.
    _record(w, "misconduct", day="2025-11-28")
    with clock.frozen(at("2025-12-05")):
        again = assess.run_compute(
            actor=None, version=w.staff_version, period="2025-11", cutoff=at("2025-11-25")
        )
    assert RunSubject.objects.get(run=again, staff=w.window_officer).penalty == 0.0
    assert AuditEvent.objects.filter(action="assessment.adjustment.recorded").count() == 6
    assert AuditEvent.objects.filter(action="assessment.adjustment.withdrawn").count() == 1


def test_a_bonus_needs_a_known_item_a_reason_and_a_recorder_who_covers_the_person(staff_world):
    w = staff_world
    with pytest.raises(ValidationFailed):
        _record(w, "unknown")
    with pytest.raises(ValidationFailed), clock.frozen(at("2025-11-10")):
        assess.adjustment_record(
            actor=w.admin,
            scheme=w.staff_version.scheme,
            code="commended",
            occurred_on=dt.date(2025, 11, 10),
            reason="  ",
            staff=w.window_officer,
        )
    # A staff scheme is about people, not units.
    with pytest.raises(ValidationFailed), clock.frozen(at("2025-11-10")):
        assess.adjustment_record(
            actor=w.admin,
            scheme=w.staff_version.scheme,
            code="commended",
            occurred_on=dt.date(2025, 11, 10),
            reason="x",
            unit=w.dept_a,
        )
    with pytest.raises(NotFound):  # a quality officer of a department does not cover the hall's window
        _record(w, actor=w.quality_a)
    with pytest.raises(NotFound):  # a department head holds no such permission
        _record(w, actor=w.head_b)
    assert not Adjustment.objects.exists()


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([{"code": "a", "name_zh": "甲", "name_en": "A", "points": 0}], "points"),
        ([{"code": "a", "name_zh": "甲", "name_en": "A", "points": 6}], "cap"),
        ([{"code": "a", "name_zh": "甲", "name_en": "A", "points": -11}], "cap"),
        ([{"code": "a", "name_zh": "甲", "name_en": "A", "points": "x"}], "points"),
        ([{"code": "a", "name_zh": "", "name_en": "A", "points": 1}], "names"),
        (
            [
                {"code": "a", "name_zh": "甲", "name_en": "A", "points": 1},
                {"code": "a", "name_zh": "乙", "name_en": "B", "points": 2},
            ],
            "twice",
        ),
        ("nope", "list"),
        ([{"code": "a:b", "name_zh": "甲", "name_en": "A", "points": 1}], "letters"),
    ],
)
def test_the_catalogue_of_items_is_checked(items, problem):
    from django.utils import translation

    with translation.override("en"):
        problems = assess.adjustment_items_check(items, bonus_cap=5, penalty_cap=10)
    assert len(problems) == 1 and problem in problems[0]


def test_a_valid_catalogue_has_no_problems_and_is_set_on_a_draft_only(staff_world):
    w = staff_world
    items = [{"code": "a", "name_zh": "甲", "name_en": "A", "points": 5}]
    assert assess.adjustment_items_check(items, bonus_cap=5, penalty_cap=10) == []
    with pytest.raises(Conflict):
        assess.scheme_adjustment_items_set(actor=w.quality_a, version=w.staff_version, items=items)
    draft = assess.scheme_version_draft(actor=w.quality_a, scheme=w.staff_version.scheme)
    assert [i["code"] for i in draft.adjustment_items] == ["commended", "misconduct"]  # copied
    draft = assess.scheme_adjustment_items_set(actor=w.quality_a, version=draft, items=items)
    assert draft.adjustment_items == [{"code": "a", "name_zh": "甲", "name_en": "A", "points": 5.0}]
    with pytest.raises(ValidationFailed):
        assess.scheme_adjustment_items_set(actor=w.quality_a, version=draft, items=[{"code": "b"}])


def _graded_run(w, officers=5):
    """Officers with 1..5 good ratings of 5: distinct scores; 20 % of 5 graded leaves one outstanding."""
    people = [w.window_officer, w.officer_2]
    for i in range(officers - 2):
        people.append(factories.staff(f"extra_{i}", w.window, [Role.WINDOW_OFFICER]))
    n = 0
    for rank, officer in enumerate(people):
        for k in range(5):
            _hall_case(w, officer, "2025-11-03", n, 5 if k <= rank else 2)
            n += 1
    return _run(w), people


def test_the_committee_moves_a_grade_with_a_reason_inside_the_quota(staff_world):
    w = staff_world
    run, people = _graded_run(w)
    rows = {s.staff_id: s for s in RunSubject.objects.filter(run=run, group="window_officer")}
    best, second = rows[people[-1].pk], rows[people[-2].pk]
    assert best.grade == "outstanding" and second.grade != "outstanding"
    # Two outstanding of 5 graded breaks the 20 % quota: refused, nothing moved.
    with pytest.raises(ValidationFailed):
        assess.run_calibrate(
            actor=w.leader, run=run, moves=[assess.Move(second.pk, "outstanding", "窗口服务突出")]
        )
    assert not Calibration.objects.exists()
    # A swap inside the quota, with reasons, is allowed; the incentive follows the grade.
    assess.run_calibrate(
        actor=w.leader,
        run=run,
        moves=[
            assess.Move(best.pk, "competent", "群众投诉核实"),
            assess.Move(second.pk, "outstanding", "窗口服务突出"),
        ],
    )
    best.refresh_from_db()
    second.refresh_from_db()
    assert (best.grade, best.computed_grade, best.incentive) == ("competent", "outstanding", 1.0)
    assert (second.grade, second.incentive) == ("outstanding", 1.2)
    assert Calibration.objects.filter(subject=best, from_grade="outstanding", to_grade="competent").exists()
    assert AuditEvent.objects.filter(action="assessment.run.calibrated").count() == 1


def test_calibration_needs_a_reason_the_committee_and_a_run_not_yet_finalized(staff_world):
    w = staff_world
    run, people = _graded_run(w)
    subject = RunSubject.objects.get(run=run, staff=people[0])
    with pytest.raises(ValidationFailed):
        assess.run_calibrate(actor=w.leader, run=run, moves=[assess.Move(subject.pk, "competent", " ")])
    with pytest.raises(ValidationFailed):  # the probationer has no grade to move
        probationer = RunSubject.objects.get(run=run, staff=w.probationer)
        assess.run_calibrate(actor=w.leader, run=run, moves=[assess.Move(probationer.pk, "competent", "x")])
    with pytest.raises(Forbidden):
        assess.run_calibrate(actor=w.head_a, run=run, moves=[assess.Move(subject.pk, "competent", "x")])
    assess.run_finalize(actor=w.leader, run=run)
    with pytest.raises(Conflict):
        assess.run_calibrate(actor=w.leader, run=run, moves=[assess.Move(subject.pk, "basic", "x")])


def test_a_person_holding_two_assessed_roles_is_assessed_once_in_the_front_line_role(staff_world):
    w = staff_world
    org.role_assign(actor=None, user=w.approver_a, role=Role.WINDOW_OFFICER, unit=w.window)
    run = _run(w)
    assert list(RunSubject.objects.filter(run=run, staff=w.approver_a).values_list("group", flat=True)) == [
        "window_officer"
    ]


# --- through the API ---------------------------------------------------------------------------------------


def _api(client, method: str, path: str, body=None):
    import json

    return getattr(client, method)(
        f"/api/v1/assessment{path}",
        json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def test_bonus_items_are_recorded_listed_and_withdrawn_through_the_api(staff_world, client_for):
    w = staff_world
    admin = client_for(w.admin)
    body = {
        "scheme": "staff",
        "code": "commended",
        "occurred_on": "2025-11-10",
        "reason": "省级表彰",
        "evidence": "苏政发〔2025〕12号",
        "staff": w.window_officer.employee_number,
    }
    with clock.frozen(at("2025-11-12")):
        created = _api(admin, "post", "/adjustments", body)
        assert created.status_code == 201, created.content
        assert created.json()["staff"] == w.window_officer.employee_number
        assert _api(admin, "post", "/adjustments", {**body, "code": "nope"}).status_code == 422
        assert _api(admin, "post", "/adjustments", {**body, "staff": "E-none"}).status_code == 404
        assert _api(client_for(w.window_officer), "post", "/adjustments", body).status_code == 404
        listed = _api(admin, "get", "/adjustments?scheme=staff").json()
        assert [a["id"] for a in listed] == [created.json()["id"]]
        # The person sees their own items; a head of another department sees none.
        assert len(_api(client_for(w.window_officer), "get", "/adjustments").json()) == 1
        assert _api(client_for(w.head_b), "get", "/adjustments").json() == []
        withdrawn = _api(admin, "post", f"/adjustments/{created.json()['id']}/withdraw", {"reason": "录错"})
        assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
        again = _api(admin, "post", f"/adjustments/{created.json()['id']}/withdraw", {"reason": "录错"})
        assert again.status_code == 409


def test_a_run_drills_down_to_its_records_and_is_calibrated_through_the_api(staff_world, client_for):
    w = staff_world
    run, people = _graded_run(w)
    leader = client_for(w.leader)
    rows = _api(leader, "get", f"/runs/{run.pk}/subjects").json()
    assert {r["staff"] for r in rows} >= {p.employee_number for p in people}
    best = next(r for r in rows if r["staff"] == people[-1].employee_number)
    detail = _api(leader, "get", f"/runs/{run.pk}/subjects/{best['id']}").json()
    [value] = detail["values"]
    assert value["indicator"] == "good_review_rate" and value["source"] == "evaluations"
    assert (value["n"], value["numerator"]) == (5, 5.0) and len(value["record_ids"]) == 5
    # The officer sees their own row; another officer's row is not found.
    mine = client_for(people[0])
    assert _api(mine, "get", f"/runs/{run.pk}/subjects").json()[0]["staff"] == people[0].employee_number
    assert _api(mine, "get", f"/runs/{run.pk}/subjects/{best['id']}").status_code == 404

    second = next(r for r in rows if r["staff"] == people[-2].employee_number)
    moves = {
        "moves": [
            {"subject": best["id"], "grade": "competent", "reason": "群众投诉核实"},
            {"subject": second["id"], "grade": "outstanding", "reason": "窗口服务突出"},
        ]
    }
    assert _api(client_for(w.quality_a), "post", f"/runs/{run.pk}/calibrate", moves).status_code == 403
    too_many = {"moves": moves["moves"][1:]}
    assert _api(leader, "post", f"/runs/{run.pk}/calibrate", too_many).status_code == 422
    assert _api(leader, "post", f"/runs/{run.pk}/calibrate", moves).status_code == 200
    after = _api(leader, "get", f"/runs/{run.pk}/subjects/{best['id']}").json()
    assert (after["grade"], after["computed_grade"]) == ("competent", "outstanding")
    export = leader.get(f"/api/v1/assessment/runs/{run.pk}/export.csv").content.decode("utf-8-sig")
    assert people[-2].employee_number in export and people[-2].display_name in export


# --- pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_committee_calibrates_on_the_page_and_the_run_shows_the_moves(staff_world, client_for, language):
    w = staff_world
    run, people = _graded_run(w)
    best = RunSubject.objects.get(run=run, staff=people[-1])
    second = RunSubject.objects.get(run=run, staff=people[-2])
    leader = client_for(w.leader, language)
    page = leader.get(f"/staff/assessment/runs/{run.pk}/calibrate/")
    assert page.status_code == 200 and f'name="grade-{best.pk}"' in page.content.decode()
    # Above the quota: refused, the choices and reasons stay on the form, nothing moved.
    refused = leader.post(
        f"/staff/assessment/runs/{run.pk}/calibrate/",
        {f"grade-{second.pk}": "outstanding", f"reason-{second.pk}": "窗口服务突出"},
    )
    assert refused.status_code == 422 and "窗口服务突出" in refused.content.decode()
    assert not Calibration.objects.exists()
    moved = leader.post(
        f"/staff/assessment/runs/{run.pk}/calibrate/",
        {
            f"grade-{second.pk}": "outstanding",
            f"reason-{second.pk}": "窗口服务突出",
            f"grade-{best.pk}": "competent",
            f"reason-{best.pk}": "群众投诉核实",
        },
    )
    assert moved.status_code == 302
    detail = leader.get(f"/staff/assessment/runs/{run.pk}/").content.decode()
    assert "群众投诉核实" in detail and "窗口服务突出" in detail
    # Only the committee (leaders) calibrates; a quality officer gets 404.
    assert client_for(w.quality_a).get(f"/staff/assessment/runs/{run.pk}/calibrate/").status_code == 404


def test_bonus_items_are_recorded_and_withdrawn_on_the_page(staff_world, client_for):
    w = staff_world
    admin = client_for(w.admin)
    with clock.frozen(at("2025-11-12")):
        page = admin.get("/staff/assessment/adjustments/")
        assert page.status_code == 200 and "staff:commended" in page.content.decode()
        form = {
            "item": "staff:commended",
            "scheme": "staff",
            "code": "commended",
            "who": w.window_officer.employee_number,
            "occurred_on": "2025-11-10",
            "reason": "省级表彰",
            "evidence": "文号12",
        }
        assert admin.post("/staff/assessment/adjustments/", form).status_code == 302
        entry = Adjustment.objects.get()
        missing = admin.post("/staff/assessment/adjustments/", {**form, "reason": ""})
        assert missing.status_code == 422 and Adjustment.objects.count() == 1
        unknown = admin.post("/staff/assessment/adjustments/", {**form, "who": "E-nobody"})
        assert unknown.status_code == 422
        listed = admin.get("/staff/assessment/adjustments/").content.decode()
        assert "省级表彰" in listed and "文号12" in listed
        # The officer sees their own item but cannot record or withdraw.
        officer = client_for(w.window_officer)
        assert "省级表彰" in officer.get("/staff/assessment/adjustments/").content.decode()
        assert officer.post("/staff/assessment/adjustments/", form).status_code == 404
        assert (
            officer.post(f"/staff/assessment/adjustments/{entry.pk}/withdraw/", {"reason": "x"}).status_code
            == 404
        )
        assert (
            admin.post(f"/staff/assessment/adjustments/{entry.pk}/withdraw/", {"reason": "录错"}).status_code
            == 302
        )
    entry.refresh_from_db()
    assert entry.withdrawn_by == w.admin and entry.withdrawal_reason == "录错"


def test_the_assessed_person_asks_for_a_review_of_their_own_result_and_nobody_elses(staff_world, client_for):
    from civicpulse.assessment.models import ReviewRequest

    w = staff_world
    run, people = _graded_run(w)
    with clock.frozen(at("2025-12-04")):
        assess.run_finalize(actor=w.leader, run=run)
    own = RunSubject.objects.get(run=run, staff=people[0])
    other = RunSubject.objects.get(run=run, staff=people[1])
    officer = client_for(people[0])
    with clock.frozen(at("2025-12-05")):
        url = f"/staff/assessment/runs/{run.pk}/subjects/{own.pk}/"
        assert officer.post(url, {"reason": "我的两件好评未计入"}).status_code == 302
        other_url = f"/staff/assessment/runs/{run.pk}/subjects/{other.pk}/"
        assert officer.post(other_url, {"reason": "x"}).status_code == 404
    assert list(ReviewRequest.objects.values_list("subject_id", "requested_by_id")) == [
        (own.pk, people[0].pk)
    ]


def test_routine_runs_include_staff_schemes(staff_world):
    w = staff_world
    _hall_case(w, w.window_officer, "2025-11-03", 1, 5)
    with clock.frozen(at("2025-12-03")):
        runs = assess.routine_runs()
    assert {r.version.scheme.code for r in runs} == {"depts", "staff"}
