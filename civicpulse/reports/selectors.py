"""Reports a user may see: those of the units in the subtrees where they hold Perm.REPORT_VIEW. Loading one
by id answers NotFound for missing and forbidden alike."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core.errors import NotFound
from civicpulse.reports.models import Report


def report_list(
    *,
    user: User | AnonymousUser | None,
    month: str = "",
    unit: str = "",
    status: str = "",
    language: str = "",
) -> QuerySet[Report]:
    """Every version of every report the user may see, newest month first; `unit` is a unit's code."""
    found = Report.objects.filter(unit_filter(user, Perm.REPORT_VIEW, "unit")).select_related(
        "unit", "requested_by"
    )
    if month:
        found = found.filter(month=month)
    if unit:
        found = found.filter(unit__code=unit)
    if status:
        found = found.filter(status=status)
    if language:
        found = found.filter(language=language)
    return found.order_by("-month", "unit__path", "language", "cutoff_kind", "-version")


def access_report(user: User | AnonymousUser | None, report_id: Any) -> Report:
    try:
        pk = int(report_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    report = (
        Report.objects.filter(unit_filter(user, Perm.REPORT_VIEW, "unit"), pk=pk)
        .select_related("unit", "requested_by")
        .first()
    )
    if report is None:
        raise NotFound()
    return report


def report_versions(report: Report) -> QuerySet[Report]:
    """Every version of the same report (unit, month, language and cut-off kind), newest first."""
    return Report.objects.filter(
        unit_id=report.unit_id, month=report.month, language=report.language, cutoff_kind=report.cutoff_kind
    ).order_by("-version")


def requestable_units(*, user: User | AnonymousUser | None) -> QuerySet[OrgUnit]:
    """The units the user may ask reports for."""
    return OrgUnit.objects.filter(unit_filter(user, Perm.REPORT_GENERATE, ""), is_active=True).order_by(
        "path"
    )
