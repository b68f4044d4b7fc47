"""Who may see a rectification order: staff covering the unit that served, or, for a hall window, the
department that staffs it (进驻部门). Citizens and anonymous callers see none."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core.errors import NotFound
from civicpulse.rectification.models import Appeal, RectificationOrder

ORDER_RELATED = (
    "unit",
    "unit__serving_unit",
    "evaluation",
    "evaluation__case",
    "evaluation__service",
    "evaluation__window",
    "evaluation__staff",
)


def order_scope(
    user: User | AnonymousUser | None, perm: Perm = Perm.RECTIFICATION_VIEW, prefix: str = ""
) -> Q:
    """Orders (or rows reaching an order through `prefix`, e.g. "order__") that `user` covers with `perm`."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return unit_filter(user, perm, field=f"{prefix}unit") | unit_filter(
        user, perm, field=f"{prefix}unit__serving_unit"
    )


def order_units(order: RectificationOrder) -> list[OrgUnit | None]:
    """The units answering for an order: the one that served and, for a window, its serving department."""
    return [order.unit, order.unit.serving_unit if order.unit.serving_unit_id else None]


def access_order(user: User | AnonymousUser | None, order_id: Any) -> RectificationOrder:
    try:
        return RectificationOrder.objects.select_related(*ORDER_RELATED).get(
            order_scope(user), pk=int(order_id)
        )
    except (RectificationOrder.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def access_appeal(user: User | AnonymousUser | None, appeal_id: Any) -> Appeal:
    try:
        return Appeal.objects.select_related(
            "filed_by", "filed_by__org_unit", "decided_by", *(f"order__{name}" for name in ORDER_RELATED)
        ).get(order_scope(user, prefix="order__"), pk=int(appeal_id))
    except (Appeal.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
