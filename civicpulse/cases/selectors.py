"""Reads of cases, scoped to what the user may see, most urgent first."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import IntegerField, QuerySet, Value, When

from civicpulse.accounts.models import User
from civicpulse.cases.enums import CaseStatus, PauseKind, SlaState
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import case_scope
from civicpulse.cases.services import code_digest
from civicpulse.core.audit import render_event
from civicpulse.core.errors import NotFound
from civicpulse.core.models import AuditEvent

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


def case_track(*, number: str, code: str) -> Case:
    """The applicant's view by case number and verification code: NotFound for any mismatch."""
    case = (
        Case.objects.select_related("service", "version")
        .prefetch_related("materials", "pauses")
        .filter(number=number.strip())
        .first()
    )
    expected = case.verification_digest if case else ""
    given = code_digest(number.strip(), code.strip())
    if case is None or not expected or not hmac.compare_digest(expected, given):
        raise NotFound()
    return case


def case_timeline(*, case: Case) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).order_by(
        "occurred_at", "id"
    )


def case_track_summary(*, case: Case) -> dict[str, Any]:
    """What the applicant sees: status, deadline, every missing material at once, and the timeline."""
    open_supplement = next(
        (p for p in case.pauses.all() if p.ended_at is None and p.kind == PauseKind.SUPPLEMENT), None
    )
    missing = set(open_supplement.missing) if open_supplement else set()
    return {
        "number": case.number,
        "service_name_zh": case.service.name_zh,
        "service_name_en": case.service.name_en,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "decision": case.decision,
        "due_date": case.due_date,
        "sla_state": case.sla_state,
        "missing_materials": [m for m in case.materials.all() if m.position in missing],
        "timeline": [{"at": e.occurred_at, "text": render_event(e)} for e in case_timeline(case=case)],
    }
