"""The trend chart: pure markup from numbers."""

from __future__ import annotations

import re

from django.utils import translation

from civicpulse.reports.charts import FONT, lines_svg, same_font


def test_one_line_per_series_broken_where_a_month_has_no_data():
    svg = lines_svg(
        ["2025-09", "2025-10", "2025-11", "2025-12"],
        [("Good", [0.5, None, 0.75, 1.0]), ("Bad", [0.1, 0.2, 0.3, 0.4])],
        title="Trend",
    )
    lines = re.findall(r'<polyline class="line" points="([^"]+)"', svg)
    # "Good" is one segment after its gap (a lone point before it is a dot only); "Bad" one line of four.
    assert sorted(len(points.split()) for points in lines) == [2, 4]
    assert svg.count('<circle class="point"') == 7
    assert "Good 2025-11: 75.0%" in svg


def test_rates_run_from_the_bottom_to_the_top_of_the_plot():
    svg = lines_svg(["a", "b"], [("x", [0.0, 1.0])], title="t", height=280)
    low, high = (float(y) for y in re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)"', svg))
    assert low > high and high == 30.0


def test_a_chart_without_data_says_so_and_text_is_escaped():
    with translation.override("en"):
        svg = lines_svg(["2025-11"], [("<b>&", [None])], title="A & B")
    assert "no data" in svg and "&lt;b&gt;&amp;" in svg and "A &amp; B" in svg and "<b>" not in svg


def test_borrowed_charts_take_the_report_s_font():
    assert same_font('<text font-family="sans-serif">x</text>') == f'<text font-family="{FONT}">x</text>'
    assert "'" not in FONT and ", " not in FONT
