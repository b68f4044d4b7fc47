"""Cases through the HTTP API: intake, transitions, scoped reads, masked applicants, idempotent retries."""

from __future__ import annotations

import json

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases.models import Case
from tests import factories

INTAKE = {
    "service_code": "SVC-1",
    "channel": "hall",
    "window_code": "window-1",
    "applicant": {"name": "王小明", "id_number": "110101199003071234", "phone": "13812345678"},
    "submitted_materials": [1, 2],
}


def post(client, path: str, body: dict, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    factories.published_service(county, "SVC-1")
    return county


def test_a_window_officer_receives_a_case_and_an_approver_decides_it(world, client_for):
    received = post(client_for(world.window_officer), "/api/v1/cases", INTAKE)
    assert received.status_code == 201, received.content
    number = received.json()["number"]
    approver = client_for(world.approver_a)
    assert post(approver, f"/api/v1/cases/{number}/accept", {}).json()["status"] == "in_progress"
    decided = post(approver, f"/api/v1/cases/{number}/approve", {})
    assert decided.json()["status"] == "decided" and decided.json()["decision"] == "approved"


def test_applicant_data_leaves_the_api_masked(world, client_for):
    number = post(client_for(world.window_officer), "/api/v1/cases", INTAKE).json()["number"]
    for response in (
        client_for(world.head_a).get(f"/api/v1/cases/{number}"),
        client_for(world.head_a).get("/api/v1/cases"),
    ):
        text = response.content.decode()
        assert "13812345678" not in text and "110101199003071234" not in text and "王小明" not in text
        assert "138****5678" in text


def test_cases_are_visible_only_within_scope(world, client_for):
    number = post(client_for(world.window_officer), "/api/v1/cases", INTAKE).json()["number"]
    assert client_for(world.head_a).get("/api/v1/cases").json()["count"] == 1
    assert client_for(world.window_officer).get("/api/v1/cases").json()["count"] == 1
    for outsider in (world.head_b, world.citizen):
        assert client_for(outsider).get("/api/v1/cases").json()["count"] == 0
        assert client_for(outsider).get(f"/api/v1/cases/{number}").status_code == 404
    assert client_for(None).get("/api/v1/cases").status_code == 401


def test_a_retried_intake_with_the_same_key_creates_one_case(world, client_for):
    client = client_for(world.window_officer)
    first = post(client, "/api/v1/cases", INTAKE, HTTP_IDEMPOTENCY_KEY="intake-1")
    again = post(client, "/api/v1/cases", INTAKE, HTTP_IDEMPOTENCY_KEY="intake-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Case.objects.count() == 1


def test_a_refused_transition_answers_with_a_clear_error(world, client_for):
    number = post(client_for(world.window_officer), "/api/v1/cases", INTAKE).json()["number"]
    response = post(client_for(world.approver_a), f"/api/v1/cases/{number}/deliver", {})
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"
    assert response.json()["message"]


def test_the_urgent_cases_come_first(world, client_for):
    numbers = [
        post(client_for(world.window_officer), "/api/v1/cases", INTAKE).json()["number"] for _ in range(3)
    ]
    Case.objects.filter(number=numbers[2]).update(sla_state="overdue")
    Case.objects.filter(number=numbers[1]).update(sla_state="warning")
    listed = [c["number"] for c in client_for(world.head_a).get("/api/v1/cases").json()["items"]]
    assert listed[:2] == [numbers[2], numbers[1]]
