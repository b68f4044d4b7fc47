"""Scoring rules, fair ranking, grades with quotas and incentive coefficients: pure functions over plain data.

No Django, no database, no clock. The assessment engine hands over the subjects of one peer group (a unit
category or a staff role) with their measured indicator values, and stores what comes back. Scores are
compared only within a peer group, so every function that compares refuses subjects of mixed groups.

Floats are never rounded here: presentation rounds. Where scores are *compared* (ranks, grade bands, the
quota cut-off, percentile ties) they are compared after rounding to 9 decimal places, so float noise from
weights such as 100/3 never splits a tie or drops a subject just below a band; stored values stay exact.

Policies a reviewer might otherwise "fix" (each was chosen on purpose):

Insufficient data
    An indicator is insufficient for a subject when it is missing, has no value, is flagged insufficient
    by the indicator library, has fewer records than the scheme's `min_sample` (a scheme may be stricter
    than the library), or is a rate with no records. It is shown (value and n kept), earns no points and
    is left out of the percentile peers. Its weight follows the scheme's `redistribute` policy:
    "proportional" shares it among the sufficient indicators in proportion to their weights, so the base
    score stays out of 100; "none" drops it, so the subject can reach at most the weight it was measured
    on (for schemes that want missing data to count against the subject).

Ranking
    A subject is scored, ranked and graded when at least one indicator with positive weight is
    sufficient. With none its score is None ("insufficient data"), never 0, which would read as a very bad
    unit: it is shown without a rank or grade. A partly measured subject is ranked: under "proportional"
    its score is out of 100 like everyone's, and `coverage` (the share of the weight measured) shows the
    thinner evidence beside it. Ranks use competition ranking (1, 2, 2, 4) on the final score.
    Probationers are scored, ranked and counted among percentile peers like everyone doing the same work;
    they only get no grade.

Rates under the ranking modes
    For a rate (an indicator measured with `successes`) the value the rule sees follows the scheme's
    ranking mode, so the score and hence the rank carry the fairness correction. "wilson" takes the
    pessimistic end of the 95 % Wilson interval: the lower bound when higher is better, the upper bound
    when lower is better, so a small sample never looks better than its evidence. "shrinkage" takes the
    posterior mean under a Beta prior centred on the group's pooled rate with `prior_strength`
    pseudo-observations (default 20: a subject with 20 records is pulled halfway to the group's rate).
    The pooled rate counts every subject of the group that has records, insufficient ones included: their
    records are real even when too few to rank on. "raw" takes the measured value. Means and other
    non-rates are always used as measured. Each `IndicatorPoints` keeps the raw value beside the scored one.

Percentile rule
    Share = (number of peers strictly worse + half the other peers tied) / (peers - 1): the unique best
    gets full points, the unique worst none, ties share the average. A peer group of one, or one where all
    values are equal, gets full points: nobody did better than anyone, and percentile scoring must not
    cost a group of equally perfect units half their points.

Adjustments
    Bonus items (+) and penalty items (-) are totalled separately and each total is clipped to its cap.
    `penalty` is kept as a positive magnitude. The final score is base + bonus - penalty, floored at 0.

Grades and the outstanding quota
    Only subjects that are not on probation and have a score are graded, and only they count in the group
    size for the quota (an ungraded subject cannot use a place). At most floor(quota x graded) subjects are
    outstanding ("不超过20%"): a group of 4 at 20 % has none. Those who reached the outstanding band beyond
    that drop to competent, best scores first keeping it. A tie at the cut-off is resolved strictly: if not
    all tied subjects fit, none of them is outstanding; no tie-breaker decides pay on an arbitrary order.
    A quota above 20 % needs a recorded approval (`quota_approved`, the approved ceiling) and can never
    exceed 25 %.

Calibration
    Moves are checked together, all or nothing: a committee may swap an outstanding grade between two
    subjects even when the quota is full. Refused: a move without a written reason, of a subject outside
    the group, of a subject without a grade (probationer or insufficient data), to an unknown grade or the
    grade it already has, a subject moved twice, and a result over the outstanding quota.

Incentive
    A subject without a grade gets the neutral coefficient 1.0 by default (`ungraded`): probationers are
    paid at the standard rate, and a unit must not lose pay because it had too few records to be graded.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Literal, Protocol, TypeAlias, get_args

Direction = Literal["higher", "lower"]
Redistribute = Literal["proportional", "none"]
Ranking = Literal["wilson", "shrinkage", "raw"]
FunnelClass = Literal["high3", "high2", "in", "low2", "low3"]

# The 97.5 % quantile of the standard normal distribution, for two-sided 95 % Wilson intervals.
Z95 = 1.959963984540054
WEIGHT_TOTAL = 100.0
WEIGHT_TOLERANCE = 1e-9
DEFAULT_PRIOR_STRENGTH = 20.0
DEFAULT_QUOTA = 0.20
MAX_QUOTA = 0.25
# Scores are compared at this many decimal places; see the module docstring.
COMPARE_DIGITS = 9
# quota x count is meant as exact decimal arithmetic; this absorbs float error just below a whole number.
_QUOTA_EPSILON = 1e-9


def _key(x: float) -> float:
    return round(x, COMPARE_DIGITS)


_NUMBER = (int, float)


def _require_finite(name: str, x: float) -> None:
    # A tuple, not `int | float`: that builds a union on every call, and this runs for every value.
    if isinstance(x, bool) or not isinstance(x, _NUMBER) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, not {x!r}")


def _require_direction(direction: str) -> None:
    if direction not in get_args(Direction):
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


# --- Rules ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linear:
    """0 points at or beyond the floor, full points at or beyond the target, linear in between.

    For a "lower is better" indicator the floor is above the target (e.g. floor 30 minutes, target 10).
    """

    floor: float
    target: float

    def __post_init__(self) -> None:
        _require_finite("floor", self.floor)
        _require_finite("target", self.target)
        if self.floor == self.target:
            raise ValueError(f"a linear rule needs floor and target to differ (both are {self.floor})")

    def share(self, value: float) -> float:
        return min(1.0, max(0.0, (value - self.floor) / (self.target - self.floor)))

    def direction_problem(self, direction: Direction) -> str | None:
        if direction == "higher" and self.target < self.floor:
            return f"target {self.target} is below floor {self.floor}, but higher is better"
        if direction == "lower" and self.target > self.floor:
            return f"target {self.target} is above floor {self.floor}, but lower is better"
        return None


@dataclass(frozen=True)
class Bands:
    """(threshold, share of the points) pairs; the strictest threshold the value meets gives the share.

    "Meets" is value >= threshold when higher is better and value <= threshold when lower is better; a
    value that meets no threshold gets 0. Order in the tuple does not matter.
    """

    bands: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        bands = tuple(tuple(band) for band in self.bands)
        if not bands:
            raise ValueError("a band rule needs at least one (threshold, share) band")
        for band in bands:
            if len(band) != 2:
                raise ValueError(f"a band is a (threshold, share) pair, not {band!r}")
            threshold, share = band
            _require_finite("a band threshold", threshold)
            _require_finite("a band share", share)
            if not 0 <= share <= 1:
                raise ValueError(f"a band share must be between 0 and 1, not {share}")
        thresholds = [threshold for threshold, _ in bands]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("band thresholds must be distinct")
        object.__setattr__(self, "bands", bands)

    def share(self, value: float, direction: Direction) -> float:
        if direction == "higher":
            met = [band for band in self.bands if value >= band[0]]
            return float(max(met)[1]) if met else 0.0
        met = [band for band in self.bands if value <= band[0]]
        return float(min(met)[1]) if met else 0.0

    def direction_problem(self, direction: Direction) -> str | None:
        shares = [share for _, share in sorted(self.bands)]
        if direction == "higher" and any(a > b for a, b in pairwise(shares)):
            return "a higher threshold gives fewer points, but higher is better"
        if direction == "lower" and any(a < b for a, b in pairwise(shares)):
            return "a lower threshold gives fewer points, but lower is better"
        return None


@dataclass(frozen=True)
class Percentile:
    """Share = percentile rank among the peer group's sufficient values (see the module docstring)."""

    def direction_problem(self, direction: Direction) -> str | None:
        return None


Rule: TypeAlias = Linear | Bands | Percentile


def percentile_share(value: float, peers: Sequence[float], direction: Direction) -> float:
    """Percentile rank of `value` among `peers` (which include it) on a 0..1 scale, ties averaged."""
    _require_direction(direction)
    keys = [_key(peer) for peer in peers]
    key = _key(value)
    if key not in keys:
        raise ValueError("the value must be one of its peers")
    if len(set(keys)) == 1:
        return 1.0
    if direction == "higher":
        worse = sum(1 for peer in keys if peer < key)
    else:
        worse = sum(1 for peer in keys if peer > key)
    tied_others = keys.count(key) - 1
    return (worse + tied_others / 2) / (len(keys) - 1)


def percentile_shares(values: Mapping[int, float], direction: Direction) -> dict[int, float]:
    """`percentile_share` for every member of a peer group at once, in O(m log m): {id: share}."""
    _require_direction(direction)
    keys = {subject_id: _key(value) for subject_id, value in values.items()}
    counts = Counter(keys.values())
    if len(counts) <= 1:
        return dict.fromkeys(keys, 1.0)
    worse: dict[float, int] = {}
    running = 0
    for key in sorted(counts, reverse=direction == "lower"):
        worse[key] = running
        running += counts[key]
    last = len(keys) - 1
    return {subject_id: (worse[key] + (counts[key] - 1) / 2) / last for subject_id, key in keys.items()}


def rule_share(rule: Rule, value: float, *, direction: Direction, peers: Sequence[float] = ()) -> float:
    """Share of the indicator's points (0..1) that `value` earns; `peers` only matter for `Percentile`."""
    _require_direction(direction)
    if isinstance(rule, Linear):
        return rule.share(value)
    if isinstance(rule, Bands):
        return rule.share(value, direction)
    if isinstance(rule, Percentile):
        return percentile_share(value, peers, direction)
    raise ValueError(f"unknown scoring rule {rule!r}")


# --- Weight tables ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightItem:
    indicator: str
    weight: float
    rule: Rule
    direction: Direction
    min_sample: int


@dataclass(frozen=True)
class WeightTable:
    """One weight table: for one unit category or one staff role."""

    items: tuple[WeightItem, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))


def validate_weights(table: WeightTable) -> list[str]:
    """Every problem with the table, in table order then the total; an empty list means it is valid."""
    if not table.items:
        return ["the table has no indicators"]
    problems: list[str] = []
    seen: set[str] = set()
    weights_ok = True
    for item in table.items:
        name = item.indicator
        if not name:
            problems.append("an item has no indicator code")
        elif name in seen:
            problems.append(f"{name}: appears more than once")
        seen.add(name)
        if isinstance(item.weight, bool) or not isinstance(item.weight, int | float):
            problems.append(f"{name}: weight {item.weight!r} is not a number")
            weights_ok = False
        elif not math.isfinite(item.weight):
            problems.append(f"{name}: weight {item.weight} is not finite")
            weights_ok = False
        elif item.weight < 0:
            problems.append(f"{name}: weight {item.weight} is negative")
        if item.direction not in get_args(Direction):
            problems.append(f"{name}: direction must be 'higher' or 'lower', not {item.direction!r}")
        if isinstance(item.min_sample, bool) or not isinstance(item.min_sample, int) or item.min_sample < 0:
            problems.append(f"{name}: minimum sample must be a whole number >= 0, not {item.min_sample!r}")
        if not isinstance(item.rule, Linear | Bands | Percentile):
            problems.append(f"{name}: unknown scoring rule {item.rule!r}")
        elif item.direction in get_args(Direction):
            problem = item.rule.direction_problem(item.direction)
            if problem:
                problems.append(f"{name}: {problem}")
    if weights_ok:
        total = math.fsum(item.weight for item in table.items)
        if abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
            problems.append(f"weights sum to {total}, not {WEIGHT_TOTAL:g}")
    return problems


# --- Inputs -----------------------------------------------------------------------------------------------


# Measured, IndicatorPoints and SubjectScore are built once per value of a run, tens of thousands of times
# in a province's: plain slotted dataclasses, as a frozen one's __init__ costs three times as much. Only
# _with_ranks changes one (its rank) before score_group returns it.
@dataclass(slots=True)
class Measured:
    """One indicator for one subject, as the indicator library measured it; `successes` only for rates."""

    value: float | None
    n: int
    successes: int | None = None
    insufficient: bool = False

    def __post_init__(self) -> None:
        if self.value is not None:
            _require_finite("value", self.value)
        if self.n < 0:
            raise ValueError(f"n must not be negative, not {self.n}")
        if self.successes is not None and not 0 <= self.successes <= self.n:
            raise ValueError(f"successes must be between 0 and n ({self.n}), not {self.successes}")


class Measure(Protocol):
    """What scoring reads of a measured indicator: a Measured, or the library's IndicatorValue as it is (the
    engine's run passes those: the library builds them valid, and copying ten thousand of them into
    Measured cost more than scoring them)."""

    @property
    def value(self) -> float | None: ...

    @property
    def n(self) -> int: ...

    @property
    def successes(self) -> int | None: ...

    @property
    def insufficient(self) -> bool: ...


@dataclass(frozen=True)
class Subject:
    """A unit or a person, in one peer group (a unit category code or a role)."""

    id: int
    group: str
    probation: bool
    values: Mapping[str, Measure]


@dataclass(frozen=True)
class Adjustment:
    """A bonus (points > 0) or penalty (points < 0) item, e.g. a commendation or verified misconduct."""

    code: str
    points: float
    reason: str

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("an adjustment needs a code")
        _require_finite("adjustment points", self.points)
        if not self.reason or not self.reason.strip():
            raise ValueError(f"adjustment {self.code} needs a written reason")


@dataclass(frozen=True)
class BonusCaps:
    """The most a subject's bonus items can add and its penalty items can take away (both >= 0)."""

    bonus_cap: float
    penalty_cap: float

    def __post_init__(self) -> None:
        for name, cap in (("bonus cap", self.bonus_cap), ("penalty cap", self.penalty_cap)):
            if isinstance(cap, bool) or not isinstance(cap, int | float) or math.isnan(cap) or cap < 0:
                raise ValueError(f"the {name} must be a number >= 0, not {cap!r}")


# --- Results ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class IndicatorPoints:
    indicator: str
    weight: float  # as in the table
    effective_weight: float  # after redistribution; 0 when insufficient
    value: float | None  # as measured (raw)
    scored_value: float | None  # what the rule saw (Wilson bound, shrunk rate or raw); None if insufficient
    n: int
    insufficient: bool
    share: float | None  # 0..1 of the effective weight; None if insufficient
    points: float


@dataclass(slots=True)
class SubjectScore:
    id: int
    group: str
    probation: bool
    indicators: tuple[IndicatorPoints, ...]
    coverage: float  # share of the table's weight measured with sufficient data, 0..1
    base: float | None  # None: no sufficient indicator ("insufficient data")
    bonus: float  # capped, >= 0
    penalty: float  # capped, >= 0, subtracted
    adjustments: tuple[Adjustment, ...]
    final: float | None
    rank: int | None

    @property
    def adjustments_total(self) -> float:
        return self.bonus - self.penalty

    @property
    def insufficient(self) -> tuple[str, ...]:
        return tuple(points.indicator for points in self.indicators if points.insufficient)


# --- Rates: Wilson bounds and shrinkage -------------------------------------------------------------------


def wilson_bounds(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for successes / n (95 % by default)."""
    if n <= 0:
        raise ValueError("a Wilson interval needs n > 0")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), not {successes}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def shrunk_rate(successes: int, n: int, prior_rate: float, prior_strength: float) -> float:
    """Posterior mean under a Beta(k p0, k (1 - p0)) prior: (successes + k p0) / (n + k)."""
    if not 0 <= prior_rate <= 1:
        raise ValueError(f"the prior rate must be between 0 and 1, not {prior_rate}")
    if not math.isfinite(prior_strength) or prior_strength < 0:
        raise ValueError(f"the prior strength must be a finite number >= 0, not {prior_strength}")
    if n + prior_strength <= 0:
        raise ValueError("shrinkage needs records or a prior")
    return (successes + prior_strength * prior_rate) / (n + prior_strength)


def _pooled_rate(subjects: Iterable[Subject], indicator: str) -> float | None:
    successes = 0
    total = 0
    for subject in subjects:
        measured = subject.values.get(indicator)
        if measured is not None and measured.successes is not None and measured.n > 0:
            successes += measured.successes
            total += measured.n
    return successes / total if total else None


# --- Scoring a peer group ---------------------------------------------------------------------------------

_NO_ADJUSTMENTS: Mapping[int, Sequence[Adjustment]] = MappingProxyType({})


def _is_sufficient(measured: Measure | None, item: WeightItem) -> bool:
    return (
        measured is not None
        and measured.value is not None
        and not measured.insufficient
        and measured.n >= item.min_sample
        and (measured.successes is None or measured.n > 0)
    )


def _scoring_value(
    measured: Measure, item: WeightItem, ranking: Ranking, pooled: float | None, prior_strength: float
) -> float:
    assert measured.value is not None
    if measured.successes is None or ranking == "raw":
        return measured.value
    if ranking == "wilson":
        low, high = wilson_bounds(measured.successes, measured.n)
        return low if item.direction == "higher" else high
    assert pooled is not None  # this subject's own records are in the pool
    return shrunk_rate(measured.successes, measured.n, pooled, prior_strength)


def _check_one_group(ids: Sequence[int], groups: Iterable[str]) -> None:
    distinct = sorted(set(groups))
    if len(distinct) > 1:
        raise ValueError(f"scores are compared only within one peer group, got {', '.join(distinct)}")
    if len(set(ids)) != len(ids):
        raise ValueError("subject ids must be unique")


def score_group(
    subjects: Sequence[Subject],
    table: WeightTable,
    *,
    redistribute: Redistribute,
    ranking: Ranking,
    caps: BonusCaps,
    adjustments: Mapping[int, Sequence[Adjustment]] = _NO_ADJUSTMENTS,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> list[SubjectScore]:
    """Score and rank the subjects of one peer group; the result is sorted by subject id.

    `adjustments` may hold ids of other groups: they are ignored, so one mapping can serve every group.
    """
    problems = validate_weights(table)
    if problems:
        raise ValueError("invalid weight table: " + "; ".join(problems))
    if redistribute not in get_args(Redistribute):
        raise ValueError(f"redistribute must be 'proportional' or 'none', not {redistribute!r}")
    if ranking not in get_args(Ranking):
        raise ValueError(f"ranking must be 'wilson', 'shrinkage' or 'raw', not {ranking!r}")
    if not math.isfinite(prior_strength) or prior_strength < 0:
        raise ValueError(f"the prior strength must be a finite number >= 0, not {prior_strength}")
    ordered = sorted(subjects, key=lambda subject: subject.id)
    _check_one_group([subject.id for subject in ordered], (subject.group for subject in ordered))

    # The value each rule sees and the share it earns, for the sufficient subjects only.
    scored: dict[str, dict[int, float]] = {}
    shares: dict[str, dict[int, float]] = {}
    for item in table.items:
        pooled = _pooled_rate(ordered, item.indicator)
        per_subject: dict[int, float] = {}
        for subject in ordered:
            measured = subject.values.get(item.indicator)
            if measured is not None and _is_sufficient(measured, item):
                per_subject[subject.id] = _scoring_value(measured, item, ranking, pooled, prior_strength)
        scored[item.indicator] = per_subject
        if isinstance(item.rule, Percentile):
            shares[item.indicator] = percentile_shares(per_subject, item.direction)
        else:
            shares[item.indicator] = {
                subject_id: rule_share(item.rule, value, direction=item.direction)
                for subject_id, value in per_subject.items()
            }

    total_weight = math.fsum(item.weight for item in table.items)
    results = [
        _score_subject(
            subject,
            table,
            total_weight,
            scored,
            shares,
            redistribute,
            tuple(adjustments.get(subject.id, ())),
            caps,
        )
        for subject in ordered
    ]
    return _with_ranks(results)


def _score_subject(
    subject: Subject,
    table: WeightTable,
    total_weight: float,
    scored: Mapping[str, Mapping[int, float]],
    shares: Mapping[str, Mapping[int, float]],
    redistribute: Redistribute,
    adjustments: tuple[Adjustment, ...],
    caps: BonusCaps,
) -> SubjectScore:
    sufficient_weight = math.fsum(item.weight for item in table.items if subject.id in scored[item.indicator])
    # With every indicator sufficient both sums are the same fsum, so the factor is exactly 1.
    factor = total_weight / sufficient_weight if redistribute == "proportional" and sufficient_weight else 1.0

    indicators = []
    for item in table.items:
        measured = subject.values.get(item.indicator)
        used = scored[item.indicator].get(subject.id)
        if used is None:
            indicators.append(
                IndicatorPoints(
                    indicator=item.indicator,
                    weight=item.weight,
                    effective_weight=0.0,
                    value=measured.value if measured else None,
                    scored_value=None,
                    n=measured.n if measured else 0,
                    insufficient=True,
                    share=None,
                    points=0.0,
                )
            )
            continue
        assert measured is not None
        share = shares[item.indicator][subject.id]
        effective = item.weight * factor
        indicators.append(
            IndicatorPoints(
                indicator=item.indicator,
                weight=item.weight,
                effective_weight=effective,
                value=measured.value,
                scored_value=used,
                n=measured.n,
                insufficient=False,
                share=share,
                points=share * effective,
            )
        )

    base = math.fsum(points.points for points in indicators) if sufficient_weight > 0 else None
    bonus = min(math.fsum(a.points for a in adjustments if a.points > 0), caps.bonus_cap)
    penalty = min(math.fsum(-a.points for a in adjustments if a.points < 0), caps.penalty_cap)
    return SubjectScore(
        id=subject.id,
        group=subject.group,
        probation=subject.probation,
        indicators=tuple(indicators),
        coverage=sufficient_weight / total_weight,
        base=base,
        bonus=float(bonus),
        penalty=float(penalty),
        adjustments=adjustments,
        final=None if base is None else max(0.0, base + bonus - penalty),
        rank=None,
    )


def _with_ranks(results: list[SubjectScore]) -> list[SubjectScore]:
    finals = {result.id: _key(result.final) for result in results if result.final is not None}
    order = sorted(finals, key=lambda subject_id: (-finals[subject_id], subject_id))
    ranks: dict[int, int] = {}
    for position, subject_id in enumerate(order, start=1):
        previous = order[position - 2] if position > 1 else None
        if previous is not None and finals[previous] == finals[subject_id]:
            ranks[subject_id] = ranks[previous]
        else:
            ranks[subject_id] = position
    for result in results:
        result.rank = ranks.get(result.id)
    return results


# --- Funnel plots -----------------------------------------------------------------------------------------


def funnel_limits(p0: float, n: int) -> tuple[float, float, float, float]:
    """(lo2, hi2, lo3, hi3): p0 -/+ 2 and 3 standard errors at sample size n, clipped to [0, 1]."""
    if not 0 <= p0 <= 1:
        raise ValueError(f"p0 must be between 0 and 1, not {p0}")
    if n <= 0:
        raise ValueError(f"n must be positive, not {n}")
    sd = math.sqrt(p0 * (1 - p0) / n)
    return _clip(p0 - 2 * sd), _clip(p0 + 2 * sd), _clip(p0 - 3 * sd), _clip(p0 + 3 * sd)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def funnel_outliers(points: Sequence[tuple[int, int, int]]) -> dict[int, FunnelClass]:
    """Each (id, successes, n) against the pooled rate: "high3" / "high2" above the 3 / 2 sigma limit,
    "low2" / "low3" below, "in" otherwise (a rate exactly on a limit is in). High and low describe the
    rate, not the performance: the caller reads them with the indicator's direction."""
    if len({point[0] for point in points}) != len(points):
        raise ValueError("funnel point ids must be unique")
    for subject_id, successes, n in points:
        if n <= 0 or not 0 <= successes <= n:
            raise ValueError(f"point {subject_id}: needs n > 0 and 0 <= successes <= n")
    if not points:
        return {}
    p0 = sum(point[1] for point in points) / sum(point[2] for point in points)
    classes: dict[int, FunnelClass] = {}
    for subject_id, successes, n in sorted(points):
        rate = successes / n
        # funnel_limits' bounds before clipping to [0, 1]: a rate is never above 1 or below 0, so it falls
        # on the same side of a clipped bound as of the unclipped one.
        sd = math.sqrt(p0 * (1 - p0) / n)
        lo2, hi2, lo3, hi3 = p0 - 2 * sd, p0 + 2 * sd, p0 - 3 * sd, p0 + 3 * sd
        if rate > hi3:
            classes[subject_id] = "high3"
        elif rate > hi2:
            classes[subject_id] = "high2"
        elif rate < lo3:
            classes[subject_id] = "low3"
        elif rate < lo2:
            classes[subject_id] = "low2"
        else:
            classes[subject_id] = "in"
    return classes


# --- Grades -----------------------------------------------------------------------------------------------


class Grade(StrEnum):
    OUTSTANDING = "outstanding"
    COMPETENT = "competent"
    BASIC = "basic"  # basically competent
    INCOMPETENT = "incompetent"


@dataclass(frozen=True)
class GradeBands:
    """Lowest final score for each grade (score >= band); below `basic` is incompetent."""

    outstanding: float = 90.0
    competent: float = 75.0
    basic: float = 60.0

    def __post_init__(self) -> None:
        _require_finite("the outstanding band", self.outstanding)
        _require_finite("the competent band", self.competent)
        _require_finite("the basic band", self.basic)
        if not self.outstanding > self.competent > self.basic:
            raise ValueError("grade bands must fall strictly: outstanding > competent > basic")


DEFAULT_BANDS = GradeBands()


def band_grade(score: float, bands: GradeBands = DEFAULT_BANDS) -> Grade:
    """The grade the score's band gives, before the outstanding quota."""
    key = _key(score)
    if key >= bands.outstanding:
        return Grade.OUTSTANDING
    if key >= bands.competent:
        return Grade.COMPETENT
    if key >= bands.basic:
        return Grade.BASIC
    return Grade.INCOMPETENT


def _check_quota(quota: float, quota_approved: float | None) -> None:
    _require_finite("the outstanding quota", quota)
    if not 0 <= quota <= MAX_QUOTA:
        raise ValueError(f"the outstanding quota must be between 0 and {MAX_QUOTA:.0%}, not {quota:.2%}")
    if quota_approved is not None:
        _require_finite("the approved quota", quota_approved)
        if not 0 <= quota_approved <= MAX_QUOTA:
            raise ValueError(f"an approval cannot raise the outstanding quota above {MAX_QUOTA:.0%}")
    if quota > DEFAULT_QUOTA:
        if quota_approved is None:
            raise ValueError(
                f"an outstanding quota above {DEFAULT_QUOTA:.0%} ({quota:.2%}) needs a recorded approval"
            )
        if quota > quota_approved:
            raise ValueError(f"the outstanding quota {quota:.2%} exceeds the approved {quota_approved:.2%}")


def outstanding_quota(
    graded_count: int, quota: float = DEFAULT_QUOTA, quota_approved: float | None = None
) -> int:
    """How many of `graded_count` graded subjects may be outstanding: floor(quota x graded_count)."""
    _check_quota(quota, quota_approved)
    if graded_count < 0:
        raise ValueError(f"the graded count must not be negative, not {graded_count}")
    return math.floor(quota * graded_count + _QUOTA_EPSILON)


def assign_grades(
    scores: Sequence[SubjectScore],
    bands: GradeBands = DEFAULT_BANDS,
    quota: float = DEFAULT_QUOTA,
    quota_approved: float | None = None,
) -> dict[int, Grade | None]:
    """Grades for one peer group, by id: bands, then the outstanding quota; None for the ungraded."""
    _check_quota(quota, quota_approved)
    ordered = sorted(scores, key=lambda score: score.id)
    _check_one_group([score.id for score in ordered], (score.group for score in ordered))
    finals = {
        score.id: _key(score.final) for score in ordered if not score.probation and score.final is not None
    }
    cap = outstanding_quota(len(finals), quota, quota_approved)
    grades: dict[int, Grade | None] = {score.id: None for score in ordered}
    for subject_id, final in finals.items():
        grades[subject_id] = band_grade(final, bands)
    candidates = sorted(
        (finals[subject_id] for subject_id, grade in grades.items() if grade == Grade.OUTSTANDING),
        reverse=True,
    )
    if len(candidates) > cap:
        # Keep only scores strictly above the first one that does not fit: a tie at the cut loses.
        cut = candidates[cap]
        for subject_id, grade in grades.items():
            if grade == Grade.OUTSTANDING and finals[subject_id] <= cut:
                grades[subject_id] = Grade.COMPETENT
    return grades


def calibrate(
    grades: Mapping[int, Grade | None],
    moves: Sequence[tuple[int, str, str]],
    quota: float = DEFAULT_QUOTA,
    graded_count: int | None = None,
    *,
    quota_approved: float | None = None,
) -> dict[int, Grade | None]:
    """Apply the committee's (id, new grade, reason) moves to one peer group's grades, all or nothing.

    `graded_count`, when given, must match the graded subjects in `grades` (a check against mixing groups).
    """
    graded_now = sum(1 for grade in grades.values() if grade is not None)
    if graded_count is None:
        graded_count = graded_now
    elif graded_count != graded_now:
        raise ValueError(f"graded_count is {graded_count}, but {graded_now} subjects have a grade")
    cap = outstanding_quota(graded_count, quota, quota_approved)
    result: dict[int, Grade | None] = {
        subject_id: None if grade is None else Grade(grade) for subject_id, grade in grades.items()
    }
    moved: set[int] = set()
    for subject_id, new_grade, reason in moves:
        if subject_id in moved:
            raise ValueError(f"subject {subject_id} is moved more than once")
        moved.add(subject_id)
        if subject_id not in grades:
            raise ValueError(f"subject {subject_id} is not in this peer group")
        if not reason or not reason.strip():
            raise ValueError(f"moving subject {subject_id} needs a written reason")
        current = result[subject_id]
        if current is None:
            raise ValueError(
                f"subject {subject_id} has no grade (probationer or insufficient data) and cannot be moved"
            )
        try:
            target = Grade(new_grade)
        except ValueError:
            raise ValueError(f"unknown grade {new_grade!r}") from None
        if target == current:
            raise ValueError(f"subject {subject_id} already has the grade {target.value}")
        result[subject_id] = target
    outstanding = sum(1 for grade in result.values() if grade == Grade.OUTSTANDING)
    if outstanding > cap:
        raise ValueError(
            f"the moves would make {outstanding} subjects outstanding, above the quota of {cap} "
            f"for {graded_count} graded"
        )
    return result


# --- Incentives -------------------------------------------------------------------------------------------

DEFAULT_COEFFICIENTS: Mapping[str, float] = MappingProxyType(
    {Grade.OUTSTANDING: 1.2, Grade.COMPETENT: 1.0, Grade.BASIC: 0.8, Grade.INCOMPETENT: 0.5}
)


def incentive(
    grade: Grade | str | None,
    coefficients: Mapping[str, float] = DEFAULT_COEFFICIENTS,
    *,
    ungraded: float = 1.0,
) -> float:
    """The incentive coefficient for a grade; `ungraded` (neutral 1.0) for a subject without one."""
    if grade is None:
        return ungraded
    try:
        key = Grade(grade)
    except ValueError:
        raise ValueError(f"unknown grade {grade!r}") from None
    if key not in coefficients:
        raise ValueError(f"no incentive coefficient for the grade {key.value}")
    coefficient = coefficients[key]
    if not math.isfinite(coefficient) or coefficient < 0:
        raise ValueError(f"the coefficient for {key.value} must be a finite number >= 0, not {coefficient}")
    return float(coefficient)
