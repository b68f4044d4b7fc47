"""Dashboard charts as inline SVG drawn on the server: no script, no font or file from elsewhere (government
intranets have no internet), Chinese labels in the fonts the machine has. Every chart sits beside a table
of the same numbers, and scales to the width of a phone (viewBox, width 100 %)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from civicpulse.quality.charts import bars_svg

__all__ = ["bars_svg", "lines_svg"]

FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
INK, MUTED, GRID = "#1d2733", "#5b6675", "#d9dee5"
COLOURS = ("#2f5d8a", "#c0504d", "#4f8a3c", "#8064a2", "#d08a1e", "#2c8c99")


def lines_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    percent: bool = True,
    width: int = 640,
    height: int = 240,
) -> str:
    """Lines over months: one per (name, values), a gap where a value is missing. Rates are drawn on 0 to
    100 %, other figures from 0 to their largest value."""
    left, right, top, bottom = 44, 28, 30, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _name, vs in series for v in vs if v is not None]
    top_value = 1.0 if percent else max(values, default=1.0) or 1.0
    step = plot_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + (step * i if len(labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" aria-label={quoteattr(title)} class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-family="{FONT}" font-size="13" fill="{INK}">{escape(title)}</text>',
    ]
    for k in range(5):
        v = top_value * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-family="{FONT}" font-size="10" '
            f'fill="{MUTED}">{f"{v:.0%}" if percent else f"{v:.3g}"}</text>'
        )
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 14}" text-anchor="middle" font-family="{FONT}" '
                f'font-size="10" fill="{MUTED}">{escape(label)}</text>'
            )
    for s, (name, vs) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        run: list[str] = []
        for i, point in enumerate(vs):
            if point is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            run.append(f"{x(i):.1f},{y(point):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(point):.1f}" r="2.5" fill="{colour}"/>')
        if len(run) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
            )
        legend_x = left + (s % 3) * (plot_w / 3)
        legend_y = height - 18 + (s // 3) * 14
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14:.1f}" y="{legend_y + 1}" font-family="{FONT}" font-size="11" '
            f'fill="{INK}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
