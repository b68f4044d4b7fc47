"""The indicator library. Pure: no database, no settings.

Every expected figure below was worked out by hand from the small fixtures next to it; the comments show the
arithmetic.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicpulse.assessment import indicators as ind
from civicpulse.assessment.indicators import (
    INDICATORS,
    CaseFact,
    ChannelRates,
    EvaluationFact,
    IndicatorValue,
    InteractionFact,
    RectificationFact,
    TicketFact,
    active_evaluation_rate,
    bad_review_rate,
    channel_good_rates,
    completion_rate,
    contact_on_time_rate,
    counts_as_rated,
    digital_take_up,
    expected_days,
    good_review_rate,
    good_review_rate_adjusted,
    immediate_share,
    mean_value,
    mean_wait,
    non_evaluation_rate,
    on_time_completion_rate,
    p90_wait,
    rate_value,
    rectification_rate,
    rectification_satisfaction_rate,
    run_at_most_once_rate,
    speed,
    speed_adjusted,
    time_compression,
    wait_within_target_rate,
    wilson,
    zero_visit_rate,
)
from civicpulse.core.workdays import WorkingCalendar, elapsed_working_days

_ids = itertools.count(1)


def case(**overrides: Any) -> CaseFact:
    """A completed hall case of service S, 3 of 5 promised working days used, one visit."""
    fields: dict[str, Any] = {
        "case_id": next(_ids),
        "unit_id": 1,
        "service_code": "S",
        "channel": "hall",
        "immediate": False,
        "completed": True,
        "withdrawn": False,
        "working_days": 3,
        "promised_days": 5,
        "statutory_days": 10,
        "visits": 1,
    }
    fields.update(overrides)
    return CaseFact(**fields)


def open_case(**overrides: Any) -> CaseFact:
    return case(completed=False, working_days=None, **overrides)


def evaluation(grade: str = "good", status: str = "valid", channel: str = "pad", **overrides: Any):
    fields: dict[str, Any] = {"evaluation_id": next(_ids), "unit_id": 1, "staff_id": None}
    fields.update(overrides)
    return EvaluationFact(grade=grade, status=status, channel=channel, **fields)


def interaction(rated: bool, case_id: int | None = None, stage: str = "intake") -> InteractionFact:
    return InteractionFact(
        case_id=next(_ids) if case_id is None else case_id, unit_id=1, staff_id=None, stage=stage, rated=rated
    )


def order(**overrides: Any) -> RectificationFact:
    """An order contacted and answered on time, rated satisfied."""
    fields: dict[str, Any] = {
        "order_id": next(_ids),
        "unit_id": 1,
        "review_excluded": False,
        "contacted_on_time": True,
        "rectified_on_time": True,
        "callback": "satisfied",
    }
    fields.update(overrides)
    return RectificationFact(**fields)


def ticket(wait: float | None, ticket_id: int | None = None) -> TicketFact:
    return TicketFact(ticket_id=next(_ids) if ticket_id is None else ticket_id, unit_id=1, wait_minutes=wait)


def ids(facts: list[Any], attr: str) -> tuple[int, ...]:
    return tuple(sorted(getattr(f, attr) for f in facts))


# --- Wilson score interval ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_matches_published_values_to_four_decimals(successes, n, low, high):
    got = wilson(successes, n)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_wilson_with_no_observations_says_nothing_is_known():
    assert wilson(0, 0) == (0.0, 1.0)


def test_wilson_bounds_are_exactly_zero_and_one_at_the_extremes():
    assert wilson(0, 7)[0] == 0.0
    assert wilson(7, 7)[1] == 1.0


def test_wilson_is_symmetric_between_successes_and_failures():
    low, high = wilson(3, 11)
    mirror_low, mirror_high = wilson(8, 11)
    assert low == pytest.approx(1 - mirror_high)
    assert high == pytest.approx(1 - mirror_low)


def test_wilson_narrows_with_a_smaller_z():
    wide, narrow = wilson(8, 10), wilson(8, 10, z=1.0)
    assert wide[0] < narrow[0] < 0.8 < narrow[1] < wide[1]


@pytest.mark.parametrize(
    ("successes", "n", "z"), [(-1, 10, 1.96), (11, 10, 1.96), (0, -1, 1.96), (1, 2, 0.0)]
)
def test_wilson_refuses_impossible_counts(successes, n, z):
    with pytest.raises(ValueError):
        wilson(successes, n, z)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_observed_rate_inside_zero_one(counts):
    successes, n = counts
    low, high = wilson(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0


# --- Values from counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "insufficient"), [(0, True), (29, True), (30, False), (31, False)])
def test_a_rate_is_insufficient_below_its_minimum_sample(n, insufficient):
    value = rate_value("x", 0, n, min_sample=30)
    assert value.insufficient is insufficient


def test_a_rate_from_counts_carries_its_wilson_interval():
    value = rate_value("x", 8, 10, min_sample=5)
    assert (value.value, value.n, value.numerator) == (0.8, 10, 8)
    assert (value.low, value.high) == wilson(8, 10)


def test_a_mean_from_a_sum_has_no_interval():
    value = mean_value("x", 30.0, 4, min_sample=10)
    assert (value.value, value.n, value.numerator, value.insufficient) == (7.5, 4, 30.0, True)
    assert value.low is None and value.high is None


def test_nothing_counted_gives_no_value():
    assert rate_value("x", 0, 0, min_sample=1).value is None
    assert mean_value("x", 0.0, 0, min_sample=1).value is None


# --- Good and bad reviews -------------------------------------------------------------------------------


def review_fixture() -> tuple[list[EvaluationFact], list[EvaluationFact]]:
    """Five valid ratings (3 good, 1 neutral, 1 bad) and four that must not count."""
    valid = [
        evaluation("good"),
        evaluation("good"),
        evaluation("good"),
        evaluation("neutral"),
        evaluation("bad"),
    ]
    not_counted = [
        evaluation("good", "quarantined"),
        evaluation("bad", "quarantined"),
        evaluation("good", "excluded"),
        evaluation("bad", "excluded"),
    ]
    return valid, not_counted


def test_good_review_rate_is_good_over_valid_evaluations():
    valid, not_counted = review_fixture()
    value = good_review_rate(valid + not_counted)
    # 3 good of 5 valid.
    assert (value.value, value.n, value.numerator) == (0.6, 5, 3)
    assert (value.low, value.high) == wilson(3, 5)
    assert value.record_ids == ids(valid, "evaluation_id")
    assert value.numerator_ids == ids([f for f in valid if f.grade == "good"], "evaluation_id")


def test_bad_review_rate_is_bad_over_valid_evaluations():
    valid, not_counted = review_fixture()
    value = bad_review_rate(valid + not_counted)
    # 1 bad of 5 valid.
    assert (value.value, value.n, value.numerator) == (0.2, 5, 1)
    assert value.numerator_ids == (valid[-1].evaluation_id,)


@pytest.mark.parametrize("status", ["quarantined", "excluded"])
@pytest.mark.parametrize("compute", [good_review_rate, bad_review_rate])
def test_quarantined_and_excluded_evaluations_never_count(compute, status):
    valid, _ = review_fixture()
    flood = [evaluation(grade, status) for grade in ("good", "bad") for _ in range(50)]
    assert compute(valid + flood) == compute(valid)


@pytest.mark.parametrize(("n", "insufficient"), [(29, True), (30, False)])
def test_review_rates_need_thirty_valid_evaluations(n, insufficient):
    facts = [evaluation("good") for _ in range(n)] + [evaluation("good", "quarantined") for _ in range(10)]
    assert good_review_rate(facts).insufficient is insufficient


# --- Channel-mix adjusted good-review rate --------------------------------------------------------------


def reference_population() -> list[EvaluationFact]:
    """Pad: 9 good of 10; portal: 6 good of 10; overall 15 of 20. Quarantined ratings are ignored."""
    pad = [evaluation("good", channel="pad") for _ in range(9)] + [evaluation("bad", channel="pad")]
    portal = [evaluation("good", channel="portal") for _ in range(6)]
    portal += [evaluation("neutral", channel="portal") for _ in range(4)]
    ignored = [evaluation("bad", "quarantined", channel="portal") for _ in range(5)]
    return pad + portal + ignored


def test_channel_good_rates_come_from_valid_reference_evaluations():
    rates = channel_good_rates(reference_population())
    assert rates.overall == 0.75
    assert dict(rates.by_channel) == {"pad": 0.9, "portal": 0.6}


def test_channel_good_rates_of_nobody_are_zero():
    assert channel_good_rates([]) == ChannelRates(overall=0.0, by_channel={})


def test_channel_mix_adjustment_standardises_indirectly():
    rates = ChannelRates(overall=0.75, by_channel={"pad": 0.9, "portal": 0.6})
    unit = [evaluation("good", channel="pad") for _ in range(3)] + [evaluation("bad", channel="pad")]
    unit += [evaluation("good", channel="portal") for _ in range(4)]
    unit += [evaluation("neutral", channel="portal") for _ in range(2)]
    value = good_review_rate_adjusted(unit, rates)
    # Observed 7 good of 10; expected 4 x 0.9 + 6 x 0.6 = 7.2; adjusted 0.75 x 7 / 7.2 = 0.729166...
    assert value.raw == 0.7
    assert value.expected == pytest.approx(7.2)
    assert value.value == pytest.approx(0.75 * 7 / 7.2)
    assert (value.n, value.numerator) == (10, 7)
    # The interval is the observed Wilson interval scaled by 0.75 x 10 / 7.2.
    factor = 0.75 * 10 / 7.2
    low, high = wilson(7, 10)
    assert (value.low, value.high) == (pytest.approx(low * factor), pytest.approx(high * factor))


def test_a_unit_rated_mostly_on_generous_channels_is_adjusted_down():
    rates = ChannelRates(overall=0.75, by_channel={"pad": 0.9, "portal": 0.6})
    unit = [evaluation("good", channel="pad") for _ in range(9)] + [evaluation("bad", channel="pad")]
    value = good_review_rate_adjusted(unit, rates)
    # Exactly as good as the pad average: 0.75 x 9 / 9 = 0.75, below the raw 0.9.
    assert value.raw == 0.9
    assert value.value == pytest.approx(0.75)


def test_adjustment_changes_nothing_when_channels_do_not_differ():
    rates = ChannelRates(overall=0.6, by_channel={"pad": 0.6, "portal": 0.6})
    unit = [evaluation("good", channel="pad"), evaluation("bad", channel="portal"), evaluation("good")]
    value = good_review_rate_adjusted(unit, rates)
    assert value.value == pytest.approx(value.raw)
    assert value.low == pytest.approx(wilson(2, 3)[0])


def test_a_channel_missing_from_the_reference_is_expected_at_the_overall_rate():
    rates = ChannelRates(overall=0.5, by_channel={"pad": 0.9})
    unit = [evaluation("good", channel="hotline"), evaluation("bad", channel="pad")]
    value = good_review_rate_adjusted(unit, rates)
    # Expected 0.5 + 0.9 = 1.4; adjusted 0.5 x 1 / 1.4.
    assert value.expected == pytest.approx(1.4)
    assert value.value == pytest.approx(0.5 / 1.4)


def test_adjusted_rate_is_clipped_to_one():
    rates = ChannelRates(overall=0.8, by_channel={"portal": 0.5})
    value = good_review_rate_adjusted([evaluation("good", channel="portal") for _ in range(10)], rates)
    # 0.8 x 10 / 5 = 1.6, shown as 1.
    assert value.value == 1.0
    assert value.high == 1.0
    assert value.raw == 1.0


def test_adjusted_rate_ignores_quarantined_and_excluded_evaluations():
    rates = ChannelRates(overall=0.75, by_channel={"pad": 0.9, "portal": 0.6})
    unit = [evaluation("good", channel="portal"), evaluation("bad", channel="pad")]
    noise = [evaluation("good", status, channel="pad") for status in ("quarantined", "excluded")]
    assert good_review_rate_adjusted(unit + noise, rates) == good_review_rate_adjusted(unit, rates)


def test_adjusted_rate_without_anything_to_expect_has_no_value():
    rates = ChannelRates(overall=0.0, by_channel={"pad": 0.0})
    value = good_review_rate_adjusted([evaluation("good", channel="pad") for _ in range(40)], rates)
    assert value.value is None
    assert value.insufficient is True
    assert value.raw == 1.0
    assert (value.low, value.high) == (0.0, 1.0)


# --- Active evaluation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exclusion", "rated"),
    [
        ("valid", "", True),
        ("excluded", "appeal", False),  # domain.md §5: an upheld appeal takes it out of every indicator
        ("excluded", "fraud", False),
        ("quarantined", "", False),
    ],
)
def test_only_valid_ratings_make_an_interaction_rated(status, exclusion, rated):
    assert counts_as_rated(status, exclusion) is rated


def test_active_evaluation_rate_is_rated_over_all_interactions():
    facts = [interaction(True), interaction(True), interaction(True), interaction(False)]
    value = active_evaluation_rate(facts)
    assert (value.value, value.n, value.numerator) == (0.75, 4, 3)
    assert value.numerator_ids == ids(facts[:3], "case_id")


def test_non_evaluation_rate_is_the_complement_with_a_mirrored_interval():
    facts = [interaction(True), interaction(True), interaction(True), interaction(False)]
    active, inactive = active_evaluation_rate(facts), non_evaluation_rate(facts)
    assert (inactive.value, inactive.numerator) == (0.25, 1)
    assert active.low is not None and active.high is not None
    assert inactive.low == pytest.approx(1 - active.high)
    assert inactive.high == pytest.approx(1 - active.low)
    assert inactive.numerator_ids == (facts[3].case_id,)


def test_each_stage_of_a_case_is_its_own_interaction():
    facts = [interaction(True, case_id=7, stage="intake"), interaction(False, case_id=7, stage="completion")]
    value = active_evaluation_rate(facts)
    assert (value.n, value.record_ids, value.numerator_ids) == (2, (7, 7), (7,))


# --- Rectification --------------------------------------------------------------------------------------


def rectification_fixture() -> list[RectificationFact]:
    return [
        order(contacted_on_time=True, rectified_on_time=True, callback="satisfied"),
        order(contacted_on_time=True, rectified_on_time=False, callback="basically_satisfied"),
        order(contacted_on_time=False, rectified_on_time=True, callback="dissatisfied"),
        order(contacted_on_time=True, rectified_on_time=None, callback=""),  # answer not yet due
        order(contacted_on_time=None, rectified_on_time=None, callback=""),  # nothing due yet
        # Its review was excluded by an upheld appeal: counts nowhere, however badly it went.
        order(
            review_excluded=True, contacted_on_time=False, rectified_on_time=False, callback="dissatisfied"
        ),
    ]


def test_contact_on_time_rate_counts_orders_contacted_or_past_the_contact_date():
    facts = rectification_fixture()
    value = contact_on_time_rate(facts)
    # 3 of the 4 orders with a contact outcome; the order not yet due and the excluded one are out.
    assert (value.value, value.n, value.numerator) == (0.75, 4, 3)
    assert value.record_ids == ids(facts[:4], "order_id")


def test_rectification_rate_counts_only_answers_by_the_deadline():
    facts = rectification_fixture()
    value = rectification_rate(facts)
    # Answered on time: orders 1 and 3 of the three that are due (order 2 was late).
    assert value.value == pytest.approx(2 / 3)
    assert (value.n, value.numerator) == (3, 2)
    assert value.numerator_ids == ids([facts[0], facts[2]], "order_id")


def test_rectification_satisfaction_counts_satisfied_and_basically_satisfied_callbacks():
    facts = rectification_fixture()
    value = rectification_satisfaction_rate(facts)
    # Satisfied + basically satisfied = 2 of the 3 rated callbacks.
    assert value.value == pytest.approx(2 / 3)
    assert value.record_ids == ids(facts[:3], "order_id")


@pytest.mark.parametrize(
    "compute", [contact_on_time_rate, rectification_rate, rectification_satisfaction_rate]
)
def test_orders_of_excluded_reviews_count_nowhere(compute):
    facts = rectification_fixture()
    assert compute(facts) == compute(facts[:-1])


@pytest.mark.parametrize(("n", "insufficient"), [(4, True), (5, False)])
def test_rectification_rates_need_five_orders(n, insufficient):
    assert contact_on_time_rate([order() for _ in range(n)]).insufficient is insufficient


# --- Cases: time ----------------------------------------------------------------------------------------


def test_on_time_completion_rate_counts_completed_cases_within_the_promised_limit():
    facts = [
        case(working_days=5, promised_days=5),  # on the last day: on time
        case(working_days=6, promised_days=5),  # a day late
        case(working_days=0, promised_days=0, immediate=True),  # decided on the spot
        case(working_days=None),  # refused at intake with no clock: no time to judge
        open_case(),
        case(completed=False, withdrawn=True, working_days=None),
    ]
    value = on_time_completion_rate(facts)
    assert value.value == pytest.approx(2 / 3)
    assert value.record_ids == ids(facts[:3], "case_id")
    assert value.numerator_ids == ids([facts[0], facts[2]], "case_id")


def test_time_indicators_take_working_days_as_given_with_pauses_already_out():
    calendar = WorkingCalendar(covers_all_years=True)
    intake, decided = dt.date(2025, 3, 3), dt.date(2025, 3, 12)
    # (3 Mar, 12 Mar] holds 7 working days; a supplement request from 5 to 7 March takes out 6 and 7 March.
    used = elapsed_working_days(calendar, intake, decided, [(dt.date(2025, 3, 5), dt.date(2025, 3, 7))])
    assert used == 5
    paused = case(working_days=used, promised_days=5)
    assert on_time_completion_rate([paused]).value == 1.0
    assert speed([paused]).value == 1.0
    # The same case counted without its pause would be late: the indicator trusts what it is given.
    assert on_time_completion_rate([case(working_days=7, promised_days=5)]).value == 0.0


def test_time_compression_is_the_mean_promised_over_statutory_limit_of_the_cases():
    facts = [
        case(promised_days=10, statutory_days=20),  # 0.5
        open_case(promised_days=5, statutory_days=20),  # 0.25: the limits are known at intake
        case(promised_days=0, statutory_days=10, immediate=True, working_days=0),  # 0.0: fully compressed
        case(promised_days=0, statutory_days=0, immediate=True, working_days=0),  # no statutory limit: out
    ]
    value = time_compression(facts)
    # (0.5 + 0.25 + 0) / 3
    assert value.value == pytest.approx(0.25)
    assert (value.n, value.numerator) == (3, pytest.approx(0.75))
    assert value.record_ids == ids(facts[:3], "case_id")
    assert value.low is None and value.high is None


def test_speed_is_the_mean_share_of_the_promised_limit_used():
    facts = [
        case(working_days=5, promised_days=10),  # 0.5
        case(working_days=12, promised_days=10),  # 1.2
        case(working_days=0, promised_days=0, immediate=True),  # no promised limit: out
        open_case(promised_days=10),
    ]
    value = speed(facts)
    assert value.value == pytest.approx(0.85)
    assert value.record_ids == ids(facts[:2], "case_id")
    assert value.insufficient is True


def test_expected_days_are_the_mean_working_days_per_service_in_the_history():
    history = [
        case(service_code="A", working_days=4),
        case(service_code="A", working_days=6),
        case(service_code="B", working_days=10),
        open_case(service_code="B"),
        case(service_code="C", working_days=None),
        case(service_code="C", completed=False, withdrawn=True, working_days=None),
    ]
    assert expected_days(history) == {"A": 5.0, "B": 10.0}


def test_case_mix_adjusted_speed_divides_observed_by_expected_working_days():
    expected = {"A": 5.0, "B": 10.0}
    facts = [
        case(service_code="A", working_days=6, promised_days=10),
        case(service_code="A", working_days=4, promised_days=10),
        case(service_code="B", working_days=12, promised_days=20),
        case(service_code="C", working_days=8, promised_days=8),  # no history: expected = promised 8
        open_case(service_code="A"),
    ]
    value = speed_adjusted(facts, expected)
    # Observed 6 + 4 + 12 + 8 = 30; expected 5 + 5 + 10 + 8 = 28.
    assert value.value == pytest.approx(30 / 28)
    assert (value.numerator, value.expected, value.n) == (30.0, 28.0, 4)
    # Raw: mean of 0.6, 0.4, 0.6 and 1.0.
    assert value.raw == pytest.approx(0.65)
    assert value.record_ids == ids(facts[:4], "case_id")


def test_a_unit_on_slow_services_is_not_blamed_for_their_slowness():
    expected = {"quick": 2.0, "slow": 18.0}
    quick_unit = [case(service_code="quick", working_days=2, promised_days=20) for _ in range(10)]
    slow_unit = [case(service_code="slow", working_days=18, promised_days=20) for _ in range(10)]
    # Raw speed tells them apart (0.1 against 0.9); adjusted, both are exactly as fast as their services.
    assert speed(quick_unit).value == pytest.approx(0.1)
    assert speed(slow_unit).value == pytest.approx(0.9)
    assert speed_adjusted(quick_unit, expected).value == speed_adjusted(slow_unit, expected).value == 1.0


def test_adjusted_speed_against_an_expectation_of_zero_days_has_no_value():
    value = speed_adjusted([case(working_days=1) for _ in range(12)], {"S": 0.0})
    assert value.value is None
    assert value.insufficient is True
    assert value.raw == pytest.approx(0.2)


# --- Cases: access, channels, completion ----------------------------------------------------------------


def test_immediate_share_is_immediate_cases_over_all_cases():
    facts = [
        case(immediate=True, promised_days=0, working_days=0),
        case(),
        open_case(),
        case(withdrawn=True, completed=False),
    ]
    value = immediate_share(facts)
    assert (value.value, value.n, value.numerator_ids) == (0.25, 4, (facts[0].case_id,))


def visits_fixture() -> list[CaseFact]:
    return [
        case(visits=0, channel="online"),
        case(visits=1),
        case(visits=2),
        case(completed=False, withdrawn=True, working_days=None, visits=3),
        open_case(visits=0),  # still open: its visits are not final
    ]


def test_run_at_most_once_rate_counts_ended_cases_with_one_visit_or_none():
    facts = visits_fixture()
    value = run_at_most_once_rate(facts)
    assert (value.value, value.n) == (0.5, 4)
    assert value.numerator_ids == ids(facts[:2], "case_id")
    assert value.record_ids == ids(facts[:4], "case_id")


def test_zero_visit_rate_counts_ended_cases_without_a_visit():
    facts = visits_fixture()
    value = zero_visit_rate(facts)
    assert (value.value, value.n, value.numerator_ids) == (0.25, 4, (facts[0].case_id,))


def test_digital_take_up_is_completed_online_over_all_completed():
    facts = [
        case(channel="online", visits=0),
        case(channel="online", visits=0, working_days=None),  # refused at intake: a completed transaction
        case(channel="hall"),
        case(channel="online", completed=False, withdrawn=True, working_days=None),
        open_case(channel="online"),
    ]
    value = digital_take_up(facts)
    assert value.value == pytest.approx(2 / 3)
    assert value.record_ids == ids(facts[:3], "case_id")


def test_completion_rate_is_completed_including_lawful_refusals_over_ended_cases():
    facts = [
        case(),  # approved
        case(),  # denied: a lawful end
        case(working_days=None),  # refused at intake: a lawful end
        case(completed=False, withdrawn=True, working_days=None),  # the applicant gave up
        open_case(),
        open_case(),
    ]
    value = completion_rate(facts)
    assert (value.value, value.n, value.numerator) == (0.75, 4, 3)
    assert value.numerator_ids == ids(facts[:3], "case_id")


# --- Hall queue -----------------------------------------------------------------------------------------


def test_mean_wait_averages_the_tickets_called():
    facts = [ticket(5), ticket(10), ticket(15), ticket(None)]
    value = mean_wait(facts)
    assert (value.value, value.n, value.numerator) == (10.0, 3, 30.0)
    assert value.record_ids == ids(facts[:3], "ticket_id")


@pytest.mark.parametrize(
    ("waits", "rank", "p90"),
    [
        (list(range(1, 11)), 9, 9),  # ceil(9.0) = 9; linear interpolation would say 9.1
        (list(range(1, 12)), 10, 10),  # ceil(9.9) = 10
        (list(range(1, 21)), 18, 18),
        ([7], 1, 7),
        ([30, 2, 45, 8, 12], 5, 45),  # ceil(4.5) = 5: the longest of five
    ],
)
def test_p90_wait_is_the_nearest_rank_wait(waits, rank, p90):
    facts = [ticket(w) for w in reversed(waits)]
    value = p90_wait(facts)
    assert (value.value, value.numerator, value.n) == (p90, rank, len(waits))
    assert value.numerator_ids == tuple(f.ticket_id for f in facts if f.wait_minutes == p90)


def test_p90_wait_leaves_tickets_never_called_out():
    facts = [ticket(w) for w in range(1, 21)] + [ticket(None) for _ in range(5)]
    value = p90_wait(facts)
    assert (value.value, value.n, value.insufficient) == (18, 20, False)
    assert len(value.record_ids) == 20


@pytest.mark.parametrize(("target", "within"), [(20, 2), (10, 1), (25, 3), (9.5, 0)])
def test_wait_within_target_rate_includes_the_target_itself(target, within):
    facts = [ticket(10), ticket(20), ticket(21), ticket(None)]
    value = wait_within_target_rate(facts, target)
    assert (value.numerator, value.n) == (within, 3)
    assert value.value == pytest.approx(within / 3)


# --- Facts refuse nonsense ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: evaluation(grade="great"),
        lambda: evaluation(status="pending"),
        lambda: order(callback="happy"),
        lambda: case(channel="fax"),
        lambda: case(completed=True, withdrawn=True),
        lambda: case(working_days=-1),
        lambda: case(visits=-1),
        lambda: ticket(-0.5),
    ],
)
def test_facts_refuse_values_outside_their_domain(make):
    with pytest.raises(ValueError):
        make()


def test_facts_are_immutable():
    fact = ticket(3)
    with pytest.raises(AttributeError):
        fact.wait_minutes = 1  # type: ignore[misc]


# --- The registry ---------------------------------------------------------------------------------------

SECTION_6 = {
    "good_review_rate": "higher",
    "good_review_rate_adjusted": "higher",
    "bad_review_rate": "lower",
    "active_evaluation_rate": "higher",
    "non_evaluation_rate": "lower",
    "contact_on_time_rate": "higher",
    "rectification_rate": "higher",
    "rectification_satisfaction_rate": "higher",
    "on_time_completion_rate": "higher",
    "time_compression": "lower",
    "speed": "lower",
    "speed_adjusted": "lower",
    "immediate_share": "higher",
    "run_at_most_once_rate": "higher",
    "zero_visit_rate": "higher",
    "digital_take_up": "higher",
    "completion_rate": "higher",
    "mean_wait": "lower",
    "p90_wait": "lower",
    "wait_within_target_rate": "higher",
}

REFERENCES: dict[str | None, tuple[Any, ...]] = {
    None: (),
    "expected_days": ({},),
    "channel_rates": (ChannelRates(overall=0.5),),
    "wait_target_minutes": (20,),
}


def counting_fact(source: str) -> Any:
    """One record that every indicator of the source counts in its denominator."""
    return {
        "cases": lambda: case(),
        "evaluations": lambda: evaluation("good"),
        "interactions": lambda: interaction(True),
        "rectifications": lambda: order(),
        "tickets": lambda: ticket(5),
    }[source]()


def compute(indicator: ind.Indicator, facts: list[Any]) -> IndicatorValue:
    return indicator.compute(facts, *REFERENCES[indicator.needs])


def test_the_registry_holds_every_indicator_of_section_6_and_no_cost_per_transaction():
    assert set(INDICATORS) == set(SECTION_6)
    assert not any("cost" in code for code in INDICATORS)


@pytest.mark.parametrize(("code", "direction"), SECTION_6.items())
def test_each_indicator_says_which_way_is_better(code, direction):
    assert INDICATORS[code].direction == direction


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_each_indicator_is_fully_described(indicator):
    assert indicator.code in INDICATORS and INDICATORS[indicator.code] is indicator
    assert any("\u4e00" <= ch <= "\u9fff" for ch in indicator.name_zh)
    assert indicator.name_en and indicator.name_en.isascii()
    assert indicator.unit in {"%", "working days", "minutes", "ratio"}
    assert indicator.source in {"cases", "evaluations", "interactions", "rectifications", "tickets"}
    assert indicator.kind in {"rate", "mean", "ratio", "quantile"}
    assert (indicator.unit == "%") == (indicator.kind == "rate")
    assert indicator.min_sample >= 1


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_the_registered_minimum_sample_is_the_function_default(indicator):
    function = indicator.compute.func
    assert inspect.signature(function).parameters["min_sample"].default == indicator.min_sample
    assert function is getattr(ind, indicator.code)


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_no_records_give_no_value_and_insufficient_data(indicator):
    value = compute(indicator, [])
    assert value.code == indicator.code
    assert (value.value, value.n, value.record_ids, value.insufficient) == (None, 0, (), True)
    if indicator.kind == "rate":
        assert (value.low, value.high) == (0.0, 1.0)


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_insufficient_data_ends_exactly_at_the_minimum_sample(indicator):
    facts = [counting_fact(indicator.source) for _ in range(indicator.min_sample)]
    enough, short = compute(indicator, facts), compute(indicator, facts[1:])
    assert (enough.n, enough.insufficient) == (indicator.min_sample, False)
    assert (short.n, short.insufficient) == (indicator.min_sample - 1, True)


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_rates_carry_a_wilson_interval_and_other_kinds_none(indicator):
    value = compute(indicator, [counting_fact(indicator.source) for _ in range(3)])
    if indicator.kind == "rate":
        assert value.low is not None and value.high is not None
        assert value.low <= value.value <= value.high  # type: ignore[operator]
    else:
        assert value.low is None and value.high is None


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_drill_down_lists_each_counted_record_once_in_id_order(indicator):
    facts = [counting_fact(indicator.source) for _ in range(6)]
    id_attr = {
        "cases": "case_id",
        "evaluations": "evaluation_id",
        "interactions": "case_id",
        "rectifications": "order_id",
        "tickets": "ticket_id",
    }[indicator.source]
    value = compute(indicator, facts)
    assert value.record_ids == ids(facts, id_attr)
    assert len(value.record_ids) == value.n
    assert set(value.numerator_ids) <= set(value.record_ids)


@pytest.mark.parametrize("indicator", INDICATORS.values(), ids=list(INDICATORS))
def test_the_order_of_the_records_changes_nothing(indicator):
    source = indicator.source
    facts = {
        "cases": [case(working_days=d, promised_days=p) for d, p in [(1, 3), (7, 5), (2, 9), (4, 4)]]
        + [open_case(), case(immediate=True, promised_days=0, working_days=0, visits=0, channel="online")],
        "evaluations": [evaluation(g, c) for g in ("good", "bad", "neutral") for c in ("valid", "excluded")],
        "interactions": [interaction(r) for r in (True, False, True, True)],
        "rectifications": rectification_fixture(),
        "tickets": [ticket(w) for w in (0.1, 0.2, 0.3, 12.7, None, 3.3)],
    }[source]
    assert compute(indicator, facts) == compute(indicator, list(reversed(facts)))


def test_sums_are_exact_whatever_the_order():
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 left to right and 0.6 right to left; fsum gives 0.6 both ways.
    facts = [case(promised_days=p, statutory_days=10) for p in (1, 2, 3)]
    forward, backward = time_compression(facts), time_compression(list(reversed(facts)))
    assert forward.numerator == backward.numerator == math.fsum([0.1, 0.2, 0.3]) == 0.6


# --- counts: the batch engine's path must give what the facts give ------------------------------------------

_grades = st.sampled_from(["good", "neutral", "bad"])
_statuses = st.sampled_from(["valid", "valid", "quarantined", "excluded"])
_channels = st.sampled_from(["pad", "link", "sms", "phone", "web"])
_evaluations = st.lists(
    st.builds(
        EvaluationFact,
        evaluation_id=st.integers(1, 10**6),
        unit_id=st.just(1),
        staff_id=st.none(),
        channel=_channels,
        grade=_grades,
        status=_statuses,
    ),
    max_size=60,
)
_interactions = st.lists(
    st.builds(
        InteractionFact,
        case_id=st.integers(1, 10**6),
        unit_id=st.just(1),
        staff_id=st.none(),
        stage=st.sampled_from(["intake", "acceptance", "completion"]),
        rated=st.booleans(),
    ),
    max_size=60,
)
_rectifications = st.lists(
    st.builds(
        RectificationFact,
        order_id=st.integers(1, 10**6),
        unit_id=st.just(1),
        review_excluded=st.booleans(),
        contacted_on_time=st.none() | st.booleans(),
        rectified_on_time=st.none() | st.booleans(),
        callback=st.sampled_from(["", "satisfied", "basically_satisfied", "dissatisfied"]),
    ),
    max_size=30,
)


@st.composite
def _case_facts(draw: st.DrawFn) -> CaseFact:
    ended = draw(st.sampled_from(["completed", "withdrawn", "open"]))
    promised = draw(st.integers(0, 20))
    return CaseFact(
        case_id=draw(st.integers(1, 10**6)),
        unit_id=1,
        service_code=draw(st.sampled_from(["S1", "S2", "S3"])),
        channel=draw(st.sampled_from(["hall", "online"])),
        immediate=promised == 0,
        completed=ended == "completed",
        withdrawn=ended == "withdrawn",
        working_days=draw(st.none() | st.integers(0, 40)) if ended == "completed" else None,
        promised_days=promised,
        statutory_days=draw(st.integers(0, 60)),
        visits=draw(st.integers(0, 4)),
    )


_tickets = st.lists(
    st.builds(
        TicketFact,
        ticket_id=st.integers(1, 10**6),
        unit_id=st.just(1),
        # Seconds to the microsecond, as the loader turns timestamps into minutes.
        wait_minutes=st.none() | st.integers(0, 4 * 3600 * 10**6).map(lambda us: us / 1_000_000 / 60),
    ),
    max_size=80,
)
_REFERENCES: dict[str, Any] = {
    "channel_rates": ChannelRates(overall=0.8, by_channel={"pad": 0.9, "link": 0.7, "web": 0.6}),
    "expected_days": {"S1": 3.3, "S2": 7.0},
    "wait_target_minutes": 20.0,
}
_FACTS = {
    "evaluations": _evaluations,
    "interactions": _interactions,
    "rectifications": _rectifications,
    "cases": st.lists(_case_facts(), max_size=60),
    "tickets": _tickets,
}


def _same(by_facts: IndicatorValue, by_counts: IndicatorValue) -> None:
    for name in (
        "code",
        "value",
        "n",
        "numerator",
        "insufficient",
        "low",
        "high",
        "raw",
        "expected",
        "successes",
    ):
        assert getattr(by_counts, name) == getattr(by_facts, name), name
    assert by_counts.record_ids == by_counts.numerator_ids == ()


@pytest.mark.parametrize("code", sorted(INDICATORS))
@given(data=st.data(), min_sample=st.integers(0, 40))
def test_counts_give_every_indicator_exactly_what_the_facts_give(code, data, min_sample):
    indicator = INDICATORS[code]
    facts = data.draw(_FACTS[indicator.source])
    reference = _REFERENCES.get(indicator.needs or "")
    args = (facts, reference) if indicator.needs else (facts,)
    by_facts = indicator.compute(*args, min_sample=min_sample)
    by_counts = ind.from_counts(code, ind.tally(indicator.source, facts), reference, min_sample=min_sample)
    _same(by_facts, by_counts)
    if indicator.kind == "rate":
        assert (by_facts.n, by_facts.numerator) == (len(by_facts.record_ids), len(by_facts.numerator_ids))
    # What scoring's Wilson bound and shrinkage read: the hits of a rate, nothing for any other kind.
    assert by_facts.successes == (by_facts.numerator if indicator.kind == "rate" else None)


@given(_evaluations, _evaluations)
def test_channel_rates_from_counts_are_those_of_the_facts(first, second):
    expected = channel_good_rates([*first, *second])
    assert ind.channel_good_rates_of([ind.tally("evaluations", first), ind.tally("evaluations", second)]) == (
        expected
    )


def test_an_exact_sum_is_the_correctly_rounded_sum_of_the_repeated_values():
    # 0.1 three times is not 0.3 in floating point; fsum rounds the exact sum once, and so must counts.
    assert ind.exact_sum([(0.1, 3)]) == math.fsum([0.1, 0.1, 0.1]) == 0.30000000000000004
    assert ind.exact_sum([(1e16, 1), (1.0, 2), (-1e16, 1)]) == 2.0  # naive left-to-right summing gives 0.0
    assert ind.exact_sum([]) == 0.0


def test_counts_of_the_wrong_source_or_without_a_reference_are_refused():
    with pytest.raises(TypeError):
        ind.from_counts("good_review_rate", ind.CaseCounts())
    with pytest.raises(ValueError, match="channel_rates"):
        ind.from_counts("good_review_rate_adjusted", ind.EvaluationCounts())
    with pytest.raises(ValueError, match="unknown source"):
        ind.tally("visits", [])
