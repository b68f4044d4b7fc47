"""Monthly report pages for staff: the reports of the units they cover, with filters and the form to ask
for one; one report's figures with its versions; its files, each download logged."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm, unit_filter
from civicpulse.core import clock
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.reports import render as rendering
from civicpulse.reports import selectors, services
from civicpulse.reports.enums import PENDING, CutoffKind, FileKind, Language, ReportStatus
from civicpulse.reports.figures import Figures
from civicpulse.reports.models import Report

PAGE = 50


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF or not has_perm(user, Perm.REPORT_VIEW):
        raise Http404
    return user


def _filters(request: HttpRequest) -> dict[str, str]:
    status = request.GET.get("status", "")
    return {
        "month": request.GET.get("month", "")[:7],
        "unit": request.GET.get("unit", "")[:40],
        "status": status if status in ReportStatus.values else "",
    }


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    form = {
        "unit": "",
        "month": services.previous_month(timezone.localdate(clock.now())),
        "language": services.default_language(),
        "cutoff_kind": CutoffKind.ROUTINE.value,
    }
    if request.method == "POST":
        form = {name: request.POST.get(name, default) for name, default in form.items()}
        unit = OrgUnit.objects.filter(code=form["unit"]).first()
        try:
            if unit is None:
                raise ValidationFailed(_("Choose the unit."), code="unknown_unit")
            report, created = services.report_request(
                actor=user,
                unit=unit,
                month=form["month"],
                language=form["language"],
                cutoff_kind=form["cutoff_kind"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("The report is queued; it is listed below and ready in a moment.")
                if created
                else _("This report was already asked for and is on its way."),
            )
            query = urlencode({"month": report.month, "unit": report.unit.code})
            return redirect(f"{reverse('reports:list')}?{query}")
    filters = _filters(request)
    page = Paginator(selectors.report_list(user=user, **filters), PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "polling": any(report.status in PENDING for report in page),
        "query": urlencode({k: v for k, v in filters.items() if v}),
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "reports/partials/rows.html", context)
    seen = Report.objects.filter(unit_filter(user, Perm.REPORT_VIEW, "unit"))
    context.update(
        {
            "months": seen.order_by("-month").values_list("month", flat=True).distinct(),
            "units_seen": OrgUnit.objects.filter(pk__in=seen.values("unit")).order_by("path"),
            "statuses": ReportStatus.choices,
            "units": selectors.requestable_units(user=user),
            "report_languages": Language.choices,
            "kinds": CutoffKind.choices,
            "form": form,
            "error": error,
        }
    )
    return render(request, "reports/list.html", context)


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _staff(request)
    try:
        report = selectors.access_report(user, report_id)
    except NotFound:
        raise Http404 from None
    context: dict[str, Any] = {"report": report, "versions": selectors.report_versions(report)}
    if report.figures is not None:
        try:
            found = Figures.from_json(report.figures)
        except (KeyError, TypeError):
            # Stored by an earlier layout of the figures: its PDF and spreadsheet still hold them.
            context["unreadable"] = True
        else:
            context.update(rendering.context(found))
    return render(request, "reports/detail.html", context)


def file_response(report: Report, kind: str) -> FileResponse:
    """A generated report's file as an attachment, with its SHA-256 as stored when it was written."""
    pdf = kind == FileKind.PDF
    response = FileResponse(
        (report.pdf if pdf else report.xlsx).open("rb"),
        as_attachment=True,
        filename=f"civicpulse-{report.unit.code}-{report.month}-{report.language}-v{report.version}.{kind}",
        content_type="application/pdf" if pdf else rendering.XLSX_TYPE,
    )
    response["X-Content-SHA256"] = report.pdf_sha256 if pdf else report.xlsx_sha256
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def report_file(request: HttpRequest, report_id: int, kind: str) -> FileResponse:
    user = _staff(request)
    try:
        report = services.report_download(user=user, report_id=report_id, kind=kind)
    except DomainError:
        raise Http404 from None
    return file_response(report, kind)
