"""Audit log and working-day calendar endpoints."""

import datetime as dt
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core import workdays
from civicpulse.core.audit import render_event
from civicpulse.core.calendars import calendar_for_cli
from civicpulse.core.errors import ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.core.selectors import audit_event_list

router = Router()


class AuditEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    target_label: str
    sentence: str

    @staticmethod
    def resolve_sentence(obj: AuditEvent) -> str:
        return render_event(obj)


class DueDateOut(Schema):
    start: dt.date
    working_days: int
    due: dt.date
    region: str
    uncovered_years: list[int]


class BetweenOut(Schema):
    start: dt.date
    end: dt.date
    working_days: int
    region: str
    uncovered_years: list[int]


class HealthOut(Schema):
    status: str
    database: str


@router.get("/health", response=HealthOut, tags=["operations"], summary="Liveness and database check")
def health(request: HttpRequest) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "database": connection.vendor}


@router.get(
    "/audit", response={200: list[AuditEventOut], (401, 403): ErrorOut}, auth=django_auth, tags=["audit"]
)
@paginate(LimitOffsetPagination)
def audit_list(request: HttpRequest, target_type: str = "", target_id: str = "", action: str = "") -> Any:
    require_perm(request.user, Perm.AUDIT_VIEW)
    return audit_event_list(
        user=request.user, target_type=target_type, target_id=target_id, action_prefix=action
    )


@router.get("/calendar/add-days", response={200: DueDateOut, 404: ErrorOut, 422: ErrorOut}, tags=["calendar"])
def calendar_add_days(request: HttpRequest, start: dt.date, n: int, region: str = "") -> dict[str, Any]:
    code, calendar = calendar_for_cli(region)
    if n < 0:
        raise ValidationFailed(_("The number of working days cannot be negative."), code="negative_days")
    if n > workdays.MAX_WORKING_DAYS:
        raise ValidationFailed(
            _("At most %(max)s working days can be added.") % {"max": workdays.MAX_WORKING_DAYS},
            code="out_of_range",
        )
    try:
        due = workdays.add_working_days(calendar, start, n)
    except OverflowError:
        raise ValidationFailed(
            _("The result falls beyond the last representable date."), code="out_of_range"
        ) from None
    return {
        "start": start,
        "working_days": n,
        "due": due,
        "region": code,
        "uncovered_years": workdays.uncovered_years(calendar, start, due),
    }


@router.get("/calendar/between", response={200: BetweenOut, 404: ErrorOut, 422: ErrorOut}, tags=["calendar"])
def calendar_between(request: HttpRequest, start: dt.date, end: dt.date, region: str = "") -> dict[str, Any]:
    code, calendar = calendar_for_cli(region)
    try:
        count = workdays.working_days_between(calendar, start, end)
    except ValueError:
        raise ValidationFailed(
            _("The two dates are more than %(max)s days apart.") % {"max": workdays.MAX_SPAN_DAYS},
            code="out_of_range",
        ) from None
    return {
        "start": start,
        "end": end,
        "working_days": count,
        "region": code,
        "uncovered_years": workdays.uncovered_years(calendar, min(start, end), max(start, end)),
    }
