"""The figures of a monthly report, counted by the assessment engine.

Every indicator is `civicpulse.assessment.counts.count` over the unit and the month as of the cut-off,
turned into a value by `indicators.from_counts` with the references a run passes (expected days from the
year before the month, the channel rates of the same count, the wait target): so a number in a report and
the same number in an assessment run, or in a quality measurement, of the same period and cut-off agree.
Periods are cohorts as everywhere in the engine: the cases received, ratings given, orders opened and
tickets issued in the month, as they stood at the cut-off.

A unit answers for its sub-units and for the windows that serve it (`facts.unit_resolver`). The breakdown
counts the child units side by side in one pass, as a run counts its members, with the unit itself as a
further subject: what no child answers for (a department's own records and its windows, a region's halls
whose windows serve no department) is one more row, shown when it holds anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import RunCounts, count, wait_target_minutes
from civicpulse.assessment.facts import expected_days_before, period_bounds, period_kind_of, unit_resolver
from civicpulse.core.models import AuditEvent
from civicpulse.core.workdays import local_date
from civicpulse.rectification.models import RectificationOrder

# The headline, in the groups the report shows them in.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("satisfaction", ("good_review_rate", "bad_review_rate", "active_evaluation_rate")),
    ("efficiency", ("on_time_completion_rate", "speed", "speed_adjusted")),
    ("convenience", ("run_at_most_once_rate", "zero_visit_rate", "digital_take_up")),
    ("waits", ("mean_wait", "p90_wait", "wait_within_target_rate")),
    ("rectification", ("contact_on_time_rate", "rectification_rate", "rectification_satisfaction_rate")),
)
HEADLINE = tuple(code for _group, codes in GROUPS for code in codes)
# The main rates, followed month by month and compared across the child units.
TREND = (
    "good_review_rate",
    "bad_review_rate",
    "active_evaluation_rate",
    "on_time_completion_rate",
    "run_at_most_once_rate",
)
BREAKDOWN = (*TREND, "digital_take_up", "rectification_rate")
TREND_MONTHS = 12


@dataclass(frozen=True)
class Figure:
    """One indicator as the engine computed it (`numerator` and `n` as in `IndicatorValue`)."""

    code: str
    value: float | None
    n: int
    numerator: float
    low: float | None
    high: float | None
    insufficient: bool
    raw: float | None = None

    @classmethod
    def of(cls, value: lib.IndicatorValue) -> Figure:
        return cls(
            code=value.code,
            value=value.value,
            n=value.n,
            numerator=float(value.numerator),
            low=value.low,
            high=value.high,
            insufficient=value.insufficient,
            raw=value.raw,
        )


@dataclass(frozen=True)
class MonthFigures:
    month: str
    figures: dict[str, Figure]


@dataclass(frozen=True)
class UnitFigures:
    """A row of the breakdown; `rest` marks the row of what no child unit answers for."""

    code: str
    name_zh: str
    name_en: str
    rest: bool
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Figures:
    """Units are named by code, never by primary key: the digest is the same on any copy of the data."""

    unit_code: str
    unit_name_zh: str
    unit_name_en: str
    region: bool
    month: str
    start: str
    end: str
    cutoff: str
    wait_target_minutes: float
    headline: dict[str, Figure]
    orders_open: int
    orders_overdue: int
    trend: list[MonthFigures] = field(default_factory=list)
    breakdown: list[UnitFigures] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """SHA-256 of every figure, name and date in a fixed order: equal digests, equal reports."""
        text = json.dumps(self.as_json(), sort_keys=True, ensure_ascii=False, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        def figures(raw: dict[str, Any]) -> dict[str, Figure]:
            return {code: Figure(**value) for code, value in raw.items()}

        return cls(
            **{
                **data,
                "headline": figures(data["headline"]),
                "trend": [MonthFigures(m["month"], figures(m["figures"])) for m in data["trend"]],
                "breakdown": [
                    UnitFigures(**{**row, "figures": figures(row["figures"])}) for row in data["breakdown"]
                ],
            }
        )


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of "2026-10"; ValueError for anything that is not a month."""
    if period_kind_of(month) != "month":
        raise ValueError(month)
    return period_bounds(month)


def months_back(month: str, count: int) -> list[str]:
    """The `count` months ending with `month`, oldest first."""
    year, number = (int(part) for part in month.split("-"))
    found = []
    for _i in range(count):
        found.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return found[::-1]


def breakdown_units(unit: OrgUnit) -> list[OrgUnit]:
    """The units a report compares: a region's departments (and regions under it), any other unit's
    children (a department's sections, a hall's windows)."""
    children = OrgUnit.objects.filter(parent=unit, is_active=True)
    if unit.kind == UnitKind.REGION:
        children = children.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.REGION])
    return list(children.order_by("code"))


def _references(counted: RunCounts, expected_days: dict[str, float] | None) -> dict[str, Any]:
    return {
        "expected_days": expected_days,
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": wait_target_minutes(),
    }


def measured(
    counted: RunCounts, subject: int, codes: Iterable[str], references: dict[str, Any]
) -> dict[str, Figure]:
    """The indicators `codes` of one subject of a count, as a run computes them."""
    found = {}
    for code in codes:
        indicator = lib.INDICATORS[code]
        counts = counted.by_subject[indicator.source].get(subject) or lib.COUNTS_OF[indicator.source]()
        reference = references[indicator.needs] if indicator.needs else None
        found[code] = Figure.of(lib.from_counts(code, counts, reference))
    return found


def _holds_anything(counted: RunCounts, subject: int) -> bool:
    return any(
        counts != type(counts)()
        for source in counted.by_subject.values()
        if (counts := source.get(subject)) is not None
    )


def orders_at_cutoff(
    resolve: Callable[[int | None], int | None], subject: int, cutoff: dt.datetime
) -> tuple[int, int]:
    """Rectification orders of the unit open at the cut-off (opened by then, not closed by then), and those
    of them past their rectify-by date without an answer to the citizen by then (the first answer, from
    the audit trail, as the engine reads it: a reopened order overwrites its answer time)."""
    today = local_date(cutoff, timezone.get_default_timezone())
    answered = AuditEvent.objects.filter(
        target_type="rectification.rectificationorder",
        target_id=Cast(OuterRef("pk"), output_field=CharField()),
        action="rectification.order.answered",
        occurred_at__lte=cutoff,
    )
    rows = (
        RectificationOrder.objects.filter(opened_at__lte=cutoff)
        .exclude(closed_at__lte=cutoff)
        .annotate(answered=Exists(answered))
        .values_list("unit_id", "rectify_due", "answered")
    )
    open_count = overdue = 0
    for unit_id, rectify_due, was_answered in rows:
        if resolve(unit_id) != subject:
            continue
        open_count += 1
        overdue += int(not was_answered and rectify_due < today)
    return open_count, overdue


def compute(unit: OrgUnit, month: str, cutoff: dt.datetime) -> Figures:
    """The report's figures for `unit` over `month` with the data as of `cutoff`."""
    start, end = month_bounds(month)
    resolve = unit_resolver([unit.pk])
    counted = count(start=start, end=end, cutoff=cutoff, resolve=resolve, by_staff=False, members=[])
    headline = measured(counted, unit.pk, HEADLINE, _references(counted, expected_days_before(start, cutoff)))
    trend = []
    for label in months_back(month, TREND_MONTHS):
        if label == month:
            month_counts = counted
        else:
            first, last = month_bounds(label)
            month_counts = count(
                start=first, end=last, cutoff=cutoff, resolve=resolve, by_staff=False, members=[]
            )
        trend.append(
            MonthFigures(label, measured(month_counts, unit.pk, TREND, _references(month_counts, None)))
        )
    children = breakdown_units(unit)
    side_by_side = count(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=unit_resolver([unit.pk, *(child.pk for child in children)]),
        by_staff=False,
        members=[],
    )
    references = _references(side_by_side, None)
    rows = [
        UnitFigures(
            code=child.code,
            name_zh=child.name_zh,
            name_en=child.name_en,
            rest=False,
            figures=measured(side_by_side, child.pk, BREAKDOWN, references),
        )
        for child in children
    ]
    if children and _holds_anything(side_by_side, unit.pk):
        rows.append(
            UnitFigures(
                code=unit.code,
                name_zh=unit.name_zh,
                name_en=unit.name_en,
                rest=True,
                figures=measured(side_by_side, unit.pk, BREAKDOWN, references),
            )
        )
    orders_open, orders_overdue = orders_at_cutoff(resolve, unit.pk, cutoff)
    return Figures(
        unit_code=unit.code,
        unit_name_zh=unit.name_zh,
        unit_name_en=unit.name_en,
        region=unit.kind == UnitKind.REGION,
        month=month,
        start=start.isoformat(),
        end=end.isoformat(),
        # In local time whatever zone the caller's moment is in: the digest must not depend on it.
        cutoff=timezone.localtime(cutoff).isoformat(),
        wait_target_minutes=wait_target_minutes(),
        headline=headline,
        orders_open=orders_open,
        orders_overdue=orders_overdue,
        trend=trend,
        breakdown=rows,
    )
