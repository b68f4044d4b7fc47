"""Reads of the organisation, already scoped to what the user may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, unit_filter


def org_unit_list(*, user: User | AnonymousUser, kind: str | None = None) -> QuerySet[OrgUnit]:
    units = OrgUnit.objects.filter(unit_filter(user, Perm.ORG_VIEW, field="")).select_related(
        "category", "parent"
    )
    if kind:
        units = units.filter(kind=kind)
    return units.order_by("path")


def staff_list(*, user: User | AnonymousUser, unit: OrgUnit | None = None) -> QuerySet[User]:
    staff = User.objects.filter(unit_filter(user, Perm.ORG_VIEW, field="org_unit"), kind=UserKind.STAFF)
    if unit is not None:
        staff = staff.filter(org_unit__path__startswith=unit.path)
    return (
        staff.select_related("org_unit")
        .prefetch_related("role_assignments")
        .order_by("org_unit__path", "username")
    )
