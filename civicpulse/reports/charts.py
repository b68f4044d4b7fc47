"""The report's trend chart as inline SVG, beside the bars of civicpulse.quality.charts: no scripts and no
files from elsewhere, so the same markup shows on an intranet page and prints to PDF."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

INK, MUTED, GRID = "#1d2733", "#5b6675", "#e3e6ea"
# The document's own font for chart text too: one Simplified Chinese face embedded in a PDF, not a second
# one picked by the generic family (often a Japanese or Traditional variant, and twice the file size).
# No quotes and no spaces after the commas: WeasyPrint splits the SVG attribute on commas as it stands.
FONT = "WenQuanYi Micro Hei,Noto Sans CJK SC,sans-serif"
# Distinguishable in print and for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")


def same_font(svg: str) -> str:
    """An SVG chart of civicpulse.quality.charts with its text set in FONT."""
    return svg.replace('font-family="sans-serif"', f'font-family="{FONT}"')


def lines_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    width: int = 640,
    height: int = 280,
) -> str:
    """Rates (0 to 1) over `labels`, one line per (name, values); a None value is a gap in its line, so a
    month without data never looks like a month at zero."""
    left, right, top, legend_row = 44, 28, 30, 18
    legend_rows = (len(series) + 2) // 3
    bottom = 26 + legend_rows * legend_row
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + (step * i if len(labels) > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - min(1.0, max(0.0, rate)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)} class="trend">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-family="{FONT}" font-size="13" fill="{INK}">{escape(title)}</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" y1="{y(tick / 100):.1f}" x2="{left + plot_w}" y2="{y(tick / 100):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(tick / 100) + 4:.1f}" text-anchor="end" font-family="{FONT}" '
            f'font-size="10" fill="{MUTED}">{tick}%</text>'
        )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-family="{FONT}" '
            f'font-size="9" fill="{MUTED}">{escape(label)}</text>'
        )
    if not any(v is not None for _name, values in series for v in values):
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            f'font-family="{FONT}" font-size="13" fill="{MUTED}">{escape(_("no data"))}</text>'
        )
    for index, (name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x(i), y(value)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(
                    f'<polyline class="line" points="{points}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
        for i, value in enumerate(values):
            if value is not None:
                tip = f"{name} {labels[i]}: {value * 100:.1f}%"
                parts.append(
                    f'<circle class="point" cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
        row, column = divmod(index, 3)
        lx, ly = left + column * (plot_w / 3), top + plot_h + 30 + row * legend_row
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 8}" width="12" height="3" fill="{colour}"/>'
            f'<text x="{lx + 16:.1f}" y="{ly - 4}" font-family="{FONT}" font-size="10" '
            f'fill="{INK}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
