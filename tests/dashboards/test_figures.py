"""The dashboards' pure parts: figures from summed cells, the 90th-percentile wait from a histogram, the
three-difficulties index and its scales, and the SVG charts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicpulse.assessment import indicators as lib
from civicpulse.assessment.indicators import IndicatorValue, rate_value
from civicpulse.dashboards import charts
from civicpulse.dashboards.figures import (
    DIFFICULTY_PARTS,
    MEASURES,
    difficulty_index,
    difficulty_score,
    figure,
    p90_wait,
)


def test_rates_carry_n_and_their_wilson_interval() -> None:
    found = figure("good_review_rate", {"valid": 40, "good": 30})
    assert (found.value, found.n, found.numerator, found.insufficient) == (0.75, 40, 30, False)
    assert (found.low, found.high) == lib.wilson(30, 40)
    assert figure("good_review_rate", {"valid": 29, "good": 29}).insufficient  # minimum sample 30
    empty = figure("bad_review_rate", {})
    assert (empty.value, empty.n, empty.insufficient) == (None, 0, True)


@pytest.mark.parametrize(
    ("code", "sums", "value", "n"),
    [
        ("active_evaluation_rate", {"stages": 50, "rated_stages": 10}, 0.2, 50),
        ("on_time_completion_rate", {"timed": 40, "on_time": 36}, 0.9, 40),
        ("run_at_most_once_rate", {"ended": 40, "at_most_once": 30}, 0.75, 40),
        ("zero_visit_rate", {"ended": 40, "zero_visit": 10}, 0.25, 40),
        ("digital_take_up", {"completed": 40, "completed_online": 8}, 0.2, 40),
        ("refusal_rate", {"started": 40, "refused": 4}, 0.1, 40),
        ("supplements_per_case", {"started": 20, "supplements": 5}, 0.25, 20),
        ("visits_per_case", {"ended": 20, "visits": 30}, 1.5, 20),
        ("attitude_rating", {"attitude_n": 10, "attitude_sum": 42}, 4.2, 10),
        ("attitude_bad_rate", {"valid": 50, "attitude_bad": 2}, 0.04, 50),
        ("speed", {"speed_n": 10, "ratio_sum": 8.0}, 0.8, 10),
        ("mean_wait", {"called": 10, "wait_micros": 10 * 12 * 60_000_000}, 12.0, 10),
        ("wait_within_target_rate", {"called": 40, "within_target": 30}, 0.75, 40),
    ],
)
def test_each_figure_divides_the_right_sums(code: str, sums: dict[str, float], value: float, n: int) -> None:
    found = figure(code, sums)
    assert found.value == pytest.approx(value)
    assert found.n == n


def test_adjusted_speed_is_observed_over_expected_days_with_the_raw_mean_beside_it() -> None:
    found = figure("speed_adjusted", {"speed_n": 10, "days_sum": 30, "expected_sum": 40.0, "ratio_sum": 6.0})
    assert (found.value, found.raw, found.expected, found.n) == (0.75, 0.6, 40.0, 10)
    assert figure("speed_adjusted", {"speed_n": 10, "days_sum": 3}).value is None


def test_every_measure_has_a_name_a_source_and_a_direction() -> None:
    for code, measure in MEASURES.items():
        assert measure.code == code
        assert str(measure.name)
        assert measure.source in ("cases", "ratings", "waits")
        assert measure.direction in ("higher", "lower")


def _nearest_rank(waits: list[int]) -> float:
    ordered = sorted(waits)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


@given(st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=200))
def test_the_90th_percentile_is_the_nearest_rank_of_the_minutes(waits: list[int]) -> None:
    histogram: dict[int, int] = {}
    for minute in waits:
        histogram[minute] = histogram.get(minute, 0) + 1
    found = p90_wait(histogram)
    assert found.value == _nearest_rank(waits)
    assert found.n == len(waits)
    assert found.insufficient == (len(waits) < lib.MIN_SAMPLE_QUANTILE)


def test_no_tickets_no_percentile() -> None:
    assert p90_wait({}).value is None
    assert p90_wait({5: 0}).n == 0


def _rate(value: float, n: int = 100) -> IndicatorValue:
    return rate_value("x", round(value * n), n, min_sample=1)


def _mean(value: float, n: int = 100) -> IndicatorValue:
    return IndicatorValue(code="x", value=value, n=n, numerator=value * n, insufficient=False)


def _perfect() -> dict[str, IndicatorValue]:
    return {
        "mean_wait": _mean(0.0),
        "wait_within_target_rate": _rate(1.0),
        "run_at_most_once_rate": _rate(1.0),
        "attitude_rating": _mean(5.0),
        "attitude_bad_rate": _rate(0.0),
        "on_time_completion_rate": _rate(1.0),
        "speed_adjusted": _mean(0.0),
        "supplements_per_case": _mean(0.0),
        "refusal_rate": _rate(0.0),
    }


def test_no_difficulty_scores_zero_everywhere() -> None:
    index = difficulty_index(_perfect(), wait_target_minutes=20, online_share=_rate(1.0))
    assert index.score == 0.0
    assert [p.score for p in index.parts] == [0.0, 0.0, 0.0]
    assert [p.code for p in index.parts] == ["get_in", "faces", "done"]


@pytest.mark.parametrize(
    ("code", "figure_value", "part", "score"),
    [
        ("mean_wait", _mean(20.0), "get_in", 50.0),  # the wait target scores 50
        ("mean_wait", _mean(40.0), "get_in", 100.0),
        ("mean_wait", _mean(80.0), "get_in", 100.0),  # capped
        ("wait_within_target_rate", _rate(0.8), "get_in", 20.0),
        ("run_at_most_once_rate", _rate(0.9), "get_in", 10.0),
        ("attitude_rating", _mean(1.0), "faces", 100.0),
        ("attitude_rating", _mean(4.0), "faces", 25.0),
        ("attitude_bad_rate", _rate(0.05), "faces", 50.0),
        ("attitude_bad_rate", _rate(0.5), "faces", 100.0),
        ("on_time_completion_rate", _rate(0.75), "done", 25.0),
        ("speed_adjusted", _mean(1.0), "done", 50.0),
        ("speed_adjusted", _mean(2.5), "done", 100.0),
        ("supplements_per_case", _mean(0.5), "done", 50.0),
        ("refusal_rate", _rate(0.1), "done", 10.0),
    ],
)
def test_each_component_scores_on_its_scale(
    code: str, figure_value: IndicatorValue, part: str, score: float
) -> None:
    figures = {**_perfect(), code: figure_value}
    index = difficulty_index(figures, wait_target_minutes=20, online_share=_rate(1.0))
    (found,) = [p for p in index.parts if p.code == part]
    (component,) = [c for c in found.components if c.code == code]
    assert component.score == score
    others = [c.score for c in found.components if c.code != code]
    assert found.score == pytest.approx(round((score + sum(others)) / len(found.components), 1))


def test_online_availability_comes_from_the_catalogue_share() -> None:
    index = difficulty_index(_perfect(), wait_target_minutes=20, online_share=_rate(0.6))
    get_in = index.parts[0]
    assert [c.score for c in get_in.components if c.code == "online_availability"] == [40.0]
    assert get_in.score == 10.0


def test_thin_or_missing_figures_are_shown_without_a_score_and_left_out() -> None:
    figures = {
        **_perfect(),
        "attitude_rating": figure("attitude_rating", {"attitude_n": 3, "attitude_sum": 3}),
    }
    del figures["attitude_bad_rate"]
    index = difficulty_index(figures, wait_target_minutes=20, online_share=None)
    faces = index.parts[1]
    assert [c.score for c in faces.components] == [None, None]
    assert faces.score is None
    # The index is the mean of the parts that have a score.
    assert index.score == 0.0
    assert difficulty_index({}, wait_target_minutes=20, online_share=None).score is None


def test_every_component_of_the_index_is_a_figure_or_the_online_share() -> None:
    for _code, name, specs in DIFFICULTY_PARTS:
        assert str(name)
        for component, _rule in specs:
            assert component in MEASURES or component == "online_availability"


def test_charts_are_self_contained_svg_with_a_gap_for_missing_months() -> None:
    svg = charts.lines_svg(["2026-01", "2026-02", "2026-03"], [("好评率", [0.9, None, 0.8])], title="趋势")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "好评率" in svg and "趋势" in svg
    # Two points, no line across the missing month.
    assert svg.count("<circle") == 2 and "<polyline" not in svg
    joined = charts.lines_svg(["a", "b"], [("x", [0.5, 0.6])], title="t")
    assert joined.count("<polyline") == 1
    escaped = charts.lines_svg(["<a>"], [("<b>", [0.1])], title="<c>")
    assert "<a>" not in escaped and "&lt;c&gt;" in escaped


def _sums_strategy(columns: tuple[str, ...]) -> st.SearchStrategy[dict[str, int]]:
    # Counts from 0 to 60, so minimum samples (10, 30) fall on both sides; hits drawn under their n below.
    return st.fixed_dictionaries({c: st.integers(0, 60) for c in columns})


_CASE_COLUMNS = ("started", "refused", "supplements", "timed", "on_time", "ended", "at_most_once", "speed_n")
_RATING_COLUMNS = ("valid", "attitude_bad", "attitude_n", "attitude_sum")
_WAIT_COLUMNS = ("called", "within_target", "wait_micros")


def _consistent(sums: dict[str, int]) -> dict[str, float]:
    """Hits no more than their n, as cells always hold."""
    s: dict[str, float] = dict(sums)
    for hits, n in (
        ("refused", "started"),
        ("on_time", "timed"),
        ("at_most_once", "ended"),
        ("attitude_bad", "valid"),
        ("within_target", "called"),
    ):
        if hits in s and n in s:
            s[hits] = min(s[hits], s[n])
    if "attitude_sum" in s:
        s["attitude_sum"] = min(max(s["attitude_sum"], s.get("attitude_n", 0)), 5 * s.get("attitude_n", 0))
    if "wait_micros" in s:
        s["wait_micros"] *= 60_000_000 // 4
    if "speed_n" in s:
        s["days_sum"], s["expected_sum"] = 3.0 * s["speed_n"], 2.5 * s["speed_n"]
    return s


@given(
    cases=_sums_strategy(_CASE_COLUMNS),
    ratings=_sums_strategy(_RATING_COLUMNS),
    waits=_sums_strategy(_WAIT_COLUMNS),
    online=st.none() | st.tuples(st.integers(0, 5), st.integers(0, 5)),
)
def test_the_quick_index_scores_as_the_whole_index_does(cases, ratings, waits, online) -> None:
    cases, ratings, waits = _consistent(cases), _consistent(ratings), _consistent(waits)
    if online is not None:
        online = (min(online), online[1])
    sources = {"cases": cases, "ratings": ratings, "waits": waits}
    found = {code: figure(code, sources[m.source]) for code, m in MEASURES.items()}
    for code, measure in MEASURES.items():
        whole = found[code]
        expected = None if whole.value is None or whole.insufficient else whole.value
        assert measure.rule.value(sources[measure.source]) == expected, code
    share = rate_value("online_availability", *online, min_sample=1) if online else None
    index = difficulty_index(found, wait_target_minutes=15, online_share=share)
    quick = difficulty_score(cases, ratings, waits, wait_target_minutes=15, online=online)
    assert quick == index.score
