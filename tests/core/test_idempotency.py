from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.core.models import IdempotencyRecord

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


def test_a_refusal_is_replayed_as_such_and_not_run_again(county, client_for):
    client = client_for(county.quality_a)
    bad = dict(BODY, power_kind="magic")
    post(client, bad, "key-5")
    again = post(client, bad, "key-5")
    assert again.status_code == 422 and again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.filter(key="key-5").count() == 1


def test_the_query_string_is_part_of_the_request(county, client_for):
    from tests import factories

    factories.published_service(county, "SVC-1")
    client = client_for(county.quality_a)
    url = "/api/v1/catalogue/manage/services/SVC-1/versions"
    first = client.post(
        f"{url}?copy_latest=false", data="{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-6"
    )
    other = client.post(
        f"{url}?copy_latest=true", data="{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-6"
    )
    assert first.status_code == 201 and other.status_code == 422


def test_an_expired_key_can_be_used_afresh(county, client_for):
    client = client_for(county.quality_a)
    post(client, BODY, "key-7")
    IdempotencyRecord.objects.filter(key="key-7").update(created_at=clock.now() - timedelta(days=30))
    fresh = post(client, dict(BODY, code="IDEM-7"), "key-7")
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh


def test_a_claim_left_behind_by_a_dead_request_is_released(county, client_for):
    client = client_for(county.quality_a)
    IdempotencyRecord.objects.create(
        key="key-8",
        caller=f"user:{county.quality_a.pk}",
        method="POST",
        path="/x",
        request_digest="0",
        created_at=clock.now() - timedelta(minutes=10),
    )
    assert post(client, BODY, "key-8").status_code == 201


def test_a_claim_still_in_progress_answers_409(county, client_for):
    client = client_for(county.quality_a)
    body = json.dumps(BODY).encode()
    IdempotencyRecord.objects.create(
        key="key-9",
        caller=f"user:{county.quality_a.pk}",
        method="POST",
        path="/x",
        request_digest=hashlib.sha256(b"POST /api/v1/catalogue/manage/services\n" + body).hexdigest(),
        created_at=clock.now(),
    )
    response = post(client, BODY, "key-9")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"
    assert not Service.objects.filter(code="IDEM-1").exists()
