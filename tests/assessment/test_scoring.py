"""Scoring rules, fair ranking, funnel limits, grades, calibration and incentives. Pure: no database.

Expected numbers are worked out by hand in the comments beside them. Wilson bounds for a perfect or a zero
rate have closed forms: with z^2 = 3.8414588..., the lower bound of n/n is n / (n + z^2) and the upper
bound of 0/n is z^2 / (n + z^2).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicpulse.assessment.scoring import (
    DEFAULT_COEFFICIENTS,
    Z95,
    Adjustment,
    Bands,
    BonusCaps,
    Grade,
    GradeBands,
    Linear,
    Measured,
    Percentile,
    Subject,
    SubjectScore,
    WeightItem,
    WeightTable,
    assign_grades,
    band_grade,
    calibrate,
    funnel_limits,
    funnel_outliers,
    incentive,
    outstanding_quota,
    percentile_share,
    percentile_shares,
    rule_share,
    score_group,
    shrunk_rate,
    validate_weights,
    wilson_bounds,
)

Z2 = Z95 * Z95
OUT, COMP, BASIC, INC = Grade.OUTSTANDING, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT
NO_CAPS = BonusCaps(bonus_cap=math.inf, penalty_cap=math.inf)
UNIT = Linear(floor=0.0, target=1.0)  # share = value, for values in 0..1


def item(code="a", weight=100.0, rule=UNIT, direction="higher", min_sample=0) -> WeightItem:
    return WeightItem(indicator=code, weight=weight, rule=rule, direction=direction, min_sample=min_sample)


def table(*items: WeightItem) -> WeightTable:
    return WeightTable(items=items)


def mean(value: float | None, n: int = 30, insufficient: bool = False) -> Measured:
    return Measured(value=value, n=n, insufficient=insufficient)


def rate(successes: int, n: int, insufficient: bool = False) -> Measured:
    return Measured(value=successes / n if n else None, n=n, successes=successes, insufficient=insufficient)


def subject(id: int, group: str = "window", probation: bool = False, **values: Measured) -> Subject:
    return Subject(id=id, group=group, probation=probation, values=values)


def scores(
    subjects, weights, *, redistribute="proportional", ranking="raw", caps=NO_CAPS, **kwargs
) -> dict[int, SubjectScore]:
    result = score_group(subjects, weights, redistribute=redistribute, ranking=ranking, caps=caps, **kwargs)
    return {s.id: s for s in result}


def scored(id: int, final: float | None, probation: bool = False, group: str = "window") -> SubjectScore:
    """A finished score as `assign_grades` sees it, without the breakdown."""
    return SubjectScore(
        id=id,
        group=group,
        probation=probation,
        indicators=(),
        coverage=1.0 if final is not None else 0.0,
        base=final,
        bonus=0.0,
        penalty=0.0,
        adjustments=(),
        final=final,
        rank=None,
    )


def group_of(*finals: float | None) -> list[SubjectScore]:
    return [scored(i, final) for i, final in enumerate(finals, start=1)]


# --- Linear -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "share"),
    [(0.5, 0.0), (0.6, 0.0), (0.75, 0.5), (0.84, 0.8), (0.9, 1.0), (1.0, 1.0)],
)
def test_linear_gives_nothing_at_the_floor_everything_at_the_target_and_a_straight_line_between(value, share):
    assert Linear(floor=0.6, target=0.9).share(value) == pytest.approx(share)


@pytest.mark.parametrize(
    ("minutes", "share"),
    [(40, 0.0), (30, 0.0), (25, 0.25), (20, 0.5), (10, 1.0), (5, 1.0)],
)
def test_linear_for_lower_is_better_runs_from_a_floor_above_the_target(minutes, share):
    rule = Linear(floor=30, target=10)
    assert rule_share(rule, minutes, direction="lower") == pytest.approx(share)


@pytest.mark.parametrize(
    ("floor", "target", "message"),
    [
        (0.8, 0.8, "differ"),
        (math.nan, 1.0, "finite"),
        (0.0, math.inf, "finite"),
        ("0", 1.0, "finite"),
    ],
)
def test_linear_refuses_a_rule_without_a_slope(floor, target, message):
    with pytest.raises(ValueError, match=message):
        Linear(floor=floor, target=target)


# --- Bands ------------------------------------------------------------------------------------------------

GOOD_BANDS = Bands(bands=((0.95, 1.0), (0.9, 0.8), (0.8, 0.5)))


@pytest.mark.parametrize(
    ("value", "share"),
    [(1.0, 1.0), (0.95, 1.0), (0.9499, 0.8), (0.9, 0.8), (0.85, 0.5), (0.8, 0.5), (0.7999, 0.0), (0.0, 0.0)],
)
def test_bands_give_the_share_of_the_highest_threshold_reached(value, share):
    assert rule_share(GOOD_BANDS, value, direction="higher") == share


@pytest.mark.parametrize(
    ("value", "share"),
    [(0.0, 1.0), (0.01, 1.0), (0.02, 0.6), (0.03, 0.6), (0.04, 0.3), (0.05, 0.3), (0.051, 0.0), (1.0, 0.0)],
)
def test_bands_for_lower_is_better_give_the_share_of_the_lowest_threshold_kept_under(value, share):
    bad_review_bands = Bands(bands=((0.01, 1.0), (0.03, 0.6), (0.05, 0.3)))
    assert rule_share(bad_review_bands, value, direction="lower") == share


def test_band_order_in_the_scheme_does_not_matter():
    shuffled = Bands(bands=((0.8, 0.5), (0.95, 1.0), (0.9, 0.8)))
    for value in (0.79, 0.8, 0.9, 0.93, 0.95, 1.0):
        assert shuffled.share(value, "higher") == GOOD_BANDS.share(value, "higher")


def test_bands_given_as_lists_are_stored_as_tuples():
    rule = Bands(bands=[[0.9, 1.0], [0.8, 0.5]])
    assert rule.bands == ((0.9, 1.0), (0.8, 0.5))
    assert hash(rule) == hash(Bands(bands=((0.9, 1.0), (0.8, 0.5))))


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ((), "at least one"),
        (((0.9, 1.5),), "between 0 and 1"),
        (((0.9, -0.1),), "between 0 and 1"),
        (((0.9, 1.0), (0.9, 0.5)), "distinct"),
        (((math.nan, 1.0),), "finite"),
        (((0.9, 1.0, 3),), "pair"),
    ],
)
def test_bands_refuse_a_malformed_table(bands, message):
    with pytest.raises(ValueError, match=message):
        Bands(bands=bands)


# --- Percentile -------------------------------------------------------------------------------------------


def test_percentile_gives_the_best_full_points_the_worst_none_and_averages_ties():
    peers = [0.9, 0.8, 0.8, 0.5]
    # 0.8 beats one peer and ties one: (1 + 1/2) / 3.
    assert [percentile_share(v, peers, "higher") for v in peers] == [1.0, 0.5, 0.5, 0.0]


def test_percentile_for_lower_is_better_counts_higher_values_as_worse():
    peers = [0.9, 0.8, 0.8, 0.5]
    assert [percentile_share(v, peers, "lower") for v in peers] == [0.0, 0.5, 0.5, 1.0]


def test_percentile_spaces_distinct_values_evenly():
    peers = [3.0, 1.0, 5.0, 2.0, 4.0]
    assert [percentile_share(v, peers, "higher") for v in peers] == [0.5, 0.0, 1.0, 0.25, 0.75]


def test_percentile_gives_a_group_of_one_full_points():
    assert percentile_share(0.4, [0.4], "higher") == 1.0


def test_percentile_gives_a_group_of_equals_full_points():
    assert [percentile_share(1.0, [1.0, 1.0, 1.0], d) for d in ("higher", "lower")] == [1.0, 1.0]


def test_percentile_sees_a_tie_through_float_noise():
    peers = [0.1 + 0.2, 0.3, 0.1]
    assert percentile_share(peers[0], peers, "higher") == percentile_share(0.3, peers, "higher") == 0.75


@given(
    values=st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.1 + 0.2, 0.5, 1.0]), min_size=1, max_size=12),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_percentile_shares_for_a_whole_group_agree_with_one_at_a_time(values, direction):
    group = percentile_shares(dict(enumerate(values)), direction)
    assert group == {i: percentile_share(v, values, direction) for i, v in enumerate(values)}


def test_percentile_needs_the_value_among_its_peers():
    with pytest.raises(ValueError, match="one of its peers"):
        percentile_share(0.7, [0.5, 0.6], "higher")


def test_rule_share_refuses_an_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        rule_share(UNIT, 0.5, direction="up")


def test_percentile_rule_scores_within_the_peer_group():
    weights = table(item(rule=Percentile()))
    result = scores([subject(1, a=mean(0.7)), subject(2, a=mean(0.9)), subject(3, a=mean(0.8))], weights)
    assert [result[i].final for i in (1, 2, 3)] == [0.0, 100.0, 50.0]


def test_percentile_peers_leave_out_insufficient_subjects():
    weights = table(item(rule=Percentile(), min_sample=10))
    result = scores(
        [subject(1, a=mean(0.7)), subject(2, a=mean(0.9)), subject(3, a=mean(0.99, n=9))],
        weights,
    )
    assert (result[1].final, result[2].final, result[3].final) == (0.0, 100.0, None)


# --- Weight tables ----------------------------------------------------------------------------------------


def test_a_table_summing_to_100_is_valid():
    weights = table(
        item("good", 40),
        item("on_time", 35, Bands(((0.95, 1.0), (0.9, 0.5)))),
        item("wait", 25, Linear(30, 10), "lower", 20),
    )
    assert validate_weights(weights) == []


def test_weights_summing_to_100_up_to_float_noise_are_valid():
    assert validate_weights(table(item("a", 100 / 3), item("b", 100 / 3), item("c", 100 / 3))) == []
    assert validate_weights(table(item("a", 33.3), item("b", 33.3), item("c", 33.4))) == []


@pytest.mark.parametrize("total", [99.5, 100.5, 100 + 1e-8])
def test_weights_not_summing_to_100_are_a_problem(total):
    problems = validate_weights(table(item("a", 50), item("b", total - 50)))
    assert len(problems) == 1
    assert problems[0].startswith("weights sum to") and problems[0].endswith("not 100")


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ((item("a", -10), item("b", 110)), "a: weight -10 is negative"),
        ((item("a", 50), item("a", 50)), "a: appears more than once"),
        ((item("a", direction="up"),), "a: direction must be 'higher' or 'lower', not 'up'"),
        ((item("a", min_sample=-1),), "a: minimum sample must be a whole number >= 0, not -1"),
        ((item("a", rule=Linear(0.9, 0.6)),), "a: target 0.6 is below floor 0.9, but higher is better"),
        ((item("a", rule=Linear(10, 30), direction="lower"),), "a: target 30 is above floor 10"),
        ((item("a", rule=Bands(((0.9, 0.5), (0.8, 1.0)))),), "a: a higher threshold gives fewer points"),
        (
            (item("a", rule=Bands(((0.01, 0.3), (0.05, 1.0))), direction="lower"),),
            "a: a lower threshold gives fewer points",
        ),
        ((item("a", rule="linear"),), "a: unknown scoring rule 'linear'"),
        ((item("a", weight=math.nan),), "a: weight nan is not finite"),
        ((item("", 100),), "an item has no indicator code"),
    ],
)
def test_each_table_problem_is_named(items, problem):
    problems = validate_weights(table(*items))
    assert any(p.startswith(problem) for p in problems), problems


def test_lower_is_better_bands_that_fall_with_the_threshold_are_fine():
    weights = table(item(rule=Bands(((0.01, 1.0), (0.05, 0.3))), direction="lower"))
    assert validate_weights(weights) == []


def test_an_empty_table_is_a_problem():
    assert validate_weights(table()) == ["the table has no indicators"]


def test_every_problem_is_listed_at_once():
    problems = validate_weights(table(item("a", -5), item("a", 50, direction="up")))
    assert problems == [
        "a: weight -5 is negative",
        "a: appears more than once",
        "a: direction must be 'higher' or 'lower', not 'up'",
        "weights sum to 45.0, not 100",
    ]


def test_scoring_refuses_an_invalid_table():
    with pytest.raises(ValueError, match=r"invalid weight table: weights sum to 90\.0"):
        scores([subject(1, a=mean(0.5))], table(item("a", 90)))


# --- Insufficient data and redistribution -----------------------------------------------------------------

THREE = table(item("a", 50), item("b", 30), item("c", 20, min_sample=10))


def test_with_every_indicator_sufficient_both_policies_agree():
    one = [subject(1, a=mean(1.0), b=mean(0.5), c=mean(0.25))]
    for policy in ("proportional", "none"):
        result = scores(one, THREE, redistribute=policy)[1]
        assert result.base == 70.0  # 50 + 15 + 5
        assert result.coverage == 1.0
        assert [p.effective_weight for p in result.indicators] == [50.0, 30.0, 20.0]


def test_proportional_redistribution_shares_the_missing_weight_so_the_score_stays_out_of_100():
    result = scores([subject(1, a=mean(1.0), b=mean(0.5))], THREE, redistribute="proportional")[1]
    # 80 points measured: a weighs 50 * 100/80 = 62.5, b 30 * 100/80 = 37.5.
    assert [p.effective_weight for p in result.indicators] == [62.5, 37.5, 0.0]
    assert result.base == 81.25  # 62.5 * 1 + 37.5 * 0.5
    assert result.coverage == pytest.approx(0.8)
    assert result.insufficient == ("c",)


def test_no_redistribution_lets_the_subject_lose_the_missing_points():
    result = scores([subject(1, a=mean(1.0), b=mean(0.5))], THREE, redistribute="none")[1]
    assert [p.effective_weight for p in result.indicators] == [50.0, 30.0, 0.0]
    assert result.base == 65.0  # 50 + 15, out of the 80 it was measured on


@pytest.mark.parametrize(
    "measured",
    [
        None,
        mean(0.25, n=9),
        mean(0.25, n=500, insufficient=True),
        mean(None, n=30),
        rate(0, 0),
    ],
    ids=["missing", "below-the-scheme-minimum", "flagged-by-the-library", "no-value", "rate-without-records"],
)
def test_each_reason_for_insufficient_data_leaves_the_indicator_unscored(measured):
    values = {"a": mean(1.0), "b": mean(0.5)} | ({"c": measured} if measured else {})
    result = scores([Subject(1, "window", False, values)], THREE)[1]
    assert result.insufficient == ("c",)
    assert result.base == 81.25


def test_the_scheme_minimum_sample_itself_is_enough():
    result = scores([subject(1, a=mean(1.0), b=mean(0.5), c=mean(0.25, n=10))], THREE)[1]
    assert result.insufficient == ()


def test_an_insufficient_indicator_is_shown_with_its_value_and_n_but_earns_nothing():
    result = scores([subject(1, a=mean(1.0), b=mean(0.5), c=mean(0.99, n=4))], THREE)[1]
    c = result.indicators[2]
    assert (c.indicator, c.value, c.n, c.insufficient) == ("c", 0.99, 4, True)
    assert (c.scored_value, c.share, c.points, c.effective_weight, c.weight) == (None, None, 0.0, 0.0, 20)


def test_a_subject_without_any_sufficient_indicator_has_no_score_and_no_rank():
    adjust = {1: [Adjustment("commendation", 2, "provincial commendation")]}
    result = scores(
        [subject(1, a=mean(1.0, n=2)), subject(2, a=mean(0.5))], table(item(min_sample=5)), adjustments=adjust
    )
    assert (result[1].base, result[1].final, result[1].rank, result[1].coverage) == (None, None, None, 0.0)
    assert result[1].bonus == 2.0  # still shown
    assert result[2].rank == 1


def test_a_sufficient_indicator_with_zero_weight_is_not_enough_to_be_scored():
    weights = table(item("a", 100, min_sample=5), item("info", 0))
    result = scores([subject(1, a=mean(1.0, n=2), info=mean(0.7))], weights)[1]
    assert (result.base, result.rank) == (None, None)
    assert result.indicators[1].share == 0.7  # shown, worth nothing


def test_indicators_outside_the_table_are_ignored():
    result = scores([subject(1, a=mean(0.5), extra=mean(9.0))], table(item()))[1]
    assert [p.indicator for p in result.indicators] == ["a"]
    assert result.base == 50.0


# --- Bonus and penalty items ------------------------------------------------------------------------------


def test_bonus_and_penalty_totals_are_clipped_to_their_caps():
    adjust = {
        1: [
            Adjustment("commendation", 3, "city commendation"),
            Adjustment("innovation", 4, "new online service"),
            Adjustment("complaint", -2, "verified complaint"),
            Adjustment("misconduct", -6, "verified misconduct"),
        ]
    }
    caps = BonusCaps(bonus_cap=5, penalty_cap=5)
    result = scores([subject(1, a=mean(0.7))], table(item()), caps=caps, adjustments=adjust)[1]
    assert (result.bonus, result.penalty, result.adjustments_total) == (5.0, 5.0, 0.0)
    assert result.final == pytest.approx(70.0)
    assert len(result.adjustments) == 4


def test_adjustments_under_the_caps_count_in_full():
    adjust = {
        1: [Adjustment("commendation", 2, "city commendation"), Adjustment("complaint", -1, "complaint")]
    }
    result = scores([subject(1, a=mean(0.7))], table(item()), caps=BonusCaps(5, 5), adjustments=adjust)[1]
    assert (result.bonus, result.penalty) == (2.0, 1.0)
    assert result.final == pytest.approx(71.0)


def test_a_bonus_can_lift_the_final_score_above_100():
    adjust = {1: [Adjustment("commendation", 3, "national commendation")]}
    result = scores([subject(1, a=mean(1.0))], table(item()), caps=BonusCaps(5, 5), adjustments=adjust)[1]
    assert result.final == 103.0


def test_penalties_never_take_the_final_score_below_zero():
    adjust = {1: [Adjustment("misconduct", -8, "verified misconduct")]}
    result = scores([subject(1, a=mean(0.03))], table(item()), caps=BonusCaps(5, 10), adjustments=adjust)[1]
    assert result.base == pytest.approx(3.0)
    assert result.final == 0.0


def test_zero_caps_cancel_every_adjustment():
    adjust = {1: [Adjustment("commendation", 3, "x"), Adjustment("misconduct", -3, "y")]}
    result = scores([subject(1, a=mean(0.5))], table(item()), caps=BonusCaps(0, 0), adjustments=adjust)[1]
    assert (result.bonus, result.penalty, result.final) == (0.0, 0.0, 50.0)
    assert str(result.penalty) == "0.0"


def test_adjustments_for_subjects_of_other_groups_are_ignored():
    adjust = {99: [Adjustment("commendation", 3, "elsewhere")]}
    assert scores([subject(1, a=mean(0.5))], table(item()), adjustments=adjust)[1].final == 50.0


@pytest.mark.parametrize(
    ("code", "points", "reason", "message"),
    [("commendation", 2, "  ", "written reason"), ("", 2, "x", "code"), ("x", math.nan, "x", "finite")],
)
def test_an_adjustment_needs_a_code_finite_points_and_a_reason(code, points, reason, message):
    with pytest.raises(ValueError, match=message):
        Adjustment(code, points, reason)


@pytest.mark.parametrize(("bonus", "penalty"), [(-1, 5), (5, math.nan), (5, "5")])
def test_caps_must_be_numbers_not_below_zero(bonus, penalty):
    with pytest.raises(ValueError, match="cap"):
        BonusCaps(bonus, penalty)


# --- Ranks ------------------------------------------------------------------------------------------------


def test_ranks_use_competition_ranking_on_the_final_score():
    subjects = [
        subject(1, a=mean(0.8)),
        subject(2, a=mean(0.9)),
        subject(3, a=mean(0.5)),
        subject(4, a=mean(0.8)),
    ]
    result = scores(subjects, table(item()))
    assert {i: s.rank for i, s in result.items()} == {1: 2, 2: 1, 3: 4, 4: 2}


def test_scores_equal_up_to_float_noise_share_a_rank():
    result = scores([subject(1, a=mean(0.3)), subject(2, a=mean(0.1 + 0.2))], table(item()))
    assert result[1].final != result[2].final
    assert result[1].rank == result[2].rank == 1


def test_unranked_subjects_take_no_place_in_the_ranking():
    weights = table(item(min_sample=10))
    result = scores([subject(1, a=mean(0.9)), subject(2, a=mean(1.0, n=3)), subject(3, a=mean(0.5))], weights)
    assert (result[1].rank, result[2].rank, result[3].rank) == (1, None, 2)


def test_probationers_are_scored_and_ranked():
    result = scores([subject(1, a=mean(0.6)), subject(2, probation=True, a=mean(0.9))], table(item()))
    assert (result[2].final, result[2].rank, result[1].rank) == (90.0, 1, 2)


def test_bonus_items_count_in_the_rank():
    adjust = {2: [Adjustment("commendation", 5, "city commendation")]}
    result = scores([subject(1, a=mean(0.8)), subject(2, a=mean(0.78))], table(item()), adjustments=adjust)
    assert (result[1].rank, result[2].rank) == (2, 1)


def test_results_come_sorted_by_id_and_do_not_depend_on_input_order():
    subjects = [subject(i, a=rate(i, 10 + i)) for i in range(1, 9)]
    first = score_group(subjects, table(item()), redistribute="none", ranking="shrinkage", caps=NO_CAPS)
    shuffled = subjects[:]
    random.Random(7).shuffle(shuffled)
    second = score_group(shuffled, table(item()), redistribute="none", ranking="shrinkage", caps=NO_CAPS)
    assert [s.id for s in first] == list(range(1, 9))
    assert first == second


def test_an_empty_group_scores_nothing():
    assert score_group([], table(item()), redistribute="none", ranking="raw", caps=NO_CAPS) == []


def test_scores_are_compared_only_within_one_peer_group():
    mixed = [subject(1, group="towns", a=mean(0.5)), subject(2, group="approval", a=mean(0.5))]
    with pytest.raises(ValueError, match="one peer group, got approval, towns"):
        scores(mixed, table(item()))


def test_subject_ids_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        scores([subject(1, a=mean(0.5)), subject(1, a=mean(0.6))], table(item()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"redistribute": "evenly"}, "redistribute"),
        ({"ranking": "bayes"}, "ranking"),
        ({"prior_strength": -1}, "prior strength"),
        ({"prior_strength": math.inf}, "prior strength"),
    ],
)
def test_scoring_refuses_unknown_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        scores([subject(1, a=mean(0.5))], table(item()), **kwargs)


# --- Fair ranking of rates: Wilson and shrinkage ----------------------------------------------------------

# A small window with a perfect record against two large ones.
SMALL_PERFECT = [subject(1, good=rate(5, 5)), subject(2, good=rate(90, 100)), subject(3, good=rate(60, 100))]
GOOD = table(item("good", min_sample=5))


def ranks(result: dict[int, SubjectScore]) -> dict[int, int | None]:
    return {i: s.rank for i, s in result.items()}


def test_raw_ranking_puts_the_small_perfect_unit_first():
    result = scores(SMALL_PERFECT, GOOD, ranking="raw")
    assert [result[i].final for i in (1, 2, 3)] == pytest.approx([100.0, 90.0, 60.0])
    assert ranks(result) == {1: 1, 2: 2, 3: 3}


def test_wilson_ranking_puts_the_large_good_unit_ahead_of_the_small_perfect_one():
    result = scores(SMALL_PERFECT, GOOD, ranking="wilson")
    # 5/5: 5 / (5 + z^2); 90/100 and 60/100: the 95 % Wilson lower bounds from tables.
    assert result[1].indicators[0].scored_value == pytest.approx(5 / (5 + Z2))
    assert result[1].final == pytest.approx(56.552, abs=1e-3)
    assert result[2].final == pytest.approx(82.563, abs=1e-3)
    assert result[3].final == pytest.approx(50.200, abs=1e-3)
    assert ranks(result) == {1: 2, 2: 1, 3: 3}


def test_shrinkage_pulls_the_small_unit_toward_the_group_rate():
    result = scores(SMALL_PERFECT, GOOD, ranking="shrinkage")
    # Pooled rate 155/205; with 20 pseudo-observations: (5 + 20 * 155/205) / 25 = 33/41, and so on.
    p0 = Fraction(155, 205)
    expected = {1: (5 + 20 * p0) / 25, 2: (90 + 20 * p0) / 120, 3: (60 + 20 * p0) / 120}
    assert expected == {1: Fraction(33, 41), 2: Fraction(431, 492), 3: Fraction(77, 123)}
    for i, value in expected.items():
        assert result[i].indicators[0].scored_value == pytest.approx(float(value))
        assert result[i].final == pytest.approx(100 * float(value))
    assert ranks(result) == {1: 2, 2: 1, 3: 3}


def test_the_raw_value_is_kept_beside_the_scored_one():
    points = scores(SMALL_PERFECT, GOOD, ranking="wilson")[1].indicators[0]
    assert (points.value, points.n) == (1.0, 5)
    assert points.scored_value == pytest.approx(0.565518, abs=1e-6)


def test_the_pooled_rate_counts_records_of_insufficient_subjects():
    subjects = [subject(1, good=rate(5, 5)), subject(2, good=rate(90, 100)), subject(3, good=rate(0, 3))]
    result = scores(subjects, GOOD, ranking="shrinkage")
    # Pooled 95/108: (5 + 20 * 95/108) / 25 = 122/135.
    assert result[1].indicators[0].scored_value == pytest.approx(122 / 135)
    assert result[3].final is None


def test_prior_strength_sets_how_far_shrinkage_pulls():
    unpulled = scores(SMALL_PERFECT, GOOD, ranking="shrinkage", prior_strength=0)
    assert unpulled[1].indicators[0].scored_value == 1.0
    heavy = scores(SMALL_PERFECT, GOOD, ranking="shrinkage", prior_strength=1e9)
    assert heavy[1].indicators[0].scored_value == pytest.approx(155 / 205, abs=1e-6)


def test_wilson_takes_the_upper_bound_when_lower_is_better():
    weights = table(item("bad", rule=Linear(floor=0.5, target=0.0), direction="lower"))
    points = scores([subject(1, bad=rate(0, 5))], weights, ranking="wilson")[1].indicators[0]
    upper = Z2 / (5 + Z2)  # 0.4345: no bad review in 5 proves little
    assert points.scored_value == pytest.approx(upper)
    assert points.share == pytest.approx((0.5 - upper) / 0.5)


def test_means_are_scored_as_measured_whatever_the_ranking_mode():
    weights = table(item("wait", rule=Linear(30, 10), direction="lower"))
    for mode in ("wilson", "shrinkage", "raw"):
        assert scores([subject(1, wait=mean(20.0, n=3))], weights, ranking=mode)[1].final == 50.0


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(8, 10, 0.4902, 0.9433), (90, 100, 0.8256, 0.9448), (1, 2, 0.0945, 0.9055), (50, 100, 0.4038, 0.5962)],
)
def test_wilson_bounds_match_published_tables(successes, n, low, high):
    assert wilson_bounds(successes, n) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize("n", [1, 5, 10, 100])
def test_wilson_bounds_at_the_extremes_have_closed_forms(n):
    assert wilson_bounds(n, n) == pytest.approx((n / (n + Z2), 1.0))
    assert wilson_bounds(0, n) == pytest.approx((0.0, Z2 / (n + Z2)))


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (3, 2), (-1, 4)])
def test_wilson_bounds_need_a_proper_count(successes, n):
    with pytest.raises(ValueError):
        wilson_bounds(successes, n)


def test_shrunk_rate_is_the_beta_posterior_mean():
    assert shrunk_rate(3, 10, prior_rate=0.5, prior_strength=20) == pytest.approx(13 / 30)
    with pytest.raises(ValueError, match="prior rate"):
        shrunk_rate(3, 10, prior_rate=1.5, prior_strength=20)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, "n must not be negative"),
        ({"successes": 11}, "successes"),
        ({"value": math.nan}, "finite"),
    ],
)
def test_a_measured_value_must_be_consistent(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Measured(**({"value": 0.5, "n": 10, "successes": 5} | kwargs))


# --- Funnel plots -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p0", "n", "limits"),
    [
        (0.5, 100, (0.40, 0.60, 0.35, 0.65)),  # sd 0.05
        (0.9, 100, (0.84, 0.96, 0.81, 0.99)),  # sd 0.03
        (0.9, 25, (0.78, 1.00, 0.72, 1.00)),  # sd 0.06: the upper limits are clipped
        (0.1, 25, (0.00, 0.22, 0.00, 0.28)),  # and the lower ones
        (0.5, 64, (0.375, 0.625, 0.3125, 0.6875)),  # sd 1/16
        (0.0, 10, (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_funnel_limits_are_2_and_3_standard_errors_around_the_pooled_rate(p0, n, limits):
    assert funnel_limits(p0, n) == pytest.approx(limits)


@pytest.mark.parametrize(("p0", "n"), [(0.5, 0), (1.5, 10), (-0.1, 10)])
def test_funnel_limits_need_a_rate_and_a_sample(p0, n):
    with pytest.raises(ValueError):
        funnel_limits(p0, n)


def test_funnel_outliers_are_classed_against_the_pooled_rate():
    # Pooled 256/512 = 0.5; at n = 64 the limits are exact: 0.3125, 0.375 | 0.625, 0.6875.
    points = [
        (1, 45, 64),
        (2, 44, 64),
        (3, 41, 64),
        (4, 40, 64),
        (5, 24, 64),
        (6, 23, 64),
        (7, 20, 64),
        (8, 19, 64),
    ]
    assert funnel_outliers(points) == {
        1: "high3",
        2: "high2",  # exactly on the 3-sigma limit
        3: "high2",
        4: "in",  # exactly on the 2-sigma limit
        5: "in",
        6: "low2",
        7: "low2",
        8: "low3",
    }


def test_the_funnel_tolerates_more_spread_in_small_units():
    # 62.5 % and 37.5 % at n = 16 (sd 1/8) are within limits; at n = 1024 (sd 1/64) far outside.
    points = [(1, 10, 16), (2, 640, 1024), (3, 6, 16), (4, 384, 1024)]
    assert funnel_outliers(points) == {1: "in", 2: "high3", 3: "in", 4: "low3"}


def test_funnel_outliers_of_nothing_is_empty():
    assert funnel_outliers([]) == {}


@pytest.mark.parametrize("points", [[(1, 0, 0)], [(1, 5, 4)], [(1, 1, 4), (1, 2, 4)]])
def test_funnel_outliers_refuse_bad_points(points):
    with pytest.raises(ValueError):
        funnel_outliers(points)


# --- Grades -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (103, OUT),
        (90, OUT),
        (89.99, COMP),
        (75, COMP),
        (74.99, BASIC),
        (60, BASIC),
        (59.99, INC),
        (0, INC),
        (89.99999999999999, OUT),
    ],
)
def test_band_grade_is_the_highest_band_the_score_reaches(score, grade):
    assert band_grade(score) == grade


def test_custom_bands_move_the_thresholds():
    assert band_grade(85, GradeBands(outstanding=85, competent=70, basic=50)) == OUT


@pytest.mark.parametrize(("o", "c", "b"), [(75, 75, 60), (90, 60, 75), (math.nan, 75, 60)])
def test_grade_bands_must_fall_strictly(o, c, b):
    with pytest.raises(ValueError):
        GradeBands(o, c, b)


@pytest.mark.parametrize(
    ("graded", "quota", "approved", "places"),
    [
        (0, 0.20, None, 0),
        (4, 0.20, None, 0),
        (5, 0.20, None, 1),
        (7, 0.20, None, 1),  # 1.4
        (9, 0.20, None, 1),  # 1.8
        (10, 0.20, None, 2),
        (15, 0.20, None, 3),  # 0.2 * 15 is 3.0000000000000004 in floats
        (7, 0.25, 0.25, 1),  # 1.75
        (8, 0.25, 0.25, 2),
        (10, 0.22, 0.25, 2),
        (100, 0.15, None, 15),
        (100, 0.0, None, 0),
    ],
)
def test_the_outstanding_quota_rounds_down(graded, quota, approved, places):
    assert outstanding_quota(graded, quota, approved) == places


def test_seven_units_at_a_20_percent_quota_get_one_outstanding():
    grades = assign_grades(group_of(98, 95, 93, 80, 70, 65, 50))
    assert grades == {1: OUT, 2: COMP, 3: COMP, 4: COMP, 5: BASIC, 6: BASIC, 7: INC}


def test_a_group_of_four_gets_no_outstanding_at_20_percent():
    assert assign_grades(group_of(95, 91, 80, 70)) == {1: COMP, 2: COMP, 3: COMP, 4: BASIC}


def test_a_25_percent_quota_with_a_recorded_approval_allows_more_outstanding():
    group = group_of(99, 97, 95, 93, 80, 70, 60, 50)
    assert assign_grades(group)[2] == COMP
    approved = assign_grades(group, quota=0.25, quota_approved=0.25)
    assert approved == {1: OUT, 2: OUT, 3: COMP, 4: COMP, 5: COMP, 6: BASIC, 7: BASIC, 8: INC}


def test_a_quota_above_20_percent_without_approval_is_refused():
    with pytest.raises(ValueError, match="needs a recorded approval"):
        assign_grades(group_of(99, 97, 95, 93), quota=0.25)


@pytest.mark.parametrize(
    ("quota", "approved", "message"),
    [
        (0.25, 0.22, "exceeds the approved"),
        (0.26, 0.26, "between 0 and 25%"),
        (0.20, 0.30, "cannot raise the outstanding quota above 25%"),
        (-0.1, None, "between 0 and 25%"),
        (math.nan, None, "finite"),
    ],
)
def test_quotas_beyond_the_rules_are_refused(quota, approved, message):
    with pytest.raises(ValueError, match=message):
        assign_grades(group_of(99, 97), quota=quota, quota_approved=approved)


def test_an_approval_does_not_force_a_higher_quota():
    assert assign_grades(group_of(99, 97, 95, 93, 92), quota=0.20, quota_approved=0.25) == {
        1: OUT,
        2: COMP,
        3: COMP,
        4: COMP,
        5: COMP,
    }


def test_probationers_get_no_grade_and_do_not_count_for_the_quota():
    # Ten subjects, one on probation with the best score: nine graded, floor(1.8) = 1 outstanding.
    group = [scored(1, 99, probation=True)] + [scored(i, 100 - i) for i in range(2, 11)]
    grades = assign_grades(group)
    assert grades[1] is None
    assert [i for i, g in grades.items() if g == OUT] == [2]
    assert grades[3] == COMP


def test_subjects_without_a_score_get_no_grade_and_do_not_count_for_the_quota():
    # Five scored out of ten: floor(0.2 * 5) = 1, not 2.
    grades = assign_grades(group_of(99, 98, 97, 96, 95, None, None, None, None, None))
    assert grades == {
        1: OUT,
        2: COMP,
        3: COMP,
        4: COMP,
        5: COMP,
        6: None,
        7: None,
        8: None,
        9: None,
        10: None,
    }


def test_a_tie_at_the_quota_cut_costs_every_tied_subject_the_outstanding_grade():
    # Seven units, one place, two tied at the top: neither gets it.
    assert assign_grades(group_of(96, 96, 91, 80, 70, 65, 50)) == {
        1: COMP,
        2: COMP,
        3: COMP,
        4: COMP,
        5: BASIC,
        6: BASIC,
        7: INC,
    }


def test_a_tie_below_a_clear_leader_loses_only_the_contested_place():
    # Ten units, two places: 97 keeps it, the two at 95 cannot both fit.
    grades = assign_grades(group_of(97, 95, 95, 92, 80, 80, 70, 70, 60, 50))
    assert [i for i, g in grades.items() if g == OUT] == [1]
    assert grades[2] == grades[3] == grades[4] == COMP


def test_tied_subjects_who_all_fit_inside_the_quota_keep_the_grade():
    grades = assign_grades(group_of(95, 95, 80, 80, 80, 80, 70, 70, 60, 50))
    assert [i for i, g in grades.items() if g == OUT] == [1, 2]


def test_a_tie_at_the_cut_is_seen_through_float_noise():
    grades = assign_grades(group_of(96.0, 96.00000000000001, 91, 80, 70, 65, 50))
    assert grades[1] == grades[2] == COMP


def test_fewer_subjects_in_the_outstanding_band_than_places_all_keep_it():
    assert assign_grades(group_of(92, 85, 80, 80, 80, 80, 80, 80, 80, 80))[1] == OUT


def test_grades_are_assigned_within_one_peer_group_only():
    with pytest.raises(ValueError, match="one peer group"):
        assign_grades([scored(1, 95, group="towns"), scored(2, 80, group="approval")])


def test_grading_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="unique"):
        assign_grades([scored(1, 95), scored(1, 80)])


# --- Calibration ------------------------------------------------------------------------------------------

# Five graded (one outstanding place at 20 %), a probationer and a unit with insufficient data.
GRADES = {1: OUT, 2: COMP, 3: COMP, 4: BASIC, 5: INC, 6: None, 7: None}


def test_calibration_may_swap_the_outstanding_grade_inside_a_full_quota():
    moved = calibrate(
        GRADES, [(1, "competent", "complaint upheld after the run"), (2, "outstanding", "award")]
    )
    assert moved == {1: COMP, 2: OUT, 3: COMP, 4: BASIC, 5: INC, 6: None, 7: None}


def test_calibration_may_move_a_grade_down_with_a_reason():
    assert calibrate(GRADES, [(4, "incompetent", "verified misconduct")])[4] == INC


def test_calibration_does_not_change_the_grades_it_was_given():
    calibrate(GRADES, [(1, "competent", "reason")])
    assert GRADES[1] == OUT


def test_calibration_refuses_a_promotion_beyond_the_quota():
    with pytest.raises(ValueError, match="2 subjects outstanding, above the quota of 1 for 5 graded"):
        calibrate(GRADES, [(2, "outstanding", "excellent year")])


def test_calibration_within_an_approved_25_percent_quota_allows_two_of_eight():
    grades = {i: COMP for i in range(1, 9)} | {1: OUT}
    moved = calibrate(grades, [(2, "outstanding", "award")], quota=0.25, quota_approved=0.25)
    assert [i for i, g in moved.items() if g == OUT] == [1, 2]


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ([(2, "basic", "")], "needs a written reason"),
        ([(2, "basic", "   ")], "needs a written reason"),
        ([(6, "competent", "good probation")], "no grade"),
        ([(7, "competent", "few records")], "no grade"),
        ([(99, "competent", "reason")], "not in this peer group"),
        ([(2, "excellent", "reason")], "unknown grade 'excellent'"),
        ([(2, "competent", "reason")], "already has the grade competent"),
        ([(2, "basic", "reason"), (2, "incompetent", "reason")], "moved more than once"),
    ],
)
def test_calibration_refuses_moves_the_rules_do_not_allow(moves, message):
    with pytest.raises(ValueError, match=message):
        calibrate(GRADES, moves)


def test_calibration_is_all_or_nothing():
    with pytest.raises(ValueError):
        calibrate(
            GRADES, [(1, "competent", "reason"), (2, "outstanding", "reason"), (3, "outstanding", "reason")]
        )


def test_calibration_checks_the_graded_count_it_is_told():
    assert calibrate(GRADES, [(4, "competent", "reason")], 0.20, 5)[4] == COMP
    with pytest.raises(ValueError, match="graded_count is 7, but 5 subjects have a grade"):
        calibrate(GRADES, [(4, "competent", "reason")], 0.20, 7)


def test_calibration_applies_the_quota_rules():
    with pytest.raises(ValueError, match="recorded approval"):
        calibrate(GRADES, [(4, "competent", "reason")], quota=0.25)


# --- Incentives -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "coefficient"), [(OUT, 1.2), (COMP, 1.0), (BASIC, 0.8), (INC, 0.5), ("basic", 0.8)]
)
def test_the_default_incentive_table(grade, coefficient):
    assert incentive(grade) == coefficient


def test_a_subject_without_a_grade_gets_the_neutral_coefficient():
    assert incentive(None) == 1.0
    assert incentive(None, ungraded=0.9) == 0.9


def test_a_scheme_sets_its_own_coefficients():
    table_ = {"outstanding": 1.5, "competent": 1.0, "basic": 0.6, "incompetent": 0.0}
    assert [incentive(g, table_) for g in (OUT, COMP, BASIC, INC)] == [1.5, 1.0, 0.6, 0.0]


@pytest.mark.parametrize(
    ("grade", "coefficients", "message"),
    [
        ("excellent", DEFAULT_COEFFICIENTS, "unknown grade"),
        (OUT, {"competent": 1.0}, "no incentive coefficient for the grade outstanding"),
        (OUT, {"outstanding": -1.0}, "finite number >= 0"),
    ],
)
def test_incentive_refuses_unknown_grades_and_bad_tables(grade, coefficients, message):
    with pytest.raises(ValueError, match=message):
        incentive(grade, coefficients)


# --- End to end: one peer group of seven ------------------------------------------------------------------


def test_a_group_of_seven_from_measurements_to_incentives():
    weights = table(
        item("good", 60, Linear(0.6, 1.0), min_sample=10),
        item("wait", 40, Bands(((10, 1.0), (20, 0.5))), "lower"),
    )
    measurements = {
        1: (rate(98, 100), 8.0),  # 60 * 0.95 + 40 = 97
        2: (rate(95, 100), 9.0),  # 60 * 0.875 + 40 = 92.5
        3: (rate(9, 9), 5.0),  # too few reviews: scored on wait alone, 100 (proportional)
        4: (rate(80, 100), 15.0),  # 30 + 20 = 50
        5: (rate(90, 100), 12.0),  # 45 + 20 = 65
        6: (rate(100, 100), 9.5),  # probationer: 100
        7: (rate(85, 100), 30.0),  # 37.5 + 0 = 37.5
    }
    subjects = [
        subject(i, probation=i == 6, good=good, wait=mean(wait)) for i, (good, wait) in measurements.items()
    ]
    result = scores(subjects, weights, ranking="raw")
    assert [result[i].final for i in range(1, 8)] == pytest.approx([97, 92.5, 100, 50, 65, 100, 37.5])
    assert [result[i].rank for i in range(1, 8)] == [3, 4, 1, 6, 5, 1, 7]

    grades = assign_grades(list(result.values()))
    # Six graded: floor(1.2) = 1 place; 3 has the top graded score.
    assert grades == {1: COMP, 2: COMP, 3: OUT, 4: INC, 5: BASIC, 6: None, 7: INC}
    grades = calibrate(grades, [(3, "competent", "scored on waits only"), (1, "outstanding", "committee")])
    assert [incentive(grades[i]) for i in range(1, 8)] == [1.2, 1.0, 1.0, 0.5, 0.8, 1.0, 0.5]


# --- Properties -------------------------------------------------------------------------------------------

shares = st.floats(min_value=0, max_value=1)


@given(
    weights=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6),
    values=st.lists(st.one_of(st.none(), shares), min_size=6, max_size=6),
)
def test_proportional_scores_stay_out_of_100(weights, values):
    scale = 100 / sum(weights)
    weight_table = table(*(item(f"i{k}", w * scale) for k, w in enumerate(weights)))
    measured = {f"i{k}": mean(v) for k, v in enumerate(values[: len(weights)]) if v is not None}
    result = scores([Subject(1, "g", False, measured)], weight_table)[1]
    if result.base is None:
        assert not measured
    else:
        assert -1e-9 <= result.base <= 100 + 1e-9
        covered = [w * scale for k, w in enumerate(weights) if f"i{k}" in measured]
        expected = sum(w * measured[f"i{k}"].value for k, w in enumerate(weights) if f"i{k}" in measured)
        assert result.base == pytest.approx(100 * expected * scale / sum(covered))


@given(
    finals=st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=110)), max_size=40),
    quota=st.sampled_from([0.0, 0.1, 0.15, 0.2]),
)
def test_the_quota_is_never_exceeded_and_outstanding_goes_to_the_best(finals, quota):
    group = group_of(*finals)
    grades = assign_grades(group, quota=quota)
    graded = [s for s in group if s.final is not None]
    outstanding = [s.final for s in graded if grades[s.id] == OUT]
    assert len(outstanding) <= math.floor(quota * len(graded) + 1e-9)
    others = [s.final for s in graded if grades[s.id] != OUT]
    if outstanding and others:
        assert min(outstanding) > max(others)


@given(
    st.lists(
        st.tuples(st.integers(1, 400), st.integers(0, 400)).map(lambda t: (min(t), max(t))),
        min_size=1,
        max_size=30,
    )
)
def test_funnel_outliers_class_each_rate_against_the_clipped_limits(samples):
    points = [(i, successes, n) for i, (successes, n) in enumerate(samples) if n > 0]
    if not points:
        return
    p0 = sum(s for _i, s, _n in points) / sum(n for _i, _s, n in points)
    expected = {}
    for subject_id, successes, n in points:
        rate, (lo2, hi2, lo3, hi3) = successes / n, funnel_limits(p0, n)
        expected[subject_id] = (
            "high3"
            if rate > hi3
            else "high2"
            if rate > hi2
            else "low3"
            if rate < lo3
            else "low2"
            if rate < lo2
            else "in"
        )
    assert funnel_outliers(points) == expected
