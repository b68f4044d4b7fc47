"""The dashboards' figures from summed cells, and the three-difficulties index: pure functions.

A figure is worked out from sums, never from records, so the same function answers for a unit, a month, a
service or a whole region. Rates carry n and a 95 % Wilson interval (the assessment library's
rate_value); minimum samples are the library's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.assessment import indicators as lib
from civicpulse.assessment.indicators import IndicatorValue, mean_value, rate_value

Sums = Mapping[str, float]


class Rule:
    """How a figure comes from sums: `compute` the whole figure (n, interval, the minimum sample);
    `value` only its value, None when missing or under its minimum sample, for ranking thousands of units
    by the three-difficulties index without building a figure for each."""

    def compute(self, s: Sums) -> IndicatorValue:
        raise NotImplementedError

    def value(self, s: Sums) -> float | None:
        raise NotImplementedError

    @property
    def columns(self) -> tuple[str, ...]:
        """The sums it reads."""
        raise NotImplementedError


@dataclass(frozen=True)
class _Rate(Rule):
    code: str
    hits: str
    n: str
    min_sample: int = lib.MIN_SAMPLE_RATE

    def compute(self, s: Sums) -> IndicatorValue:
        return rate_value(self.code, _n(s, self.hits), _n(s, self.n), min_sample=self.min_sample)

    def value(self, s: Sums) -> float | None:
        n = _n(s, self.n)
        return _n(s, self.hits) / n if n and n >= self.min_sample else None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.hits, self.n)


@dataclass(frozen=True)
class _Mean(Rule):
    code: str
    total: str
    n: str
    scale: float = 1.0

    def compute(self, s: Sums) -> IndicatorValue:
        total = _get(s, self.total) * self.scale
        return mean_value(self.code, total, _n(s, self.n), min_sample=lib.MIN_SAMPLE_MEAN)

    def value(self, s: Sums) -> float | None:
        n = _n(s, self.n)
        return _get(s, self.total) * self.scale / n if n and n >= lib.MIN_SAMPLE_MEAN else None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.total, self.n)


class _SpeedAdjusted(Rule):
    def compute(self, s: Sums) -> IndicatorValue:
        n, observed, expected = _n(s, "speed_n"), _get(s, "days_sum"), _get(s, "expected_sum")
        value = observed / expected if expected > 0 else None
        return IndicatorValue(
            code="speed_adjusted",
            value=value,
            n=n,
            numerator=observed,
            insufficient=n < lib.MIN_SAMPLE_MEAN or value is None,
            raw=_get(s, "ratio_sum") / n if n else None,
            expected=expected,
        )

    def value(self, s: Sums) -> float | None:
        expected = _get(s, "expected_sum")
        if _n(s, "speed_n") < lib.MIN_SAMPLE_MEAN or not expected > 0:
            return None
        return _get(s, "days_sum") / expected

    @property
    def columns(self) -> tuple[str, ...]:
        return ("speed_n", "days_sum", "expected_sum", "ratio_sum")


@dataclass(frozen=True)
class Measure:
    code: str
    name: str | Promise
    source: str  # "cases", "ratings" or "waits": which cells it is summed from
    unit: str  # "%", "ratio", "min", "per case", "level"
    direction: str  # "higher" or "lower" is better
    rule: Rule

    def compute(self, sums: Sums) -> IndicatorValue:
        return self.rule.compute(sums)


def _get(sums: Sums, name: str) -> float:
    return float(sums.get(name) or 0)


def _n(sums: Sums, name: str) -> int:
    return int(sums.get(name) or 0)


def _name(code: str) -> str:
    # The assessment library's own names, in the language of the request.
    from django.utils.translation import get_language

    indicator = lib.INDICATORS[code]
    return indicator.name_zh if (get_language() or "").startswith("zh") else indicator.name_en


class _LibraryName(Promise):
    """A name taken from the indicator library lazily, so it follows the language of each request."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        return _name(self.code)


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "good_review_rate",
            _LibraryName("good_review_rate"),
            "ratings",
            "%",
            "higher",
            _Rate("good_review_rate", "good", "valid"),
        ),
        Measure(
            "bad_review_rate",
            _LibraryName("bad_review_rate"),
            "ratings",
            "%",
            "lower",
            _Rate("bad_review_rate", "bad", "valid"),
        ),
        Measure(
            "active_evaluation_rate",
            _LibraryName("active_evaluation_rate"),
            "cases",
            "%",
            "higher",
            _Rate("active_evaluation_rate", "rated_stages", "stages"),
        ),
        Measure(
            "on_time_completion_rate",
            _LibraryName("on_time_completion_rate"),
            "cases",
            "%",
            "higher",
            _Rate("on_time_completion_rate", "on_time", "timed"),
        ),
        Measure(
            "speed", _LibraryName("speed"), "cases", "ratio", "lower", _Mean("speed", "ratio_sum", "speed_n")
        ),
        Measure(
            "speed_adjusted", _LibraryName("speed_adjusted"), "cases", "ratio", "lower", _SpeedAdjusted()
        ),
        Measure(
            "run_at_most_once_rate",
            _LibraryName("run_at_most_once_rate"),
            "cases",
            "%",
            "higher",
            _Rate("run_at_most_once_rate", "at_most_once", "ended"),
        ),
        Measure(
            "zero_visit_rate",
            _LibraryName("zero_visit_rate"),
            "cases",
            "%",
            "higher",
            _Rate("zero_visit_rate", "zero_visit", "ended"),
        ),
        Measure(
            "digital_take_up",
            _LibraryName("digital_take_up"),
            "cases",
            "%",
            "higher",
            _Rate("digital_take_up", "completed_online", "completed"),
        ),
        Measure(
            "refusal_rate",
            _("Refusal rate (not accepted)"),
            "cases",
            "%",
            "lower",
            _Rate("refusal_rate", "refused", "started"),
        ),
        Measure(
            "supplements_per_case",
            _("Supplement requests per case"),
            "cases",
            "per case",
            "lower",
            _Mean("supplements_per_case", "supplements", "started"),
        ),
        Measure(
            "visits_per_case",
            _("Visits per ended case"),
            "cases",
            "per case",
            "lower",
            _Mean("visits_per_case", "visits", "ended"),
        ),
        Measure(
            "attitude_rating",
            _("Attitude rating (1 to 5)"),
            "ratings",
            "level",
            "higher",
            _Mean("attitude_rating", "attitude_sum", "attitude_n"),
        ),
        Measure(
            "attitude_bad_rate",
            _("Bad reviews about attitude"),
            "ratings",
            "%",
            "lower",
            _Rate("attitude_bad_rate", "attitude_bad", "valid"),
        ),
        Measure(
            "mean_wait",
            _LibraryName("mean_wait"),
            "waits",
            "min",
            "lower",
            _Mean("mean_wait", "wait_micros", "called", scale=1 / 60_000_000),
        ),
        Measure(
            "wait_within_target_rate",
            _LibraryName("wait_within_target_rate"),
            "waits",
            "%",
            "higher",
            _Rate("wait_within_target_rate", "within_target", "called"),
        ),
    )
}


def columns_of(codes: Iterable[str]) -> dict[str, set[str]]:
    """The sums each source must give for the figures of `codes`."""
    found: dict[str, set[str]] = {"cases": set(), "ratings": set(), "waits": set()}
    for code in codes:
        measure = MEASURES[code]
        found[measure.source].update(measure.rule.columns)
    return found


def p90_wait(histogram: Mapping[int, int]) -> IndicatorValue:
    """The 90th-percentile wait to the whole minute, from called tickets counted by minute of wait: the
    library's nearest-rank rule (the smallest wait at or above 90 % of the tickets)."""
    waits = lib.TicketCounts(waits={float(minute): n for minute, n in histogram.items() if n})
    return lib._p90_from(waits, lib.MIN_SAMPLE_QUANTILE)


def figure(code: str, sums: Sums) -> IndicatorValue:
    return MEASURES[code].compute(sums)


# --- the three-difficulties index ----------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    code: str
    name: str | Promise
    figure: IndicatorValue | None
    # 0 (no difficulty) to 100 (as hard as the scale goes); None when the figure is missing or too thin.
    score: float | None


@dataclass(frozen=True)
class Difficulty:
    code: str  # "get_in", "faces", "done"
    name: str | Promise
    components: tuple[Component, ...]
    score: float | None


@dataclass(frozen=True)
class DifficultyIndex:
    parts: tuple[Difficulty, ...]
    score: float | None


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _usable(value: IndicatorValue | None) -> float | None:
    if value is None or value.value is None or value.insufficient:
        return None
    return value.value


def _scored(value: float | None, rule: Callable[[float, float], float], target: float) -> float | None:
    return None if value is None else round(_clamp(rule(value, target)), 1)


def _mean_score(scores: Sequence[float | None]) -> float | None:
    present = [s for s in scores if s is not None]
    return round(math.fsum(present) / len(present), 1) if present else None


def _higher_is_better(v: float, _target: float) -> float:
    return 100 * (1 - v)


# The parts and their components, with the scale each component's figure is scored on (see below).
DIFFICULTY_PARTS: tuple[tuple[str, Promise, tuple[tuple[str, Callable[[float, float], float]], ...]], ...] = (
    (
        "get_in",
        _("Hard to get in"),
        (
            ("mean_wait", lambda v, target: 50 * v / target),
            ("wait_within_target_rate", _higher_is_better),
            ("run_at_most_once_rate", _higher_is_better),
            ("online_availability", _higher_is_better),
        ),
    ),
    (
        "faces",
        _("Hard faces"),
        (
            ("attitude_rating", lambda v, _target: 25 * (5 - v)),
            ("attitude_bad_rate", lambda v, _target: 1000 * v),
        ),
    ),
    (
        "done",
        _("Hard to get things done"),
        (
            ("on_time_completion_rate", _higher_is_better),
            ("speed_adjusted", lambda v, _target: 50 * v),
            ("supplements_per_case", lambda v, _target: 100 * v),
            ("refusal_rate", lambda v, _target: 100 * v),
        ),
    ),
)
# The figures the index reads (online availability comes from the catalogue).
DIFFICULTY_FIGURES = tuple(
    c for _code, _name, parts in DIFFICULTY_PARTS for c, _rule in parts if c in MEASURES
)
ONLINE_AVAILABILITY = _("Services that can be applied for online")


def difficulty_index(
    figures: Mapping[str, IndicatorValue | None],
    *,
    wait_target_minutes: float,
    online_share: IndicatorValue | None,
) -> DifficultyIndex:
    """ "Hard to get in, hard faces, hard to get things done" (进门难、脸难看、事难办) as three scores from 0
    (no difficulty) to 100, each the mean of its components' scores; the index is the mean of the three.
    A component whose figure is missing or below its minimum sample is shown without a score and left out.

    The scales, chosen so that a score reads as "how far from no difficulty", are in docs/decisions/
    0008-dashboards.md: a rate that should be high scores 100 x (1 - rate); a rate that should be low
    scores 100 x rate, or 1,000 x rate for attitude complaints (10 % of ratings is the top of the scale);
    the mean wait scores 50 at the wait target and 100 at twice it; speed against expectation scores 50 at
    1.0 (as fast as the service's history) and 100 at 2.0; supplement requests score 100 at one per case;
    the attitude rating scores 0 at 5 and 100 at 1.
    """
    target = max(wait_target_minutes, 1e-9)
    parts = []
    for code, name, specs in DIFFICULTY_PARTS:
        components = []
        for component, rule in specs:
            value = online_share if component == "online_availability" else figures.get(component)
            score = _scored(_usable(value), rule, target)
            label = ONLINE_AVAILABILITY if component == "online_availability" else MEASURES[component].name
            components.append(Component(component, label, value, score))
        parts.append(Difficulty(code, name, tuple(components), _mean_score([c.score for c in components])))
    return DifficultyIndex(tuple(parts), _mean_score([p.score for p in parts]))


def difficulty_score(
    cases: Sums, ratings: Sums, waits: Sums, *, wait_target_minutes: float, online: tuple[int, int] | None
) -> float | None:
    """The index alone, straight from sums: what `difficulty_index` scores for the same figures, without
    building them (a region ranks thousands of units by it on every page). `online`: (services that can
    be applied for online, services)."""
    target = max(wait_target_minutes, 1e-9)
    share = online[0] / online[1] if online and online[1] >= 1 else None
    sources = (cases, ratings, waits)
    parts = []
    for specs in _QUICK_PARTS:
        scores = [
            _scored(share if value_of is None else value_of(sources[source]), rule, target)
            for value_of, source, rule in specs
        ]
        parts.append(_mean_score(scores))
    return _mean_score(parts)


# Each part's components as (the figure's value from sums, or None for the online share; which sums;
# the score's scale), resolved once: the index is scored for thousands of units on one page.
_SOURCES = ("cases", "ratings", "waits")
_QUICK_PARTS: tuple[
    tuple[tuple[Callable[[Sums], float | None] | None, int, Callable[[float, float], float]], ...], ...
] = tuple(
    tuple(
        (None, 0, rule)
        if component == "online_availability"
        else (MEASURES[component].rule.value, _SOURCES.index(MEASURES[component].source), rule)
        for component, rule in specs
    )
    for _code, _name, specs in DIFFICULTY_PARTS
)
