"""A report's figures as a page, as PDF (WeasyPrint renders the page's own markup and inline SVG charts,
in the report's language, with a Chinese font) and as a spreadsheet (xlsxwriter: numbers stay numbers,
rates carry a percentage format). Nothing here reads the database: the figures are passed in."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicpulse.assessment import indicators as lib
from civicpulse.quality.charts import bars_svg
from civicpulse.reports.charts import lines_svg, same_font
from civicpulse.reports.figures import BREAKDOWN, GROUPS, HEADLINE, TREND, Figure, Figures

GROUP_LABELS: dict[str, Promise] = {
    "satisfaction": gettext_lazy("Satisfaction"),
    "efficiency": gettext_lazy("Efficiency"),
    "convenience": gettext_lazy("Convenience"),
    "waits": gettext_lazy("Hall waits"),
    "rectification": gettext_lazy("Rectification of bad reviews"),
}
DEFINITIONS: dict[str, Promise] = {
    "good_review_rate": gettext_lazy("Good reviews (levels 4 and 5) among the valid evaluations given."),
    "bad_review_rate": gettext_lazy("Bad reviews (levels 1 and 2) among the valid evaluations given."),
    "active_evaluation_rate": gettext_lazy(
        "Stages of the month's cases (intake, acceptance, completion) that the applicant rated."
    ),
    "on_time_completion_rate": gettext_lazy(
        "Cases decided within their promised limit among the month's cases decided by the cut-off."
    ),
    "speed": gettext_lazy("Working days used divided by the promised limit, on average (lower is faster)."),
    "speed_adjusted": gettext_lazy(
        "Working days used divided by what the same services took over the year before (below 1 is faster "
        "than usual)."
    ),
    "run_at_most_once_rate": gettext_lazy("Ended cases whose applicant came in person at most once."),
    "zero_visit_rate": gettext_lazy("Ended cases whose applicant never had to come in person."),
    "digital_take_up": gettext_lazy("Completed cases that were applied for online."),
    "mean_wait": gettext_lazy("Average minutes from taking a ticket to being called, in the halls."),
    "p90_wait": gettext_lazy("Nine in ten called tickets waited at most this many minutes."),
    "wait_within_target_rate": gettext_lazy("Called tickets that waited no longer than the wait target."),
    "contact_on_time_rate": gettext_lazy(
        "Rectification orders of the month whose citizen was contacted by the contact deadline."
    ),
    "rectification_rate": gettext_lazy(
        "Rectification orders of the month answered by their rectify-by date."
    ),
    "rectification_satisfaction_rate": gettext_lazy(
        "Callbacks in which the citizen was satisfied or basically satisfied with the rectification."
    ),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def counted_note() -> str:
    return _(
        "Counted by the assessment engine over the cases received, the ratings given, the rectification "
        "orders opened and the tickets issued in the month, as they stood at the data cut-off. Rates come "
        "with a 95% Wilson interval; below the minimum sample a value is marked as insufficient data."
    )


def english() -> bool:
    return (translation.get_language() or "").startswith("en")


def indicator_name(code: str) -> str:
    indicator = lib.INDICATORS[code]
    return indicator.name_en if english() else indicator.name_zh


def unit_label(indicator_unit: str) -> str:
    if indicator_unit == "%":
        return "%"
    if indicator_unit == "minutes":
        return _("minutes")
    return _("ratio")


def shown(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    unit = lib.INDICATORS[figure.code].unit
    if unit == "%":
        return f"{figure.value * 100:.1f}%"
    if unit == "minutes":
        return f"{figure.value:.1f} " + _("min")
    return f"{figure.value:.2f}"


def interval(figure: Figure) -> str:
    if figure.value is None or figure.low is None or figure.high is None:
        return ""
    return f"{figure.low * 100:.1f}–{figure.high * 100:.1f}%"


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    shown: str
    n: int
    numerator: str
    interval: str
    insufficient: bool
    definition: str


def _line(figure: Figure) -> Line:
    unit = lib.INDICATORS[figure.code].unit
    numerator = f"{figure.numerator:g}" if unit == "%" else ""
    return Line(
        code=figure.code,
        name=indicator_name(figure.code),
        shown=shown(figure),
        n=figure.n,
        numerator=numerator,
        interval=interval(figure),
        insufficient=figure.insufficient and figure.value is not None,
        definition=str(DEFINITIONS[figure.code]),
    )


def _cell(figure: Figure) -> dict[str, Any]:
    return {
        "shown": shown(figure),
        "n": figure.n,
        "insufficient": figure.insufficient and figure.value is not None,
    }


def unit_name(figures: Figures) -> str:
    return figures.unit_name_en if english() else figures.unit_name_zh


def _row_name(figures: Figures, row: Any) -> str:
    if row.rest:
        return _("Other records of %(unit)s") % {"unit": unit_name(figures)}
    return str(row.name_en if english() else row.name_zh)


def _cutoff(figures: Figures) -> dt.datetime:
    return timezone.localtime(dt.datetime.fromisoformat(figures.cutoff))


def context(figures: Figures) -> dict[str, Any]:
    """What the templates show, in the active language."""
    names = [indicator_name(code) for code in TREND]
    trend_svg = lines_svg(
        [m.month for m in figures.trend],
        [
            (name, [m.figures[code].value for m in figures.trend])
            for name, code in zip(names, TREND, strict=True)
        ],
        title=_("The main rates over twelve months"),
    )

    # Units below the minimum sample are not ranked (domain.md §7): they follow the others, and units with
    # no data come last.
    def rank(row: Any) -> tuple[int, float]:
        figure = row.figures["good_review_rate"]
        if figure.value is None:
            return 2, 0.0
        return int(figure.insufficient), -figure.value

    ranked = sorted(figures.breakdown, key=rank)
    bars = []
    for row in ranked:
        figure = row.figures["good_review_rate"]
        text = f"{shown(figure)} (n = {figure.n})"
        if figure.insufficient and figure.value is not None:
            text += " · " + _("insufficient data")
        bars.append((_row_name(figures, row), figure.value, text))
    title = _("Good-review rate by department") if figures.region else _("Good-review rate by sub-unit")
    return {
        "figures": figures,
        "unit_name": unit_name(figures),
        "cutoff": _cutoff(figures),
        "groups": [
            (str(GROUP_LABELS[group]), [_line(figures.headline[code]) for code in codes])
            for group, codes in GROUPS
        ],
        "wait_target": f"{figures.wait_target_minutes:g}",
        "trend_names": names,
        "trend_rows": [(m.month, [_cell(m.figures[code]) for code in TREND]) for m in figures.trend],
        "trend_svg": trend_svg,
        "breakdown_names": [indicator_name(code) for code in BREAKDOWN],
        "breakdown_rows": [
            (_row_name(figures, row), row.rest, [_cell(row.figures[code]) for code in BREAKDOWN])
            for row in figures.breakdown
        ],
        "breakdown_svg": same_font(bars_svg(bars, title=title, maximum=1.0)) if bars else "",
        "breakdown_title": _("By department") if figures.region else _("By sub-unit"),
        "counted_note": counted_note(),
    }


def html(figures: Figures, *, language: str, about: dict[str, Any]) -> str:
    """The report as one standalone HTML document in `language` (the PDF's source)."""
    with translation.override(language):
        return render_to_string(
            "reports/document.html", {**context(figures), **about, "LANGUAGE_CODE": language}
        )


def pdf(document: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=document).write_pdf())


def _naive_local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def xlsx(figures: Figures, *, language: str, about: dict[str, Any]) -> bytes:
    """The figures as a workbook: headline, trend, breakdown and an "about" sheet with the cut-off, the
    definitions and the digest. Values are numbers; rates are proportions shown as percentages."""
    import xlsxwriter

    buffer = io.BytesIO()
    with translation.override(language):
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        # A fixed creation time: the same report makes the same file.
        workbook.set_properties(
            {
                "title": f"{unit_name(figures)} {figures.month}",
                "author": "CivicPulse",
                "created": _naive_local(about["generated_at"]),
            }
        )
        bold = workbook.add_format({"bold": True})
        formats = {
            "%": workbook.add_format({"num_format": "0.0%"}),
            "minutes": workbook.add_format({"num_format": "0.0"}),
            "ratio": workbook.add_format({"num_format": "0.000"}),
        }
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})

        def number_format(code: str) -> Any:
            unit = lib.INDICATORS[code].unit
            return formats.get(unit, formats["ratio"])

        def write_value(sheet: Any, row: int, column: int, value: float | None, code: str) -> None:
            if value is None:
                sheet.write_blank(row, column, None)
            else:
                sheet.write_number(row, column, value, number_format(code))

        headline = workbook.add_worksheet(_("Figures")[:31])
        header = [
            _("Group"),
            _("Code"),
            _("Indicator"),
            _("Value"),
            _("Unit"),
            "n",
            _("Numerator"),
            _("Lower bound (95%)"),
            _("Upper bound (95%)"),
            _("Insufficient data"),
        ]
        headline.write_row(0, 0, header, bold)
        row = 1
        for group, codes in GROUPS:
            for code in codes:
                figure = figures.headline[code]
                headline.write_string(row, 0, str(GROUP_LABELS[group]))
                headline.write_string(row, 1, code)
                headline.write_string(row, 2, indicator_name(code))
                write_value(headline, row, 3, figure.value, code)
                headline.write_string(row, 4, unit_label(lib.INDICATORS[code].unit))
                headline.write_number(row, 5, figure.n)
                headline.write_number(row, 6, figure.numerator)
                write_value(headline, row, 7, figure.low, code)
                write_value(headline, row, 8, figure.high, code)
                headline.write_boolean(row, 9, figure.insufficient)
                row += 1
        for code, label, value in (
            ("orders_open", _("Rectification orders open at the cut-off"), figures.orders_open),
            ("orders_overdue", _("of which past their rectify-by date"), figures.orders_overdue),
        ):
            headline.write_string(row, 0, str(GROUP_LABELS["rectification"]))
            headline.write_string(row, 1, code)
            headline.write_string(row, 2, label)
            headline.write_number(row, 3, value)
            headline.write_string(row, 4, _("orders"))
            row += 1
        headline.freeze_panes(1, 0)
        headline.set_column(0, 0, 16)
        headline.set_column(1, 1, 30)
        headline.set_column(2, 2, 34)
        headline.set_column(3, 9, 12)

        trend = workbook.add_worksheet(_("Trend")[:31])
        trend.write_string(0, 0, _("Month"), bold)
        for i, code in enumerate(TREND):
            trend.write_string(0, 1 + 2 * i, indicator_name(code), bold)
            trend.write_string(0, 2 + 2 * i, f"{indicator_name(code)} n", bold)
        for r, month in enumerate(figures.trend, start=1):
            trend.write_string(r, 0, month.month)
            for i, code in enumerate(TREND):
                write_value(trend, r, 1 + 2 * i, month.figures[code].value, code)
                trend.write_number(r, 2 + 2 * i, month.figures[code].n)
        trend.freeze_panes(1, 1)
        trend.set_column(0, 0, 10)
        trend.set_column(1, 2 * len(TREND), 14)

        breakdown = workbook.add_worksheet(_("Breakdown")[:31])
        breakdown.write_string(0, 0, _("Code"), bold)
        breakdown.write_string(0, 1, _("Unit"), bold)
        for i, code in enumerate(BREAKDOWN):
            breakdown.write_string(0, 2 + 3 * i, indicator_name(code), bold)
            breakdown.write_string(0, 3 + 3 * i, f"{indicator_name(code)} n", bold)
            breakdown.write_string(0, 4 + 3 * i, f"{indicator_name(code)} · {_('Insufficient data')}", bold)
        for r, unit_row in enumerate(figures.breakdown, start=1):
            breakdown.write_string(r, 0, unit_row.code)
            breakdown.write_string(r, 1, _row_name(figures, unit_row))
            for i, code in enumerate(BREAKDOWN):
                figure = unit_row.figures[code]
                write_value(breakdown, r, 2 + 3 * i, figure.value, code)
                breakdown.write_number(r, 3 + 3 * i, figure.n)
                breakdown.write_boolean(r, 4 + 3 * i, figure.insufficient)
        breakdown.freeze_panes(1, 2)
        breakdown.set_column(0, 0, 14)
        breakdown.set_column(1, 1, 28)
        breakdown.set_column(2, 1 + 3 * len(BREAKDOWN), 12)

        sheet = workbook.add_worksheet(_("About")[:31])
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 20)
        sheet.set_column(2, 2, 80)
        facts: list[tuple[str, Any]] = [
            (_("Unit"), unit_name(figures)),
            (_("Unit code"), figures.unit_code),
            (_("Month"), figures.month),
            (_("Period"), f"{figures.start} – {figures.end}"),
            (_("Data cut-off"), _naive_local(_cutoff(figures))),
            (_("Cut-off"), str(about["cutoff_kind_label"])),
            (_("Time zone"), str(timezone.get_default_timezone())),
            (_("Language"), language),
            (_("Version"), about["version"]),
            (_("Generated"), _naive_local(about["generated_at"])),
            (_("Wait target (minutes)"), figures.wait_target_minutes),
            (_("Figures digest (SHA-256)"), about["digest"]),
        ]
        for r, (label, value) in enumerate(facts):
            sheet.write_string(r, 0, label, bold)
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, 1, value, when)
            elif isinstance(value, int | float):
                sheet.write_number(r, 1, value)
            else:
                sheet.write_string(r, 1, str(value))
        r = len(facts) + 1
        sheet.write_string(r, 0, _("How the figures are counted"), bold)
        sheet.write_string(r + 1, 0, counted_note())
        r += 3
        sheet.write_row(r, 0, [_("Code"), _("Indicator"), _("Definition"), _("Minimum sample")], bold)
        for offset, code in enumerate(HEADLINE, start=1):
            sheet.write_string(r + offset, 0, code)
            sheet.write_string(r + offset, 1, indicator_name(code))
            sheet.write_string(r + offset, 2, str(DEFINITIONS[code]))
            sheet.write_number(r + offset, 3, lib.INDICATORS[code].min_sample)
        workbook.close()
    return buffer.getvalue()
