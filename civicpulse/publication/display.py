"""Published figures as text for the pages: percentages, intervals, samples, and why a number is missing.
The numbers come already disclosed; this only formats them (a withheld value stays withheld)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicpulse.assessment import indicators as lib
from civicpulse.publication.charts import rate_bars_svg
from civicpulse.publication.disclosure import Disclosed
from civicpulse.publication.indicators import BY_CODE, CODES, RANKED_BY
from civicpulse.publication.selectors import Category, PublicResults, PublicSubject
from civicpulse.rectification.enums import Outcome, Satisfaction

DASH = "—"


def number(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    if unit == "%":
        return f"{value * 100:.1f}%"
    return f"{value:.2f}"


def interval(low: float | None, high: float | None, unit: str) -> str:
    if low is None or high is None:
        return ""
    if unit == "%":
        return f"{low * 100:.1f}–{high * 100:.1f}%"
    return f"{low:.2f}–{high:.2f}"


@dataclass(frozen=True)
class Cell:
    value: str
    interval: str
    n: str
    note: str
    rank: int | None
    shown: bool


def cell(figure: Disclosed | None, unit: str) -> Cell:
    if figure is None:
        return Cell(value=DASH, interval="", n="", note="", rank=None, shown=False)
    n = f"<{figure.threshold}" if figure.n_suppressed else ("" if figure.n is None else str(figure.n))
    # A sample shown as "<10" says why by itself; a note is needed when only the numerator is small.
    note = ""
    if figure.suppressed and not figure.n_suppressed:
        note = _("withheld: fewer than %(threshold)s counted") % {"threshold": figure.threshold}
    elif figure.insufficient and not figure.n_suppressed:
        note = _("insufficient data")
    return Cell(
        value=number(figure.value, unit),
        interval=interval(figure.low, figure.high, unit),
        n=n,
        note=note,
        rank=figure.rank,
        shown=figure.value is not None,
    )


def english() -> bool:
    return (get_language() or "").startswith("en")


def localized(obj: object, field: str) -> str:
    suffix = "en" if english() else "zh"
    return str(getattr(obj, f"{field}_{suffix}", "") or getattr(obj, f"{field}_zh", ""))


# Columns a phone leaves out (site.css hides `.optional` under 600 px): the ranking rate, the on-time rate
# and the names stay.
OPTIONAL_ON_PHONES = frozenset({"bad_review_rate", "speed", "speed_adjusted"})


@dataclass(frozen=True)
class Header:
    code: str
    name: str
    unit: str
    explanation: str
    optional: bool


def headers(codes: Sequence[str] = CODES) -> list[Header]:
    return [
        Header(
            code=code,
            name=localized(lib.INDICATORS[code], "name"),
            unit=lib.INDICATORS[code].unit,
            explanation=str(BY_CODE[code].explanation),
            optional=code in OPTIONAL_ON_PHONES,
        )
        for code in codes
    ]


@dataclass(frozen=True)
class Row:
    subject: PublicSubject
    cells: dict[str, Cell]


def rows(subjects: Sequence[PublicSubject]) -> list[Row]:
    return [
        Row(
            subject=s,
            cells={code: cell(s.figures.get(code), lib.INDICATORS[code].unit) for code in CODES},
        )
        for s in subjects
    ]


def category_chart(category: Category) -> str:
    """The category's good-review rates with their intervals, ranked first."""
    items = []
    for d in category.departments:
        figure = d.figures.get(RANKED_BY)
        shown = cell(figure, "%")
        items.append(
            (
                localized(d, "name"),
                figure.value if figure else None,
                figure.low if figure else None,
                figure.high if figure else None,
                f"{shown.value} (n={shown.n})",
            )
        )
    return rate_bars_svg(
        items,
        title=_("%(indicator)s, with its 95 %% interval")
        % {"indicator": localized(lib.INDICATORS[RANKED_BY], "name")},
        missing=_("withheld or too few to show"),
    )


def examples(results: PublicResults, department: str = "") -> list[dict[str, Any]]:
    outcomes, satisfactions = dict(Outcome.choices), dict(Satisfaction.choices)
    return [
        {
            "example": e,
            "outcome": outcomes.get(e.outcome, ""),
            "satisfaction": satisfactions.get(e.satisfaction, ""),
        }
        for e in results.examples
        if not department or e.department_code == department
    ]


def results_context(results: PublicResults) -> dict[str, Any]:
    """What the results tables need; the quality office's preview shows the same."""
    return {
        "results": results,
        "headers": headers(),
        "categories": [
            {
                "category": category,
                "rows": rows(category.departments),
                "chart": category_chart(category),
            }
            for category in results.categories
        ],
        "services": rows(sorted(results.services, key=lambda s: (s.department_code, s.code))),
        "examples": examples(results),
        "threshold": results.threshold,
    }
