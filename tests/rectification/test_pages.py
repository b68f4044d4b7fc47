"""The rectification pages: the unit's inbox, the order page with htmx actions, escalations, appeals and the
repeated bad reviews list. The citizen's name appears masked only; their phone never."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import Appeal, RectificationOrder
from tests.rectification.conftest import (
    APPLICANT,
    at,
    bad_review,
    online_bad_review,
    step,
    to_answered,
    to_verified,
)

MASKED = "王**"


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_inbox_lists_the_units_orders_open_and_overdue_first_with_masked_names(world, client_for):
    calm = bad_review(world, day="2025-11-06")
    late = bad_review(world)
    done = to_answered(world, bad_review(world, hour=11))
    step(world.quality_a, done, "rate", satisfaction="satisfied")
    step(world.head_a, done, "close")
    with clock.frozen(at("2025-11-06", 9)):
        rect.rectification_scan()
    with clock.frozen(at("2025-11-06", 10)):
        page = text(client_for(world.head_a).get("/staff/rectification/"))
    numbers = [o.case_number for o in (late, calm, done)]
    assert page.index(numbers[0]) < page.index(numbers[1]) < page.index(numbers[2])
    assert "contact overdue" in page and "2025-11-13" in page  # calm: rectify by Thursday 13th
    assert APPLICANT.name not in page and APPLICANT.phone not in page
    officer = text(client_for(world.window_officer).get("/staff/rectification/"))
    assert all(number in officer for number in numbers)
    other = text(client_for(world.head_b).get("/staff/rectification/"))
    assert "No rectification orders." in other and late.case_number not in other
    filtered = text(client_for(world.head_a).get("/staff/rectification/?overdue=1"))
    assert late.case_number in filtered and calm.case_number not in filtered


def test_the_inbox_does_not_query_per_order(world, client_for, django_assert_max_num_queries):
    for hour in range(9, 15):
        bad_review(world, hour=hour)
    client = client_for(world.head_a)
    client.get("/staff/rectification/")  # warm the session and the permission cache
    with django_assert_max_num_queries(7):
        page = text(client.get("/staff/rectification/"))
    assert page.count("<tr>") == 7


def test_the_order_page_shows_the_review_masked_and_its_timeline(world, client_for):
    order = to_verified(world, bad_review(world))
    page = text(client_for(world.head_a).get(f"/staff/rectification/{order.pk}/"))
    assert MASKED in page and APPLICANT.name not in page and APPLICANT.phone not in page
    assert "Poor attitude" in page and "The officer was rude to me." in page and "very dissatisfied" in page
    assert "Head_A found the bad review of case" in page and "valid review" in page
    assert "Record the rectification" in page and "Appeal the review" not in page


def test_nobody_outside_the_unit_finds_the_order(world, client_for):
    order = bad_review(world)
    assert client_for(world.head_b).get(f"/staff/rectification/{order.pk}/").status_code == 404
    assert client_for(world.citizen).get(f"/staff/rectification/{order.pk}/").status_code == 404
    assert client_for(world.head_a).get("/staff/rectification/99999/").status_code == 404
    anonymous = client_for(None).get(f"/staff/rectification/{order.pk}/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert (
        client_for(world.head_b)
        .post(f"/staff/rectification/{order.pk}/contact/", {"call_notes": "x"})
        .status_code
        == 404
    )
    assert RectificationOrder.objects.get(pk=order.pk).status == "open"


def test_acting_with_htmx_swaps_the_panel_and_shows_refusals_in_it(world, client_for):
    order = bad_review(world)
    client = client_for(world.window_officer)
    url = f"/staff/rectification/{order.pk}/"
    contacted = text(
        client.post(url + "contact/", {"call_notes": "Called at 14:00."}, HTTP_HX_REQUEST="true")
    )
    assert 'id="order-panel"' in contacted and "<html" not in contacted and "citizen contacted" in contacted
    assert "Called at 14:00." in contacted
    refused = text(client.post(url + "answer/", {"answer": "x"}, HTTP_HX_REQUEST="true"))
    assert "Cannot do “Record the answer to the citizen” on an order that is citizen contacted." in refused
    role = text(client.post(url + "verify/", {"finding": "valid"}, HTTP_HX_REQUEST="true"))
    assert "Your role does not allow this step on this order." in role
    # Without htmx the whole page comes back.
    full = text(client_for(world.head_a).post(url + "verify/", {"finding": "mistaken"}))
    assert "<html" in full and "mistaken review" in full


def test_the_staff_member_who_served_appeals_from_the_order_page(world, reviewer, client_for):
    order = to_verified(world, bad_review(world), finding="malicious")
    client = client_for(world.window_officer)
    page = text(client.get(f"/staff/rectification/{order.pk}/"))
    assert "Appeal the review" in page and "2025-11-06" in page
    with clock.frozen(at("2025-11-04")):
        answer = text(
            client.post(
                f"/staff/rectification/{order.pk}/appeal/",
                {"kind": "malicious", "reason": "Threatened us first."},
                HTTP_HX_REQUEST="true",
            )
        )
    assert "under appeal" in answer and Appeal.objects.get().filed_by == world.window_officer
    reviewer_page = text(client_for(reviewer).get(f"/staff/rectification/{order.pk}/"))
    assert "Decide the appeal" in reviewer_page
    assert "Decide the appeal" not in text(
        client_for(world.quality_a).get(f"/staff/rectification/{order.pk}/")
    )


def test_the_appeal_queue_lets_an_outside_reviewer_decide(world, reviewer, client_for):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with clock.frozen(at("2025-11-04")):
        appeal = rect.appeal_file(actor=world.head_a, order=order, kind="mistaken", reason="Wrong window.")
    client = client_for(reviewer)
    queue = text(client.get("/staff/rectification/appeals/"))
    assert order.case_number in queue and "Wrong window." in queue and APPLICANT.name not in queue
    assert "No appeals are waiting for you." in text(
        client_for(world.quality_a).get("/staff/rectification/appeals/")
    )
    assert client_for(world.head_a).get("/staff/rectification/appeals/").status_code == 404
    empty = text(
        client.post(
            f"/staff/rectification/appeals/{appeal.pk}/decide/",
            {"outcome": "upheld", "reason": ""},
            HTTP_HX_REQUEST="true",
        )
    )
    assert "Give the reason for the decision." in empty
    decided = text(
        client.post(
            f"/staff/rectification/appeals/{appeal.pk}/decide/",
            {"outcome": "rejected", "reason": "The log says window 1."},
            HTTP_HX_REQUEST="true",
        )
    )
    assert 'id="appeal-queue"' in decided and "<html" not in decided and "was rejected" in decided
    assert Appeal.objects.get().status == "rejected"


def test_the_supervisor_sees_escalated_and_overdue_orders(world, client_for):
    escalated = to_answered(world, bad_review(world))
    step(world.quality_a, escalated, "rate", satisfaction="dissatisfied")
    overdue = bad_review(world, hour=11)
    calm = bad_review(world, day="2025-11-12")
    with clock.frozen(at("2025-11-12", 12)):
        rect.rectification_scan()
        page = text(client_for(world.supervisor).get("/staff/rectification/escalated/"))
    assert escalated.case_number in page and overdue.case_number in page and calm.case_number not in page
    assert "escalated" in page and "contact overdue" in page


@pytest.mark.parametrize("who", ["supervisor", "quality_a"])
def test_the_repeated_bad_reviews_page_lists_what_crossed_the_threshold(world, client_for, who):
    for hour in (9, 10, 11):
        bad_review(world, hour=hour)
    page = text(client_for(getattr(world, who)).get("/staff/rectification/repeated/?month=2025-11"))
    assert "SVC-1" in page and "window-1 unit" in page and "2025-11" in page
    october = text(client_for(world.supervisor).get("/staff/rectification/repeated/?month=2025-10"))
    assert "SVC-1" not in october
    wrong = text(client_for(world.supervisor).get("/staff/rectification/repeated/?month=November"))
    assert "Give the month as YYYY-MM." in wrong
    assert client_for(world.window_officer).get("/staff/rectification/repeated/").status_code == 404


def test_the_citizen_rates_the_handling_of_their_review_on_their_case_page(world, client_for):
    order = online_bad_review(world, level=1).rectification
    case = order.evaluation.case
    client = client_for(world.citizen, language="en")
    assert "Your review was answered" not in text(client.get(f"/my/cases/{case.number}/"))
    step(world.head_a, order, "contact", call_notes="Called.")
    step(world.head_a, order, "verify", finding="valid")
    step(world.approver_a, order, "act", outcome="fixed_at_once")
    step(world.approver_a, order, "answer", answer="The upload page is fixed.")
    page = text(client.get(f"/my/cases/{case.number}/"))
    assert "Your review was answered" in page and "The upload page is fixed." in page
    url = f"/my/cases/{case.number}/rectification/{order.pk}/rate/"
    assert client_for(world.head_a).post(url, {"satisfaction": "satisfied"}).status_code == 404
    missing = text(client.post(url, {}, HTTP_HX_REQUEST="true"))
    assert "Choose satisfied, basically satisfied or dissatisfied." in missing
    done = text(client.post(url, {"satisfaction": "basically_satisfied"}, HTTP_HX_REQUEST="true"))
    assert "has been recorded" in done
    order.refresh_from_db()
    assert (order.status, order.satisfaction) == ("rated", "basically_satisfied")
    assert "Your review was answered" not in text(client.get(f"/my/cases/{case.number}/"))
