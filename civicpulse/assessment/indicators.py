"""The indicator library (domain.md §6): every indicator defined once, as a pure function over plain records.

The caller reduces ORM rows to the frozen facts below, filters them to one unit (or person) and one period,
and passes them in; nothing here touches the database, the clock or the settings, so a run is reproducible
from its inputs alone and the same formulas serve the pages, the batch engine and the independent check.
Functions that take pre-aggregated counts (`rate_value`, `mean_value`) hold the Wilson interval and the
minimum-sample rule for callers that count in SQL.

Every result is an `IndicatorValue`: the value (None when nothing was counted), its sample n, the numerator,
a 95 % Wilson interval for rates, an "insufficient data" mark below the indicator's minimum sample, and the
ids of the records counted (`record_ids`, the denominator) and of those that hit (`numerator_ids`), so every
number drills down to what is behind it. Ids are sorted and sums use `math.fsum`, so the result does not
depend on the order the records came in.

Rates are proportions in [0, 1] (their unit "%" is how they are shown). Cost per transaction (UK Service
Standard) is left out: CivicPulse stores no service costs, and a figure made up from fees would mislead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache, partial
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, TypeVar

Z_95 = 1.959963984540054

# Minimum samples below which a value is shown but not ranked (domain.md §7). Bad reviews are rare, so
# rectification rates get a small minimum: with 30, nearly every unit would be "insufficient", and each
# order is a compliance check against a 100 % target in its own right. Below 20 waits the 90th
# percentile is one of the two longest waits, so one bad morning would decide it.
MIN_SAMPLE_RATE = 30
MIN_SAMPLE_RECTIFICATION = 5
MIN_SAMPLE_MEAN = 10
MIN_SAMPLE_QUANTILE = 20

GOOD, NEUTRAL, BAD = "good", "neutral", "bad"
VALID, QUARANTINED, EXCLUDED = "valid", "quarantined", "excluded"
EXCLUDED_BY_APPEAL = "appeal"
HALL, ONLINE = "hall", "online"
SATISFIED, BASICALLY_SATISFIED, DISSATISFIED = "satisfied", "basically_satisfied", "dissatisfied"


# Cached: a province's run asks for the same few thousand (successes, n) pairs tens of thousands of times.
@lru_cache(maxsize=65_536)
def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for successes out of n (95 % by default); (0.0, 1.0) when n == 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if z <= 0:
        raise ValueError("z must be positive")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # The bounds are exactly 0 and 1 at the extremes; pin them so rounding never shows 1e-17 or 0.9999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def counts_as_rated(status: str, exclusion: str = "") -> bool:
    """Whether one evaluation makes its interaction "rated" for the active-evaluation rate.

    Only valid ratings count. A rating excluded by an upheld appeal counts nowhere, this rate included:
    domain.md §5 takes an excluded review out of every indicator. Quarantined ratings and ratings confirmed
    as fraud do not count either (decision 0005: quarantined ratings count nowhere until cleared): the
    fraud rules catch staff rating their own cases, which is exactly how this rate would be gamed. An
    interaction is rated when any of its evaluations counts. `exclusion` is accepted for the callers that
    pass it and no longer changes the answer.
    """
    return status == VALID


# --- Plain records, one per source ----------------------------------------------------------------------


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseFact:
    """One case. `completed`: a lawful end, i.e. decided (approved or denied) or refused at intake.

    `working_days` are the working days used up to the decision with statutory pauses already taken out
    (civicpulse.core.workdays); None while the case is open or when no clock ran. `promised_days` and
    `statutory_days` are the limits the case was filed under (its own copy, not today's catalogue).
    `visits` counts the applicant's trips as of the data cut-off. `staff_ids`: who handled it (received it at
    the window, accepted it, decided it), for staff schemes.
    """

    case_id: int
    unit_id: int
    service_code: str
    channel: str
    immediate: bool
    completed: bool
    withdrawn: bool
    working_days: int | None
    promised_days: int
    statutory_days: int
    visits: int
    staff_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _check(self.channel, (HALL, ONLINE), "channel")
        if self.completed and self.withdrawn:
            raise ValueError("a case cannot be both completed and withdrawn")
        if min(self.promised_days, self.statutory_days, self.visits, self.working_days or 0) < 0:
            raise ValueError("days and visits must not be negative")

    @property
    def ended(self) -> bool:
        return self.completed or self.withdrawn

    @property
    def timed(self) -> bool:
        return self.completed and self.working_days is not None

    @property
    def within_promised(self) -> bool | None:
        if not self.timed:
            return None
        return (self.working_days or 0) <= self.promised_days


@dataclass(frozen=True, kw_only=True, slots=True)
class EvaluationFact:
    evaluation_id: int
    unit_id: int
    staff_id: int | None
    channel: str
    grade: str
    status: str

    def __post_init__(self) -> None:
        _check(self.grade, (GOOD, NEUTRAL, BAD), "grade")
        _check(self.status, (VALID, QUARANTINED, EXCLUDED), "status")

    @property
    def staff_ids(self) -> tuple[int, ...]:
        return () if self.staff_id is None else (self.staff_id,)


@dataclass(frozen=True, kw_only=True, slots=True)
class InteractionFact:
    """One ratable interaction, a (case, stage); `rated` as `counts_as_rated` says for any of its ratings."""

    case_id: int
    unit_id: int
    staff_id: int | None
    stage: str
    rated: bool

    @property
    def staff_ids(self) -> tuple[int, ...]:
        return () if self.staff_id is None else (self.staff_id,)


@dataclass(frozen=True, kw_only=True, slots=True)
class RectificationFact:
    """One rectification order.

    `contacted_on_time`: None while the citizen is not contacted and the contact date has not passed.
    `rectified_on_time`: the citizen was answered with the outcome by the rectify-by date; None while not
    answered and not yet due. `callback`: the citizen's rating of the rectification, "" if none.
    `review_excluded`: the bad review was excluded (upheld appeal or confirmed fraud), so the order counts
    nowhere, like the review itself (domain.md §5).
    """

    order_id: int
    unit_id: int
    review_excluded: bool
    contacted_on_time: bool | None
    rectified_on_time: bool | None
    callback: str
    # The staff member whose service was rated badly, for staff schemes.
    staff_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _check(self.callback, ("", SATISFIED, BASICALLY_SATISFIED, DISSATISFIED), "callback")


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketFact:
    """One hall ticket; `wait_minutes` from issue to call, None for tickets never called or no-shows."""

    ticket_id: int
    unit_id: int
    wait_minutes: float | None
    # The officer who called the ticket, for staff schemes.
    staff_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.wait_minutes is not None and self.wait_minutes < 0:
            raise ValueError("a wait must not be negative")


# --- Results --------------------------------------------------------------------------------------------


# IndicatorValue and the counts types further down are built tens of thousands of times in a province's
# run, so they are plain slotted dataclasses: a frozen one's __init__ sets each field through
# object.__setattr__, three times the cost. Nothing changes them once built.
@dataclass(kw_only=True, slots=True)
class IndicatorValue:
    """One computed indicator.

    `numerator`: hits for rates, the sum for means, the observed total for ratios, the nearest rank for
    quantiles; `successes`: the hits again, for rates only (None otherwise: what scoring's Wilson bound and
    shrinkage read). `low`/`high`: Wilson bounds, for rates only. `raw` and `expected`: for adjusted
    indicators, the unadjusted value and the expected total the observed one was divided by.
    """

    code: str
    value: float | None
    n: int
    numerator: int | float
    insufficient: bool
    record_ids: tuple[int, ...] = ()
    numerator_ids: tuple[int, ...] = ()
    low: float | None = None
    high: float | None = None
    raw: float | None = None
    expected: float | None = None
    successes: int | None = None


def rate_value(
    code: str,
    successes: int,
    n: int,
    *,
    min_sample: int,
    record_ids: tuple[int, ...] = (),
    numerator_ids: tuple[int, ...] = (),
) -> IndicatorValue:
    """A rate from counts: successes / n with its Wilson interval."""
    low, high = wilson(successes, n)
    return IndicatorValue(
        code=code,
        value=successes / n if n else None,
        n=n,
        numerator=successes,
        insufficient=n < min_sample,
        record_ids=record_ids,
        numerator_ids=numerator_ids,
        low=low,
        high=high,
        successes=successes,
    )


def mean_value(
    code: str, total: float, n: int, *, min_sample: int, record_ids: tuple[int, ...] = ()
) -> IndicatorValue:
    """A mean from a sum and a count."""
    return IndicatorValue(
        code=code,
        value=total / n if n else None,
        n=n,
        numerator=total,
        insufficient=n < min_sample,
        record_ids=record_ids,
    )


def _rate(code: str, counted: Iterable[tuple[int, bool]], min_sample: int) -> IndicatorValue:
    """A rate over (record id, hit) pairs, one per record in the denominator."""
    ids: list[int] = []
    hits: list[int] = []
    for record_id, hit in counted:
        ids.append(record_id)
        if hit:
            hits.append(record_id)
    return rate_value(
        code,
        len(hits),
        len(ids),
        min_sample=min_sample,
        record_ids=tuple(sorted(ids)),
        numerator_ids=tuple(sorted(hits)),
    )


def _mean(code: str, counted: Iterable[tuple[int, float]], min_sample: int) -> IndicatorValue:
    ids: list[int] = []
    values: list[float] = []
    for record_id, value in counted:
        ids.append(record_id)
        values.append(value)
    return mean_value(
        code, math.fsum(values), len(values), min_sample=min_sample, record_ids=tuple(sorted(ids))
    )


# --- The registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition. `unit` "%" means a proportion in [0, 1] shown as a percentage.

    Call `compute(facts)` with the facts of its `source`, or `compute(facts, reference)` when `needs` names
    a reference the engine must pass: "expected_days" (`expected_days(history)`), "channel_rates"
    (`channel_good_rates(peer evaluations)`) or "wait_target_minutes" (the setting, default 20).
    """

    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    min_sample: int
    source: str
    kind: str
    compute: Callable[..., IndicatorValue]
    needs: str | None = None


INDICATORS: dict[str, Indicator] = {}

_Compute = TypeVar("_Compute", bound=Callable[..., IndicatorValue])


def _indicator(
    name_zh: str,
    name_en: str,
    unit: str,
    direction: str,
    min_sample: int,
    source: str,
    kind: str,
    needs: str | None = None,
) -> Callable[[_Compute], _Compute]:
    """Registers the decorated function under its own name, so a code and its formula cannot drift apart."""

    def register(compute: _Compute) -> _Compute:
        code = compute.__name__
        INDICATORS[code] = Indicator(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            unit=unit,
            direction=direction,
            min_sample=min_sample,
            source=source,
            kind=kind,
            compute=partial(compute, min_sample=min_sample),
            needs=needs,
        )
        return compute

    return register


# --- Evaluations and interactions -----------------------------------------------------------------------
# Only valid evaluations count: quarantined ones (suspected fraud) and excluded ones (confirmed fraud or
# an upheld appeal) are never in a good, bad or satisfaction figure, numerator or denominator.


@_indicator("好评率", "Good-review rate", "%", "higher", MIN_SAMPLE_RATE, "evaluations", "rate")
def good_review_rate(facts: Iterable[EvaluationFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Good reviews / valid evaluations."""
    counted = ((f.evaluation_id, f.grade == GOOD) for f in facts if f.status == VALID)
    return _rate("good_review_rate", counted, min_sample)


@_indicator("差评率", "Bad-review rate", "%", "lower", MIN_SAMPLE_RATE, "evaluations", "rate")
def bad_review_rate(facts: Iterable[EvaluationFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Bad reviews / valid evaluations."""
    counted = ((f.evaluation_id, f.grade == BAD) for f in facts if f.status == VALID)
    return _rate("bad_review_rate", counted, min_sample)


@dataclass(frozen=True)
class ChannelRates:
    """Reference good-review rates: overall and per evaluation channel, over valid evaluations."""

    overall: float
    by_channel: Mapping[str, float] = field(default_factory=dict)


def channel_good_rates(reference: Iterable[EvaluationFact]) -> ChannelRates:
    """Good-review rates of a reference population (the peer group over the period), per channel."""
    good: defaultdict[str, int] = defaultdict(int)
    total: defaultdict[str, int] = defaultdict(int)
    for f in reference:
        if f.status == VALID:
            total[f.channel] += 1
            good[f.channel] += f.grade == GOOD
    n = sum(total.values())
    return ChannelRates(
        overall=sum(good.values()) / n if n else 0.0,
        by_channel={channel: good[channel] / count for channel, count in sorted(total.items())},
    )


@_indicator(
    "好评率（渠道结构调整）",
    "Good-review rate, channel-mix adjusted",
    "%",
    "higher",
    MIN_SAMPLE_RATE,
    "evaluations",
    "rate",
    "channel_rates",
)
def good_review_rate_adjusted(
    facts: Iterable[EvaluationFact], channel_rates: ChannelRates, *, min_sample: int = MIN_SAMPLE_RATE
) -> IndicatorValue:
    """Good-review rate standardised for channel mix (indirect standardisation), with the raw rate beside.

    Pad and phone ratings run higher than web ones, so a unit rated mostly at its windows would look
    better than one rated mostly online for the same service. Expected good reviews E = the sum, over the
    unit's valid evaluations, of the reference good rate of each one's channel (the overall reference rate
    for a channel the reference lacks). Adjusted = overall reference rate x observed / E, clipped to
    [0, 1]. The interval is the Wilson interval of the observed rate scaled by the same factor, E being
    taken as fixed since the reference is far larger than one unit. When E == 0 there is nothing to
    standardise against: value None, marked insufficient.
    """
    valid = [f for f in facts if f.status == VALID]
    ids = tuple(sorted(f.evaluation_id for f in valid))
    hit_ids = tuple(sorted(f.evaluation_id for f in valid if f.grade == GOOD))
    expected = math.fsum(channel_rates.by_channel.get(f.channel, channel_rates.overall) for f in valid)
    return _adjusted_good(len(hit_ids), len(valid), expected, channel_rates.overall, min_sample, ids, hit_ids)


def _adjusted_good(
    observed: int,
    n: int,
    expected: float,
    overall: float,
    min_sample: int,
    ids: tuple[int, ...] = (),
    hit_ids: tuple[int, ...] = (),
) -> IndicatorValue:
    value: float | None = None
    low, high = 0.0, 1.0
    if n and expected > 0:
        factor = overall * n / expected
        value = min(1.0, observed / n * factor)
        raw_low, raw_high = wilson(observed, n)
        low, high = min(1.0, raw_low * factor), min(1.0, raw_high * factor)
    return IndicatorValue(
        code="good_review_rate_adjusted",
        value=value,
        n=n,
        numerator=observed,
        insufficient=n < min_sample or value is None,
        record_ids=ids,
        numerator_ids=hit_ids,
        low=low,
        high=high,
        raw=observed / n if n else None,
        expected=expected,
        successes=observed,
    )


@_indicator("主动评价率", "Active-evaluation rate", "%", "higher", MIN_SAMPLE_RATE, "interactions", "rate")
def active_evaluation_rate(
    facts: Iterable[InteractionFact], *, min_sample: int = MIN_SAMPLE_RATE
) -> IndicatorValue:
    """Rated interactions / interactions (record ids are case ids: one per case and stage)."""
    return _rate("active_evaluation_rate", ((f.case_id, f.rated) for f in facts), min_sample)


@_indicator("未评价率", "Non-evaluation rate", "%", "lower", MIN_SAMPLE_RATE, "interactions", "rate")
def non_evaluation_rate(
    facts: Iterable[InteractionFact], *, min_sample: int = MIN_SAMPLE_RATE
) -> IndicatorValue:
    """Unrated interactions / interactions: 1 - the active-evaluation rate, interval mirrored."""
    return _rate("non_evaluation_rate", ((f.case_id, not f.rated) for f in facts), min_sample)


# --- Rectification --------------------------------------------------------------------------------------


@_indicator(
    "差评按时联系率",
    "Bad-review contact-on-time rate",
    "%",
    "higher",
    MIN_SAMPLE_RECTIFICATION,
    "rectifications",
    "rate",
)
def contact_on_time_rate(
    facts: Iterable[RectificationFact], *, min_sample: int = MIN_SAMPLE_RECTIFICATION
) -> IndicatorValue:
    """Orders whose citizen was contacted by the contact date / orders contacted or past that date."""
    counted = (
        (f.order_id, f.contacted_on_time)
        for f in facts
        if not f.review_excluded and f.contacted_on_time is not None
    )
    return _rate("contact_on_time_rate", counted, min_sample)


@_indicator(
    "差评按时整改率", "Rectification rate", "%", "higher", MIN_SAMPLE_RECTIFICATION, "rectifications", "rate"
)
def rectification_rate(
    facts: Iterable[RectificationFact], *, min_sample: int = MIN_SAMPLE_RECTIFICATION
) -> IndicatorValue:
    """Orders answered by the rectify-by date / orders answered or past that date.

    Late answers do not count as rectified: the deadline is the rule (domain.md §5), and a rate that
    ignored it would not tell an order answered on day 5 from one answered on day 50.
    """
    counted = (
        (f.order_id, f.rectified_on_time)
        for f in facts
        if not f.review_excluded and f.rectified_on_time is not None
    )
    return _rate("rectification_rate", counted, min_sample)


@_indicator(
    "整改满意率",
    "Rectification-satisfaction rate",
    "%",
    "higher",
    MIN_SAMPLE_RECTIFICATION,
    "rectifications",
    "rate",
)
def rectification_satisfaction_rate(
    facts: Iterable[RectificationFact], *, min_sample: int = MIN_SAMPLE_RECTIFICATION
) -> IndicatorValue:
    """Callbacks rated satisfied or basically satisfied / callbacks rated."""
    counted = (
        (f.order_id, f.callback in (SATISFIED, BASICALLY_SATISFIED))
        for f in facts
        if not f.review_excluded and f.callback
    )
    return _rate("rectification_satisfaction_rate", counted, min_sample)


# --- Cases ----------------------------------------------------------------------------------------------
# Time indicators count completed cases whose working days are known, taking those days as given: pauses
# are already out of them. Cases still open at the cut-off wait until they end, so a unit with long limits
# is not penalised at a period boundary; overdue open cases show in the SLA views meanwhile.


@_indicator("按时办结率", "On-time completion rate", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def on_time_completion_rate(
    facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE
) -> IndicatorValue:
    """Completed within the promised limit / completed (with known working days)."""
    counted = ((f.case_id, bool(f.within_promised)) for f in facts if f.timed)
    return _rate("on_time_completion_rate", counted, min_sample)


@_indicator("时限压缩比", "Time compression", "ratio", "lower", MIN_SAMPLE_MEAN, "cases", "mean")
def time_compression(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_MEAN) -> IndicatorValue:
    """Mean of promised / statutory limit over the unit's cases (those with a statutory limit).

    Averaged over cases rather than over services: a shorter promise on a service used a thousand times
    matters more to citizens than one on a service nobody uses, and the records behind the number are
    then the cases. All cases count, not only completed ones: the limits are fixed at intake. Immediate
    services with a statutory limit count as 0 (fully compressed).
    """
    counted = ((f.case_id, f.promised_days / f.statutory_days) for f in facts if f.statutory_days > 0)
    return _mean("time_compression", counted, min_sample)


def _speed_cases(facts: Iterable[CaseFact]) -> list[CaseFact]:
    # A promised limit of 0 (immediate services) has no speed: the immediate share speaks for them.
    return [f for f in facts if f.timed and f.promised_days > 0]


@_indicator("办理时效比", "Speed", "ratio", "lower", MIN_SAMPLE_MEAN, "cases", "mean")
def speed(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_MEAN) -> IndicatorValue:
    """Mean of working days used / promised limit over completed cases (1.0 = the whole limit used)."""
    counted = ((f.case_id, (f.working_days or 0) / f.promised_days) for f in _speed_cases(facts))
    return _mean("speed", counted, min_sample)


def expected_days(history: Iterable[CaseFact]) -> dict[str, float]:
    """Mean working days per service code over the completed cases of a reference history."""
    days: defaultdict[str, list[int]] = defaultdict(list)
    for f in history:
        if f.timed:
            days[f.service_code].append(f.working_days or 0)
    return {code: math.fsum(values) / len(values) for code, values in sorted(days.items())}


@_indicator(
    "办理时效比（事项结构调整）",
    "Speed, case-mix adjusted",
    "ratio",
    "lower",
    MIN_SAMPLE_MEAN,
    "cases",
    "ratio",
    "expected_days",
)
def speed_adjusted(
    facts: Iterable[CaseFact], expected: Mapping[str, float], *, min_sample: int = MIN_SAMPLE_MEAN
) -> IndicatorValue:
    """Case-mix adjusted speed: observed / expected working days over the unit's completed cases.

    Expected days for a case are its service's mean in `expected` (from `expected_days` over a reference
    history), or its promised limit for a service without history. A ratio of sums rather than a mean of
    ratios, so a long case weighs by its length. `raw` is the plain `speed` of the same cases. When every
    expected total is 0 (services always decided on the day of intake) the ratio is undefined: value
    None, marked insufficient.
    """
    cases = _speed_cases(facts)
    observed = math.fsum(f.working_days or 0 for f in cases)
    total_expected = math.fsum(expected.get(f.service_code, f.promised_days) for f in cases)
    value = observed / total_expected if total_expected > 0 else None
    return IndicatorValue(
        code="speed_adjusted",
        value=value,
        n=len(cases),
        numerator=observed,
        insufficient=len(cases) < min_sample or value is None,
        record_ids=tuple(sorted(f.case_id for f in cases)),
        raw=speed(cases, min_sample=min_sample).value,
        expected=total_expected,
    )


@_indicator("即办件占比", "Immediate-service share", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def immediate_share(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Cases of immediate services / cases."""
    return _rate("immediate_share", ((f.case_id, f.immediate) for f in facts), min_sample)


@_indicator("最多跑一次率", "Run-at-most-once rate", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def run_at_most_once_rate(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Ended cases with at most one visit / ended cases (completed or withdrawn: visits are final)."""
    counted = ((f.case_id, f.visits <= 1) for f in facts if f.ended)
    return _rate("run_at_most_once_rate", counted, min_sample)


@_indicator("零跑动率", "Zero-visit rate", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def zero_visit_rate(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Ended cases without a visit / ended cases."""
    counted = ((f.case_id, f.visits == 0) for f in facts if f.ended)
    return _rate("zero_visit_rate", counted, min_sample)


@_indicator("网办率", "Digital take-up", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def digital_take_up(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Completed cases applied for online / completed cases."""
    counted = ((f.case_id, f.channel == ONLINE) for f in facts if f.completed)
    return _rate("digital_take_up", counted, min_sample)


@_indicator("办结率", "Completion rate", "%", "higher", MIN_SAMPLE_RATE, "cases", "rate")
def completion_rate(facts: Iterable[CaseFact], *, min_sample: int = MIN_SAMPLE_RATE) -> IndicatorValue:
    """Completed (a denial or refusal at intake is a lawful end) / ended (completed or withdrawn)."""
    counted = ((f.case_id, f.completed) for f in facts if f.ended)
    return _rate("completion_rate", counted, min_sample)


# --- Hall queue -----------------------------------------------------------------------------------------


def _waits(facts: Iterable[TicketFact]) -> list[tuple[float, int]]:
    return sorted((f.wait_minutes, f.ticket_id) for f in facts if f.wait_minutes is not None)


@_indicator("平均等候时长", "Average wait", "minutes", "lower", MIN_SAMPLE_MEAN, "tickets", "mean")
def mean_wait(facts: Iterable[TicketFact], *, min_sample: int = MIN_SAMPLE_MEAN) -> IndicatorValue:
    """Mean minutes from ticket to call, over tickets called."""
    return _mean("mean_wait", ((ticket_id, wait) for wait, ticket_id in _waits(facts)), min_sample)


@_indicator(
    "90%等候时长", "90th-percentile wait", "minutes", "lower", MIN_SAMPLE_QUANTILE, "tickets", "quantile"
)
def p90_wait(facts: Iterable[TicketFact], *, min_sample: int = MIN_SAMPLE_QUANTILE) -> IndicatorValue:
    """90th-percentile wait by nearest rank: the ceil(0.9 n)-th shortest wait.

    Nearest rank always reports a wait someone actually had ("90 of 100 citizens waited at most this
    long"), and is what SQL's PERCENTILE_DISC(0.9) returns, so the independent check can reproduce it.
    `numerator` is that rank and `numerator_ids` the ticket at it.
    """
    waits = _waits(facts)
    n = len(waits)
    rank = -(-9 * n // 10)  # ceil(0.9 n) in integer arithmetic: no float rounding can move the rank
    return IndicatorValue(
        code="p90_wait",
        value=waits[rank - 1][0] if n else None,
        n=n,
        numerator=rank,
        insufficient=n < min_sample,
        record_ids=tuple(sorted(ticket_id for _, ticket_id in waits)),
        numerator_ids=(waits[rank - 1][1],) if n else (),
    )


@_indicator(
    "等候达标率",
    "Share called within the wait target",
    "%",
    "higher",
    MIN_SAMPLE_RATE,
    "tickets",
    "rate",
    "wait_target_minutes",
)
def wait_within_target_rate(
    facts: Iterable[TicketFact], target_minutes: float, *, min_sample: int = MIN_SAMPLE_RATE
) -> IndicatorValue:
    """Tickets called within the target (inclusive) / tickets called. The target is a setting (20 min)."""
    counted = ((ticket_id, wait <= target_minutes) for wait, ticket_id in _waits(facts))
    return _rate("wait_within_target_rate", counted, min_sample)


# --- The same indicators from pre-aggregated counts ---------------------------------------------------------
# A batch run counts in the database instead of building a fact per record: the counts below are what each
# source's indicators need for one subject, and `tally` reduces facts to them the way the functions above
# count. Means keep one count per distinct value (a histogram), so their sums are exact: the sum of a
# histogram is summed as `math.fsum` sums the facts, correctly rounded, so no order of rows in the database
# can move the last bit of a stored value.


@dataclass(kw_only=True, slots=True)
class EvaluationCounts:
    # Valid evaluations per (channel, grade).
    valid: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class InteractionCounts:
    n: int = 0
    rated: int = 0


@dataclass(kw_only=True, slots=True)
class RectificationCounts:
    contacted: int = 0
    contacted_on_time: int = 0
    rectified: int = 0
    rectified_on_time: int = 0
    callbacks: int = 0
    callbacks_satisfied: int = 0


@dataclass(kw_only=True, slots=True)
class CaseCounts:
    n: int = 0
    immediate: int = 0
    ended: int = 0
    completed: int = 0
    ended_at_most_once: int = 0
    ended_zero_visits: int = 0
    completed_online: int = 0
    timed: int = 0
    timed_within_promised: int = 0
    # (promised, statutory limit) -> cases with a statutory limit.
    limits: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # (service code, working days, promised limit) -> timed cases with a promised limit.
    speeds: Mapping[tuple[str, int, int], int] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class TicketCounts:
    # Wait in minutes -> tickets called after that wait.
    waits: Mapping[float, int] = field(default_factory=dict)


Counts = EvaluationCounts | InteractionCounts | RectificationCounts | CaseCounts | TicketCounts


def fields_of(counts: Counts) -> dict[str, Any]:
    """A counts dataclass as field -> count or histogram, in the order of its fields (they have slots, so no
    `vars`)."""
    return {f.name: getattr(counts, f.name) for f in fields(counts)}


COUNTS_OF: dict[str, type[Counts]] = {
    "evaluations": EvaluationCounts,
    "interactions": InteractionCounts,
    "rectifications": RectificationCounts,
    "cases": CaseCounts,
    "tickets": TicketCounts,
}


def _add(into: dict[Any, int], key: Any, count: int = 1) -> None:
    into[key] = into.get(key, 0) + count


def tally(source: str, facts: Iterable[Any]) -> Counts:
    """One subject's facts of one source reduced to the counts its indicators are computed from."""
    rows = list(facts)
    if source == "evaluations":
        valid: dict[tuple[str, str], int] = {}
        for e in rows:
            if e.status == VALID:
                _add(valid, (e.channel, e.grade))
        return EvaluationCounts(valid=valid)
    if source == "interactions":
        return InteractionCounts(n=len(rows), rated=sum(1 for i in rows if i.rated))
    if source == "rectifications":
        kept = [r for r in rows if not r.review_excluded]
        return RectificationCounts(
            contacted=sum(1 for r in kept if r.contacted_on_time is not None),
            contacted_on_time=sum(1 for r in kept if r.contacted_on_time),
            rectified=sum(1 for r in kept if r.rectified_on_time is not None),
            rectified_on_time=sum(1 for r in kept if r.rectified_on_time),
            callbacks=sum(1 for r in kept if r.callback),
            callbacks_satisfied=sum(1 for r in kept if r.callback in (SATISFIED, BASICALLY_SATISFIED)),
        )
    if source == "cases":
        limits: dict[tuple[int, int], int] = {}
        speeds: dict[tuple[str, int, int], int] = {}
        for c in rows:
            if c.statutory_days > 0:
                _add(limits, (c.promised_days, c.statutory_days))
            if c.timed and c.promised_days > 0:
                _add(speeds, (c.service_code, c.working_days or 0, c.promised_days))
        return CaseCounts(
            n=len(rows),
            immediate=sum(1 for c in rows if c.immediate),
            ended=sum(1 for c in rows if c.ended),
            completed=sum(1 for c in rows if c.completed),
            ended_at_most_once=sum(1 for c in rows if c.ended and c.visits <= 1),
            ended_zero_visits=sum(1 for c in rows if c.ended and c.visits == 0),
            completed_online=sum(1 for c in rows if c.completed and c.channel == ONLINE),
            timed=sum(1 for c in rows if c.timed),
            timed_within_promised=sum(1 for c in rows if c.within_promised),
            limits=limits,
            speeds=speeds,
        )
    if source == "tickets":
        waits: dict[float, int] = {}
        for t in rows:
            if t.wait_minutes is not None:
                _add(waits, t.wait_minutes)
        return TicketCounts(waits=waits)
    raise ValueError(f"unknown source {source!r}")


def exact_sum(weighted: Iterable[tuple[float, int]]) -> float:
    """The sum of each value repeated its count of times, correctly rounded, as `math.fsum` gives it over
    the facts (the repeats are generated lazily, in C)."""
    return math.fsum(chain.from_iterable(repeat(value, count) for value, count in weighted))


def _good_from(c: EvaluationCounts) -> tuple[int, int, int]:
    n = sum(c.valid.values())
    good = sum(count for (_channel, grade), count in c.valid.items() if grade == GOOD)
    bad = sum(count for (_channel, grade), count in c.valid.items() if grade == BAD)
    return n, good, bad


def channel_good_rates_of(counts: Iterable[EvaluationCounts]) -> ChannelRates:
    """`channel_good_rates` over the valid evaluations of several subjects' counts."""
    good: defaultdict[str, int] = defaultdict(int)
    total: defaultdict[str, int] = defaultdict(int)
    for c in counts:
        for (channel, grade), count in c.valid.items():
            total[channel] += count
            good[channel] += count if grade == GOOD else 0
    n = sum(total.values())
    return ChannelRates(
        overall=sum(good.values()) / n if n else 0.0,
        by_channel={channel: good[channel] / count for channel, count in sorted(total.items())},
    )


def _p90_from(c: TicketCounts, min_sample: int) -> IndicatorValue:
    waits = sorted(c.waits.items())
    n = sum(c.waits.values())
    rank = -(-9 * n // 10)
    value: float | None = None
    seen = 0
    for wait, count in waits:
        seen += count
        if seen >= rank:
            value = wait
            break
    return IndicatorValue(code="p90_wait", value=value, n=n, numerator=rank, insufficient=n < min_sample)


def _adjusted_good_from(c: EvaluationCounts, rates: ChannelRates, min_sample: int) -> IndicatorValue:
    n, observed, _bad = _good_from(c)
    expected = exact_sum(
        (rates.by_channel.get(channel, rates.overall), count) for (channel, _grade), count in c.valid.items()
    )
    return _adjusted_good(observed, n, expected, rates.overall, min_sample)


def _speed_from(c: CaseCounts, min_sample: int) -> IndicatorValue:
    n = sum(c.speeds.values())
    total = exact_sum((days / promised, count) for (_code, days, promised), count in c.speeds.items())
    return mean_value("speed", total, n, min_sample=min_sample)


def _adjusted_speed_from(c: CaseCounts, expected: Mapping[str, float], min_sample: int) -> IndicatorValue:
    n = sum(c.speeds.values())
    observed = float(sum(days * count for (_code, days, _promised), count in c.speeds.items()))
    total_expected = exact_sum(
        (expected.get(code, promised), count) for (code, _days, promised), count in c.speeds.items()
    )
    value = observed / total_expected if total_expected > 0 else None
    return IndicatorValue(
        code="speed_adjusted",
        value=value,
        n=n,
        numerator=observed,
        insufficient=n < min_sample or value is None,
        raw=_speed_from(c, min_sample).value,
        expected=total_expected,
    )


_FromCounts = Callable[[Any, Any, int], IndicatorValue]


def _rate_of(code: str, hits: Callable[[Any], int], of: Callable[[Any], int]) -> _FromCounts:
    def compute(c: Any, _reference: Any, min_sample: int) -> IndicatorValue:
        return rate_value(code, hits(c), of(c), min_sample=min_sample)

    return compute


def _counted(name: str) -> Callable[[Any], int]:
    return attrgetter(name)


def _review_rate_from(code: str, c: EvaluationCounts, hits: int, min_sample: int) -> IndicatorValue:
    counted = _good_from(c)  # (n, good, bad)
    return rate_value(code, counted[hits], counted[0], min_sample=min_sample)


def _time_compression_from(c: CaseCounts, _reference: Any, min_sample: int) -> IndicatorValue:
    n = sum(c.limits.values())
    total = exact_sum((promised / statutory, count) for (promised, statutory), count in c.limits.items())
    return mean_value("time_compression", total, n, min_sample=min_sample)


def _mean_wait_from(c: TicketCounts, _reference: Any, min_sample: int) -> IndicatorValue:
    # Only the 90th percentile needs the waits in order: fsum is exact in any order.
    return mean_value("mean_wait", exact_sum(c.waits.items()), sum(c.waits.values()), min_sample=min_sample)


def _within_target_from(c: TicketCounts, target: float, min_sample: int) -> IndicatorValue:
    within = sum(count for wait, count in c.waits.items() if wait <= target)
    return rate_value("wait_within_target_rate", within, sum(c.waits.values()), min_sample=min_sample)


# One entry per indicator, in the order of the definitions above; the facts' functions are the
# specification, and tests/assessment/test_indicators.py checks both agree on any facts.
_FROM_COUNTS: dict[str, _FromCounts] = {
    "good_review_rate": lambda c, _reference, m: _review_rate_from("good_review_rate", c, 1, m),
    "bad_review_rate": lambda c, _reference, m: _review_rate_from("bad_review_rate", c, 2, m),
    "good_review_rate_adjusted": lambda c, rates, m: _adjusted_good_from(c, rates, m),
    "active_evaluation_rate": _rate_of("active_evaluation_rate", _counted("rated"), _counted("n")),
    "non_evaluation_rate": _rate_of("non_evaluation_rate", lambda c: c.n - c.rated, _counted("n")),
    "contact_on_time_rate": _rate_of(
        "contact_on_time_rate", _counted("contacted_on_time"), _counted("contacted")
    ),
    "rectification_rate": _rate_of(
        "rectification_rate", _counted("rectified_on_time"), _counted("rectified")
    ),
    "rectification_satisfaction_rate": _rate_of(
        "rectification_satisfaction_rate", _counted("callbacks_satisfied"), _counted("callbacks")
    ),
    "on_time_completion_rate": _rate_of(
        "on_time_completion_rate", _counted("timed_within_promised"), _counted("timed")
    ),
    "time_compression": _time_compression_from,
    "speed": lambda c, _reference, m: _speed_from(c, m),
    "speed_adjusted": lambda c, expected, m: _adjusted_speed_from(c, expected, m),
    "immediate_share": _rate_of("immediate_share", _counted("immediate"), _counted("n")),
    "run_at_most_once_rate": _rate_of(
        "run_at_most_once_rate", _counted("ended_at_most_once"), _counted("ended")
    ),
    "zero_visit_rate": _rate_of("zero_visit_rate", _counted("ended_zero_visits"), _counted("ended")),
    "digital_take_up": _rate_of("digital_take_up", _counted("completed_online"), _counted("completed")),
    "completion_rate": _rate_of("completion_rate", _counted("completed"), _counted("ended")),
    "mean_wait": _mean_wait_from,
    "p90_wait": lambda c, _reference, m: _p90_from(c, m),
    "wait_within_target_rate": _within_target_from,
}


def measurer(
    code: str, reference: Any = None, *, min_sample: int | None = None
) -> Callable[[Counts], IndicatorValue]:
    """`from_counts` for one indicator and reference, checked once, to apply to many subjects' counts."""
    indicator = INDICATORS[code]
    if indicator.needs and reference is None:
        raise ValueError(f"{code} needs {indicator.needs}")
    kind, compute = COUNTS_OF[indicator.source], _FROM_COUNTS[code]
    sample = indicator.min_sample if min_sample is None else min_sample

    def measure(counts: Counts) -> IndicatorValue:
        if not isinstance(counts, kind):
            raise TypeError(f"{code} counts {indicator.source}, not {type(counts).__name__}")
        return compute(counts, reference, sample)

    return measure


def from_counts(
    code: str, counts: Counts, reference: Any = None, *, min_sample: int | None = None
) -> IndicatorValue:
    """Indicator `code` computed from one subject's counts of its source (no record ids: the facts'
    functions give those); `reference` is what the indicator `needs`, as for `Indicator.compute`."""
    return measurer(code, reference, min_sample=min_sample)(counts)
