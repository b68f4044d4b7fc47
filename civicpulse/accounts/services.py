"""Writes to the organisation: one transaction per use case, each leaving an audit event."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import ALLOWED_PARENT_KINDS, Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, UnitCategory, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, NotFound, ValidationFailed
from civicpulse.core.masking import mask_name


def _check_parent_kind(kind: str, parent: OrgUnit | None) -> None:
    allowed = ALLOWED_PARENT_KINDS[UnitKind(kind)]
    parent_kind = parent.kind if parent else None
    if parent_kind not in allowed:
        raise ValidationFailed(
            _("A %(kind)s cannot be placed under %(parent)s.")
            % {
                "kind": UnitKind(kind).label,
                "parent": UnitKind(parent_kind).label if parent_kind else _("nothing"),
            },
            code="org_unit_bad_parent",
        )


@transaction.atomic
def org_unit_create(
    *,
    actor: User | None,
    code: str,
    name_zh: str,
    name_en: str,
    kind: str,
    parent: OrgUnit | None,
    category: UnitCategory | None = None,
    serving_unit: OrgUnit | None = None,
) -> OrgUnit:
    """Create a unit. `actor=None` is the system (migrations, demo); people need org.manage on the parent."""
    if actor is not None:
        # A new top region is outside every subtree anyone covers: only the system or a superuser adds one.
        if parent is None and not actor.is_superuser:
            raise NotFound()
        if parent is not None and not has_perm_on_unit(actor, Perm.ORG_MANAGE, parent):
            raise NotFound()
    _check_parent_kind(kind, parent)
    if serving_unit is not None and kind != UnitKind.WINDOW:
        raise ValidationFailed(_("Only a window has a serving department."), code="org_unit_serving_unit")
    if OrgUnit.objects.filter(code=code).exists():
        raise Conflict(
            _("An organisation unit with code %(code)s already exists.") % {"code": code},
            code="org_unit_code_taken",
        )
    unit = OrgUnit.objects.create(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        parent=parent,
        category=category,
        serving_unit=serving_unit,
    )
    audit_record(
        actor=actor,
        action="accounts.org_unit.created",
        target=unit,
        unit=unit,
        data={"code": code, "kind": kind},
    )
    return unit


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    org_unit: OrgUnit,
    roles: list[str],
    employee_number: str | None = None,
    on_probation: bool = False,
    password: str | None = None,
    phone: str = "",
) -> User:
    if actor is not None and not has_perm_on_unit(actor, Perm.ORG_MANAGE, org_unit):
        raise NotFound()
    if User.objects.filter(username=username).exists():
        raise Conflict(
            _("The user name %(username)s is taken.") % {"username": username}, code="username_taken"
        )
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ValidationFailed(
            _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}, code="unknown_role"
        )
    try:
        with transaction.atomic():
            user = User(
                username=username,
                full_name=full_name,
                org_unit=org_unit,
                kind=UserKind.STAFF,
                employee_number=employee_number or None,
                on_probation=on_probation,
                phone=phone,
            )
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
    except IntegrityError:
        raise Conflict(
            _("The employee number %(number)s is taken.") % {"number": employee_number},
            code="employee_number_taken",
        ) from None
    audit_record(
        actor=actor, action="accounts.user.created", target=user, unit=org_unit, data={"kind": UserKind.STAFF}
    )
    for role in roles:
        role_assign(actor=actor, user=user, role=role, unit=org_unit)
    return user


@transaction.atomic
def citizen_create(*, username: str, full_name: str, password: str, phone: str = "") -> User:
    if User.objects.filter(username=username).exists():
        raise Conflict(
            _("The user name %(username)s is taken.") % {"username": username}, code="username_taken"
        )
    user = User(username=username, full_name=full_name, kind=UserKind.CITIZEN, phone=phone)
    user.set_password(password)
    user.save()
    audit_record(
        actor=None,
        action="accounts.user.created",
        target=user,
        data={"kind": UserKind.CITIZEN},
        label=mask_name(full_name) or username[:1] + "***",
    )
    return user


@transaction.atomic
def role_assign(*, actor: User | None, user: User, role: str, unit: OrgUnit) -> RoleAssignment:
    if actor is not None and not has_perm_on_unit(actor, Perm.ORG_MANAGE, unit):
        raise NotFound()
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role: %(roles)s.") % {"roles": role}, code="unknown_role")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed(_("Only staff can hold roles."), code="role_for_citizen")
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_record(
            actor=actor,
            action="accounts.role.assigned",
            target=user,
            unit=unit,
            data={"role": role, "unit": unit.code},
        )
    return assignment


@transaction.atomic
def user_grant_back_office(*, actor: User | None, user: User) -> User:
    """Full back-office (Django admin) rights: for administrators only; `actor=None` is the command line."""
    if actor is not None and not actor.is_superuser:
        raise NotFound()
    if user.kind != UserKind.STAFF or not user.role_assignments.filter(role=Role.ADMINISTRATOR).exists():
        raise ValidationFailed(_("Only administrators get back-office rights."), code="not_an_administrator")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    audit_record(actor=actor, action="accounts.user.privileges_granted", target=user, unit=user.org_unit)
    return user
