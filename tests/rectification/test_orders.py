"""A valid bad review opens one order for the unit that served; the order moves only along its table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from civicpulse.accounts.enums import Role
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification import services as rect
from civicpulse.rectification.enums import Finding, OrderStatus
from civicpulse.rectification.models import RectificationOrder
from civicpulse.rectification.permissions import access_order
from civicpulse.rectification.selectors import order_timeline
from civicpulse.rectification.transitions import TRANSITIONS, allows
from tests import factories
from tests.rectification.conftest import (
    MONDAY,
    at,
    bad_review,
    hall_case,
    online_bad_review,
    rate,
    step,
    to_answered,
    to_verified,
)

D = dt.date


def notified(code: str) -> set[str]:
    return {n.recipient.username for n in Notification.objects.filter(code=code).select_related("recipient")}


# --- opening -----------------------------------------------------------------------------------------------


def test_a_bad_review_is_routed_to_the_unit_that_served(world):
    order = bad_review(world)
    assert order.unit == world.window and order.status == OrderStatus.OPEN
    assert order.evaluation.staff == world.window_officer
    assert (order.opened_on, order.contact_due, order.rectify_due, order.appeal_due) == (
        D(2025, 11, 3),
        D(2025, 11, 4),
        D(2025, 11, 10),
        D(2025, 11, 6),
    )
    assert order.preset == "standard" and order.calendar["code"] == "CN"
    # Nobody heads the window itself: the heads of the department that staffs it are told.
    assert notified("rectification.opened") == {"head_a"}
    event = AuditEvent.objects.get(action="rectification.order.opened")
    assert event.target_label == order.case_number and event.unit == world.window


def test_opening_is_idempotent_one_order_per_evaluation(world):
    order = bad_review(world)
    again = rect.order_open(evaluation=order.evaluation)
    assert again.pk == order.pk
    assert RectificationOrder.objects.count() == 1
    assert AuditEvent.objects.filter(action="rectification.order.opened").count() == 1
    assert Notification.objects.filter(code="rectification.opened").count() == 1


def test_good_and_neutral_reviews_open_nothing(world):
    rate(hall_case(world), rating=ev.Rating(level=5, dimensions={}, tags=[]))
    rate(hall_case(world), rating=ev.Rating(level=3, dimensions={}, tags=["slow"]))
    assert RectificationOrder.objects.count() == 0
    with pytest.raises(Conflict) as error:
        rect.order_open(evaluation=Evaluation.objects.first())
    assert error.value.code == "not_a_bad_review"


def test_a_quarantined_bad_review_opens_its_order_only_once_cleared(world):
    case = hall_case(world)
    with clock.frozen(at(MONDAY, 11)):
        # A staff phone number: the rating is quarantined as the staff rating their own work.
        evaluation = ev.evaluation_submit(
            case=case,
            stage="intake",
            channel="link",
            rating=ev.Rating(1, {}, ["slow"]),
            evaluator_phone="13812345678",
        )
    assert evaluation.status == "quarantined" and RectificationOrder.objects.count() == 0
    with clock.frozen(at("2025-11-05", 9)):
        ev.evaluation_review(
            actor=world.supervisor, evaluation=evaluation, outcome="cleared", note="A relative."
        )
    order = RectificationOrder.objects.get(evaluation=evaluation)
    # The order opens when the review starts to count, and its deadlines run from then.
    assert order.opened_on == D(2025, 11, 5) and order.contact_due == D(2025, 11, 6)


def test_the_preset_setting_chooses_the_deadlines(world, settings):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "RECTIFICATION_PRESET": "calendar_7"}
    # Friday 7 November + 7 calendar days = Friday 14th; contact by Monday 10th.
    order = bad_review(world, day="2025-11-07")
    assert (order.preset, order.contact_due, order.rectify_due) == (
        "calendar_7",
        D(2025, 11, 10),
        D(2025, 11, 14),
    )


def test_an_online_review_goes_to_the_responsible_unit(world):
    evaluation = online_bad_review(world, level=2)
    assert evaluation.rectification.unit == world.dept_a


# --- the state machine -------------------------------------------------------------------------------------


def test_a_valid_review_is_contacted_verified_fixed_answered_rated_and_closed(world):
    order = bad_review(world)
    step(world.window_officer, order, "contact", call_notes="Called at 14:00; the citizen waited 40 minutes.")
    step(world.head_a, order, "verify", finding="valid", verification_notes="The queue log confirms it.")
    step(
        world.window_officer,
        order,
        "act",
        outcome="fixed_by_deadline",
        ledger_entry="Add a second window on Mondays.",
        ledger_due=D(2025, 11, 30),
    )
    step(world.window_officer, order, "answer", answer="A second window opens on Mondays from December.")
    step(world.quality_a, order, "rate", satisfaction="basically_satisfied")
    order = step(world.head_a, order, "close")
    assert order.status == OrderStatus.CLOSED and order.closed_at is not None
    assert (order.finding, order.outcome, order.satisfaction) == (
        "valid",
        "fixed_by_deadline",
        "basically_satisfied",
    )
    assert order.ledger_due == D(2025, 11, 30)
    assert [e.action.rsplit(".", 1)[1] for e in order_timeline(order=order)] == [
        "opened",
        "contacted",
        "verified",
        "acted",
        "answered",
        "rated",
        "closed",
    ]
    # Notes and answers may name the citizen: they never go into the audit log.
    assert all("40 minutes" not in str(e.data) for e in AuditEvent.objects.all())


def test_an_explained_outcome_needs_the_explanation(world):
    order = to_verified(world, bad_review(world))
    with pytest.raises(ValidationFailed) as error:
        step(world.window_officer, order, "act", outcome="explained")
    assert error.value.code == "explanation_required"
    order = step(world.window_officer, order, "act", outcome="explained", explanation="The law requires it.")
    assert order.status == OrderStatus.ACTED and order.explanation == "The law requires it."


@pytest.mark.parametrize(
    ("transition", "details", "code"),
    [
        ("contact", {"call_notes": "  "}, "call_notes_required"),
        ("verify", {"finding": "maybe"}, "finding_required"),
        ("act", {"outcome": ""}, "outcome_required"),
        ("act", {"outcome": "fixed_by_deadline", "ledger_entry": "x"}, "ledger_required"),
        ("act", {"outcome": "fixed_by_deadline", "ledger_due": D(2025, 12, 1)}, "ledger_required"),
        (
            "act",
            {"outcome": "fixed_by_deadline", "ledger_entry": "x", "ledger_due": D(2025, 11, 1)},
            "ledger_due_in_past",
        ),
        ("answer", {"answer": ""}, "answer_required"),
        ("rate", {"satisfaction": "delighted"}, "satisfaction_required"),
    ],
)
def test_a_step_without_what_it_needs_is_refused_and_writes_nothing(world, transition, details, code):
    order = bad_review(world)
    preceding = {"contact": [], "verify": ["contact"], "act": ["contact", "verify"], "answer": [], "rate": []}
    if transition in ("answer", "rate"):
        to_verified(world, order)
        step(world.window_officer, order, "act", outcome="fixed_at_once")
        if transition == "rate":
            step(world.window_officer, order, "answer", answer="Sorry.")
    for name in preceding[transition]:
        step(world.head_a, order, name, call_notes="Called.", finding="valid")
    before = RectificationOrder.objects.get(pk=order.pk)
    actor = world.quality_a
    with pytest.raises(ValidationFailed) as error:
        step(actor, order, transition, **details)
    assert error.value.code == code
    after = RectificationOrder.objects.get(pk=order.pk)
    assert (after.status, after.finding, after.outcome) == (before.status, before.finding, before.outcome)


ALL_DETAILS = {
    "call_notes": "Called.",
    "finding": "valid",
    "outcome": "fixed_at_once",
    "answer": "Answered.",
    "satisfaction": "satisfied",
    "reason": "Because.",
}
STATES = [(s, "") for s in OrderStatus if s != OrderStatus.VERIFIED] + [
    (OrderStatus.VERIFIED, f) for f in Finding.values
]
MANUAL = [name for name, t in TRANSITIONS.items() if t.by == "roles"]


@pytest.mark.parametrize(("status", "finding"), STATES)
@pytest.mark.parametrize("name", MANUAL)
def test_every_edge_is_taken_or_refused_as_the_table_says(world, status, finding, name):
    roles = [Role.DEPARTMENT_HEAD, Role.QUALITY_OFFICER, Role.SUPERVISOR]
    everyone = factories.staff("everyone", world.region, roles, covers=world.region)
    order = bad_review(world)
    RectificationOrder.objects.filter(pk=order.pk).update(
        status=status, finding=finding, answer="Answered before."
    )
    rule = TRANSITIONS[name]
    if allows(rule, status, finding):
        moved = step(everyone, order, name, **ALL_DETAILS)
        assert moved.status in (rule.target, OrderStatus.ESCALATED)
    else:
        with pytest.raises(Conflict) as error:
            step(everyone, order, name, **ALL_DETAILS)
        assert error.value.code == "transition_not_allowed"
        assert "Cannot do" in str(error.value.message)
        assert RectificationOrder.objects.get(pk=order.pk).status == status


def test_each_state_refuses_something(world):
    for status, finding in STATES:
        refused = [n for n in MANUAL if not allows(TRANSITIONS[n], status, finding)]
        assert refused, status


def test_appeal_edges_are_not_taken_as_plain_steps(world):
    order = to_verified(world, bad_review(world), finding="mistaken")
    for name in ("appeal", "uphold", "reject", "escalate", "nonsense"):
        with pytest.raises(ValidationFailed) as error:
            step(world.head_a, order, name, reason="x")
        assert error.value.code == "unknown_transition"


def test_steps_are_refused_to_roles_outside_the_table_or_the_unit(world):
    order = bad_review(world)
    step(world.window_officer, order, "contact", call_notes="Called.")
    # The person who was rated does not judge the review.
    with pytest.raises(Forbidden) as error:
        step(world.window_officer, order, "verify", finding="mistaken")
    assert error.value.code == "role_not_allowed"
    with pytest.raises(NotFound):
        step(world.head_b, order, "verify", finding="valid")
    assert RectificationOrder.objects.get(pk=order.pk).status == OrderStatus.CONTACTED


def test_a_mistaken_finding_cannot_be_acted_on(world):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with pytest.raises(Conflict) as error:
        step(world.window_officer, order, "act", outcome="fixed_at_once")
    assert error.value.code == "transition_not_allowed"
    assert "mistaken review" in str(error.value.message)
    # The head may change the finding before any appeal.
    assert step(world.head_a, order, "verify", finding="valid").finding == "valid"


def test_a_dissatisfied_citizen_escalates_to_the_supervisor_who_reopens_or_closes(world):
    order = to_answered(world, bad_review(world))
    order = step(world.quality_a, order, "rate", satisfaction="dissatisfied")
    assert order.status == OrderStatus.ESCALATED and order.escalated_at is not None
    assert notified("rectification.escalated") == {"supervisor", "head_a"}
    with pytest.raises(Forbidden):
        step(world.head_a, order, "reopen", reason="x")
    with pytest.raises(ValidationFailed) as error:
        step(world.supervisor, order, "reopen", reason=" ")
    assert error.value.code == "reason_required"
    order = step(world.supervisor, order, "reopen", reason="The queue is still long: add staff.")
    assert (order.status, order.finding, order.satisfaction) == (OrderStatus.VERIFIED, "valid", "")
    # Once the supervisor has ruled, the unit cannot turn the review into a mistaken one.
    with pytest.raises(Conflict) as settled:
        step(world.head_a, order, "verify", finding="mistaken")
    assert settled.value.code == "finding_settled"
    step(world.window_officer, order, "act", outcome="fixed_at_once")
    step(world.window_officer, order, "answer", answer="Two more officers on Mondays.")
    order = step(world.quality_a, order, "rate", satisfaction="dissatisfied")
    order = step(world.supervisor, order, "close_escalated", reason="Everything reasonable has been done.")
    assert order.status == OrderStatus.CLOSED
    actions = [e.action for e in order_timeline(order=order)]
    assert actions.count("rectification.order.escalated") == 2 and actions[-1].endswith(
        "closed_by_supervisor"
    )


def test_the_citizen_records_their_own_rating_and_hears_the_answer(world):
    evaluation = online_bad_review(world, level=1)
    order = evaluation.rectification
    step(world.head_a, order, "contact", call_notes="Called.")
    step(world.head_a, order, "verify", finding="valid")
    step(world.approver_a, order, "act", outcome="fixed_at_once")
    step(world.approver_a, order, "answer", answer="The upload page is fixed.")
    assert notified("rectification.answered") == {"citizen"}
    order = step(world.citizen, order, "rate", satisfaction="satisfied")
    assert order.status == OrderStatus.RATED
    assert AuditEvent.objects.get(action="rectification.order.rated").actor == world.citizen


def test_nobody_outside_the_units_can_load_an_order(world):
    order = bad_review(world)
    for user in (AnonymousUser(), None, world.head_b, world.citizen):
        with pytest.raises(NotFound):
            access_order(user, order.pk)
    with pytest.raises(NotFound):
        access_order(world.head_a, "not-a-number")
    assert access_order(world.head_a, order.pk) == order
    assert access_order(world.window_officer, order.pk) == order
