"""The rectification API at /api/v1/rectification: scoped reads, steps, appeals and decisions."""

from __future__ import annotations

import json

from civicpulse.core import clock
from civicpulse.rectification.models import Appeal, RectificationOrder
from tests.rectification.conftest import APPLICANT, at, bad_review, to_verified

BASE = "/api/v1/rectification"


def post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_orders_are_listed_to_their_units_only_and_masked(world, client_for):
    order = bad_review(world)
    body = client_for(world.head_a).get(f"{BASE}/orders").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == order.pk and item["case_number"] == order.case_number
    assert (item["unit_code"], item["window_code"], item["level"], item["tags"]) == (
        "window-1",
        "window-1",
        1,
        ["attitude"],
    )
    assert item["applicant_name"] == "王**" and item["contact_due"] == "2025-11-04"
    raw = client_for(world.head_a).get(f"{BASE}/orders/{order.pk}").content.decode()
    assert APPLICANT.name not in raw and APPLICANT.phone not in raw and APPLICANT.id_number not in raw
    assert client_for(world.head_b).get(f"{BASE}/orders").json()["count"] == 0
    assert client_for(world.head_b).get(f"{BASE}/orders/{order.pk}").status_code == 404
    assert client_for(None).get(f"{BASE}/orders").status_code == 401


def test_orders_are_filtered_by_status_and_overdue(world, client_for):
    late = bad_review(world)
    to_verified(world, bad_review(world, hour=11))
    RectificationOrder.objects.filter(pk=late.pk).update(contact_overdue=True)
    client = client_for(world.head_a)
    assert [o["id"] for o in client.get(f"{BASE}/orders?overdue=true").json()["items"]] == [late.pk]
    assert client.get(f"{BASE}/orders?overdue=false").json()["count"] == 1
    assert client.get(f"{BASE}/orders?status=verified").json()["count"] == 1


def test_a_step_through_the_api_and_its_refusals(world, client_for):
    order = bad_review(world)
    client = client_for(world.window_officer)
    with clock.frozen(at("2025-11-03", 14)):
        missing = post(client, f"{BASE}/orders/{order.pk}/contact", {})
        done = post(client, f"{BASE}/orders/{order.pk}/contact", {"call_notes": "Called."})
        refused = post(client, f"{BASE}/orders/{order.pk}/contact", {"call_notes": "Again."})
        role = post(client, f"{BASE}/orders/{order.pk}/verify", {"finding": "valid"})
        unknown = post(client, f"{BASE}/orders/{order.pk}/explode", {})
    assert (missing.status_code, missing.json()["code"]) == (422, "call_notes_required")
    assert done.status_code == 200 and done.json()["status"] == "contacted"
    assert [e["action"] for e in done.json()["timeline"]] == [
        "rectification.order.opened",
        "rectification.order.contacted",
    ]
    assert (refused.status_code, refused.json()["code"]) == (409, "transition_not_allowed")
    assert set(refused.json()) == {"code", "message", "detail"}
    assert (role.status_code, role.json()["code"]) == (403, "role_not_allowed")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_transition")
    assert (
        post(client_for(world.head_b), f"{BASE}/orders/{order.pk}/contact", {"call_notes": "x"}).status_code
        == 404
    )


def test_an_act_with_a_ledger_entry_through_the_api(world, client_for):
    order = to_verified(world, bad_review(world))
    with clock.frozen(at("2025-11-04")):
        answer = post(
            client_for(world.head_a),
            f"{BASE}/orders/{order.pk}/act",
            {"outcome": "fixed_by_deadline", "ledger_entry": "New signs.", "ledger_due": "2025-11-28"},
        )
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["ledger_due"]) == ("acted", "2025-11-28")


def test_appeal_and_decision_through_the_api(world, reviewer, client_for):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with clock.frozen(at("2025-11-04")):
        filed = post(
            client_for(world.window_officer),
            f"{BASE}/orders/{order.pk}/appeals",
            {"kind": "mistaken", "reason": "Not me."},
        )
    assert filed.status_code == 201 and filed.json()["status"] == "pending"
    appeal_id = filed.json()["id"]
    assert [a["id"] for a in client_for(reviewer).get(f"{BASE}/appeals").json()] == [appeal_id]
    assert client_for(world.head_b).get(f"{BASE}/appeals").status_code == 403
    url = f"{BASE}/appeals/{appeal_id}/decision"
    inside = post(client_for(world.quality_a), url, {"outcome": "upheld", "reason": "Fine."})
    assert (inside.status_code, inside.json()["code"]) == (403, "reviewer_inside_unit")
    decided = post(client_for(reviewer), url, {"outcome": "upheld", "reason": "Window 2 served them."})
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("upheld", "Reviewer_B")
    assert Appeal.objects.get().status == "upheld"
    detail = client_for(world.head_a).get(f"{BASE}/orders/{order.pk}").json()
    assert detail["status"] == "upheld" and detail["appeals"][0]["decision_reason"] == "Window 2 served them."


def test_an_appeal_after_the_window_through_the_api(world, client_for):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with clock.frozen(at("2025-11-10")):
        late = post(
            client_for(world.head_a), f"{BASE}/orders/{order.pk}/appeals", {"kind": "mistaken", "reason": "x"}
        )
    assert (late.status_code, late.json()["code"]) == (409, "appeal_window_closed")


def test_the_repeated_list_through_the_api(world, client_for):
    for hour in (9, 10):
        bad_review(world, hour=hour)
    client = client_for(world.supervisor)
    with clock.frozen(at("2025-11-20")):
        below = client.get(f"{BASE}/repeated").json()
    assert (below["month"], below["threshold"], below["services"]) == ("2025-11", 3, [])
    bad_review(world, hour=11)
    above = client.get(f"{BASE}/repeated?month=2025-11").json()
    assert above["services"] == [
        {"code": "SVC-1", "name_zh": "个体工商户设立登记", "name_en": "SVC-1 service", "count": 3}
    ]
    assert [u["code"] for u in above["units"]] == ["window-1"]
    assert client.get(f"{BASE}/repeated?month=2025-13").json()["code"] == "invalid_month"
    assert client_for(world.window_officer).get(f"{BASE}/repeated").status_code == 403
