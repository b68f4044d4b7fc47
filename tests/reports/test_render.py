"""How figures are shown: pure functions over hand-made figures, no database."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from civicpulse.reports import render
from civicpulse.reports.figures import BREAKDOWN, HEADLINE, TREND, Figure, Figures, MonthFigures, UnitFigures


def figure(code: str, value: float | None, n: int = 40, insufficient: bool = False) -> Figure:
    return Figure(
        code=code,
        value=value,
        n=n,
        numerator=(value or 0) * n,
        low=None if value is None else max(0.0, value - 0.1),
        high=None if value is None else min(1.0, value + 0.1),
        insufficient=insufficient,
    )


def row(code: str, good: float | None, insufficient: bool = False) -> UnitFigures:
    return UnitFigures(
        code=code,
        name_zh=f"{code}局",
        name_en=f"{code} bureau",
        rest=False,
        figures={c: figure(c, good, insufficient=insufficient) for c in BREAKDOWN},
    )


FIGURES = Figures(
    unit_code="county",
    unit_name_zh="示例县",
    unit_name_en="Example County",
    region=True,
    month="2025-11",
    start="2025-11-01",
    end="2025-11-30",
    cutoff="2025-12-03T00:00:00+08:00",
    wait_target_minutes=20.0,
    headline={code: figure(code, 0.5) for code in HEADLINE},
    orders_open=2,
    orders_overdue=1,
    trend=[MonthFigures("2025-11", {code: figure(code, 0.5) for code in TREND})],
    breakdown=[row("low", 0.6), row("tiny", 1.0, insufficient=True), row("none", None), row("high", 0.9)],
)


def test_units_below_the_minimum_sample_are_not_ranked_above_the_others():
    with translation.override("en"):
        svg = render.context(FIGURES)["breakdown_svg"]
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert labels == ["high bureau", "low bureau", "tiny bureau", "none bureau"]
    assert "100.0% (n = 40) · insufficient data" in svg and "no data" in svg


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("good_review_rate", 0.8766, "87.7%"),
        ("mean_wait", 12.345, "12.3 min"),
        ("speed", 0.8123, "0.81"),
        ("speed_adjusted", None, "—"),
    ],
)
def test_each_kind_of_indicator_is_shown_in_its_unit(code, value, shown):
    with translation.override("en"):
        assert render.shown(figure(code, value)) == shown


def test_only_rates_have_an_interval():
    assert render.interval(figure("good_review_rate", 0.5)) == "40.0–60.0%"
    assert render.interval(Figure("mean_wait", 12.0, 40, 480.0, None, None, False)) == ""


@pytest.mark.parametrize(("language", "name"), [("en", "Example County"), ("zh-hans", "示例县")])
def test_the_document_is_in_the_language_asked_for_whatever_the_request_s(language, name):
    about = {"version": 3, "generated_at": None, "digest": "d" * 64, "cutoff_kind_label": "routine"}
    with translation.override("en" if language != "en" else "zh-hans"):
        html = render.html(FIGURES, language=language, about=about)
    assert f"<title>{name} 2025-11</title>" in html and ("好评率" in html) == (language == "zh-hans")
    assert 'data-code="good_review_rate"' in html and "d" * 64 in html
