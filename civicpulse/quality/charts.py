"""Bar charts for the management review pack, as inline SVG (no scripts, no files from elsewhere: the pack
is read on intranets and printed to PDF from the same markup)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

INK, MUTED, BAR = "#1d2733", "#5b6675", "#2f5d8a"


def bars_svg(
    items: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    width: int = 560,
    row: int = 26,
    maximum: float | None = None,
) -> str:
    """Horizontal bars of (label, value, text shown beside the bar); a None value is drawn as "no data".
    Bars share one scale from 0 to `maximum` (by default the largest value)."""
    left, right, top = 150, 90, 28
    height = top + row * max(1, len(items)) + 8
    values = [v for _label, v, _text in items if v is not None]
    scale = maximum if maximum is not None else max(values, default=0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)} class="bars">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-family="sans-serif" font-size="13" fill="{INK}">{escape(title)}</text>',
    ]
    plot = width - left - right
    for i, (label, value, text) in enumerate(items):
        y = top + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{left}" y="{y + row * 0.65:.1f}" font-family="sans-serif" font-size="12" '
                f'fill="{MUTED}">{escape(_("no data"))}</text>'
            )
            continue
        length = plot * (value / scale) if scale > 0 else 0.0
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{BAR}"/>')
        parts.append(
            f'<text x="{left + length + 6:.1f}" y="{y + row * 0.65:.1f}" font-family="sans-serif" '
            f'font-size="12" fill="{INK}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
