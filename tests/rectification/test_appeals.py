"""Appeals: filed by the staff member who served or a head of the unit within the window, decided by a
reviewer from outside the appellant's line; upheld reviews stop counting and are never deleted."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from civicpulse.accounts.enums import Role
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification import selectors
from civicpulse.rectification import services as rect
from civicpulse.rectification.enums import OrderStatus
from civicpulse.rectification.models import Appeal, RectificationOrder
from tests import factories
from tests.rectification.conftest import at, bad_review, step, to_verified


def file(
    actor, order, day: str = "2025-11-04", kind: str = "mistaken", reason: str = "Rated the wrong window."
):
    with clock.frozen(at(day, 11)):
        return rect.appeal_file(actor=actor, order=order, kind=kind, reason=reason)


def decide(actor, appeal, outcome: str, reason: str = "Checked the queue log.", day: str = "2025-11-05"):
    with clock.frozen(at(day, 11)):
        return rect.appeal_decide(actor=actor, appeal=appeal, outcome=outcome, reason=reason)


@pytest.fixture
def disputed(world):
    return to_verified(world, bad_review(world), finding="mistaken")


def test_the_staff_member_who_served_appeals_within_the_window(world, reviewer, disputed):
    appeal = file(world.window_officer, disputed)
    disputed.refresh_from_db()
    assert disputed.status == OrderStatus.APPEALED and appeal.status == "pending"
    # Only reviewers who could decide hear of it: not those inside the window's or department A's line.
    assert {n.recipient.username for n in Notification.objects.filter(code="rectification.appeal_filed")} == {
        "reviewer_b",
        "supervisor",
    }
    event = AuditEvent.objects.get(action="rectification.appeal.filed")
    assert event.target_label == disputed.case_number and event.data["appeal_kind"] == "mistaken"
    # The order's timeline shows its appeals too.
    assert [e.action for e in selectors.order_timeline(order=disputed)][-1] == "rectification.appeal.filed"


def test_a_head_of_the_unit_may_appeal_on_the_last_day(world, disputed):
    assert file(world.head_a, disputed, day="2025-11-06").filed_by == world.head_a


def test_an_appeal_after_the_window_is_refused(world, disputed):
    with pytest.raises(Conflict) as error:
        file(world.window_officer, disputed, day="2025-11-07")
    assert error.value.code == "appeal_window_closed"
    assert "ended on 2025-11-06" in str(error.value.message) and "3 working days" in str(error.value.message)
    assert not Appeal.objects.exists()


def test_only_the_server_or_a_head_appeals_and_only_a_disputed_review(world, disputed):
    with pytest.raises(Forbidden) as error:
        file(world.approver_a, disputed)
    assert error.value.code == "not_appellant"
    with pytest.raises(NotFound):
        file(world.head_b, disputed)
    with pytest.raises(ValidationFailed):
        file(world.head_a, disputed, kind="unfair")
    with pytest.raises(ValidationFailed):
        file(world.head_a, disputed, reason=" ")
    valid = to_verified(world, bad_review(world, hour=11))
    with pytest.raises(Conflict) as not_now:
        file(world.head_a, valid)
    assert not_now.value.code == "transition_not_allowed"


def test_one_pending_appeal_per_order(world, disputed):
    appeal = file(world.window_officer, disputed)
    with pytest.raises(Conflict) as error:
        file(world.head_a, disputed)
    assert error.value.code == "transition_not_allowed"
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            order=disputed, kind="mistaken", reason="Again.", filed_by=world.head_a, filed_at=appeal.filed_at
        )


def test_reviewers_inside_the_appellants_line_cannot_decide(world, reviewer, disputed):
    appeal = file(world.window_officer, disputed)
    inside_below = factories.staff("reviewer_a1", world.section_a1, [Role.SUPERVISOR], covers=world.region)
    refusals = {
        world.quality_a: Forbidden,  # works in department A, which staffs the window
        inside_below: Forbidden,  # works in a section under department A
        world.window_officer: Forbidden,  # may see it, holds no reviewer role
        world.head_b: NotFound,  # neither sees it nor reviews
    }
    for actor, refusal in refusals.items():
        with pytest.raises(refusal) as error:
            decide(actor, appeal, "upheld")
        if actor in (world.quality_a, inside_below):
            assert error.value.code == "reviewer_inside_unit"
    assert Appeal.objects.get().status == "pending"
    assert selectors.appeal_queue(user=reviewer) == [appeal]
    # The county's supervisors work at the region itself: it holds every unit, and they are the
    # independent reviewers, so the region does not count as part of anyone's line.
    assert selectors.appeal_queue(user=world.supervisor) == [appeal]
    for actor in (world.quality_a, inside_below, world.head_b):
        assert selectors.appeal_queue(user=actor) == []


def test_an_upheld_appeal_excludes_the_review_keeps_the_row_and_the_citizen_is_still_answered(
    world, reviewer, disputed
):
    appeal = file(world.window_officer, disputed)
    with pytest.raises(ValidationFailed):
        decide(reviewer, appeal, "upheld", reason="")
    decided = decide(reviewer, appeal, "upheld")
    assert (decided.status, decided.decided_by, decided.decision_reason) == (
        "upheld",
        reviewer,
        "Checked the queue log.",
    )
    evaluation = Evaluation.objects.get(pk=disputed.evaluation_id)
    assert (evaluation.status, evaluation.exclusion) == ("excluded", "appeal")
    order = RectificationOrder.objects.get(pk=disputed.pk)
    assert order.status == OrderStatus.UPHELD
    with pytest.raises(ValidationFailed) as error:
        step(world.window_officer, order, "answer_and_close", day="2025-11-05", answer="")
    assert error.value.code == "answer_required"
    order = step(
        world.window_officer,
        order,
        "answer_and_close",
        day="2025-11-05",
        answer="We checked: it was window 2.",
    )
    assert order.status == OrderStatus.CLOSED
    assert {"rectification.appeal.upheld", "evaluations.evaluation.excluded"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    with pytest.raises(Conflict) as again:
        decide(reviewer, appeal, "rejected")
    assert again.value.code == "appeal_decided"


def test_a_rejected_appeal_sends_the_order_back_to_a_valid_finding(world, reviewer, disputed):
    appeal = file(world.window_officer, disputed)
    decide(reviewer, appeal, "rejected", reason="The pad log shows window 1.")
    order = RectificationOrder.objects.get(pk=disputed.pk)
    assert (order.status, order.finding) == (OrderStatus.VERIFIED, "valid")
    assert Evaluation.objects.get(pk=order.evaluation_id).status == "valid"
    assert {
        n.recipient.username for n in Notification.objects.filter(code="rectification.appeal_rejected")
    } == {
        "window_officer",
        "head_a",
    }
    with pytest.raises(Conflict) as settled:
        step(world.head_a, order, "verify", day="2025-11-05", finding="malicious")
    assert settled.value.code == "finding_settled"
    order = step(world.window_officer, order, "act", day="2025-11-05", outcome="fixed_at_once")
    assert order.status == OrderStatus.ACTED


def test_an_invalid_decision_is_refused(world, reviewer, disputed):
    appeal = file(world.window_officer, disputed)
    with pytest.raises(ValidationFailed) as error:
        decide(reviewer, appeal, "maybe")
    assert error.value.code == "invalid_outcome"
