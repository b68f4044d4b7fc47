"""Pages of self-assessment: CAF 2020 self-assessments (a form per sub-criterion showing its panel, totals,
comparison of two) and ISO 18091 diagnostics (lights per indicator grouped by quadrant, a unit's history).

Forms work without JavaScript; with htmx, saving a sub-criterion or an indicator swaps its criterion or
quadrant in place and updates the totals out of band. Charts are inline SVG built here: no script, font
or file from elsewhere (government intranets have no internet).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.quality import self_assessment as sa
from civicpulse.quality.models.self_assessment import CafAssessment, Diagnostic, Light, SelfAssessmentStatus
from civicpulse.quality.reference import (
    ENABLER_PANEL,
    ISO18091_INDICATOR_NAMES_CONFIRMED,
    RESULT_PANEL,
    TRAFFIC_LIGHT_LABELS,
)

# Colours of the house palette (site.css) and the three lights.
INK, MUTED, LINE = "#1d2733", "#5b6675", "#d8dee6"
BEFORE_COLOUR, AFTER_COLOUR = "#9aa5b1", "#0b57d0"
LIGHT_COLOURS = {"red": "#b3261e", "yellow": "#e0b000", "green": "#1b7f3b", "unrated": "#d8dee6"}
LIGHT_TEXT = {"red": "#fff", "yellow": INK, "green": "#fff", "unrated": INK}
# Upper bounds of the classical panels' bands (both panels share them): faint guides on the score charts.
BAND_EDGES = tuple(band.high for band in ENABLER_PANEL[:-1])


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF or not has_perm(user, Perm.QUALITY_VIEW):
        raise Http404
    return user


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _unit_name(unit: OrgUnit) -> str:
    return unit.name_en if _english() and unit.name_en else unit.name_zh


def _one(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _direction_text(direction: str) -> str:
    return {
        sa.IMPROVED: "▲ " + _("improved"),
        sa.DECLINED: "▼ " + _("declined"),
        sa.UNCHANGED: "= " + _("unchanged"),
    }.get(direction, "–")


def _lights() -> list[dict[str, str]]:
    """The three lights for forms and legends: value, short name and what it means, in the page's language."""
    return [
        {
            "value": light.value,
            "name": str(light.label),
            "meaning": TRAFFIC_LIGHT_LABELS[light.value][0 if _english() else 1],
        }
        for light in Light
    ]


def _whole_number(text: str) -> int:
    """A score typed in a form: digits only (no sign, no decimals); the range is the service's to check."""
    text = (text or "").strip()
    if not re.fullmatch(r"[0-9]{1,3}", text):
        raise ValidationFailed(_("A CAF score is a whole number from 0 to 100."), code="invalid_score")
    return int(text)


def _unit_by_code(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code or "").first()
    if unit is None:
        raise ValidationFailed(_("Choose the unit assessed."), code="unit_required")
    return unit


# --- charts -------------------------------------------------------------------------------------------------


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" aria-label={quoteattr(title)} class="sa-chart">'
        f"<title>{escape(title)}</title>"
    )


def score_bars_svg(
    rows: Sequence[tuple[str, Sequence[float | None]]], *, series: Sequence[str], title: str, width: int = 640
) -> str:
    """Horizontal bars on the 0-100 scale: one group per row (a criterion), one bar per series (one
    assessment), the value written at the end of each bar ("–" where there is none yet). Faint guides mark
    the bands of the classical panels."""
    left, right, top = 8, 48, 8
    legend = 18 * len(series) + 4 if len(series) > 1 else 0
    bar, gap, label = 12, 3, 18
    group = label + len(series) * (bar + gap) + 8
    height = top + legend + group * len(rows) + 22
    plot_w = width - left - right
    colours = [AFTER_COLOUR] if len(series) == 1 else [BEFORE_COLOUR, AFTER_COLOUR]

    def x(value: float) -> float:
        return left + plot_w * max(0.0, min(100.0, value)) / 100

    parts = [_svg_open(width, height, title)]
    if legend:
        for i, name in enumerate(series):  # one line each: titles can be long
            ly = top + i * 18
            parts.append(
                f'<rect x="{left}" y="{ly}" width="12" height="12" fill="{colours[i]}"/>'
                f'<text x="{left + 18}" y="{ly + 11}" font-family="sans-serif" font-size="12" fill="{INK}">'
                f"{escape(name)}</text>"
            )
    plot_top, plot_bottom = top + legend, top + legend + group * len(rows)
    for edge in (0, *BAND_EDGES, 100):
        parts.append(
            f'<line x1="{x(edge):.1f}" y1="{plot_top}" x2="{x(edge):.1f}" y2="{plot_bottom}" stroke="{LINE}" '
            f'stroke-width="1"/><text x="{x(edge):.1f}" y="{plot_bottom + 14}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="10" fill="{MUTED}">{edge}</text>'
        )
    for r, (name, values) in enumerate(rows):
        y0 = plot_top + r * group
        parts.append(
            f'<text x="{left}" y="{y0 + 13}" font-family="sans-serif" font-size="12" fill="{INK}">'
            f"{escape(name)}</text>"
        )
        for i, value in enumerate(values):
            y = y0 + label + i * (bar + gap)
            shown = _one(value)
            tip = f"{name} · {series[i]}: {shown}"
            if value is not None:
                parts.append(
                    f'<rect x="{left}" y="{y}" width="{x(value) - left:.1f}" height="{bar}" '
                    f'fill="{colours[i]}"><title>{escape(tip)}</title></rect>'
                )
            end = x(value) if value is not None else left
            parts.append(
                f'<text x="{end + 4:.1f}" y="{y + bar - 2}" font-family="sans-serif" font-size="11" '
                f'fill="{INK}">{escape(shown)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def lights_svg(columns: Sequence[tuple[str, sa.LightCounts]], *, title: str, names: dict[str, str]) -> str:
    """One stacked column per diagnostic (oldest first): how many indicators were green, yellow and red
    (and unrated), each segment with its count written in it; a legend names the lights in words."""
    col, gap, left, top, plot_h = 44, 28, 8, 30, 195
    width = max(260, left * 2 + len(columns) * (col + gap))
    height = top + plot_h + 40
    total = max([c.rated + c.unrated for _label, c in columns] or [1]) or 1
    parts = [_svg_open(width, height, title)]
    for i, key in enumerate(("red", "yellow", "green")):
        lx = left + i * 84
        parts.append(
            f'<rect x="{lx}" y="6" width="12" height="12" fill="{LIGHT_COLOURS[key]}"/>'
            f'<text x="{lx + 16}" y="17" font-family="sans-serif" font-size="12" fill="{INK}">'
            f"{escape(names[key])}</text>"
        )
    for c, (label, counts) in enumerate(columns):
        x = left + c * (col + gap) + gap / 2
        y = top + plot_h
        for key in ("green", "yellow", "red", "unrated"):
            n = getattr(counts, key)
            if not n:
                continue
            h = plot_h * n / total
            y -= h
            tip = f"{label} · {names[key]}: {n}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col}" height="{h:.1f}" fill="{LIGHT_COLOURS[key]}" '
                f'stroke="#fff"><title>{escape(tip)}</title></rect>'
            )
            if h >= 13:
                parts.append(
                    f'<text x="{x + col / 2:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="middle" '
                    f'font-family="sans-serif" font-size="11" fill="{LIGHT_TEXT[key]}">{n}</text>'
                )
        parts.append(
            f'<text x="{x + col / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="10" fill="{MUTED}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- CAF 2020 ---------------------------------------------------------------------------------------------


def _access_caf(user: User, assessment_id: int) -> CafAssessment:
    try:
        return sa.access_caf(user, assessment_id)
    except NotFound:
        raise Http404 from None


def _panels() -> list[dict[str, Any]]:
    return [
        {"kind": "enabler", "title": _("Panel 1: enablers (criteria 1-5)"), "bands": ENABLER_PANEL},
        {"kind": "result", "title": _("Panel 2: results (criteria 6-9)"), "bands": RESULT_PANEL},
    ]


def _criterion_label(block: sa.CriterionBlock) -> str:
    name = block.criterion.name_en if _english() else block.criterion.name_zh
    return f"{block.criterion.number} {name}"


def _caf_context(
    user: User,
    assessment: CafAssessment,
    *,
    error: DomainError | None = None,
    error_for: str = "",
    posted: dict[str, str] | None = None,
) -> dict[str, Any]:
    sheet = sa.caf_sheet(assessment=assessment)
    can_edit = not assessment.is_completed and has_perm_on_unit(user, Perm.QUALITY_MANAGE, assessment.unit)
    others: list[dict[str, Any]] = []
    if assessment.is_completed:
        for other in sa.caf_list(user=user, unit=assessment.unit, status=SelfAssessmentStatus.COMPLETED):
            if other.pk == assessment.pk:
                continue
            older, newer = sorted((other, assessment), key=lambda a: (a.completed_at, a.pk))
            others.append({"assessment": other, "a": older.pk, "b": newer.pk})
    # No chart until a criterion has a score: nine empty bars say nothing.
    chart = (
        score_bars_svg(
            [(_criterion_label(block), [block.score]) for block in sheet.criteria],
            series=[assessment.title],
            title=_("Criterion scores"),
        )
        if any(block.score is not None for block in sheet.criteria)
        else ""
    )
    return {
        "assessment": assessment,
        "sheet": sheet,
        "totals": sheet.totals,
        "unit_name": _unit_name(assessment.unit),
        "can_edit": can_edit,
        "panels": _panels(),
        "others": others,
        "chart": mark_safe(chart),  # score_bars_svg escapes every text it writes
        "timeline": sa.caf_timeline(assessment),
        "total": len(sa.SUBCRITERIA),
        "error": error,
        "error_for": error_for,
        "posted": posted or {},
    }


@login_required
def caf_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            assessment = sa.caf_create(
                actor=user,
                unit=_unit_by_code(request.POST.get("unit", "")),
                title=request.POST.get("title", "")[:200],
                period=request.POST.get("period", "")[:40],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("The self-assessment is started: score each sub-criterion."))
            return redirect("quality:caf_detail", assessment_id=assessment.pk)
    visible = sa.caf_list(user=user)
    units = list(OrgUnit.objects.filter(pk__in=visible.values("unit")).order_by("path"))
    chosen = request.GET.get("unit", "")
    rows = visible.filter(unit__code=chosen) if chosen else visible
    return render(
        request,
        "quality/self_assessment/caf_list.html",
        {
            "rows": list(rows[:500]),
            "units": units,
            "chosen": chosen,
            "managed": sa.managed_units(user=user),
            "total": len(sa.SUBCRITERIA),
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=error.status if error else 200,
    )


@login_required
def caf_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _staff(request)
    assessment = _access_caf(user, assessment_id)
    return render(request, "quality/self_assessment/caf_detail.html", _caf_context(user, assessment))


@login_required
@require_POST
def caf_score(request: HttpRequest, assessment_id: int, number: str) -> HttpResponse:
    user = _staff(request)
    assessment = _access_caf(user, assessment_id)
    if number not in sa.SUBCRITERIA:
        raise Http404
    posted = {
        key: request.POST.get(key, "")[: sa.TEXT_LIMIT]
        for key in ("score", "strengths", "areas_for_improvement", "actions")
    }
    error: DomainError | None = None
    try:
        sa.caf_score_set(
            actor=user,
            assessment=assessment,
            sub_criterion=number,
            score=_whole_number(posted["score"]),
            strengths=posted["strengths"],
            areas_for_improvement=posted["areas_for_improvement"],
            actions=posted["actions"],
        )
    except DomainError as exc:
        error = exc
    if not _is_htmx(request) and error is None:
        return redirect(reverse("quality:caf_detail", args=[assessment.pk]) + f"#sc-{number}")
    assessment = _access_caf(user, assessment.pk)
    context = _caf_context(user, assessment, error=error, error_for=number, posted=posted if error else None)
    if _is_htmx(request):
        criterion = sa.SUBCRITERIA[number].criterion
        context["block"] = next(b for b in context["sheet"].criteria if b.criterion.number == criterion)
        context["oob"] = True
        return render(request, "quality/self_assessment/_caf_criterion.html", context)
    assert error is not None
    return render(request, "quality/self_assessment/caf_detail.html", context, status=error.status)


@login_required
@require_POST
def caf_complete(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _staff(request)
    assessment = _access_caf(user, assessment_id)
    try:
        sa.caf_complete(actor=user, assessment=assessment)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The self-assessment is completed and locked."))
    return redirect("quality:caf_detail", assessment_id=assessment.pk)


@dataclass(frozen=True)
class CompareLine:
    key: str
    label: str
    before: str
    after: str
    delta: str
    direction: str
    direction_text: str


def _compare_line(m: sa.Movement, label: str, *, whole: bool = False) -> CompareLine:
    if whole:
        before = "–" if m.before is None else str(int(m.before))
        after = "–" if m.after is None else str(int(m.after))
        delta = "–" if m.delta is None else f"{int(m.delta):+d}"
    else:
        before, after, delta = _one(m.before), _one(m.after), _signed(m.delta)
    return CompareLine(m.key, label, before, after, delta, m.direction, _direction_text(m.direction))


def _sub_label(number: str) -> str:
    sub = sa.SUBCRITERIA[number]
    return f"{number} {sub.text_en if _english() else sub.text_zh}"


def _comparison_context(result: sa.CafComparisonResult) -> dict[str, Any]:
    comparison = result.comparison
    criterion_names = {
        c.number: f"{c.number} {c.name_en if _english() else c.name_zh}" for c in sa.CRITERIA.values()
    }
    total_names = {
        "enablers": _("Enablers (criteria 1-5)"),
        "results": _("Results (criteria 6-9)"),
        "overall": _("Overall (criteria 1-9)"),
    }
    chart = score_bars_svg(
        [(criterion_names[m.key], [m.before, m.after]) for m in comparison.criteria],
        series=[result.before.title, result.after.title],
        title=_("Criterion scores, before and after"),
    )
    return {
        "result": result,
        "unit_name": _unit_name(result.after.unit),
        "counts": comparison.counts(),
        "totals": [_compare_line(m, total_names[m.key]) for m in comparison.totals],
        "criteria": [_compare_line(m, criterion_names[m.key]) for m in comparison.criteria],
        "subs": [_compare_line(m, _sub_label(m.key), whole=True) for m in comparison.sub_criteria],
        "movers": [_compare_line(m, _sub_label(m.key), whole=True) for m in comparison.movers],
        "chart": mark_safe(chart),  # score_bars_svg escapes every text it writes
    }


@login_required
def caf_compare(request: HttpRequest) -> HttpResponse:
    """Two completed self-assessments of one unit, `b` against `a`; without both, the form to pick them."""
    user = _staff(request)
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    context: dict[str, Any] = {
        "choices": list(sa.caf_list(user=user, status=SelfAssessmentStatus.COMPLETED)),
        "a": a,
        "b": b,
        "error": None,
    }
    if a and b:
        try:
            context.update(_comparison_context(sa.caf_compare(user=user, before_id=a, after_id=b)))
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            context["error"] = exc
    error = context["error"]
    return render(
        request,
        "quality/self_assessment/caf_compare.html",
        context,
        status=error.status if error else 200,
    )


# --- ISO 18091 --------------------------------------------------------------------------------------------


def _access_diagnostic(user: User, diagnostic_id: int) -> Diagnostic:
    try:
        return sa.access_diagnostic(user, diagnostic_id)
    except NotFound:
        raise Http404 from None


def _diagnostic_context(
    user: User,
    diagnostic: Diagnostic,
    *,
    error: DomainError | None = None,
    error_for: str = "",
    posted: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "diagnostic": diagnostic,
        "sheet": sa.diagnostic_sheet(diagnostic=diagnostic),
        "unit_name": _unit_name(diagnostic.unit),
        "can_edit": not diagnostic.is_completed
        and has_perm_on_unit(user, Perm.QUALITY_MANAGE, diagnostic.unit),
        "lights": _lights(),
        "names_confirmed": ISO18091_INDICATOR_NAMES_CONFIRMED,
        "timeline": sa.diagnostic_timeline(diagnostic),
        "total": len(sa.INDICATORS),
        "error": error,
        "error_for": error_for,
        "posted": posted or {},
    }


@login_required
def diagnostic_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            try:
                assessed_on = dt.date.fromisoformat(request.POST.get("assessed_on", ""))
            except ValueError:
                raise ValidationFailed(_("Give the date as YYYY-MM-DD."), code="invalid_date") from None
            diagnostic = sa.diagnostic_create(
                actor=user,
                unit=_unit_by_code(request.POST.get("unit", "")),
                title=request.POST.get("title", "")[:200],
                assessed_on=assessed_on,
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("The diagnostic is started: give each indicator its light."))
            return redirect("quality:diagnostic_detail", diagnostic_id=diagnostic.pk)
    visible = sa.diagnostic_list(user=user)
    units = list(OrgUnit.objects.filter(pk__in=visible.values("unit")).order_by("path"))
    chosen = request.GET.get("unit", "")
    rows = visible.filter(unit__code=chosen) if chosen else visible
    return render(
        request,
        "quality/self_assessment/diagnostic_list.html",
        {
            "rows": list(rows[:500]),
            "units": units,
            "chosen": chosen,
            "managed": sa.managed_units(user=user),
            "total": len(sa.INDICATORS),
            "names_confirmed": ISO18091_INDICATOR_NAMES_CONFIRMED,
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=error.status if error else 200,
    )


@login_required
def diagnostic_detail(request: HttpRequest, diagnostic_id: int) -> HttpResponse:
    user = _staff(request)
    diagnostic = _access_diagnostic(user, diagnostic_id)
    return render(
        request, "quality/self_assessment/diagnostic_detail.html", _diagnostic_context(user, diagnostic)
    )


@login_required
@require_POST
def diagnostic_rate(request: HttpRequest, diagnostic_id: int, code: str) -> HttpResponse:
    user = _staff(request)
    diagnostic = _access_diagnostic(user, diagnostic_id)
    if code not in sa.INDICATORS:
        raise Http404
    posted = {key: request.POST.get(key, "")[: sa.TEXT_LIMIT] for key in ("light", "evidence", "note")}
    error: DomainError | None = None
    try:
        sa.diagnostic_rate(
            actor=user,
            diagnostic=diagnostic,
            indicator=code,
            light=posted["light"],
            evidence=posted["evidence"],
            note=posted["note"],
        )
    except DomainError as exc:
        error = exc
    if not _is_htmx(request) and error is None:
        return redirect(reverse("quality:diagnostic_detail", args=[diagnostic.pk]) + f"#ind-{code}")
    diagnostic = _access_diagnostic(user, diagnostic.pk)
    context = _diagnostic_context(
        user, diagnostic, error=error, error_for=code, posted=posted if error else None
    )
    if _is_htmx(request):
        quadrant = sa.INDICATORS[code].quadrant
        context["quadrant"] = next(q for q in context["sheet"].quadrants if q.code == quadrant)
        context["oob"] = True
        return render(request, "quality/self_assessment/_diagnostic_quadrant.html", context)
    assert error is not None
    return render(request, "quality/self_assessment/diagnostic_detail.html", context, status=error.status)


@login_required
@require_POST
def diagnostic_complete(request: HttpRequest, diagnostic_id: int) -> HttpResponse:
    user = _staff(request)
    diagnostic = _access_diagnostic(user, diagnostic_id)
    try:
        sa.diagnostic_complete(actor=user, diagnostic=diagnostic)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The diagnostic is completed and added to the unit's history."))
    return redirect("quality:diagnostic_detail", diagnostic_id=diagnostic.pk)


@dataclass(frozen=True)
class StripCell:
    light: str  # "" when unrated
    text: str


@login_required
def diagnostic_history(request: HttpRequest, unit_code: str) -> HttpResponse:
    user = _staff(request)
    try:
        unit = sa.access_unit(user, unit_code)
        history = sa.diagnostic_history(user=user, unit=unit)
    except NotFound:
        raise Http404 from None
    names = {light.value: str(light.label) for light in Light} | {"unrated": _("not rated")}
    labels = [d.assessed_on.isoformat() for d in history.diagnostics]
    chart = lights_svg(
        [(label, counts["all"]) for label, counts in zip(labels, history.counts, strict=True)],
        title=_("Lights per diagnostic"),
        names=names,
    )
    quadrants = []
    for code, name_en, name_zh in sa.ISO18091_QUADRANTS:
        quadrants.append(
            {
                "code": code,
                "name": name_en if _english() else name_zh,
                "counts": [counts[code] for counts in history.counts],
                "indicators": [
                    {
                        "indicator": indicator,
                        "cells": [
                            StripCell(light or "", names[light] if light else "–")
                            for light in history.lights[indicator.code]
                        ],
                    }
                    for indicator in sa.ISO18091_INDICATORS
                    if indicator.quadrant == code
                ],
            }
        )
    return render(
        request,
        "quality/self_assessment/diagnostic_history.html",
        {
            "unit": unit,
            "unit_name": _unit_name(unit),
            "history": history,
            "rows": list(zip(history.diagnostics, history.counts, strict=True)),
            "quadrants": quadrants,
            # lights_svg escapes every text it writes.
            "chart": mark_safe(chart) if history.diagnostics else SafeString(""),
            "names_confirmed": ISO18091_INDICATOR_NAMES_CONFIRMED,
        },
    )


urlpatterns: list[URLPattern] = [
    path("caf/", caf_list, name="caf_list"),
    path("caf/compare/", caf_compare, name="caf_compare"),
    path("caf/<int:assessment_id>/", caf_detail, name="caf_detail"),
    path("caf/<int:assessment_id>/scores/<str:number>/", caf_score, name="caf_score"),
    path("caf/<int:assessment_id>/complete/", caf_complete, name="caf_complete"),
    path("diagnostics/", diagnostic_list, name="diagnostic_list"),
    path("diagnostics/<int:diagnostic_id>/", diagnostic_detail, name="diagnostic_detail"),
    path("diagnostics/<int:diagnostic_id>/ratings/<str:code>/", diagnostic_rate, name="diagnostic_rate"),
    path("diagnostics/<int:diagnostic_id>/complete/", diagnostic_complete, name="diagnostic_complete"),
    path("diagnostics/history/<slug:unit_code>/", diagnostic_history, name="diagnostic_history"),
]
