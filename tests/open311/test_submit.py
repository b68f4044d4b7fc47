"""POST requests: an Open311 service request becomes an online application, once, privately, audited."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from unittest import mock

import pytest
from django.db import connections
from django.test import Client

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.catalogue import services as cat
from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.core.models import AuditEvent
from civicpulse.open311 import services as open311
from civicpulse.open311.models import ApiKey, Submission
from tests import factories
from tests.open311.conftest import BASE, ID_NUMBER, World, post_body, submit

pytestmark = pytest.mark.django_db
PERSONAL = ("张三", "13812345678", "zhang@example.cn", ID_NUMBER)


def _number(response) -> str:
    assert response.status_code == 200, response.content
    return response.json()[0]["service_request_id"]


def test_a_request_becomes_an_online_case_filed_under_a_citizen_account(api, world: World):
    number = _number(submit(api, world.key, address_string="东华门街道1号"))
    case = Case.objects.select_related("applicant").get(number=number)
    assert case.channel == "online" and case.status == "submitted"
    assert (case.applicant_name, case.applicant_id_number) == ("张三", ID_NUMBER)
    assert (case.applicant_phone, case.applicant_email) == ("13812345678", "zhang@example.cn")
    assert case.responsible_unit == world.county.dept_a
    assert not case.materials.filter(submitted=True).exists()
    assert case.applicant is not None and case.applicant.kind == UserKind.CITIZEN
    assert not case.applicant.has_usable_password()
    assert case.applicant.email == ""
    submission = Submission.objects.get(case=case)
    assert str(submission.lat) == "39.9087000" and str(submission.long) == "116.3975000"
    assert submission.address_string == "东华门街道1号" and submission.description == "开一家小面馆"


def test_a_latin_name_is_written_given_name_first(api, world: World):
    number = _number(submit(api, world.key, first_name="John", last_name="Smith"))
    assert Case.objects.get(number=number).applicant_name == "John Smith"


def test_one_person_keeps_one_account_and_portal_accounts_are_never_matched_by_email(api, world: World):
    portal = world.county.citizen
    portal.email = "zhang@example.cn"
    portal.save()
    first = Case.objects.get(number=_number(submit(api, world.key)))
    second = Case.objects.get(number=_number(submit(api, world.key, email="other@example.cn")))
    other = Case.objects.get(
        number=_number(submit(api, world.key, **{"attribute[id_number]": "11010119850101002X"}))
    )
    assert first.applicant_id == second.applicant_id != other.applicant_id
    assert portal.pk not in {first.applicant_id, other.applicant_id}
    assert User.objects.filter(username__startswith="open311-").count() == 2


def test_the_submission_is_audited_without_personal_data(api, world: World):
    number = _number(submit(api, world.key))
    case = Case.objects.get(number=number)
    events = AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk))
    assert set(events.values_list("action", flat=True)) == {
        "cases.case.submitted",
        "georeport.request.submitted",
    }
    mine = events.get(action="georeport.request.submitted")
    assert mine.data == {"client": "city-app", "service": "SVC-1"} and mine.target_label == number
    account = AuditEvent.objects.get(action="accounts.user.created", target_id=str(case.applicant_id))
    assert account.target_label == "张*"
    for event in AuditEvent.objects.filter(action__startswith="georeport."):
        assert not any(p in str(event.data) + event.target_label for p in PERSONAL)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_no_reader_ever_sees_the_applicants_identity(api, world: World, fmt: str):
    number = _number(submit(api, world.key))
    for path in (f"requests.{fmt}", f"requests/{number}.{fmt}"):
        for query in ("", f"?api_key={world.key}"):
            text = api.get(f"{BASE}/{path}{query}").content.decode()
            assert number in text
            assert not any(p in text for p in PERSONAL)


def test_location_and_description_are_shown_only_to_the_key_that_submitted(api, world: World):
    number = _number(submit(api, world.key))
    anonymous = api.get(f"{BASE}/requests/{number}.json").json()[0]
    owner = api.get(f"{BASE}/requests/{number}.json?api_key={world.key}").json()[0]
    other = api.get(f"{BASE}/requests/{number}.json?api_key={world.key_b}").json()[0]
    assert (owner["lat"], owner["long"], owner["description"]) == (39.9087, 116.3975, "开一家小面馆")
    for hidden in (anonymous, other):
        assert (hidden["lat"], hidden["long"], hidden["description"], hidden["address"]) == (None,) * 4
        assert hidden["status"] == owner["status"]
    assert api.get(f"{BASE}/requests.json?api_key=o311_wrong").status_code == 403


def test_status_notes_tell_the_pause_and_every_missing_material(api, world: World):
    county = world.county
    service = Service.objects.get(code="SVC-1")
    draft = cat.version_create(actor=county.quality_a, service=service)
    steps = [replace(s, pause_allowed=True) for s in factories.step_inputs(county.dept_a.code)]
    cat.version_update(actor=county.quality_a, version=draft, fields={}, steps=steps)
    cat.version_transition(actor=county.quality_a, version=draft, transition="submit")
    cat.version_transition(actor=county.head_a, version=draft, transition="approve")
    case = Case.objects.get(number=_number(submit(api, world.key)))
    case = cases.case_transition(actor=county.head_a, case=case, transition="accept")
    cases.case_transition(
        actor=county.head_a, case=case, transition="request_supplement", reason="缺材料", missing=[1, 2]
    )
    item = api.get(f"{BASE}/requests/{case.number}.json").json()[0]
    assert item["status"] == "open"
    assert item["status_notes"] == "Paused: supplement request, missing: Material 1; Material 2"
    assert "缺材料" not in item["status_notes"]


def test_a_key_submits_only_to_services_of_its_units_subtree(api, world: World):
    response = submit(api, world.key_b, service_code="SVC-1")
    assert response.status_code == 403
    assert "SVC-1" in response.json()[0]["description"]
    assert _number(submit(api, world.key_b, service_code="SVC-2"))


def test_a_revoked_key_is_refused(api, world: World):
    open311.api_key_revoke(actor=None, name="city-app")
    assert submit(api, world.key).status_code == 403
    assert not Case.objects.exists()


def test_posting_needs_no_csrf_token(world: World):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"{BASE}/requests.json", post_body(world.key)).status_code == 200


def test_unknown_and_oversized_attributes_are_refused(api, world: World):
    assert submit(api, world.key, **{"attribute[colour]": "red"}).status_code == 400
    assert submit(api, world.key, **{"attribute[id_number]": "1" * 31}).status_code == 400
    assert submit(api, world.key, description="x" * 4001).status_code == 400
    assert not Case.objects.exists()


def test_a_failure_after_the_case_leaves_nothing_behind(api, world: World):
    users = User.objects.count()
    failing = mock.patch("civicpulse.open311.services.audit_record", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        submit(api, world.key)
    assert not Case.objects.exists() and not Submission.objects.exists()
    assert User.objects.count() == users
    assert not AuditEvent.objects.filter(action="cases.case.submitted").exists()


# --- idempotency ------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_replays_without_a_second_case(api, world: World):
    headers = {"Idempotency-Key": "order-42"}
    first = submit(api, world.key, headers=headers)
    again = submit(api, world.key, headers=headers)
    assert _number(first) == _number(again)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again["Open311-Token"] == first["Open311-Token"]
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="georeport.request.submitted").count() == 1
    # The verification code is never stored, so only the first answer carries it.
    assert "Verification code" in first.json()[0]["service_notice"]
    assert "Verification code" not in again.json()[0]["service_notice"]


def test_the_same_idempotency_key_for_a_different_request_is_refused(api, world: World):
    headers = {"Idempotency-Key": "order-42"}
    _number(submit(api, world.key, headers=headers))
    response = submit(api, world.key, headers=headers, description="另一件事")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()[0]["description"]
    assert Case.objects.count() == 1


def test_idempotency_keys_belong_to_one_api_key_and_are_optional(api, world: World):
    headers = {"Idempotency-Key": "same"}
    a = _number(submit(api, world.key, headers=headers, service_code="SVC-2"))
    b = _number(submit(api, world.key_b, headers=headers, service_code="SVC-2"))
    assert a != b
    c, d = _number(submit(api, world.key)), _number(submit(api, world.key))
    assert c != d
    assert Case.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_exactly_one_case():
    county = factories.county()
    factories.published_service(county, "SVC-1")
    api_key, key = open311.api_key_issue(actor=None, name="racer", unit=county.region)
    body = {k: [v] for k, v in post_body(key).items()}
    start = threading.Barrier(3)
    numbers: list[str] = []

    def post() -> None:
        try:
            start.wait(timeout=10)
            receipt = open311.request_submit(api_key=api_key, params=body, idempotency_key="race-1")
            numbers.append(receipt.case.number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(numbers) == 3 and len(set(numbers)) == 1
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
    assert ApiKey.objects.get(pk=api_key.pk).is_active


def test_requested_datetime_is_the_intake_time_with_its_offset(api, world: World):
    at = dt.datetime(2025, 9, 30, 9, 15, tzinfo=dt.UTC)
    with clock.frozen(at):
        number = _number(submit(api, world.key))
    item = api.get(f"{BASE}/requests/{number}.json").json()[0]
    assert item["requested_datetime"] == "2025-09-30T17:15:00+08:00"
    # 5 working days after 30 September, over the National Day holidays (domain.md §3), at office close.
    assert item["expected_datetime"] == "2025-10-14T17:30:00+08:00"
