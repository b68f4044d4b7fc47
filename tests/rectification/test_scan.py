"""The deadline scan: contact-overdue and rectify-overdue orders are marked and escalated once each."""

from __future__ import annotations

from civicpulse.core import clock
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import RectificationOrder
from tests.rectification.conftest import at, bad_review, step, to_answered, to_verified

NOTHING = {"contact_overdue": 0, "rectify_overdue": 0}


def recipients(code: str) -> list[str]:
    return sorted(
        n.recipient.username for n in Notification.objects.filter(code=code).select_related("recipient")
    )


def test_an_uncontacted_citizen_is_escalated_once_the_day_after_the_contact_deadline(world, reviewer):
    order = bad_review(world)  # opened Monday 3rd: contact by Tuesday 4th
    with clock.frozen(at("2025-11-04", 17)):
        assert rect.rectification_scan() == NOTHING
    with clock.frozen(at("2025-11-05", 8)):
        assert rect.rectification_scan() == {"contact_overdue": 1, "rectify_overdue": 0}
        assert rect.rectification_scan() == NOTHING
    order.refresh_from_db()
    assert order.contact_overdue and not order.rectify_overdue
    # The heads of the unit and the supervisors over its parent (the hall is under the county).
    assert recipients("rectification.contact_overdue") == ["head_a", "reviewer_b", "supervisor"]
    event = AuditEvent.objects.get(action="rectification.order.contact_overdue")
    assert event.data == {"due": "2025-11-04"} and event.target_label == order.case_number


def test_an_unfinished_rectification_is_escalated_once_after_its_deadline(world):
    order = to_verified(world, bad_review(world))  # contacted on time; rectify by Monday 10th
    with clock.frozen(at("2025-11-10", 17)):
        assert rect.rectification_scan() == NOTHING
    with clock.frozen(at("2025-11-11", 9)):
        assert rect.rectification_scan() == {"contact_overdue": 0, "rectify_overdue": 1}
        assert rect.rectification_scan() == NOTHING
    with clock.frozen(at("2025-11-20", 9)):
        assert rect.rectification_scan() == NOTHING
    assert recipients("rectification.rectify_overdue") == ["head_a", "supervisor"]
    assert AuditEvent.objects.filter(action="rectification.order.rectify_overdue").count() == 1
    order.refresh_from_db()
    assert order.rectify_overdue and not order.contact_overdue


def test_an_order_left_untouched_misses_both_deadlines_in_one_scan(world):
    bad_review(world)
    with clock.frozen(at("2025-11-12")):
        assert rect.rectification_scan() == {"contact_overdue": 1, "rectify_overdue": 1}
        assert rect.rectification_scan() == NOTHING
    assert Notification.objects.filter(code__endswith="_overdue").count() == 4


def test_answered_appealed_and_closed_orders_are_not_overdue(world, reviewer):
    answered = to_answered(world, bad_review(world))
    appealed = to_verified(world, bad_review(world, hour=11), finding="malicious")
    with clock.frozen(at("2025-11-04", 16)):
        rect.appeal_file(
            actor=world.window_officer, order=appealed, kind="malicious", reason="A rival's friend."
        )
    closed = to_answered(world, bad_review(world, hour=12))
    step(world.quality_a, closed, "rate", satisfaction="satisfied")
    step(world.head_a, closed, "close")
    with clock.frozen(at("2025-12-01")):
        assert rect.rectification_scan() == NOTHING
    assert not RectificationOrder.objects.filter(rectify_overdue=True).exists()
    assert {answered.pk, appealed.pk, closed.pk} == set(
        RectificationOrder.objects.values_list("pk", flat=True)
    )


def test_a_rejected_appeal_puts_the_order_back_under_its_original_deadline(world, reviewer):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with clock.frozen(at("2025-11-04")):
        appeal = rect.appeal_file(actor=world.head_a, order=order, kind="mistaken", reason="Wrong window.")
    with clock.frozen(at("2025-11-12")):
        assert rect.rectification_scan() == NOTHING
        rect.appeal_decide(
            actor=reviewer, appeal=appeal, outcome="rejected", reason="The pad was at window 1."
        )
        assert rect.rectification_scan() == {"contact_overdue": 0, "rectify_overdue": 1}
