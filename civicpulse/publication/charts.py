"""Rates with their 95 % intervals as inline SVG bars: no script, no file from elsewhere, and a viewBox so
the chart shrinks to a phone's width. A withheld or missing rate is drawn as a note, never as a bar."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

INK, MUTED, BAR, WHISKER = "#1d2733", "#5b6675", "#2f5d8a", "#1d2733"
LABEL_CHARS = 12


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def rate_bars_svg(
    items: Sequence[tuple[str, float | None, float | None, float | None, str]],
    *,
    title: str,
    missing: str,
    width: int = 520,
    row: int = 26,
) -> str:
    """Horizontal bars of (label, rate, low, high, text) on one 0-100 % scale, the interval as a whisker."""
    left, right, top = 160, 100, 28
    height = top + row * max(1, len(items)) + 8
    plot = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" style="width:100%;max-width:{width}px;height:auto" '
        f'aria-label={quoteattr(title)} class="rate-bars">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-family="sans-serif" font-size="13" fill="{INK}">{escape(title)}</text>',
    ]
    for i, (label, value, low, high, text) in enumerate(items):
        y = top + i * row
        baseline = f"{y + row * 0.65:.1f}"
        parts.append(
            f'<text x="{left - 8}" y="{baseline}" text-anchor="end" font-family="sans-serif" font-size="12" '
            f'fill="{INK}"><title>{escape(label)}</title>{escape(_short(label))}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{left}" y="{baseline}" font-family="sans-serif" font-size="12" '
                f'fill="{MUTED}">{escape(missing)}</text>'
            )
            continue
        length = plot * max(0.0, min(1.0, value))
        parts.append(f'<rect x="{left}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" fill="{BAR}"/>')
        if low is not None and high is not None:
            x1, x2, mid = left + plot * low, left + plot * high, y + row / 2
            parts.append(
                f'<line x1="{x1:.1f}" y1="{mid:.1f}" x2="{x2:.1f}" y2="{mid:.1f}" stroke="{WHISKER}" '
                f'stroke-width="1.5"/>'
                f'<line x1="{x1:.1f}" y1="{mid - 5:.1f}" x2="{x1:.1f}" y2="{mid + 5:.1f}" '
                f'stroke="{WHISKER}" stroke-width="1.5"/>'
                f'<line x1="{x2:.1f}" y1="{mid - 5:.1f}" x2="{x2:.1f}" y2="{mid + 5:.1f}" '
                f'stroke="{WHISKER}" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{left + plot + 6}" y="{baseline}" font-family="sans-serif" font-size="12" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
