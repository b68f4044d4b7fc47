"""The pure parts: projecting a record's history as of a cut-off, cut-off arithmetic, the encoders and the
schema checker the other tests rely on."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from civicpulse.core import audit
from civicpulse.exchange import formats
from civicpulse.exchange.records import CHANGES, NOT_CHANGES, STATUS_EFFECTS, Event, project, stamp
from civicpulse.exchange.schema import fields, schema
from civicpulse.exchange.services import latest_cutoff, scheduled_cutoff
from civicpulse.rectification.transitions import TRANSITIONS
from tests.exchange.reading import schema_problems

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)


def events(*steps: str | tuple[str, dict]) -> list[Event]:
    """One event a minute from T0; a step is an action code or (code, data)."""
    made = []
    for i, step in enumerate(steps):
        action, data = step if isinstance(step, tuple) else (step, {})
        made.append(Event(action, T0 + dt.timedelta(minutes=i), data))
    return made


def minute(i: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=i)


EV = "evaluations.evaluation."
ORDER = "rectification.order."
APPEAL = "rectification.appeal."


def test_nothing_before_the_submission_means_no_record():
    state = project([])
    assert state.validity is None and state.updated_at is None and state.order is None


@pytest.mark.parametrize(
    ("steps", "validity"),
    [
        ([EV + "submitted"], "valid"),
        ([EV + "submitted", EV + "quarantined"], "quarantined"),
        ([EV + "submitted", EV + "quarantined", EV + "cleared"], "valid"),
        ([EV + "submitted", EV + "quarantined", EV + "confirmed"], "excluded_fraud"),
        ([EV + "submitted", ORDER + "opened", EV + "excluded"], "excluded_appeal"),
    ],
)
def test_validity_follows_the_review_and_the_appeal(steps, validity):
    state = project(events(*steps))
    assert state.validity == validity and state.updated_at == minute(len(steps) - 1)


def test_reading_the_evaluator_identity_changes_nothing_exported():
    state = project(events(EV + "submitted", EV + "identity_viewed"))
    assert state.updated_at == minute(0) and state.validity == "valid"


def test_an_order_carried_through_to_its_close():
    state = project(
        events(
            EV + "submitted",
            ORDER + "opened",
            ORDER + "contact_overdue",
            ORDER + "contacted",
            (ORDER + "verified", {"finding": "valid"}),
            (ORDER + "acted", {"outcome": "fixed_by_deadline", "ledger_due": "2025-12-01"}),
            ORDER + "answered",
            (ORDER + "rated", {"satisfaction": "basically_satisfied"}),
            ORDER + "closed",
        )
    )
    order = state.order
    assert order is not None and state.validity == "valid"
    assert (order.status, order.finding, order.outcome, order.ledger_due) == (
        "closed",
        "valid",
        "fixed_by_deadline",
        "2025-12-01",
    )
    assert order.contact_overdue is True and order.rectify_overdue is False
    assert (
        order.contacted_at,
        order.rectified_at,
        order.answered_at,
        order.callback_at,
        order.closed_at,
    ) == (
        minute(3),
        minute(5),
        minute(6),
        minute(7),
        minute(8),
    )
    assert order.satisfaction == "basically_satisfied" and order.escalated_at is None
    assert order.appeal_status is None and state.updated_at == minute(8)


def test_a_reopened_order_forgets_the_rating_and_keeps_the_times_until_they_are_written_again():
    history = events(
        EV + "submitted",
        ORDER + "opened",
        ORDER + "contacted",
        (ORDER + "verified", {"finding": "valid"}),
        (ORDER + "acted", {"outcome": "explained"}),
        ORDER + "answered",
        (ORDER + "rated", {"satisfaction": "dissatisfied"}),
        ORDER + "escalated",
        (ORDER + "reopened", {"reason": "Add staff."}),
        ORDER + "rectify_overdue",
        (ORDER + "acted", {"outcome": "fixed_at_once"}),
    )
    reopened = project(history[:9]).order
    assert reopened is not None
    assert (reopened.status, reopened.finding, reopened.satisfaction) == ("verified", "valid", None)
    assert (reopened.callback_at, reopened.escalated_at, reopened.answered_at) == (
        minute(6),
        minute(7),
        minute(5),
    )
    acted = project(history).order
    assert acted is not None and acted.status == "acted" and acted.rectify_overdue is True
    assert (acted.outcome, acted.ledger_due, acted.rectified_at) == ("fixed_at_once", None, minute(10))


@pytest.mark.parametrize(
    ("decision", "status", "finding"), [("upheld", "upheld", "mistaken"), ("rejected", "verified", "valid")]
)
def test_an_appeal_is_pending_then_decided(decision, status, finding):
    history = events(
        EV + "submitted",
        ORDER + "opened",
        ORDER + "contacted",
        (ORDER + "verified", {"finding": "mistaken"}),
        (APPEAL + "filed", {"appeal_kind": "malicious", "reason": "x"}),
        (APPEAL + decision, {"reason": "y"}),
    )
    pending = project(history[:5]).order
    assert pending is not None
    assert (pending.status, pending.appeal_kind, pending.appeal_status) == (
        "appealed",
        "malicious",
        "pending",
    )
    assert pending.appeal_filed_at == minute(4) and pending.appeal_decided_at is None
    decided = project(history).order
    assert decided is not None
    assert (decided.status, decided.appeal_status, decided.finding) == (status, decision, finding)
    assert decided.appeal_decided_at == minute(5)


def test_closing_after_an_upheld_appeal_answers_the_citizen():
    order = project(
        events(
            EV + "submitted",
            ORDER + "opened",
            ORDER + "contacted",
            (ORDER + "verified", {"finding": "mistaken"}),
            (APPEAL + "filed", {"appeal_kind": "mistaken"}),
            APPEAL + "upheld",
            EV + "excluded",
            ORDER + "closed_after_appeal",
        )
    ).order
    assert order is not None and order.status == "closed"
    assert order.answered_at == order.closed_at == minute(7)


def test_a_step_without_an_opened_order_is_ignored():
    state = project(events(EV + "submitted", ORDER + "contacted"))
    assert state.order is None and state.validity == "valid"


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_every_step_of_the_order_table_leaves_the_status_of_the_table(name):
    rule = TRANSITIONS[name]
    kind = "appeal" if rule.by in ("appellant", "reviewer") else "order"
    assert STATUS_EFFECTS[f"rectification.{kind}.{rule.past}"] == rule.target


def test_every_audit_action_on_an_exported_object_is_classified():
    """A new action on evaluations, orders or appeals must be declared a change or not: else a change
    would silently never reach the receiving platform."""
    registered = [
        code
        for code in audit._ACTION_LABELS
        if code.startswith(("evaluations.evaluation.", "rectification.order.", "rectification.appeal."))
    ]
    assert registered, "the evaluations and rectification apps register their actions"
    assert sorted(c for c in registered if c not in CHANGES | NOT_CHANGES) == []
    assert sorted(c for c in CHANGES if not audit.is_registered(c)) == []


def test_cutoffs_stay_behind_now_in_whole_seconds():
    now = dt.datetime(2025, 11, 3, 10, 0, 5, 700_000, tzinfo=SHANGHAI)
    assert latest_cutoff(now, dt.timedelta(seconds=120)) == dt.datetime(
        2025, 11, 3, 9, 58, 5, tzinfo=SHANGHAI
    )
    assert latest_cutoff(now, dt.timedelta(0)) == dt.datetime(2025, 11, 3, 10, 0, 5, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "schedule", "expected"),
    [
        # Local time decides: 00:05 in Shanghai is 16:05 UTC the day before.
        (dt.datetime(2025, 11, 2, 16, 5, tzinfo=dt.UTC), "daily", dt.datetime(2025, 11, 3, tzinfo=SHANGHAI)),
        (dt.datetime(2025, 11, 2, 16, 5, tzinfo=dt.UTC), "hourly", dt.datetime(2025, 11, 3, tzinfo=SHANGHAI)),
        # One minute after midnight the lag of two minutes keeps the previous day's boundary.
        (dt.datetime(2025, 11, 3, 0, 1, tzinfo=SHANGHAI), "daily", dt.datetime(2025, 11, 2, tzinfo=SHANGHAI)),
        (
            dt.datetime(2025, 11, 3, 0, 1, tzinfo=SHANGHAI),
            "hourly",
            dt.datetime(2025, 11, 2, 23, tzinfo=SHANGHAI),
        ),
        (
            dt.datetime(2025, 11, 3, 14, 37, tzinfo=SHANGHAI),
            "hourly",
            dt.datetime(2025, 11, 3, 14, tzinfo=SHANGHAI),
        ),
        (dt.datetime(2025, 11, 3, 14, 37, tzinfo=SHANGHAI), "manual", None),
    ],
)
def test_scheduled_feeds_export_up_to_the_last_boundary(now, schedule, expected):
    assert scheduled_cutoff(schedule, now, dt.timedelta(seconds=120)) == expected


def test_times_are_local_whole_seconds_with_their_offset():
    moment = dt.datetime(2025, 11, 3, 2, 0, 0, 999_999, tzinfo=dt.UTC)
    assert stamp(moment) == "2025-11-03T10:00:00+08:00"
    assert stamp(None) is None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (5, "5"),
        ({"z": 1, "a": 5}, '{"a":5,"z":1}'),
        (["slow", "其他"], '["slow","其他"]'),
        ([], "[]"),
        ({}, "{}"),
        ("dept-a", "dept-a"),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+86", "'+86"),
        ("-1", "'-1"),
        ("@home", "'@home"),
        ("窗口1", "窗口1"),
    ],
)
def test_csv_cells(value, cell):
    assert formats.csv_cell(value) == cell


def test_json_lines_keep_the_schema_order_and_chinese_as_is():
    line = formats.jsonl_line({"b": "窗口", "a": None, "c": {"y": 2, "x": 1}}, ["c", "a", "b"])
    assert line == '{"c":{"y":2,"x":1},"a":null,"b":"窗口"}\n'.encode()
    assert json.loads(line) == {"a": None, "b": "窗口", "c": {"x": 1, "y": 2}}


def test_an_empty_export_is_a_header_in_csv_and_nothing_in_json_lines():
    assert b"".join(formats.encode([], ["a", "b"], "csv")) == b"\xef\xbb\xbfa,b\r\n"
    assert b"".join(formats.encode([], ["a", "b"], "jsonl")) == b""
    with pytest.raises(ValueError):
        list(formats.encode([], ["a"], "xml"))


def test_csv_quotes_commas_quotes_and_line_breaks():
    line = formats.csv_line({"a": 'say "hi", then\nleave', "b": 1}, ["a", "b"])
    assert line == b'"say ""hi"", then\nleave",1\r\n'


def test_the_schema_lists_every_field_once_required_and_in_order():
    document = schema()
    assert list(document["properties"]) == list(document["required"]) == list(fields())
    assert len(set(fields())) == len(fields())
    assert document["properties"]["schema_version"]["pattern"] == "^1\\.[0-9]+$"


def test_the_schema_checker_catches_what_it_checks():
    """The record tests validate with this checker: it must refuse what the schema refuses."""
    good = {name: None for name in fields()}
    assert "missing record_id" in schema_problems({})
    assert any("unexpected colour" in p for p in schema_problems({**good, "colour": "red"}))
    assert any(p.startswith("level:") for p in schema_problems({**good, "level": 6}))
    assert any(p.startswith("level:") for p in schema_problems({**good, "level": True}))
    assert any(p.startswith("channel:") for p in schema_problems({**good, "channel": "fax"}))
    assert any(p.startswith("schema_version:") for p in schema_problems({**good, "schema_version": "2.0"}))
    assert any(p.startswith("submitted_at:") for p in schema_problems({**good, "submitted_at": "yesterday"}))
    assert any(
        p.startswith("contact_due:") for p in schema_problems({**good, "contact_due": "2025-11-03T10"})
    )
    assert any(p.startswith("dimensions.x") for p in schema_problems({**good, "dimensions": {"x": 0}}))
    assert any(p.startswith("tags[0]") for p in schema_problems({**good, "tags": [1]}))
    assert any(p.startswith("case_number:") for p in schema_problems({**good, "case_number": ""}))
