"""JSON Lines and CSV of the same window read back to the same records, typed by the published schema."""

from __future__ import annotations

import jsonschema
import pytest

from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from tests import factories
from tests.exchange.conftest import at, content, export, exported, make_feed
from tests.exchange.reading import SCHEMA, schema_problems
from tests.rectification.conftest import (
    APPLICANT,
    MONDAY,
    bad_review,
    hall_case,
    online_bad_review,
    rate,
    to_answered,
)

pytestmark = pytest.mark.django_db


def test_both_formats_carry_the_same_records(world):
    to_answered(world, bad_review(world, hour=9))
    online_bad_review(world)
    rate(
        hall_case(world, hour=11),
        hour=11,
        rating=ev.Rating(3, {"efficiency": 2, "attitude": 3}, ["long_wait", "slow"]),
    )
    # A user name a spreadsheet would run as a formula: escaped in CSV, read back as it was.
    plus = factories.staff("+agent", world.window, [Role.WINDOW_OFFICER])
    with clock.frozen(at(MONDAY, 11)):
        case = cases.case_intake(
            actor=plus,
            service_code="SVC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )
    rate(case, hour=11, rating=ev.Rating(5, {}, []))
    jsonl = export(make_feed(world.region, name="lines", fmt="jsonl"), at(MONDAY, 12))
    csv = export(make_feed(world.region, name="sheet", fmt="csv"), at(MONDAY, 12))
    assert jsonl.until == csv.until and jsonl.record_count == csv.record_count == 4
    from_jsonl, from_csv = exported(jsonl), exported(csv)
    assert from_csv == from_jsonl
    assert [schema_problems(r) for r in from_jsonl] == [[]] * 4
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [list(validator.iter_errors(r)) for r in from_jsonl] == [[]] * 4
    assert b"'+agent" in content(csv) and b'"staff_account":"+agent"' in content(jsonl)
    assert {r["schema_version"] for r in from_csv} == {"1.0"}
    # Orders, dimensions and tags survive the trip: the fixture holds some of each.
    assert any(r["order_id"] for r in from_csv) and any(r["dimensions"] for r in from_csv)
    assert any(len(r["tags"]) == 2 for r in from_csv)


def test_the_schema_file_is_a_valid_json_schema_that_refuses_a_wrong_record():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not validator.is_valid({"schema_version": "1.0"})
