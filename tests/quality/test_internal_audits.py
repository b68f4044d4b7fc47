"""Internal audits: a yearly programme approved by someone other than its author; audits whose auditors are
independent of the area they audit (checked when the team is named, when the scope changes and when the
audit starts); findings of which only the minor and major ones open a nonconformity, one each and linked;
a report in the reader's language; and nobody outside the audited units sees or runs the audit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.quality import internal_audits as ia
from civicpulse.quality import services as quality
from civicpulse.quality.models import Nonconformity, NonconformityRecord
from civicpulse.quality.models.internal_audits import AuditProgramme, Finding, InternalAudit
from tests import factories
from tests.quality.conftest import at

pytestmark = pytest.mark.django_db

DAY = "2026-03-02"


@pytest.fixture
def team(world):
    """Staff of department B: independent of department A."""
    world.auditor_b = factories.staff("auditor_b", world.dept_b, [])
    world.quality_b = factories.staff("quality_b", world.dept_b, [Role.QUALITY_OFFICER])
    return world


def _scope(
    world, *, units=None, services=(), clauses=("8.5", "9.1.2"), criteria="ISO 9001:2015; SVC-1 guide"
):
    return ia.Scope(
        units=[world.dept_a] if units is None else units,
        services=list(services),
        clauses=list(clauses),
        criteria=criteria,
    )


def _programme(world, year: int = 2026) -> AuditProgramme:
    with clock.frozen(at(DAY)):
        return ia.programme_create(actor=world.quality_a, year=year, title="Internal audits 2026")


def _planned(world, *, units=None, services=(), clauses=("8.5", "9.1.2")) -> InternalAudit:
    programme = AuditProgramme.objects.filter(year=2026).first() or _programme(world)
    with clock.frozen(at(DAY)):
        return ia.audit_plan(
            actor=world.quality_a,
            programme=programme,
            title="Service provision in department A",
            scope=_scope(world, units=units, services=services, clauses=clauses),
            planned_on=dt.date(2026, 4, 15),
        )


def _running(team) -> InternalAudit:
    """Department A's audit, led by head_b with auditor_b, under the approved programme, started."""
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[team.auditor_b])
        ia.programme_approve(actor=team.leader, programme=audit.programme)
        ia.checklist_add(
            actor=team.head_b,
            audit=audit,
            items=[("8.5.1", "Are the steps of SVC-1 followed?"), ("9.1.2", "Are bad reviews answered?")],
        )
    with clock.frozen(at("2026-04-15")):
        return ia.audit_start(actor=team.head_b, audit=audit)


def _finding(team, audit, kind: str, clause: str = "8.5.1", unit=None) -> Finding:
    with clock.frozen(at("2026-04-15", 11)):
        return ia.finding_record(
            actor=team.auditor_b,
            audit=audit,
            clause=clause,
            kind=kind,
            description=f"A {kind} finding.",
            evidence="Case files 12-18 of March.",
            unit=unit or team.dept_a,
        )


def _refusal(excinfo) -> list[str]:
    assert excinfo.value.code == "auditor_not_independent"
    return [problem["reason"] for problem in excinfo.value.detail]


# --- auditor independence -------------------------------------------------------------------------------


def test_an_auditor_from_the_audited_unit_is_refused(team):
    audit = _planned(team)
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[team.head_a])
    assert _refusal(excinfo) == ["works_in_area"]
    assert "Head_A" in str(excinfo.value.message)
    audit.refresh_from_db()
    assert audit.lead_auditor is None and not audit.auditors.exists()


def test_an_auditor_from_a_section_under_the_audited_department_is_refused(team):
    clerk = factories.staff("clerk_a1", team.section_a1, [])
    audit = _planned(team)
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=clerk, auditors=[])
    assert _refusal(excinfo) == ["works_in_area"]


def test_the_head_of_a_department_cannot_audit_one_of_its_sections(team):
    audit = _planned(team, units=[team.section_a1])
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_a, auditors=[])
    assert _refusal(excinfo) == ["works_in_area"]


def test_someone_holding_a_role_on_the_audited_unit_is_refused(team):
    deputy = factories.staff("deputy", team.dept_b, [Role.APPROVER], covers=team.dept_a)
    audit = _planned(team)
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[deputy])
    assert _refusal(excinfo) == ["role_in_area"]


def test_staff_of_an_audited_services_responsible_unit_are_refused(team):
    audit = _planned(team, units=[], services=[Service.objects.get(code="SVC-1")])
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[team.head_a])
    assert _refusal(excinfo) == ["works_in_area"]


def test_the_process_owner_of_an_audited_service_is_refused(team):
    # Owner A has moved to the hall but still owns the process of SVC-1: they would audit their own work.
    team.owner_a.org_unit = team.hall
    team.owner_a.save(update_fields=["org_unit"])
    audit = _planned(team, units=[], services=[Service.objects.get(code="SVC-1")])
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.owner_a, auditors=[])
    assert _refusal(excinfo) == ["owns_audited_process"]


def test_a_window_officer_serving_the_audited_department_is_refused(team):
    audit = _planned(team)
    with pytest.raises(ValidationFailed) as excinfo:
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.window_officer, auditors=[])
    assert _refusal(excinfo) == ["works_in_area"]


def test_independent_auditors_are_accepted_and_told(team):
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        audit = ia.audit_team_set(
            actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[team.auditor_b]
        )
    assert audit.lead_auditor == team.head_b
    assert set(audit.auditors.all()) == {team.head_b, team.auditor_b}
    told = Notification.objects.filter(code="quality.audit.team", target_id=str(audit.pk))
    assert set(told.values_list("recipient", flat=True)) == {team.head_b.pk, team.auditor_b.pk}
    # The picker offers nobody from department A, its section or the window serving it.
    candidates = set(ia.auditor_candidates(audit=audit))
    assert {team.head_b, team.auditor_b, team.leader} <= candidates
    assert not {team.head_a, team.quality_a, team.approver_a, team.owner_a, team.window_officer} & candidates


def test_a_scope_that_takes_in_an_auditors_unit_is_refused(team):
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[])
    with clock.frozen(at(DAY)), pytest.raises(ValidationFailed) as excinfo:
        ia.audit_scope_set(
            actor=team.admin, audit=audit, scope=_scope(team, units=[team.dept_a, team.dept_b])
        )
    assert _refusal(excinfo) == ["works_in_area"]
    assert list(audit.scope_units.all()) == [team.dept_a]


def test_independence_is_checked_again_when_the_audit_starts(team):
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[team.auditor_b])
        ia.programme_approve(actor=team.leader, programme=audit.programme)
    org.role_assign(actor=None, user=team.auditor_b, role=Role.APPROVER, unit=team.section_a1)
    with clock.frozen(at("2026-04-15")), pytest.raises(ValidationFailed) as excinfo:
        ia.audit_start(actor=team.head_b, audit=audit)
    assert _refusal(excinfo) == ["role_in_area"]
    audit.refresh_from_db()
    assert audit.status == "planned"


# --- the programme ---------------------------------------------------------------------------------------


def test_the_author_cannot_approve_the_programme(team):
    audit = _planned(team)
    with pytest.raises(Forbidden) as excinfo:
        ia.programme_approve(actor=team.quality_a, programme=audit.programme)
    assert excinfo.value.code == "approver_is_author"
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditProgramme.objects.filter(pk=audit.programme.pk).update(
            status="approved", approver=F("author"), approved_at=clock.now()
        )
    with clock.frozen(at(DAY)):
        programme = ia.programme_approve(actor=team.leader, programme=audit.programme)
    assert (programme.status, programme.approver) == ("approved", team.leader)


def test_only_someone_overseeing_every_audited_unit_approves(team):
    audit = _planned(team)
    with pytest.raises(Forbidden):
        ia.programme_approve(actor=team.head_b, programme=audit.programme)
    assert ia.can_approve_programme(user=team.head_a, programme=audit.programme)
    assert not ia.can_approve_programme(user=team.head_b, programme=audit.programme)


def test_one_programme_a_year(team):
    _programme(team)
    with pytest.raises(Conflict) as excinfo:
        _programme(team)
    assert excinfo.value.code == "programme_exists"
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditProgramme.objects.create(year=2026, title="again", author=team.admin, created_at=clock.now())


def test_an_audit_starts_only_under_an_approved_programme(team):
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        ia.audit_team_set(actor=team.quality_a, audit=audit, lead=team.head_b, auditors=[])
    with pytest.raises(Conflict) as excinfo:
        ia.audit_start(actor=team.head_b, audit=audit)
    assert excinfo.value.code == "programme_not_approved"


def test_planning_into_an_approved_programme_sends_it_back_for_approval(team):
    audit = _planned(team)
    with clock.frozen(at(DAY)):
        ia.programme_approve(actor=team.leader, programme=audit.programme)
    second = _planned(team, units=[team.section_a1])
    programme = AuditProgramme.objects.get(pk=audit.programme_id)
    assert (second.number, programme.status, programme.approver) == ("IA2026-02", "draft", None)
    assert AuditEvent.objects.filter(action="quality.audit_programme.reopened").count() == 1


# --- clauses and scope -----------------------------------------------------------------------------------


def test_clauses_come_from_iso_9001_in_the_standards_order(team):
    with pytest.raises(ValidationFailed) as excinfo:
        _planned(team, clauses=["8.5", "9.9", "11"])
    assert (excinfo.value.code, excinfo.value.detail) == ("invalid_clause", ["11", "9.9"])
    with pytest.raises(ValidationFailed) as excinfo:
        _planned(team, clauses=[])
    assert excinfo.value.code == "clauses_required"
    audit = _planned(team, clauses=["10.2", "7.1.5.1", "4.1", "10.2"])
    assert audit.clauses == ["4.1", "7.1.5.1", "10.2"]


def test_questions_and_findings_cite_a_clause_of_the_audit(team):
    audit = _running(team)
    with pytest.raises(ValidationFailed) as excinfo:
        _finding(team, audit, "minor", clause="7.2")
    assert excinfo.value.code == "clause_not_in_scope"
    with pytest.raises(ValidationFailed) as excinfo:
        ia.checklist_add(actor=team.head_b, audit=audit, items=[("8.5.9", "?")])
    assert excinfo.value.code == "invalid_clause"
    assert not Finding.objects.exists() and not Nonconformity.objects.exists()


def test_a_finding_concerns_an_audited_unit(team):
    audit = _running(team)
    with pytest.raises(ValidationFailed) as excinfo:
        _finding(team, audit, "major", unit=team.dept_b)
    assert excinfo.value.code == "unit_not_in_scope"
    assert _finding(team, audit, "observation", unit=team.section_a1).unit == team.section_a1


# --- findings and nonconformities ------------------------------------------------------------------------


def test_minor_and_major_findings_open_one_linked_nonconformity_each(team):
    audit = _running(team)
    conformity = _finding(team, audit, "conformity")
    observation = _finding(team, audit, "observation")
    minor = _finding(team, audit, "minor")
    major = _finding(team, audit, "major", clause="9.1.2")
    assert conformity.nonconformity is None and observation.nonconformity is None
    assert Nonconformity.objects.count() == 2
    for finding, severity in ((minor, "minor"), (major, "major")):
        nc = finding.nonconformity
        assert (nc.source, nc.severity, nc.unit, nc.status) == ("audit", severity, team.dept_a, "open")
        assert audit.number in nc.title
        assert list(nc.records.values_list("kind", "object_id")) == [("finding", finding.pk)]
    # One nonconformity per finding: raising it again finds the same one.
    again = quality.nc_raise_for_finding(
        actor=team.auditor_b,
        finding_id=minor.pk,
        title="again",
        description="again",
        severity="minor",
        unit=team.dept_a,
    )
    assert again == minor.nonconformity and Nonconformity.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=observation.pk).update(nonconformity=minor.nonconformity)


def test_a_nonconformity_finding_needs_its_evidence(team):
    audit = _running(team)
    with pytest.raises(ValidationFailed) as excinfo:
        ia.finding_record(
            actor=team.head_b,
            audit=audit,
            clause="8.5",
            kind="minor",
            description="Steps skipped.",
            evidence="",
            unit=team.dept_a,
        )
    assert excinfo.value.code == "required"
    assert NonconformityRecord.objects.count() == 0


def test_only_the_team_records_and_only_the_lead_reports(team):
    audit = _running(team)
    with pytest.raises(Forbidden) as excinfo:
        _finding_by(team.quality_a, audit)
    assert excinfo.value.code == "not_on_audit_team"
    with pytest.raises(Forbidden) as excinfo:
        ia.audit_report_record(actor=team.auditor_b, audit=audit, report="Done.")
    assert excinfo.value.code == "not_lead_auditor"


def _finding_by(actor, audit):
    return ia.finding_record(
        actor=actor,
        audit=audit,
        clause="8.5",
        kind="observation",
        description="x",
        evidence="",
        unit=audit.scope_units.get(),
    )


def test_the_audit_closes_once_its_nonconformities_are_dealt_with(team):
    audit = _running(team)
    minor = _finding(team, audit, "minor")
    items = list(audit.checklist.order_by("pk"))
    with pytest.raises(Conflict) as excinfo:
        ia.audit_report_record(actor=team.head_b, audit=audit, report="Mostly conforming.")
    assert excinfo.value.code == "checklist_incomplete"
    with clock.frozen(at("2026-04-15", 15)):
        ia.checklist_record(
            actor=team.auditor_b,
            audit=audit,
            answers=[ia.Answer(items[0].pk, "minor", "Step 2 skipped"), ia.Answer(items[1].pk, "conformity")],
        )
        audit = ia.audit_report_record(actor=team.head_b, audit=audit, report="Mostly conforming.")
    assert audit.status == "reported"
    with pytest.raises(Conflict) as excinfo:
        ia.audit_close(actor=team.quality_a, audit=audit)
    assert (excinfo.value.code, excinfo.value.detail) == (
        "nonconformities_open",
        [minor.nonconformity.number],
    )
    with clock.frozen(at("2026-04-20")):
        quality.nc_cancel(actor=team.quality_a, nc=minor.nonconformity, reason="Duplicate of NC2026-0001.")
        audit = ia.audit_close(actor=team.quality_a, audit=audit)
    assert audit.status == "closed" and audit.closed_at is not None


# --- scoping ---------------------------------------------------------------------------------------------


def _api(client, method: str, path: str, body=None):
    return getattr(client, method)(
        f"/api/v1/quality/audits{path}",
        json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def test_a_quality_officer_of_another_department_neither_sees_nor_runs_the_audit(team, client_for):
    audit = _planned(team)
    other = client_for(team.quality_b)
    assert _api(other, "get", f"/{audit.number}").status_code == 404
    assert _api(other, "get", "/programmes/2026/audits").json() == []
    assert _api(other, "post", f"/{audit.number}/start").status_code == 404
    assert other.get(f"/staff/quality/audits/{audit.number}/").status_code == 404
    assert other.get(f"/staff/quality/audits/{audit.number}/report/").status_code == 404
    with pytest.raises(Forbidden):
        ia.audit_scope_set(actor=team.quality_b, audit=audit, scope=_scope(team, units=[team.dept_b]))
    # Department A's head reads it but does not run it.
    head = client_for(team.head_a)
    assert _api(head, "get", f"/{audit.number}").status_code == 200
    refused = _api(head, "put", f"/{audit.number}/auditors", {"lead": team.head_b.pk, "auditors": []})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_an_auditor_from_elsewhere_sees_the_audit_they_are_on(team, client_for):
    audit = _running(team)
    auditor = client_for(team.auditor_b)
    assert _api(auditor, "get", f"/{audit.number}").status_code == 200
    assert [p["year"] for p in _api(auditor, "get", "/programmes").json()] == [2026]
    assert auditor.get(f"/staff/quality/audits/{audit.number}/").status_code == 200


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_runs_an_audit_from_programme_to_report(team, client_for):
    office, leader, lead = client_for(team.quality_a), client_for(team.leader), client_for(team.head_b)
    with clock.frozen(at(DAY)):
        created = _api(office, "post", "/programmes", {"year": 2026, "title": "Audits 2026"})
        assert created.status_code == 201 and created.json()["status"] == "draft"
        planned = _api(
            office,
            "post",
            "/programmes/2026/audits",
            {
                "title": "Department A",
                "scope_units": ["dept-a"],
                "scope_services": ["SVC-1"],
                "clauses": ["9.1.2", "8.5"],
                "criteria": "ISO 9001:2015",
                "planned_on": "2026-04-15",
            },
        )
        assert planned.status_code == 201, planned.json()
        number = planned.json()["number"]
        assert planned.json()["clauses"] == ["8.5", "9.1.2"]
        bad = _api(
            office, "put", f"/{number}/auditors", {"lead": team.head_b.pk, "auditors": [team.owner_a.pk]}
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "auditor_not_independent")
        named = _api(
            office, "put", f"/{number}/auditors", {"lead": team.head_b.pk, "auditors": [team.auditor_b.pk]}
        )
        assert named.status_code == 200 and named.json()["lead_auditor"]["id"] == team.head_b.pk
        own = _api(office, "post", "/programmes/2026/approve")
        assert (own.status_code, own.json()["code"]) == (403, "approver_is_author")
        assert _api(leader, "post", "/programmes/2026/approve").json()["status"] == "approved"
        added = _api(
            lead, "post", f"/{number}/checklist", {"items": [{"clause": "8.5.1", "question": "Steps?"}]}
        )
        assert added.status_code == 201
        item = added.json()[0]["id"]
    with clock.frozen(at("2026-04-15")):
        assert _api(lead, "post", f"/{number}/start").json()["status"] == "in_progress"
        answered = _api(
            lead, "post", f"/{number}/checklist/results", {"results": [{"item": item, "result": "major"}]}
        )
        assert answered.status_code == 200 and answered.json()[0]["result"] == "major"
        finding = _api(
            lead,
            "post",
            f"/{number}/findings",
            {
                "clause": "8.5.1",
                "kind": "major",
                "description": "No steps.",
                "evidence": "Files.",
                "unit": "dept-a",
            },
        )
        assert finding.status_code == 201 and finding.json()["nonconformity"].startswith("NC2026-")
        reported = _api(lead, "post", f"/{number}/report", {"report": "One major nonconformity."})
    body = reported.json()
    assert body["status"] == "reported"
    assert body["report"]["checklist_results"] == {
        "unanswered": 0,
        "conformity": 0,
        "observation": 0,
        "minor": 0,
        "major": 1,
    }
    assert body["report"]["findings"][0]["nonconformity_url"] == (
        f"/staff/quality/nonconformities/{finding.json()['nonconformity']}/"
    )
    closing = _api(office, "post", f"/{number}/close")
    assert (closing.status_code, closing.json()["code"]) == (409, "nonconformities_open")


def test_the_api_refuses_an_unknown_clause_with_its_code(team, client_for):
    _programme(team)
    answer = _api(
        client_for(team.quality_a),
        "post",
        "/programmes/2026/audits",
        {
            "title": "x",
            "scope_units": ["dept-a"],
            "clauses": ["4.9"],
            "criteria": "x",
            "planned_on": "2026-05-01",
        },
    )
    assert (answer.status_code, answer.json()["code"], answer.json()["detail"]) == (
        422,
        "invalid_clause",
        ["4.9"],
    )


def test_the_audit_list_costs_the_same_queries_for_more_audits(team, client_for):
    client = client_for(team.leader)
    _planned(team, services=[Service.objects.get(code="SVC-1")])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _api(client, "get", "/programmes/2026/audits").status_code == 200
        return len(captured)

    one = queries()
    _planned(team, units=[team.section_a1])
    _planned(team, units=[team.dept_a], services=[Service.objects.get(code="SVC-1")])
    assert queries() == one


# --- pages -----------------------------------------------------------------------------------------------


def test_the_office_plans_an_audit_and_the_team_records_a_finding_on_the_pages(team, client_for):
    office = client_for(team.quality_a)
    with clock.frozen(at(DAY)):
        assert (
            office.post("/staff/quality/audits/", {"year": 2026, "title": "Audits 2026"}).status_code == 302
        )
        page = office.get("/staff/quality/audits/2026/")
        assert page.status_code == 200 and "dept-a" in page.content.decode()
        refused = office.post(
            "/staff/quality/audits/2026/",
            {
                "form": "plan",
                "title": "A",
                "planned_on": "2026-04-15",
                "scope_units": ["dept-a"],
                "criteria": "x",
            },
        )
        assert (
            refused.status_code == 200 and "Choose at least one ISO 9001 clause." in refused.content.decode()
        )
        planned = office.post(
            "/staff/quality/audits/2026/",
            {
                "form": "plan",
                "title": "A",
                "planned_on": "2026-04-15",
                "scope_units": ["dept-a"],
                "clauses": ["8.5", "9.1.2"],
                "criteria": "ISO 9001",
            },
        )
        assert planned.status_code == 302 and planned["Location"] == "/staff/quality/audits/IA2026-01/"
        detail = office.get("/staff/quality/audits/IA2026-01/").content.decode()
        # The team picker lists department B's staff and nobody of department A.
        assert f'value="{team.auditor_b.pk}"' in detail and f'value="{team.head_a.pk}"' not in detail
        named = office.post(
            "/staff/quality/audits/IA2026-01/team/", {"lead": team.head_b.pk, "auditors": [team.auditor_b.pk]}
        )
        assert named.status_code == 302
        assert client_for(team.leader).post("/staff/quality/audits/2026/approve/").status_code == 302
    lead = client_for(team.head_b)
    with clock.frozen(at("2026-04-15")):
        assert lead.post("/staff/quality/audits/IA2026-01/start/").status_code == 302
        recorded = lead.post(
            "/staff/quality/audits/IA2026-01/finding/",
            {
                "form": "finding",
                "kind": "minor",
                "clause": "8.5.1",
                "unit": "dept-a",
                "description": "Guide out of date.",
                "evidence": "Window copy v1.",
            },
        )
    assert recorded.status_code == 302
    nc = Nonconformity.objects.get()
    assert (
        f"/staff/quality/nonconformities/{nc.number}/"
        in lead.get("/staff/quality/audits/IA2026-01/").content.decode()
    )


def test_the_report_page_reads_in_both_languages(team, client_for):
    audit = _running(team)
    minor = _finding(team, audit, "minor", clause="9.1.2")
    english = client_for(team.head_b, language="en").get(f"/staff/quality/audits/{audit.number}/report/")
    chinese = client_for(team.head_b, language="zh-hans").get(f"/staff/quality/audits/{audit.number}/report/")
    en, zh = english.content.decode(), chinese.content.decode()
    assert english.status_code == chinese.status_code == 200
    assert '<html lang="en">' in en and '<html lang="zh-CN">' in zh
    assert "9.1.2 Customer satisfaction" in en and "9.1.2 顾客满意" in zh
    assert "8.5 Production and service provision" in en and "8.5 生产和服务提供" in zh
    # The quality office reads the audit under way without the team's forms.
    office = client_for(team.quality_a).get(f"/staff/quality/audits/{audit.number}/").content.decode()
    assert 'name="result-' not in office and "Record the finding" not in office
    for page in (en, zh):
        assert f'href="/staff/quality/nonconformities/{minor.nonconformity.number}/"' in page
        assert "Head_B" in page and "Auditor_B" in page
