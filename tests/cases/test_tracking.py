"""The applicant follows a case with its number and the verification code from the receipt."""

from __future__ import annotations

import json

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from tests import factories

INTAKE = {
    "service_code": "SVC-1",
    "channel": "hall",
    "window_code": "window-1",
    "applicant": {"name": "王小明", "id_number": "110101199003071234", "phone": "13812345678"},
    "submitted_materials": [1],
}


@pytest.fixture
def receipt(county, client_for):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    factories.published_service(county, "SVC-1")
    body = (
        client_for(county.window_officer)
        .post("/api/v1/cases", data=json.dumps(INTAKE), content_type="application/json")
        .json()
    )
    assert len(body["verification_code"]) == 6
    return body


def track(client, number: str, code: str):
    return client.post(
        "/api/v1/track", data=json.dumps({"number": number, "code": code}), content_type="application/json"
    )


def test_the_receipt_code_opens_the_case_and_nothing_else(county, client_for, receipt):
    anon = client_for(None)
    seen = track(anon, receipt["number"], receipt["verification_code"])
    assert seen.status_code == 200 and seen.json()["status"] == "submitted"
    assert "received case" in seen.json()["timeline"][0]["text"]
    wrong = track(anon, receipt["number"], "000000" if receipt["verification_code"] != "000000" else "111111")
    missing = track(anon, "20990101000000", receipt["verification_code"])
    assert wrong.status_code == missing.status_code == 404 and wrong.json() == missing.json()


def test_the_code_is_never_stored_or_shown_again(county, client_for, receipt):
    from civicpulse.cases.models import Case

    case = Case.objects.get(number=receipt["number"])
    assert receipt["verification_code"] not in case.verification_digest
    detail = client_for(county.head_a).get(f"/api/v1/cases/{receipt['number']}").json()
    assert "verification_code" not in detail


def test_a_supplement_notice_lists_every_missing_material_at_once(county, client_for, receipt):
    from civicpulse.cases import services as cases
    from civicpulse.cases.models import Case

    case = Case.objects.get(number=receipt["number"])
    case = cases.case_transition(actor=county.head_a, case=case, transition="accept")
    # Step 1 of the factory procedure allows no pause; allow it for this case's version.
    case.version.steps.filter(position=1).update(pause_allowed=True)
    cases.case_transition(actor=county.head_a, case=case, transition="request_supplement", missing=[1, 2])
    page = client_for(None, language="zh-hans").post(
        "/track/", {"number": receipt["number"], "code": receipt["verification_code"]}
    )
    text = page.content.decode()
    assert page.status_code == 200 and "材料1" in text and "材料2" in text and "暂停计时" in text


def test_the_tracking_page_says_so_when_nothing_matches(county, client_for, receipt):
    page = client_for(None, language="en").post("/track/", {"number": receipt["number"], "code": "x"})
    assert "No case matches this number and verification code." in page.content.decode()
