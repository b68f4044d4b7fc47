"""The funnel plot is plain, accessible SVG: well formed, one dot per unit, limits drawn, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from civicpulse.assessment.charts import funnel_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the chart under test, not untrusted input


def test_a_funnel_plot_is_well_formed_accessible_svg_with_a_dot_per_unit():
    root = parse(funnel_svg([("A", 45, 50), ("B", 30, 60), ("C", 9, 10)], title="Good reviews"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Good reviews"
    dots = root.findall(f".//{SVG}circle")
    assert len(dots) == 3
    assert [dot.find(f"{SVG}title").text.split(":")[0] for dot in dots] == ["A", "B", "C"]
    assert "script" not in funnel_svg([("A", 1, 2)]).lower()


def test_the_pooled_rate_and_both_control_limits_are_drawn():
    root = parse(funnel_svg([("A", 45, 50), ("B", 30, 60)]))
    limits = {line.get("class") for line in root.findall(f".//{SVG}polyline")}
    assert limits == {"limit lo2", "limit hi2", "limit lo3", "limit hi3"}
    assert root.find(f".//{SVG}line[@class='pooled']") is not None
    # Curves run from n = 1 to the largest n, one vertex per n up to the sampling threshold.
    assert len(root.find(f".//{SVG}polyline").get("points").split()) == 60


def test_units_outside_the_limits_are_marked_as_outliers():
    points = [("low", 10, 100), ("mid", 500, 1000), ("high", 95, 100), ("edge", 60, 100)]
    root = parse(funnel_svg(points))
    classes = {
        dot.find(f"{SVG}title").text.split(":")[0]: dot.get("class") for dot in root.iter(f"{SVG}circle")
    }
    # p0 = 665 / 1300 = 0.5115; at n = 100 the 3 sigma band is about 0.36 to 0.66 and 2 sigma 0.41 to 0.61.
    assert classes == {
        "low": "point outlier3",
        "mid": "point within",
        "high": "point outlier3",
        "edge": "point within",
    }
    assert parse(funnel_svg([("x", 65, 100), ("y", 500, 1000)])).find(f".//{SVG}circle").get("class") == (
        "point outlier2"
    )


def test_labels_and_titles_are_escaped():
    svg = funnel_svg([('<b>"A&B"</b>', 5, 10)], title="<script>alert(1)</script>")
    root = parse(svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert root.find(f".//{SVG}circle/{SVG}title").text.startswith('<b>"A&B"</b>:')


def test_no_points_give_a_no_data_chart():
    for points in ([], [("empty", 0, 0)]):
        root = parse(funnel_svg(points, title="Nothing"))
        assert root.findall(f".//{SVG}circle") == []
        assert "No data" in "".join(root.itertext())


def test_a_given_pooled_rate_is_the_reference_line():
    root = parse(funnel_svg([("A", 5, 10)], height=320, pooled=0.25))
    pooled = root.find(f".//{SVG}line[@class='pooled']")
    # top margin 28, plot height 320 - 28 - 40 = 252: y = 28 + 252 * 0.75
    assert float(pooled.get("y1")) == 28 + 252 * 0.75
