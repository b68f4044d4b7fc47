"""Reads of the organisation, already scoped to what the user may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from civicpulse.accounts.enums import UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core.errors import NotFound


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


def org_unit_by_code(*, code: str) -> OrgUnit:
    """Unit codes are public (the service guides filter by them), so this needs no scope."""
    unit = OrgUnit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise NotFound()
    return unit


def departments_with_services() -> QuerySet[OrgUnit]:
    """The units a citizen can filter the public service guides by."""
    return (
        OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT, services__versions__status="published")
        .distinct()
        .order_by("code")
    )


def staff_covering(*, role: str, unit: OrgUnit | None) -> list[User]:
    """Active staff holding `role` over `unit` (a role over an ancestor covers it too): who is told."""
    if unit is None:
        return []
    ancestors = [
        f"/{'/'.join(unit.path.strip('/').split('/')[:depth])}/" for depth in range(1, unit.depth + 2)
    ]
    return list(
        User.objects.filter(
            is_active=True,
            kind=UserKind.STAFF,
            role_assignments__role=role,
            role_assignments__unit__path__in=ancestors,
        )
        .distinct()
        .order_by("pk")
    )
