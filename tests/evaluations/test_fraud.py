"""Fraud rules for citizen evaluations: each rule proved to fire, and proved not to, at its boundaries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from civicpulse.evaluations.fraud import (
    FLAG_BURST_DEVICE,
    FLAG_BURST_IP,
    FLAG_BURST_PHONE,
    FLAG_NO_INTERACTION,
    FLAG_SPREAD,
    FLAG_STAFF_SELF,
    FLAG_STAGE_NOT_REACHED,
    Flag,
    Interaction,
    Submission,
    Thresholds,
    burst_keys,
    normalise_phone,
    screen,
)

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
BURST_WINDOW = dt.timedelta(minutes=Thresholds().burst_window_minutes)
SPREAD_WINDOW = dt.timedelta(days=Thresholds().spread_window_days)
HAPPENED = Interaction(exists=True, stage_reached=True)


def sub(**fields: Any) -> Submission:
    """A submission that trips no rule on its own: anonymous, no identifiers, by the applicant."""
    defaults: dict[str, Any] = {
        "case_id": 1,
        "submitted_at": AT,
        "account_id": None,
        "phone": "",
        "device": "",
        "ip": "",
        "is_applicant": True,
    }
    return Submission(**{**defaults, **fields})


def codes(submission: Submission, recent: list[Submission] | None = None, **kwargs: Any) -> list[str]:
    return [flag.code for flag in flags(submission, recent, **kwargs)]


def flags(submission: Submission, recent: list[Submission] | None = None, **kwargs: Any) -> list[Flag]:
    kwargs.setdefault("interaction", HAPPENED)
    kwargs.setdefault("staff_phones", frozenset())
    kwargs.setdefault("staff_account_ids", frozenset())
    return screen(submission, recent=recent or [], **kwargs)


# --- phone normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("86-138-0013-8000", "13800138000"),
        ("(+86) 138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("＋８６ １３８００１３８０００", "13800138000"),
        ("", ""),
        ("  - ", ""),
        ("unknown", ""),
    ],
)
def test_phones_are_normalised_to_their_national_digits(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "8612345",  # a short local number that happens to start with 86
        "86138001380",  # 11 digits starting 86: a national number, not a country code
        "861380013800",  # 12 digits
        "86138001380001",  # 14 digits
        "1386013800000",  # 13 digits, but 86 is not in front
    ],
)
def test_a_leading_86_is_kept_unless_it_is_a_country_code_before_eleven_digits(raw: str) -> None:
    assert normalise_phone(raw) == raw


# --- staff rating themselves ----------------------------------------------------------------------------


def test_a_staff_account_rating_its_own_unit_is_flagged() -> None:
    assert flags(sub(account_id=7), staff_account_ids=frozenset({7})) == [Flag(FLAG_STAFF_SELF, {})]


@pytest.mark.parametrize(
    ("given", "on_staff_list"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "86-138-0013-8000"),
    ],
)
def test_a_staff_phone_is_flagged_whatever_the_formatting(given: str, on_staff_list: str) -> None:
    result = flags(sub(phone=given), staff_phones=frozenset({"13900139000", on_staff_list}))
    assert result == [Flag(FLAG_STAFF_SELF, {})]


def test_a_staff_phone_is_flagged_even_when_the_evaluator_is_logged_in_as_someone_else() -> None:
    assert codes(sub(account_id=8, phone="13800138000"), staff_phones=frozenset({"13800138000"})) == [
        FLAG_STAFF_SELF
    ]


def test_a_citizen_who_is_not_staff_is_not_flagged() -> None:
    submission = sub(account_id=8, phone="13800138000")
    assert codes(submission, staff_phones=frozenset({"13900139000"}), staff_account_ids=frozenset({7})) == []


def test_an_anonymous_evaluator_without_a_phone_never_matches_staff() -> None:
    # A staff record with no phone (or only punctuation) must not match every evaluator who gave none.
    result = codes(sub(account_id=None, phone=""), staff_phones=frozenset({"", " - "}))
    assert result == []


def test_a_phone_that_only_shares_a_prefix_with_a_staff_phone_is_not_flagged() -> None:
    assert codes(sub(phone="1380013800"), staff_phones=frozenset({"13800138000"})) == []


# --- bursts from one device, IP or phone ----------------------------------------------------------------

BURST_FIELDS = [
    pytest.param("device", "kiosk-3", FLAG_BURST_DEVICE, id="device"),
    pytest.param("ip", "10.0.0.8", FLAG_BURST_IP, id="ip"),
    pytest.param("phone", "13800138000", FLAG_BURST_PHONE, id="phone"),
]


def earlier(
    field: str, value: str, n: int, *, ago: dt.timedelta = dt.timedelta(minutes=1)
) -> list[Submission]:
    return [sub(case_id=100 + i, submitted_at=AT - ago, **{field: value}) for i in range(n)]


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_a_burst_from_one_identifier_is_flagged_at_the_threshold(field: str, value: str, code: str) -> None:
    recent = earlier(field, value, Thresholds().burst_count - 1)
    assert flags(sub(**{field: value}), recent) == [Flag(code, {"count": "5", "minutes": "10"})]


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_one_submission_short_of_the_threshold_is_not_a_burst(field: str, value: str, code: str) -> None:
    recent = earlier(field, value, Thresholds().burst_count - 2)
    assert codes(sub(**{field: value}), recent) == []


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_the_burst_count_reports_every_matching_submission(field: str, value: str, code: str) -> None:
    assert flags(sub(**{field: value}), earlier(field, value, 7)) == [
        Flag(code, {"count": "8", "minutes": "10"})
    ]


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_a_submission_exactly_at_the_burst_window_edge_counts(field: str, value: str, code: str) -> None:
    recent = earlier(field, value, 3) + earlier(field, value, 1, ago=BURST_WINDOW)
    assert codes(sub(**{field: value}), recent) == [code]


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_a_submission_one_second_before_the_burst_window_does_not_count(
    field: str, value: str, code: str
) -> None:
    recent = earlier(field, value, 3) + earlier(field, value, 1, ago=BURST_WINDOW + SECOND)
    assert codes(sub(**{field: value}), recent) == []


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_a_submission_at_the_same_instant_counts(field: str, value: str, code: str) -> None:
    recent = earlier(field, value, 3) + earlier(field, value, 1, ago=dt.timedelta(0))
    assert codes(sub(**{field: value}), recent) == [code]


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_submissions_after_the_screened_one_are_ignored(field: str, value: str, code: str) -> None:
    recent = earlier(field, value, 3) + earlier(field, value, 10, ago=-SECOND)
    assert codes(sub(**{field: value}), recent) == []


@pytest.mark.parametrize(("field", "value", "code"), BURST_FIELDS)
def test_submissions_with_a_different_value_do_not_count_towards_a_burst(
    field: str, value: str, code: str
) -> None:
    other = {"device": "kiosk-4", "ip": "10.0.0.9", "phone": "13900139000"}[field]
    recent = earlier(field, value, 3) + earlier(field, other, 10)
    assert codes(sub(**{field: value}), recent) == []


@pytest.mark.parametrize("field", ["device", "ip", "phone"])
def test_empty_identifiers_never_make_a_burst(field: str) -> None:
    # Pads and QR links often send no device, IP or phone at all; "unknown" is not one shared identity.
    assert codes(sub(**{field: ""}), earlier(field, "", 20)) == []


@pytest.mark.parametrize("field", ["device", "ip", "phone"])
def test_a_known_identifier_does_not_match_earlier_empty_ones(field: str) -> None:
    value = {"device": "kiosk-3", "ip": "10.0.0.8", "phone": "13800138000"}[field]
    assert codes(sub(**{field: value}), earlier(field, "", 20)) == []


def test_a_phone_given_only_as_punctuation_never_makes_a_burst() -> None:
    assert codes(sub(phone="-"), earlier("phone", " ", 20)) == []


def test_a_phone_burst_matches_across_formats() -> None:
    recent = [
        sub(case_id=2, submitted_at=AT - SECOND, phone="+86 138 0013 8000"),
        sub(case_id=3, submitted_at=AT - SECOND, phone="8613800138000"),
        sub(case_id=4, submitted_at=AT - SECOND, phone="138-0013-8000"),
        sub(case_id=5, submitted_at=AT - SECOND, phone="１３８００１３８０００"),
    ]
    assert codes(sub(phone="13800138000"), recent) == [FLAG_BURST_PHONE]


def test_each_identifier_is_counted_on_its_own() -> None:
    # Three share the device and three share the IP: five together, but neither identifier reaches five.
    recent = earlier("device", "kiosk-3", 2) + earlier("ip", "10.0.0.8", 2)
    assert codes(sub(device="kiosk-3", ip="10.0.0.8"), recent) == []


def test_all_three_bursts_are_reported_together_in_flag_order() -> None:
    same = {"device": "kiosk-3", "ip": "10.0.0.8", "phone": "13800138000"}
    recent = [sub(case_id=1, submitted_at=AT - SECOND, **same)] * 4
    assert codes(sub(**same), recent) == [FLAG_BURST_DEVICE, FLAG_BURST_IP, FLAG_BURST_PHONE]


def test_burst_thresholds_are_taken_from_the_arguments() -> None:
    thresholds = Thresholds(burst_window_minutes=1, burst_count=2)
    inside = [sub(submitted_at=AT - dt.timedelta(minutes=1), device="kiosk-3")]
    outside = [sub(submitted_at=AT - dt.timedelta(minutes=1) - SECOND, device="kiosk-3")]
    assert flags(sub(device="kiosk-3"), inside, thresholds=thresholds) == [
        Flag(FLAG_BURST_DEVICE, {"count": "2", "minutes": "1"})
    ]
    assert codes(sub(device="kiosk-3"), outside, thresholds=thresholds) == []


def test_a_single_submission_is_a_burst_when_the_threshold_is_one() -> None:
    assert codes(sub(ip="10.0.0.8"), thresholds=Thresholds(burst_count=1)) == [FLAG_BURST_IP]


def test_burst_keys_skip_empty_identifiers_and_normalise_the_phone() -> None:
    assert burst_keys(sub(device="kiosk-3", ip="", phone="+86 138 0013 8000")) == {
        FLAG_BURST_DEVICE: "kiosk-3",
        FLAG_BURST_PHONE: "13800138000",
    }
    assert burst_keys(sub(phone="--")) == {}


# --- one evaluator across many unrelated cases ----------------------------------------------------------


def cases_by(
    evaluator: dict[str, Any], case_ids: range | list[int], *, ago: dt.timedelta
) -> list[Submission]:
    # Spread apart in time so that no burst rule fires alongside.
    return [sub(case_id=c, submitted_at=AT - ago, is_applicant=False, **evaluator) for c in case_ids]


DAY = dt.timedelta(days=1)
ACCOUNT = {"account_id": 42}
PHONE = {"phone": "13800138000"}


@pytest.mark.parametrize("evaluator", [ACCOUNT, PHONE], ids=["account", "phone"])
def test_one_evaluator_across_more_unrelated_cases_than_allowed_is_flagged(evaluator: dict[str, Any]) -> None:
    recent = cases_by(evaluator, range(2, 7), ago=DAY)  # five earlier cases, the new one is the sixth
    result = flags(sub(case_id=1, is_applicant=False, **evaluator), recent)
    assert result == [Flag(FLAG_SPREAD, {"cases": "6", "days": "30"})]


@pytest.mark.parametrize("evaluator", [ACCOUNT, PHONE], ids=["account", "phone"])
def test_exactly_the_allowed_number_of_unrelated_cases_is_not_flagged(evaluator: dict[str, Any]) -> None:
    recent = cases_by(evaluator, range(2, 6), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, **evaluator), recent) == []


def test_rating_the_same_case_repeatedly_counts_as_one_case() -> None:
    recent = cases_by(ACCOUNT, [2, 3, 4, 5, 2, 3, 1], ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == []
    assert flags(sub(case_id=6, is_applicant=False, **ACCOUNT), recent) == [
        Flag(FLAG_SPREAD, {"cases": "6", "days": "30"})
    ]


def test_cases_the_evaluator_applied_for_are_not_unrelated() -> None:
    recent = cases_by(ACCOUNT, range(2, 6), ago=DAY)
    recent += [sub(case_id=c, submitted_at=AT - DAY, is_applicant=True, **ACCOUNT) for c in range(10, 20)]
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == []


def test_the_new_submission_does_not_count_when_it_is_for_the_evaluators_own_case() -> None:
    recent = cases_by(ACCOUNT, range(2, 7), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == [FLAG_SPREAD]
    assert codes(sub(case_id=1, is_applicant=True, **ACCOUNT), recent) == []


def test_a_case_exactly_at_the_spread_window_edge_counts() -> None:
    recent = cases_by(ACCOUNT, range(2, 6), ago=DAY) + cases_by(ACCOUNT, [6], ago=SPREAD_WINDOW)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == [FLAG_SPREAD]


def test_a_case_one_second_before_the_spread_window_does_not_count() -> None:
    recent = cases_by(ACCOUNT, range(2, 6), ago=DAY) + cases_by(ACCOUNT, [6], ago=SPREAD_WINDOW + SECOND)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == []


def test_cases_rated_after_the_screened_submission_are_ignored_for_spread() -> None:
    recent = cases_by(ACCOUNT, range(2, 6), ago=DAY) + cases_by(ACCOUNT, range(10, 20), ago=-SECOND)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == []


def test_the_account_is_the_evaluator_even_when_a_phone_is_given() -> None:
    # Anonymous ratings from the same phone are a different evaluator from the logged-in account...
    anonymous = cases_by(PHONE, range(2, 12), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, account_id=42, **PHONE), anonymous) == []
    # ...and the logged-in account's ratings do not count towards an anonymous rating from that phone.
    logged_in = cases_by({"account_id": 42, **PHONE}, range(2, 12), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, **PHONE), logged_in) == []


def test_one_account_is_one_evaluator_whatever_phones_it_gives() -> None:
    recent = [
        sub(case_id=c, submitted_at=AT - DAY, is_applicant=False, account_id=42, phone=f"1380013800{c}")
        for c in range(2, 7)
    ]
    assert codes(sub(case_id=1, is_applicant=False, account_id=42, phone=""), recent) == [FLAG_SPREAD]


def test_other_accounts_do_not_count_towards_spread() -> None:
    recent = cases_by({"account_id": 43}, range(2, 12), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), recent) == []


def test_an_anonymous_evaluator_is_recognised_by_the_phone_across_formats() -> None:
    formats = ["+86 138 0013 8000", "8613800138000", "138-0013-8000", "13800138000", "(+86)13800138000"]
    recent = [
        sub(case_id=c, submitted_at=AT - DAY * c, is_applicant=False, phone=p)
        for c, p in enumerate(formats, start=2)
    ]
    assert codes(sub(case_id=1, is_applicant=False, phone="138 0013 8000"), recent) == [FLAG_SPREAD]


def test_an_anonymous_evaluator_without_a_phone_is_never_flagged_for_spread() -> None:
    recent = cases_by({}, range(2, 50), ago=DAY)
    assert codes(sub(case_id=1, is_applicant=False), recent) == []
    assert (
        codes(
            sub(case_id=1, is_applicant=False, phone=" - "), cases_by({"phone": "-"}, range(2, 50), ago=DAY)
        )
        == []
    )


def test_spread_thresholds_are_taken_from_the_arguments() -> None:
    thresholds = Thresholds(spread_window_days=2, spread_max_cases=1)
    inside = cases_by(ACCOUNT, [2], ago=2 * DAY)
    outside = cases_by(ACCOUNT, [2], ago=2 * DAY + SECOND)
    assert flags(sub(case_id=1, is_applicant=False, **ACCOUNT), inside, thresholds=thresholds) == [
        Flag(FLAG_SPREAD, {"cases": "2", "days": "2"})
    ]
    assert codes(sub(case_id=1, is_applicant=False, **ACCOUNT), outside, thresholds=thresholds) == []


# --- the rated interaction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exists", "stage_reached", "expected"),
    [
        (True, True, []),
        (True, False, [FLAG_STAGE_NOT_REACHED]),
        (False, False, [FLAG_NO_INTERACTION]),
        (False, True, [FLAG_NO_INTERACTION]),
    ],
)
def test_an_evaluation_needs_an_interaction_at_a_reached_stage(
    exists: bool, stage_reached: bool, expected: list[str]
) -> None:
    result = flags(sub(), interaction=Interaction(exists=exists, stage_reached=stage_reached))
    assert result == [Flag(code, {}) for code in expected]


# --- all rules together -----------------------------------------------------------------------------------


def everything_suspicious() -> tuple[Submission, list[Submission], dict[str, Any]]:
    same = {"account_id": 7, "device": "kiosk-3", "ip": "10.0.0.8", "phone": "13800138000"}
    recent = [sub(case_id=c, submitted_at=AT - SECOND, is_applicant=False, **same) for c in range(2, 7)]
    staff = {"staff_phones": frozenset({"13800138000"}), "staff_account_ids": frozenset({7})}
    return sub(case_id=1, is_applicant=False, **same), recent, staff


def test_every_rule_that_fires_is_reported_in_flag_order() -> None:
    submission, recent, staff = everything_suspicious()
    assert flags(submission, recent, interaction=Interaction(exists=False, stage_reached=False), **staff) == [
        Flag(FLAG_STAFF_SELF, {}),
        Flag(FLAG_BURST_DEVICE, {"count": "6", "minutes": "10"}),
        Flag(FLAG_BURST_IP, {"count": "6", "minutes": "10"}),
        Flag(FLAG_BURST_PHONE, {"count": "6", "minutes": "10"}),
        Flag(FLAG_SPREAD, {"cases": "6", "days": "30"}),
        Flag(FLAG_NO_INTERACTION, {}),
    ]


def test_a_stage_not_reached_comes_last() -> None:
    submission, recent, staff = everything_suspicious()
    result = codes(submission, recent, interaction=Interaction(exists=True, stage_reached=False), **staff)
    assert result[-2:] == [FLAG_SPREAD, FLAG_STAGE_NOT_REACHED]
    assert len(result) == 6


def test_a_clean_evaluation_has_no_flags_even_among_unrelated_history() -> None:
    submission = sub(case_id=1, account_id=8, phone="13900139000", device="pad-1", ip="10.0.0.1")
    recent = cases_by(
        {"account_id": 9, "phone": "13700137000", "device": "pad-2", "ip": "10.0.0.2"},
        range(2, 30),
        ago=SECOND,
    )
    assert (
        flags(submission, recent, staff_phones=frozenset({"13800138000"}), staff_account_ids=frozenset({7}))
        == []
    )


def test_recent_may_be_any_sequence() -> None:
    recent = tuple(earlier("device", "kiosk-3", 4))
    assert codes(sub(device="kiosk-3"), list(recent)) == [FLAG_BURST_DEVICE]
    result = screen(
        sub(device="kiosk-3"),
        interaction=HAPPENED,
        staff_phones=frozenset(),
        staff_account_ids=frozenset(),
        recent=recent,
    )
    assert [f.code for f in result] == [FLAG_BURST_DEVICE]


# --- validation -------------------------------------------------------------------------------------------


def test_the_default_thresholds() -> None:
    assert Thresholds() == Thresholds(
        burst_window_minutes=10, burst_count=5, spread_window_days=30, spread_max_cases=5
    )


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Thresholds)])
@pytest.mark.parametrize("value", [0, -1])
def test_non_positive_thresholds_are_rejected(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        Thresholds(**{field: value})


def test_a_naive_submission_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sub(submitted_at=dt.datetime(2026, 3, 2, 9, 0))


def test_submissions_in_other_time_zones_are_compared_as_instants() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    edge = (AT - BURST_WINDOW).astimezone(shanghai)
    recent = [*earlier("device", "kiosk-3", 3), sub(submitted_at=edge, device="kiosk-3")]
    assert codes(sub(device="kiosk-3"), recent) == [FLAG_BURST_DEVICE]
