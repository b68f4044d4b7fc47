"""Reads of rectification orders and appeals, scoped to what the user may see, most urgent first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core import clock
from civicpulse.core.errors import ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations.enums import EvaluationStatus, Grade
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification.enums import AppealStatus, OrderStatus
from civicpulse.rectification.models import Appeal, RectificationOrder
from civicpulse.rectification.permissions import ORDER_RELATED, order_scope
from civicpulse.rectification.services import may_appeal, may_decide, may_take
from civicpulse.rectification.transitions import Transition, transitions_from

# Open orders first: escalated, then overdue, then the rest; closed orders last.
_URGENCY = models.Case(
    When(status=OrderStatus.CLOSED, then=Value(9)),
    When(status=OrderStatus.ESCALATED, then=Value(0)),
    When(Q(contact_overdue=True) | Q(rectify_overdue=True), then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def order_list(
    *, user: User | AnonymousUser, status: str = "", overdue: bool | None = None, unit_code: str = ""
) -> QuerySet[RectificationOrder]:
    orders = RectificationOrder.objects.filter(order_scope(user)).select_related(*ORDER_RELATED)
    if status:
        orders = orders.filter(status=status)
    late = Q(contact_overdue=True) | Q(rectify_overdue=True)
    if overdue is True:
        orders = orders.filter(late)
    elif overdue is False:
        orders = orders.exclude(late)
    if unit_code:
        orders = orders.filter(unit__code=unit_code)
    return orders.annotate(urgency=_URGENCY).order_by("urgency", "rectify_due", "opened_at", "pk")


def escalated_list(*, user: User | AnonymousUser) -> QuerySet[RectificationOrder]:
    """What the supervisor looks at: orders the citizen was dissatisfied with, and open overdue orders."""
    return order_list(user=user).filter(
        Q(status=OrderStatus.ESCALATED)
        | (~Q(status=OrderStatus.CLOSED) & (Q(contact_overdue=True) | Q(rectify_overdue=True)))
    )


def order_timeline(*, order: RectificationOrder) -> QuerySet[AuditEvent]:
    appeal_ids = [str(pk) for pk in order.appeals.values_list("pk", flat=True)]
    return (
        AuditEvent.objects.filter(
            Q(target_type="rectification.rectificationorder", target_id=str(order.pk))
            | Q(target_type="rectification.appeal", target_id__in=appeal_ids)
        )
        .select_related("actor")
        .order_by("occurred_at", "id")
    )


def allowed_transitions(*, user: User | AnonymousUser, order: RectificationOrder) -> list[Transition]:
    """The steps this person may take on this order now (what the order page offers as forms)."""
    return [t for t in transitions_from(order.status, order.finding) if may_take(user, order, t)]


@dataclass(frozen=True)
class OrderExtras:
    can_appeal: bool
    pending_appeal: Appeal | None
    can_decide: bool
    appeals: list[Appeal]


def order_extras(*, user: User | AnonymousUser, order: RectificationOrder) -> OrderExtras:
    appeals = list(order.appeals.select_related("filed_by", "decided_by", "filed_by__org_unit"))
    pending = next((a for a in appeals if a.status == AppealStatus.PENDING), None)
    if pending is not None:
        pending.order = order
    offered = {t.name for t in transitions_from(order.status, order.finding)}
    return OrderExtras(
        can_appeal="appeal" in offered and may_appeal(user, order),
        pending_appeal=pending,
        can_decide=pending is not None and may_decide(user, pending),
        appeals=appeals,
    )


def appeal_queue(*, user: User | AnonymousUser) -> list[Appeal]:
    """Pending appeals this reviewer may decide: on units they cover, from outside the appellant's chain."""
    if not isinstance(user, User) or user.org_unit is None:
        return []
    own = user.org_unit
    ancestors = own.ancestor_ids()
    pending = (
        Appeal.objects.filter(
            order_scope(user, Perm.APPEAL_DECIDE, prefix="order__"), status=AppealStatus.PENDING
        )
        .select_related("filed_by", "filed_by__org_unit", *(f"order__{name}" for name in ORDER_RELATED))
        .order_by("filed_at", "pk")
    )
    # The reviewer's own unit may be none of the chain: not the unit, nor above it (a region excepted, see
    # services.outside_chain), nor below it.
    below = {"path__startswith": own.path} if own.kind != UnitKind.REGION else {"pk": own.pk}
    for field in ("order__unit", "order__unit__serving_unit", "filed_by__org_unit"):
        pending = pending.exclude(**{f"{field}_id__in": ancestors}).exclude(
            **{f"{field}__{key}": value for key, value in below.items()}
        )
    return [appeal for appeal in pending if may_decide(user, appeal)]


# --- repeated bad reviews ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_default_timezone()
        start = dt.datetime(self.year, self.month, 1, tzinfo=tz)
        following = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return start, dt.datetime(*following, 1, tzinfo=tz)


def month_parse(value: str) -> Month:
    """ "YYYY-MM"; empty: the current month."""
    if not value:
        today = clock.today()
        return Month(today.year, today.month)
    try:
        year, month = (int(part) for part in value.split("-"))
        dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Give the month as YYYY-MM."), code="invalid_month") from None
    return Month(year, month)


@dataclass(frozen=True)
class Repeated:
    month: Month
    threshold: int
    services: list[dict[str, Any]]
    units: list[dict[str, Any]]


def repeated_bad_reviews(*, user: User | AnonymousUser, month: Month | None = None) -> Repeated:
    """Services and units with at least REPEATED_BAD_REVIEWS valid bad reviews in a calendar month: the
    quality office's list of candidates for a nonconformity. Scoped to the units the user reviews."""
    month = month or month_parse("")
    threshold = int(str(settings.CIVICPULSE["REPEATED_BAD_REVIEWS"]))
    start, end = month.bounds
    scope = unit_filter(user, Perm.EVALUATION_REVIEW, field="unit") | unit_filter(
        user, Perm.EVALUATION_REVIEW, field="unit__serving_unit"
    )
    bad = Evaluation.objects.filter(
        scope,
        status=EvaluationStatus.VALID,
        grade=Grade.BAD,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )
    services = list(
        bad.values("service__code", "service__name_zh", "service__name_en")
        .annotate(count=Count("pk"))
        .filter(count__gte=threshold)
        .order_by("-count", "service__code")
    )
    units = list(
        bad.values("unit__code", "unit__name_zh", "unit__name_en")
        .annotate(count=Count("pk"))
        .filter(count__gte=threshold)
        .order_by("-count", "unit__code")
    )
    return Repeated(
        month=month,
        threshold=threshold,
        services=[
            {
                "code": r["service__code"],
                "name_zh": r["service__name_zh"],
                "name_en": r["service__name_en"],
                "count": r["count"],
            }
            for r in services
        ],
        units=[
            {
                "code": r["unit__code"],
                "name_zh": r["unit__name_zh"],
                "name_en": r["unit__name_en"],
                "count": r["count"],
            }
            for r in units
        ],
    )
