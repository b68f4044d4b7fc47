"""Reads of cases, scoped to what the user may see, most urgent first."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import IntegerField, QuerySet, Value, When

from civicpulse.accounts.models import User
from civicpulse.cases.enums import SlaState
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import case_scope

_URGENCY = models.Case(
    When(sla_state=SlaState.OVERDUE, then=Value(0)),
    When(sla_state=SlaState.WARNING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def case_list(
    *, user: User | AnonymousUser, status: str = "", sla_state: str = "", service_code: str = ""
) -> QuerySet[Case]:
    cases = Case.objects.filter(case_scope(user)).select_related("service", "responsible_unit", "window")
    if status:
        cases = cases.filter(status=status)
    if sla_state:
        cases = cases.filter(sla_state=sla_state)
    if service_code:
        cases = cases.filter(service__code=service_code)
    return cases.annotate(urgency=_URGENCY).order_by("urgency", "due_date", "intake_at")
