"""Dashboard pages: a leader's overview, a unit head's view, a window officer's "my service", the quality
office's view and the three-difficulties index, with filters, a table and a CSV beside every chart, and a
drill-down to the records behind each figure."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import RoleAssignment, User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.core import clock
from civicpulse.core.errors import DomainError
from civicpulse.dashboards import panels as build
from civicpulse.dashboards import records as drill
from civicpulse.dashboards.cache import board_html
from civicpulse.dashboards.forms import FilterForm

LENS_FOR_ROLE = (
    (Role.LEADER, "overview"),
    (Role.SUPERVISOR, "overview"),
    (Role.ADMINISTRATOR, "overview"),
    (Role.QUALITY_OFFICER, "quality"),
    (Role.DEPARTMENT_HEAD, "unit"),
    (Role.APPROVER, "unit"),
    (Role.WINDOW_OFFICER, "my"),
)


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF or not has_perm(user, Perm.DASHBOARD_VIEW):
        raise Http404
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    for role, lens in LENS_FOR_ROLE:
        if role in roles:
            return redirect("dashboards:page", lens=lens)
    return redirect("dashboards:page", lens="overview")


@login_required
def page(request: HttpRequest, lens: str) -> HttpResponse:
    user = _staff(request)
    if lens not in build.LENSES:
        raise Http404
    form = FilterForm(user=user, data=request.GET or None, today=clock.today())
    filters = form.filters()
    wanted = request.GET.get("csv")
    if wanted:
        board = build.board(lens, user=user, filters=filters)
        panel = next((p for p in board.panels if p.key == wanted), None)
        if panel is None:
            raise Http404
        return _csv(panel, f"{lens}-{panel.key}-{filters.start:%Y-%m}-{filters.end:%Y-%m}.csv")
    html = board_html(lens, user=user, filters=filters)
    if request.headers.get("HX-Request"):
        return HttpResponse(html)
    context = {
        "board_html": html,
        "filters": filters,
        "form": form,
        "lens": lens,
        "lenses": build.LENSES.items(),
        "query": form.query(),
        "title": build.LENSES[lens],
    }
    return render(request, "dashboards/page.html", context)


def _csv(panel: build.Panel, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark: spreadsheet programs used in government offices read UTF-8 Chinese by it.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(h) for h in panel.headers])
    for row in panel.rows:
        writer.writerow([cell.csv for cell in row])
    return response


@login_required
def records(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = FilterForm(user=user, data=request.GET or None, today=clock.today())
    filters = form.filters()
    try:
        listing = drill.listing(
            user=user,
            filters=filters,
            measure=request.GET.get("measure", ""),
            part=request.GET.get("part", "all"),
            month=_month(request.GET.get("month", "")),
            page=_int(request.GET.get("page"), 1),
        )
    except DomainError as error:
        return render(request, "dashboards/records.html", {"error": error.message, "form": form}, status=400)
    return render(
        request, "dashboards/records.html", {"listing": listing, "form": form, "query": form.query()}
    )


def _month(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


def _int(text: Any, default: int) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return default
