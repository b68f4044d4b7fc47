"""Reads of evaluations, scoped to the units the user covers; the evaluator is never part of a list."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from ninja import Schema

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.cases.enums import Channel, TicketStatus
from civicpulse.cases.models import Case, Ticket
from civicpulse.core import clock
from civicpulse.evaluations.enums import Stage
from civicpulse.evaluations.models import Evaluation
from civicpulse.evaluations.permissions import evaluation_scope


class EvaluationFilter(Schema):
    status: str = ""
    grade: str = ""
    stage: str = ""
    channel: str = ""
    service: str = ""


def evaluation_list(
    *, user: User | AnonymousUser, filters: EvaluationFilter | None = None
) -> QuerySet[Evaluation]:
    rows = (
        Evaluation.objects.filter(evaluation_scope(user))
        .select_related("case", "service", "unit", "template")
        .prefetch_related("flags")
    )
    f = filters or EvaluationFilter()
    for field, value in (
        ("status", f.status),
        ("grade", f.grade),
        ("stage", f.stage),
        ("channel", f.channel),
    ):
        if value:
            rows = rows.filter(**{field: value})
    if f.service:
        rows = rows.filter(service__code=f.service)
    return rows.order_by("-submitted_at", "-pk")


# A pad offers the most recent interaction at its window for this long after it began.
PAD_RECENT = dt.timedelta(minutes=30)


def pad_interaction(*, window: OrgUnit | None) -> tuple[Case, Ticket | None] | None:
    """The case just taken in at this window and not yet rated at intake, with the ticket served there."""
    if window is None:
        return None
    now = clock.now()
    rated = Evaluation.objects.filter(case=OuterRef("pk"), stage=Stage.INTAKE, evaluator_key="applicant")
    case = (
        Case.objects.filter(window=window, channel=Channel.HALL, intake_at__gte=now - PAD_RECENT)
        .exclude(Exists(rated))
        .select_related("service", "window", "responsible_unit", "intake_officer")
        .order_by("-intake_at")
        .first()
    )
    if case is None:
        return None
    ticket = (
        Ticket.objects.filter(
            window=window,
            status__in=[TicketStatus.SERVING, TicketStatus.DONE],
            served_at__gte=now - PAD_RECENT,
        )
        .select_related("line")
        .order_by("-served_at")
        .first()
    )
    return case, ticket
