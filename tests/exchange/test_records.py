"""Field mapping, record by record, on small fixtures made through the services: a good review at a window,
an online bad review, a quarantined rating, an appeal upheld, an order carried through its callback, a
reopened order. Each record is shown as it stood at the batch's cut-off."""

from __future__ import annotations

import datetime as dt

import pytest

from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.exchange.records import stamp
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import RectificationOrder
from tests.exchange.conftest import at, content, export, exported, make_feed
from tests.exchange.reading import schema_problems
from tests.rectification.conftest import (
    APPLICANT,
    MONDAY,
    bad_review,
    hall_case,
    online_bad_review,
    rate,
    step,
    to_answered,
    to_verified,
)

pytestmark = pytest.mark.django_db

ORDER_FIELDS = (
    "order_id",
    "order_status",
    "order_opened_at",
    "contact_due",
    "contacted_at",
    "contact_overdue",
    "rectify_due",
    "finding",
    "outcome",
    "ledger_due",
    "rectified_at",
    "answered_at",
    "rectify_overdue",
    "callback_satisfaction",
    "callback_at",
    "escalated_at",
    "closed_at",
    "appeal_kind",
    "appeal_status",
    "appeal_filed_at",
    "appeal_decided_at",
)


def only(records: list[dict], evaluation: Evaluation) -> dict:
    found = [r for r in records if r["record_id"].endswith(f":evaluation:{evaluation.pk}")]
    assert len(found) == 1
    assert schema_problems(found[0]) == []
    return found[0]


def order_as_rows_say(evaluation: Evaluation) -> dict:
    """The order fields as the rows hold them now: what the projection of the whole history must give."""
    order = RectificationOrder.objects.get(evaluation=evaluation)
    appeal = order.appeals.order_by("-filed_at").first()
    return {
        "order_id": order.pk,
        "order_status": order.status,
        "order_opened_at": stamp(order.opened_at),
        "contact_due": order.contact_due.isoformat(),
        "contacted_at": stamp(order.contacted_at),
        "contact_overdue": order.contact_overdue,
        "rectify_due": order.rectify_due.isoformat(),
        "finding": order.finding or None,
        "outcome": order.outcome or None,
        "ledger_due": order.ledger_due.isoformat() if order.ledger_due else None,
        "rectified_at": stamp(order.acted_at),
        "answered_at": stamp(order.answered_at),
        "rectify_overdue": order.rectify_overdue,
        "callback_satisfaction": order.satisfaction or None,
        "callback_at": stamp(order.rated_at),
        "escalated_at": stamp(order.escalated_at),
        "closed_at": stamp(order.closed_at),
        "appeal_kind": appeal.kind if appeal else None,
        "appeal_status": appeal.status if appeal else None,
        "appeal_filed_at": stamp(appeal.filed_at) if appeal else None,
        "appeal_decided_at": stamp(appeal.decided_at) if appeal else None,
    }


def test_a_good_review_at_a_hall_window(world):
    case = hall_case(world)
    evaluation = rate(case, rating=ev.Rating(5, {"efficiency": 5, "attitude": 4}, [], "Quick and kind."))
    feed = make_feed(world.region)
    batch = export(feed, at(MONDAY, 12))
    record = only(exported(batch), evaluation)
    assert record == {
        "schema_version": "1.0",
        "record_id": f"civicpulse:evaluation:{evaluation.pk}",
        "source": "civicpulse",
        "as_of": "2025-11-03T11:58:00+08:00",
        "updated_at": "2025-11-03T10:00:00+08:00",
        "case_number": case.number,
        "service_code": "SVC-1",
        "service_version": case.version.number,
        # The window is staffed by dept-a: the department answering for it.
        "department_code": "dept-a",
        "unit_code": "window-1",
        "window_code": "window-1",
        "channel": "pad",
        "stage": "intake",
        "staff_number": world.window_officer.employee_number,
        "staff_account": "window_officer",
        "by_applicant": True,
        "level": 5,
        "grade": "good",
        "template_kind": "offline",
        "template_version": evaluation.template.version,
        "dimensions": {"attitude": 4, "efficiency": 5},
        "tags": [],
        "has_comment": True,
        "submitted_at": "2025-11-03T10:00:00+08:00",
        "validity": "valid",
        **dict.fromkeys(ORDER_FIELDS),
    }


def test_an_online_bad_review_with_its_new_order(world, settings):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "EXCHANGE_SOURCE_CODE": "330106"}
    evaluation = online_bad_review(world, level=2, tag="system")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    record = only(exported(export(make_feed(world.region), at(MONDAY, 12))), evaluation)
    assert record["record_id"] == f"330106:evaluation:{evaluation.pk}" and record["source"] == "330106"
    assert (record["department_code"], record["unit_code"], record["window_code"]) == (
        "dept-a",
        "dept-a",
        None,
    )
    assert (record["channel"], record["staff_number"], record["staff_account"]) == ("portal", None, None)
    assert (record["level"], record["grade"], record["tags"], record["has_comment"]) == (
        2,
        "bad",
        ["system"],
        False,
    )
    assert (record["template_kind"], record["by_applicant"]) == ("online", True)
    assert {name: record[name] for name in ORDER_FIELDS} == {
        **dict.fromkeys(ORDER_FIELDS),
        "order_id": order.pk,
        "order_status": "open",
        "order_opened_at": "2025-11-03T10:00:00+08:00",
        "contact_due": "2025-11-04",
        "contacted_at": None,
        "contact_overdue": False,
        "rectify_due": "2025-11-10",
        "rectify_overdue": False,
    }


def test_a_quarantined_rating_is_quarantined_until_its_review_then_excluded_as_fraud(world):
    case = hall_case(world)
    # Rated through the hotline from a staff member's phone: quarantined for review.
    with clock.frozen(at(MONDAY, 11)):
        evaluation = ev.evaluation_submit(
            case=case,
            stage="intake",
            channel="hotline",
            rating=ev.Rating(5, {}, []),
            evaluator_phone="13812345678",
        )
    assert evaluation.status == "quarantined"
    feed = make_feed(world.region)
    first = only(exported(export(feed, at(MONDAY, 12))), evaluation)
    assert (first["validity"], first["by_applicant"], first["channel"]) == ("quarantined", False, "hotline")
    with clock.frozen(at(MONDAY, 14)):
        ev.evaluation_review(
            actor=world.supervisor, evaluation=evaluation, outcome="confirmed", note="Own phone."
        )
    second = only(exported(export(feed, at(MONDAY, 16))), evaluation)
    assert second["validity"] == "excluded_fraud" and second["updated_at"] == "2025-11-03T14:00:00+08:00"


def test_a_cleared_rating_counts_and_its_bad_review_opens_an_order_then(world):
    case = hall_case(world)
    with clock.frozen(at(MONDAY, 11)):
        evaluation = ev.evaluation_submit(
            case=case,
            stage="intake",
            channel="hotline",
            rating=ev.Rating(1, {}, ["attitude"]),
            evaluator_phone="13812345678",
        )
    feed = make_feed(world.region)
    before = only(exported(export(feed, at(MONDAY, 12))), evaluation)
    assert before["validity"] == "quarantined" and before["order_id"] is None
    with clock.frozen(at(MONDAY, 14)):
        ev.evaluation_review(
            actor=world.supervisor, evaluation=evaluation, outcome="cleared", note="A relative."
        )
    after = only(exported(export(feed, at(MONDAY, 16))), evaluation)
    assert after["validity"] == "valid" and after["order_status"] == "open"
    assert after["order_opened_at"] == "2025-11-03T14:00:00+08:00"


def test_an_upheld_appeal_excludes_the_review_from_its_decision_on(world, reviewer):
    order = to_verified(world, bad_review(world), finding="mistaken")
    with clock.frozen(at("2025-11-04", 11)):
        appeal = rect.appeal_file(actor=world.head_a, order=order, kind="malicious", reason="A competitor.")
    feed = make_feed(world.region)
    pending = only(exported(export(feed, at("2025-11-04", 12))), order.evaluation)
    assert (pending["validity"], pending["order_status"], pending["finding"]) == (
        "valid",
        "appealed",
        "mistaken",
    )
    assert (pending["appeal_kind"], pending["appeal_status"]) == ("malicious", "pending")
    assert pending["appeal_filed_at"] == "2025-11-04T11:00:00+08:00" and pending["appeal_decided_at"] is None
    with clock.frozen(at("2025-11-05", 11)):
        rect.appeal_decide(actor=reviewer, appeal=appeal, outcome="upheld", reason="Seen on camera.")
    upheld = only(exported(export(feed, at("2025-11-05", 12))), order.evaluation)
    assert (upheld["validity"], upheld["order_status"], upheld["appeal_status"]) == (
        "excluded_appeal",
        "upheld",
        "upheld",
    )
    assert upheld["appeal_decided_at"] == "2025-11-05T11:00:00+08:00"
    assert {k: upheld[k] for k in ORDER_FIELDS} == order_as_rows_say(order.evaluation)
    assert Evaluation.objects.get(pk=order.evaluation_id).status == "excluded"


def test_an_order_through_its_callback_matches_its_rows_at_every_step(world):
    order = bad_review(world)
    feed = make_feed(world.region)
    steps = [
        (world.window_officer, "contact", {"call_notes": "Called."}),
        (world.head_a, "verify", {"finding": "valid"}),
        (
            world.window_officer,
            "act",
            {
                "outcome": "fixed_by_deadline",
                "ledger_entry": "Add a queue screen.",
                "ledger_due": dt.date(2025, 12, 1),
            },
        ),
        (world.window_officer, "answer", {"answer": "We will add a screen."}),
        (world.quality_a, "rate", {"satisfaction": "basically_satisfied"}),
        (world.head_a, "close", {}),
    ]
    seen = []
    for hour, (actor, name, details) in enumerate(steps, start=11):
        step(actor, order, name, MONDAY, hour, **details)
        record = only(exported(export(feed, at(MONDAY, hour, 30))), order.evaluation)
        assert {k: record[k] for k in ORDER_FIELDS} == order_as_rows_say(order.evaluation)
        assert record["updated_at"] == f"2025-11-03T{hour}:00:00+08:00"
        seen.append(record["order_status"])
    assert seen == ["contacted", "verified", "acted", "answered", "rated", "closed"]
    assert record["ledger_due"] == "2025-12-01" and record["callback_satisfaction"] == "basically_satisfied"


def test_a_reopened_order_after_a_dissatisfied_callback_matches_its_rows(world):
    order = to_answered(world, bad_review(world))
    step(world.quality_a, order, "rate", "2025-11-04", 10, satisfaction="dissatisfied")
    feed = make_feed(world.region)
    escalated = only(exported(export(feed, at("2025-11-04", 11))), order.evaluation)
    assert escalated["order_status"] == "escalated" and escalated["callback_satisfaction"] == "dissatisfied"
    assert escalated["escalated_at"] == "2025-11-04T10:00:00+08:00"
    step(world.supervisor, order, "reopen", "2025-11-04", 12, reason="The queue is still long.")
    reopened = only(exported(export(feed, at("2025-11-04", 13))), order.evaluation)
    assert {k: reopened[k] for k in ORDER_FIELDS} == order_as_rows_say(order.evaluation)
    assert (reopened["order_status"], reopened["callback_satisfaction"]) == ("verified", None)
    step(
        world.window_officer,
        order,
        "act",
        "2025-11-04",
        14,
        outcome="fixed_at_once",
        outcome_notes="Staff added.",
    )
    acted = only(exported(export(feed, at("2025-11-04", 15))), order.evaluation)
    assert {k: acted[k] for k in ORDER_FIELDS} == order_as_rows_say(order.evaluation)
    assert acted["rectified_at"] == "2025-11-04T14:00:00+08:00"


def test_overdue_marks_from_the_deadline_scan_are_changes(world):
    order = bad_review(world)
    feed = make_feed(world.region)
    export(feed, at(MONDAY, 12))
    with clock.frozen(at("2025-11-05", 7)):
        rect.rectification_scan()
    record = only(exported(export(feed, at("2025-11-05", 8))), order.evaluation)
    assert (record["contact_overdue"], record["rectify_overdue"]) == (True, False)
    assert record["updated_at"] == "2025-11-05T07:00:00+08:00"
    assert {k: record[k] for k in ORDER_FIELDS} == order_as_rows_say(order.evaluation)


def test_a_record_shows_its_state_at_the_cut_off_not_at_the_export(world):
    """A later window written after further changes still shows each record as of its own cut-off."""
    order = bad_review(world)
    step(world.window_officer, order, "contact", MONDAY, 15, call_notes="Called.")
    feed = make_feed(world.region)
    record = only(exported(export(feed, at(MONDAY, 18), until=at(MONDAY, 14))), order.evaluation)
    assert (record["order_status"], record["contacted_at"]) == ("open", None)
    assert (
        record["as_of"] == "2025-11-03T14:00:00+08:00" and record["updated_at"] == "2025-11-03T10:00:00+08:00"
    )


def test_no_personal_data_of_the_citizen_leaves(world):
    case = hall_case(world)
    rate(case, rating=ev.Rating(1, {}, ["attitude"], "王小明 13811112222 was treated rudely."))
    with clock.frozen(at(MONDAY, 11)):
        ev.evaluation_submit(
            case=hall_case(world, hour=11),
            stage="intake",
            channel="hotline",
            rating=ev.Rating(4, {}, []),
            evaluator_phone="13987654321",
            device="kiosk-7",
            ip="10.1.2.3",
        )
    for fmt in ("jsonl", "csv"):
        batch = export(make_feed(world.region, name=f"all-{fmt}", fmt=fmt), at(MONDAY, 12))
        assert batch.record_count == 2
        text = content(batch).decode("utf-8-sig")
        for secret in (
            APPLICANT.name,
            APPLICANT.id_number,
            APPLICANT.phone,
            "13987654321",
            "13812345678",
            "rudely",
            "kiosk-7",
            "10.1.2.3",
            world.citizen.username,
        ):
            assert secret not in text, secret
