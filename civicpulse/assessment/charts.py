"""Server-rendered charts: plain inline SVG strings, no JavaScript, no fonts or files from elsewhere.

Government intranets have no internet, so a chart is text in the page. Functions here are pure: they take
numbers and labels and return markup, so they are tested without a database and reused by any page.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

from civicpulse.assessment.scoring import funnel_limits

# Colours of the house palette (base.html): ink, muted, warning, error.
INK, MUTED, WARN, ERR, OK = "#1d2733", "#5b6675", "#9a6700", "#b3261e", "#1b7f3b"
# Above this many sizes the control-limit curves are sampled instead of drawn at every n.
CURVE_SAMPLES = 120


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)} class="funnel">'
        f"<title>{escape(title)}</title>"
    )


def funnel_svg(
    points: Sequence[tuple[str, int, int]],
    *,
    width: int = 560,
    height: int = 320,
    title: str = "",
    pooled: float | None = None,
) -> str:
    """A funnel plot of (label, successes, n) rates: the pooled rate, 2 and 3 sigma limits, one dot each.

    `pooled` is the reference rate when the points shown are only part of the group (a head sees their
    own units against the rate of the whole group); by default it is pooled from the points. Points with
    n <= 0 have no rate and are left out. A dot outside the 3 sigma limits is red, outside 2 sigma amber;
    "outside" is strict, as in `scoring.funnel_outliers`. Each dot carries its label in a <title>, which
    browsers show on hover and screen readers read.
    """
    title = title or _("Funnel plot")
    shown = [(label, successes, n) for label, successes, n in points if n > 0]
    if not shown:
        return (
            _open(width, height, title)
            + f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="14" fill="{MUTED}">{escape(_("No data"))}</text></svg>'
        )
    if pooled is None:
        pooled = sum(s for _l, s, _n in shown) / sum(n for _l, _s, n in shown)
    p0 = min(1.0, max(0.0, pooled))
    max_n = max(n for _l, _s, n in shown)
    left, right, top, bottom = 48, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(n: float) -> float:
        return left + plot_w * n / max_n

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    parts = [_open(width, height, title)]
    parts.append(
        f'<text x="{left}" y="16" font-family="sans-serif" font-size="13" fill="{INK}">{escape(title)}</text>'
    )
    # Axes with ticks at 0, 25, 50, 75 and 100 % and at 1 and the largest n.
    parts.append(
        f'<g font-family="sans-serif" font-size="11" fill="{MUTED}" stroke="none">'
        + "".join(
            f'<text x="{left - 6}" y="{y(t / 100) + 4:.1f}" text-anchor="end">{t}%</text>'
            for t in (0, 25, 50, 75, 100)
        )
        + f'<text x="{x(1):.1f}" y="{top + plot_h + 16}" text-anchor="middle">1</text>'
        + f'<text x="{x(max_n):.1f}" y="{top + plot_h + 16}" text-anchor="end">{max_n}</text>'
        + f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        + f"{escape(_('Sample size (n)'))}</text></g>"
    )
    parts.append(
        f'<path d="M{left},{top} V{top + plot_h} H{left + plot_w}" fill="none" stroke="{MUTED}" '
        'stroke-width="1"/>'
    )
    sizes = (
        list(range(1, max_n + 1))
        if max_n <= CURVE_SAMPLES
        else sorted({max(1, round(max_n * i / CURVE_SAMPLES)) for i in range(CURVE_SAMPLES + 1)})
    )
    limits = [(n, funnel_limits(p0, n)) for n in sizes]
    for index, name, colour, dash in (
        (0, "lo2", WARN, "4 3"),
        (1, "hi2", WARN, "4 3"),
        (2, "lo3", ERR, ""),
        (3, "hi3", ERR, ""),
    ):
        coords = " ".join(f"{x(n):.1f},{y(lim[index]):.1f}" for n, lim in limits)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="limit {name}" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="1"{dash_attr}/>'
        )
    parts.append(
        f'<line class="pooled" x1="{x(0):.1f}" y1="{y(p0):.1f}" x2="{x(max_n):.1f}" y2="{y(p0):.1f}" '
        f'stroke="{INK}" stroke-width="1.5"><title>{escape(_("Pooled rate"))} {p0 * 100:.1f}%</title></line>'
    )
    for label, successes, n in shown:
        rate = successes / n
        lo2, hi2, lo3, hi3 = funnel_limits(p0, n)
        if rate > hi3 or rate < lo3:
            position, colour = "outlier3", ERR
        elif rate > hi2 or rate < lo2:
            position, colour = "outlier2", WARN
        else:
            position, colour = "within", OK
        tip = f"{label}: {rate * 100:.1f}% ({successes}/{n})"
        parts.append(
            f'<circle class="point {position}" cx="{x(n):.1f}" cy="{y(rate):.1f}" r="4" fill="{colour}" '
            f'fill-opacity="0.85" stroke="#fff"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
