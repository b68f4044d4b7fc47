from __future__ import annotations

import json

from civicpulse.catalogue.models import Service

BODY = {
    "code": "IDEM-1",
    "name_zh": "幂等事项",
    "name_en": "Idempotent",
    "power_kind": "licensing",
    "responsible_unit_code": "dept-a",
}


def post(client, body, key):
    return client.post(
        "/api/v1/catalogue/manage/services",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_post_replays_the_first_answer_and_creates_nothing_more(county, client_for):
    client = client_for(county.quality_a)
    first = post(client, BODY, "key-1")
    again = post(client, BODY, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Service.objects.filter(code="IDEM-1").count() == 1


def test_a_key_reused_for_another_request_is_refused(county, client_for):
    client = client_for(county.quality_a)
    post(client, BODY, "key-2")
    other = post(client, dict(BODY, code="IDEM-2"), "key-2")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert not Service.objects.filter(code="IDEM-2").exists()


def test_keys_belong_to_one_caller(county, client_for):
    post(client_for(county.quality_a), BODY, "shared")
    second = post(client_for(county.head_a), dict(BODY, code="IDEM-3"), "shared")
    assert second.status_code == 201 and Service.objects.filter(code="IDEM-3").exists()


def test_a_refused_request_is_replayed_as_refused(county, client_for):
    client = client_for(county.quality_a)
    bad = dict(BODY, power_kind="magic")
    assert post(client, bad, "key-4").status_code == 422
    assert post(client, bad, "key-4").status_code == 422
