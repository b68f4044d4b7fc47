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
