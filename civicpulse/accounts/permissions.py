"""Deny-by-default access: which role may do what, over which units, and the one loader per model.

A role held over a unit covers that unit's whole subtree. Every selector filters through `unit_filter`,
and every object loaded by id goes through an `access_*` function that raises NotFound for missing and
forbidden objects alike (so ids cannot be probed).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.core.errors import Forbidden, NotFound


class Perm(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    CATALOGUE_VIEW_DRAFTS = "catalogue.view_drafts"
    CATALOGUE_EDIT = "catalogue.edit"
    CATALOGUE_APPROVE = "catalogue.approve"
    AUDIT_VIEW = "audit.view"
    CALENDAR_MANAGE = "calendar.manage"
    CASE_VIEW = "case.view"
    EVALUATION_VIEW = "evaluation.view"
    EVALUATION_REVIEW = "evaluation.review"
    EVALUATION_IDENTITY = "evaluation.identity"
    RECTIFY = "rectification.act"
    RECTIFICATION_VIEW = "rectification.view"
    APPEAL_DECIDE = "appeal.decide"
    ASSESSMENT_VIEW = "assessment.view"
    ASSESSMENT_EDIT = "assessment.edit"
    ASSESSMENT_APPROVE = "assessment.approve"
    QUALITY_VIEW = "quality.view"
    QUALITY_MANAGE = "quality.manage"
    DOCUMENT_APPROVE = "quality.document_approve"
    DASHBOARD_VIEW = "dashboard.view"
    REPORT_VIEW = "report.view"
    REPORT_GENERATE = "report.generate"
    RESULTS_PUBLISH = "results.publish"
    EXCHANGE_EXPORT = "exchange.export"
    OPEN311_MANAGE = "open311.manage"


_ALL_STAFF = set(Role)

ROLE_PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.ORG_VIEW: frozenset(_ALL_STAFF),
    Perm.ORG_MANAGE: frozenset({Role.ADMINISTRATOR}),
    Perm.CATALOGUE_VIEW_DRAFTS: frozenset(
        {Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD, Role.QUALITY_OFFICER, Role.SUPERVISOR, Role.LEADER}
    ),
    Perm.CATALOGUE_EDIT: frozenset({Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD, Role.QUALITY_OFFICER}),
    Perm.CATALOGUE_APPROVE: frozenset({Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD, Role.LEADER}),
    Perm.AUDIT_VIEW: frozenset(
        {Role.ADMINISTRATOR, Role.SUPERVISOR, Role.QUALITY_OFFICER, Role.LEADER, Role.DEPARTMENT_HEAD}
    ),
    Perm.CALENDAR_MANAGE: frozenset({Role.ADMINISTRATOR}),
    # Leaders and the quality office read cases too: assessment and nonconformities drill down to them.
    Perm.CASE_VIEW: frozenset(_ALL_STAFF),
    # Ratings of a unit are read by the unit's staff too (anonymised): they are how the work is seen.
    Perm.EVALUATION_VIEW: frozenset(_ALL_STAFF),
    # Clearing or confirming quarantined evaluations, and seeing who rated: only those who need it.
    Perm.EVALUATION_REVIEW: frozenset({Role.QUALITY_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR}),
    Perm.EVALUATION_IDENTITY: frozenset({Role.QUALITY_OFFICER, Role.SUPERVISOR}),
    # The unit that served the citizen answers the bad review: its head, its approvers, its windows.
    Perm.RECTIFY: frozenset({Role.DEPARTMENT_HEAD, Role.APPROVER, Role.WINDOW_OFFICER, Role.QUALITY_OFFICER}),
    Perm.RECTIFICATION_VIEW: frozenset(_ALL_STAFF),
    Perm.APPEAL_DECIDE: frozenset({Role.SUPERVISOR, Role.QUALITY_OFFICER}),
    # Assessment results are read by those who oversee (and by heads for their own units, via scoping).
    Perm.ASSESSMENT_VIEW: frozenset(
        {Role.LEADER, Role.SUPERVISOR, Role.QUALITY_OFFICER, Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD}
    ),
    # Schemes are drafted by the quality office and approved by leaders (never by their author).
    Perm.ASSESSMENT_EDIT: frozenset({Role.QUALITY_OFFICER, Role.ADMINISTRATOR}),
    Perm.ASSESSMENT_APPROVE: frozenset({Role.LEADER, Role.ADMINISTRATOR}),
    # The quality system is read by those who oversee and by heads for their own units (scoped); the
    # quality office runs it; documents are approved by the heads and leaders they bind (never the author).
    Perm.QUALITY_VIEW: frozenset(
        {Role.QUALITY_OFFICER, Role.SUPERVISOR, Role.LEADER, Role.DEPARTMENT_HEAD, Role.ADMINISTRATOR}
    ),
    Perm.QUALITY_MANAGE: frozenset({Role.QUALITY_OFFICER, Role.ADMINISTRATOR}),
    Perm.DOCUMENT_APPROVE: frozenset({Role.QUALITY_OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER}),
    # Every member of staff sees the dashboard of the units their roles cover (a window officer: "my
    # service"); records behind a number stay masked as everywhere else.
    Perm.DASHBOARD_VIEW: frozenset(_ALL_STAFF),
    Perm.REPORT_VIEW: frozenset(
        {Role.LEADER, Role.SUPERVISOR, Role.QUALITY_OFFICER, Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD}
    ),
    Perm.REPORT_GENERATE: frozenset({Role.QUALITY_OFFICER, Role.ADMINISTRATOR}),
    # Publishing a period's results to the public is the quality office's deliberate act.
    Perm.RESULTS_PUBLISH: frozenset({Role.QUALITY_OFFICER}),
    Perm.EXCHANGE_EXPORT: frozenset({Role.QUALITY_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR}),
    Perm.OPEN311_MANAGE: frozenset({Role.ADMINISTRATOR}),
}


def _is_staff(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "kind", None) == UserKind.STAFF)


def covered_paths(user: User | AnonymousUser | None, perm: Perm) -> list[str]:
    """Materialised paths of the unit subtrees over which `user` holds `perm` (empty: none)."""
    if not _is_staff(user):
        return []
    assert isinstance(user, User)
    cache: dict[Perm, list[str]] = user.__dict__.setdefault("_covered_paths", {})
    if perm not in cache:
        roles = ROLE_PERMISSIONS[perm]
        paths = sorted(
            set(
                RoleAssignment.objects.filter(user=user, role__in=roles, unit__is_active=True).values_list(
                    "unit__path", flat=True
                )
            )
        )
        # Drop paths inside other covered paths: fewer OR terms in every scoped query.
        cache[perm] = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return cache[perm]


def has_perm(user: User | AnonymousUser | None, perm: Perm) -> bool:
    return bool(covered_paths(user, perm))


def require_perm(user: User | AnonymousUser | None, perm: Perm) -> None:
    """For list operations: a user who holds `perm` nowhere is refused outright rather than shown nothing."""
    if not has_perm(user, perm):
        from django.utils.translation import gettext as _

        raise Forbidden(_("You do not have access to this."), code="forbidden")


def has_perm_on_unit(user: User | AnonymousUser | None, perm: Perm, unit: OrgUnit | None) -> bool:
    if unit is None:
        return False
    return any(unit.path.startswith(path) for path in covered_paths(user, perm))


def unit_filter(user: User | AnonymousUser | None, perm: Perm, field: str = "unit") -> Q:
    """A Q over `<field>__path` keeping rows whose unit lies in a subtree the user covers; none if none."""
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q(pk__in=[])
    for path in covered_paths(user, perm):
        q |= Q(**{lookup: path})
    return q


def access_org_unit(user: User | AnonymousUser | None, unit_id: Any, perm: Perm = Perm.ORG_VIEW) -> OrgUnit:
    try:
        unit = OrgUnit.objects.select_related("parent", "category").get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if not has_perm_on_unit(user, perm, unit):
        raise NotFound()
    return unit


def access_staff_member(user: User | AnonymousUser | None, user_id: Any, perm: Perm = Perm.ORG_VIEW) -> User:
    try:
        member = User.objects.select_related("org_unit").get(pk=int(user_id), kind=UserKind.STAFF)
    except (User.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if member.pk != getattr(user, "pk", None) and not has_perm_on_unit(user, perm, member.org_unit):
        raise NotFound()
    return member
