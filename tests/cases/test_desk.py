"""The staff desk pages: my cases by urgency, acting on a case with htmx, the department head's load view."""

from __future__ import annotations

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from tests import factories

APPLICANT = cases.Applicant(name="王小明", id_number="110101199003071234", phone="13812345678")


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    factories.published_service(county, "SVC-1")
    return county


def new_case(world) -> Case:
    return cases.case_intake(
        actor=world.window_officer,
        service_code="SVC-1",
        channel="hall",
        applicant=APPLICANT,
        submitted_positions=[1],
        window=world.window,
    )


def test_the_desk_lists_my_cases_most_urgent_first(world, client_for):
    calm = cases.case_transition(actor=world.head_a, case=new_case(world), transition="accept")
    late = cases.case_transition(actor=world.head_a, case=new_case(world), transition="accept")
    Case.objects.filter(pk=late.pk).update(sla_state="overdue")
    text = client_for(world.approver_a).get("/staff/desk/").content.decode()
    assert text.index(late.number) < text.index(calm.number)
    assert APPLICANT.name not in text


def test_acting_on_a_case_swaps_the_panel_and_errors_show_in_it(world, client_for):
    case = new_case(world)
    client = client_for(world.window_officer, language="en")
    accepted = client.post(f"/staff/cases/{case.number}/accept/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="case-panel"' in accepted and "<html" not in accepted and "in progress" in accepted
    refused = client.post(f"/staff/cases/{case.number}/refuse/", {"reason": "x"}, HTTP_HX_REQUEST="true")
    assert "Cannot refuse at intake a case that is in progress." in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == "in_progress"


def test_only_the_allowed_actions_are_offered(world, client_for):
    case = cases.case_transition(actor=world.head_a, case=new_case(world), transition="accept")
    approver_page = (
        client_for(world.approver_a, language="en").get(f"/staff/cases/{case.number}/").content.decode()
    )
    officer_page = (
        client_for(world.window_officer, language="en").get(f"/staff/cases/{case.number}/").content.decode()
    )
    assert ">Approve<" in approver_page and ">Approve<" not in officer_page
    assert client_for(world.head_b).get(f"/staff/cases/{case.number}/").status_code == 404


def test_the_department_head_sees_the_load_of_the_unit(world, client_for):
    case = cases.case_transition(actor=world.head_a, case=new_case(world), transition="accept")
    Case.objects.filter(pk=case.pk).update(sla_state="warning")
    text = client_for(world.head_a, language="en").get("/staff/desk/?mine=0").content.decode()
    assert "Load of my units" in text and case.assignee.display_name in text
    assert (
        "Load of my units"
        not in client_for(world.approver_a, language="en").get("/staff/desk/").content.decode()
    )


def test_a_window_officer_receives_an_application_and_hands_over_the_receipt(world, client_for):
    client = client_for(world.window_officer, language="en")
    assert "Receive an application" in client.get("/staff/desk/").content.decode()
    chosen = client.get("/staff/intake/?service=SVC-1", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="intake-form"' in chosen and "<html" not in chosen and 'name="material"' in chosen
    data = {
        "service": "SVC-1",
        "window": world.window.code,
        "name": "王小明",
        "id_number": "110101199003071234",
        "phone": "13812345678",
        "material": ["1"],
    }
    missing_name = client.post("/staff/intake/", {**data, "name": " "}).content.decode()
    assert "The applicant name is missing." in missing_name and Case.objects.count() == 0
    receipt = client.post("/staff/intake/", data).content.decode()
    case = Case.objects.get()
    assert (
        case.channel == "hall" and case.window == world.window and case.intake_officer == world.window_officer
    )
    assert case.number in receipt and "Verification code" in receipt
    assert "Material 2" in receipt  # still missing, told at once
    assert "王小明" not in receipt  # the applicant's name is masked even on the receipt page
    from civicpulse.cases.selectors import case_track

    code = receipt.split("Verification code</dt><dd><strong>")[1].split("<")[0]
    assert case_track(number=case.number, code=code) == case
    # The receipt carries a QR code: a one-time link to rate this visit.
    from civicpulse.evaluations.models import EvaluationLink

    assert "<svg" in receipt and "Scan to rate this visit" in receipt
    assert EvaluationLink.objects.get(case=case).stage == "intake"


def test_only_window_officers_have_the_intake_page(world, client_for):
    assert client_for(world.approver_a).get("/staff/intake/").status_code == 404
    assert client_for(world.citizen).get("/staff/intake/").status_code == 404


def test_the_department_head_reassigns_and_the_window_records_a_pickup_from_the_desk(world, client_for):
    case = cases.case_transition(actor=world.head_a, case=new_case(world), transition="accept")
    colleague = factories.staff("approver_a9", world.dept_a, [Role.APPROVER])
    head = client_for(world.head_a, language="en")
    page = head.get(f"/staff/cases/{case.number}/").content.decode()
    assert "Reassign" in page and colleague.display_name in page
    head.post(f"/staff/cases/{case.number}/reassign/", {"assignee": colleague.pk}, HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=case.pk).assignee == colleague
    outsider = head.post(f"/staff/cases/{case.number}/reassign/", {"assignee": world.head_b.pk})
    assert "The new assignee must work in the step" in outsider.content.decode()
    assert "Reassign" not in client_for(world.approver_a).get(f"/staff/cases/{case.number}/").content.decode()
    officer = client_for(world.window_officer, language="en")
    officer.post(f"/staff/cases/{case.number}/visit/", {"kind": "pickup"}, HTTP_HX_REQUEST="true")
    assert list(Case.objects.get(pk=case.pk).visits.values_list("kind", flat=True)) == ["intake", "pickup"]


def test_an_immediate_service_is_decided_on_the_spot_from_the_desk(world, client_for):
    from civicpulse.catalogue.models import ProcedureVersion

    ProcedureVersion.objects.filter(service__code="SVC-1").update(
        service_mode="immediate", promised_limit_days=0
    )
    case = new_case(world)
    officer = client_for(world.window_officer, language="en")
    assert "Decide on the spot" in officer.get(f"/staff/cases/{case.number}/").content.decode()
    officer.post(f"/staff/cases/{case.number}/settle/", {"approve": "1"}, HTTP_HX_REQUEST="true")
    done = Case.objects.get(pk=case.pk)
    assert done.status == "delivered" and done.decision == "approved"
