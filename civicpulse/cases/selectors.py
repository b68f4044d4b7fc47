"""Reads of cases, scoped to what the user may see, most urgent first."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When

from civicpulse.accounts.enums import Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.cases.enums import OPEN_STATUSES, CaseStatus, PauseKind, SlaState
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import case_scope
from civicpulse.cases.services import case_units, code_digest, current_step, holds_role, step_unit
from civicpulse.cases.transitions import Transition, transitions_from
from civicpulse.catalogue.enums import ServiceMode
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
    *,
    user: User | AnonymousUser,
    status: str = "",
    sla_state: str = "",
    service_code: str = "",
    mine: bool = False,
) -> QuerySet[Case]:
    """`mine`: cases waiting for this person: assigned to them, or received by them and not yet accepted."""
    cases = Case.objects.filter(case_scope(user)).select_related("service", "responsible_unit", "window")
    if mine:
        cases = cases.filter(
            Q(assignee_id=user.pk) | Q(intake_officer_id=user.pk, status=CaseStatus.SUBMITTED)
        )
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


def allowed_transitions(*, user: User | AnonymousUser, case: Case) -> list[Transition]:
    """The actions this person may take on this case now (what the desk offers as buttons)."""
    if not isinstance(user, User):
        return []
    return [
        t
        for t in transitions_from(case.status)
        if holds_role(user, t.roles, [*case_units(case), step_unit(case)])
        or (t.applicant_may and case.applicant_id == user.pk)
    ]


def desk_extras(*, user: User | AnonymousUser, case: Case) -> dict[str, Any]:
    """What the desk offers beside the state machine: the current step, reassigning, settling, visits."""
    if not isinstance(user, User):
        return {}
    step = current_step(case)
    unit = (step.responsible_unit if step else None) or case.responsible_unit
    can_reassign = case.status in (CaseStatus.IN_PROGRESS, CaseStatus.PAUSED) and holds_role(
        user, frozenset({Role.DEPARTMENT_HEAD}), [unit, case.responsible_unit]
    )
    colleagues = (
        list(
            User.objects.filter(is_active=True, kind=UserKind.STAFF, org_unit__path__startswith=unit.path)
            .exclude(pk=case.assignee_id or 0)
            .order_by("full_name", "username")
        )
        if can_reassign
        else []
    )
    at_window = case.window is not None and holds_role(user, frozenset({Role.WINDOW_OFFICER}), [case.window])
    return {
        "step": step,
        "colleagues": colleagues,
        "can_settle": at_window
        and case.status == CaseStatus.SUBMITTED
        and case.version.service_mode == ServiceMode.IMMEDIATE,
        "can_record_visit": at_window and case.status in OPEN_STATUSES,
    }


def officer_windows(*, user: User | AnonymousUser) -> QuerySet[OrgUnit]:
    """The windows at which this person takes applications (a role over a hall covers its windows)."""
    if not isinstance(user, User):
        return OrgUnit.objects.none()
    paths = RoleAssignment.objects.filter(user=user, role=Role.WINDOW_OFFICER).values_list(
        "unit__path", flat=True
    )
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(path__startswith=path)
    return OrgUnit.objects.filter(scope, kind=UnitKind.WINDOW, is_active=True).order_by("path")


def unit_load(*, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """Open cases per assignee in the units the user heads: the department head's view of the load."""
    if not isinstance(user, User):
        return []
    paths = list(
        RoleAssignment.objects.filter(user=user, role=Role.DEPARTMENT_HEAD).values_list(
            "unit__path", flat=True
        )
    )
    if not paths:
        return []
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(responsible_unit__path__startswith=path)
    rows = (
        Case.objects.filter(scope, status__in=OPEN_STATUSES)
        .values("assignee__full_name", "assignee__username")
        .annotate(
            open=Count("pk"),
            warning=Count("pk", filter=Q(sla_state=SlaState.WARNING)),
            overdue=Count("pk", filter=Q(sla_state=SlaState.OVERDUE)),
        )
        .order_by("-overdue", "-warning", "-open")
    )
    return [
        {
            "assignee": r["assignee__full_name"] or r["assignee__username"] or "",
            **{k: r[k] for k in ("open", "warning", "overdue")},
        }
        for r in rows
    ]
