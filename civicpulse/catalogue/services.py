"""Catalogue writes: one transaction per use case, each re-checking permission and leaving an audit event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.catalogue import linter
from civicpulse.catalogue.enums import (
    Channels,
    MaterialForm,
    MaterialSource,
    PowerKind,
    ServiceMode,
    VersionStatus,
)
from civicpulse.catalogue.models import Material, ProcedureVersion, Service, Step
from civicpulse.catalogue.selectors import version_lint
from civicpulse.catalogue.transitions import TRANSITIONS
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class StepInput:
    key: str
    name_zh: str
    name_en: str
    responsible_unit_code: str | None
    responsible_role: str = ""
    budget_days: int = 0
    pause_allowed: bool = False
    next_keys: list[str] | None = None


@dataclass(frozen=True)
class MaterialInput:
    name_zh: str
    name_en: str
    form: str = MaterialForm.ORIGINAL
    copies: int = 1
    source: str = MaterialSource.APPLICANT
    required: bool = True
    notes: str = ""


def _require(actor: User | None, perm: Perm, unit: OrgUnit) -> None:
    """`actor=None` is the system itself (demo loader, migrations); people need the permission."""
    if actor is not None and not has_perm_on_unit(actor, perm, unit):
        raise NotFound()


def _check_choice(value: object, choices: type[Any], field: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("%(value)s is not a valid %(field)s.") % {"value": value, "field": field},
            code="invalid_choice",
            detail={"field": field},
        )


SERVICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_names(name_zh: object, name_en: object) -> None:
    if (
        not isinstance(name_zh, str)
        or not isinstance(name_en, str)
        or not name_zh.strip()
        or not name_en.strip()
    ):
        raise ValidationFailed(_("A service needs a Chinese and an English name."), code="name_required")


def _check_owner(owner: User | None, unit: OrgUnit) -> None:
    if owner is None:
        return
    if owner.kind != UserKind.STAFF or owner.org_unit is None or not owner.org_unit.is_within(unit):
        raise ValidationFailed(
            _("The process owner must be a staff member of the responsible unit."), code="owner_outside_unit"
        )


@transaction.atomic
def service_create(
    *,
    actor: User | None,
    code: str,
    name_zh: str,
    name_en: str,
    power_kind: str,
    responsible_unit: OrgUnit,
    process_owner: User | None,
) -> Service:
    _require(actor, Perm.CATALOGUE_EDIT, responsible_unit)
    _check_choice(power_kind, PowerKind, "power_kind")
    _check_owner(process_owner, responsible_unit)
    _check_names(name_zh, name_en)
    if not SERVICE_CODE.fullmatch(code):
        raise ValidationFailed(
            _("The service code may hold only letters, digits, dots, dashes and underscores."),
            code="service_code_format",
        )
    if Service.objects.filter(code=code).exists():
        raise Conflict(
            _("A service with code %(code)s already exists.") % {"code": code}, code="service_code_taken"
        )
    try:
        with transaction.atomic():
            service = Service.objects.create(
                code=code,
                name_zh=name_zh.strip(),
                name_en=name_en.strip(),
                power_kind=power_kind,
                responsible_unit=responsible_unit,
                process_owner=process_owner,
                created_at=clock.now(),
            )
    except IntegrityError:
        # Another request registered the same code between our check and the insert.
        raise Conflict(
            _("A service with code %(code)s already exists.") % {"code": code}, code="service_code_taken"
        ) from None
    audit_record(
        actor=actor,
        action="catalogue.service.created",
        target=service,
        unit=responsible_unit,
        data={"code": code},
    )
    return service


@transaction.atomic
def service_update(*, actor: User | None, service: Service, **changes: Any) -> Service:
    """Change a service's identity fields. Moving it to another unit needs edit rights on both units."""
    allowed = {"name_zh", "name_en", "power_kind", "responsible_unit", "process_owner"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_editable",
        )
    service = Service.objects.select_for_update().select_related("responsible_unit").get(pk=service.pk)
    _require(actor, Perm.CATALOGUE_EDIT, service.responsible_unit)
    new_unit = changes.get("responsible_unit", service.responsible_unit)
    _require(actor, Perm.CATALOGUE_EDIT, new_unit)
    if "power_kind" in changes:
        _check_choice(changes["power_kind"], PowerKind, "power_kind")
    if "name_zh" in changes or "name_en" in changes:
        _check_names(changes.get("name_zh", service.name_zh), changes.get("name_en", service.name_en))
        changes.update({k: changes[k].strip() for k in ("name_zh", "name_en") if k in changes})
    owner = changes.get("process_owner", service.process_owner)
    _check_owner(owner, new_unit)
    changed = sorted(k for k, v in changes.items() if getattr(service, k) != v)
    for key, value in changes.items():
        setattr(service, key, value)
    service.save()
    if changed:
        audit_record(
            actor=actor,
            action="catalogue.service.changed",
            target=service,
            unit=new_unit,
            data={"fields": ", ".join(changed)},
        )
    return service


def _copy_content(source: ProcedureVersion, target: ProcedureVersion) -> None:
    Step.objects.bulk_create(
        Step(
            version=target,
            position=s.position,
            key=s.key,
            name_zh=s.name_zh,
            name_en=s.name_en,
            responsible_unit_id=s.responsible_unit_id,
            responsible_role=s.responsible_role,
            budget_days=s.budget_days,
            pause_allowed=s.pause_allowed,
            next_keys=s.next_keys,
        )
        for s in source.steps.order_by("position")
    )
    Material.objects.bulk_create(
        Material(
            version=target,
            position=m.position,
            name_zh=m.name_zh,
            name_en=m.name_en,
            form=m.form,
            copies=m.copies,
            source=m.source,
            required=m.required,
            notes=m.notes,
        )
        for m in source.materials.order_by("position")
    )


@transaction.atomic
def version_create(*, actor: User | None, service: Service, copy_latest: bool = True) -> ProcedureVersion:
    """Start a new draft, by default a copy of the newest version. At most one draft or review at a time."""
    service = Service.objects.select_for_update().select_related("responsible_unit").get(pk=service.pk)
    _require(actor, Perm.CATALOGUE_EDIT, service.responsible_unit)
    if service.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).exists():
        raise Conflict(
            _("This service already has a draft or a version in review."), code="open_version_exists"
        )
    latest = service.versions.order_by("-number").first()
    number = (latest.number + 1) if latest else 1
    base: dict[str, Any] = {
        "legal_basis": "",
        "service_mode": ServiceMode.PROMISED,
        "statutory_limit_days": 20,
        "promised_limit_days": 10,
        "channels": Channels.BOTH,
        "run_at_most_once": True,
        "fee_yuan": Decimal(0),
        "fee_basis": "",
    }
    if latest is not None and copy_latest:
        base = {key: getattr(latest, key) for key in base}
    version = ProcedureVersion.objects.create(
        service=service,
        number=number,
        status=VersionStatus.DRAFT,
        author=actor,
        contributor_ids=[actor.pk] if actor is not None else [],
        created_at=clock.now(),
        **base,
    )
    if latest is not None and copy_latest:
        _copy_content(latest, version)
    audit_record(
        actor=actor,
        action="catalogue.version.created",
        target=service,
        unit=service.responsible_unit,
        data={"number": number},
    )
    return version


_VERSION_FIELDS = {
    "legal_basis",
    "service_mode",
    "statutory_limit_days",
    "promised_limit_days",
    "channels",
    "run_at_most_once",
    "fee_yuan",
    "fee_basis",
    "change_note",
}


@transaction.atomic
def version_update(
    *,
    actor: User | None,
    version: ProcedureVersion,
    fields: dict[str, Any],
    steps: list[StepInput] | None = None,
    materials: list[MaterialInput] | None = None,
) -> ProcedureVersion:
    """Edit a draft: its fields, and (when given) its whole list of steps or materials, replaced at once."""
    version = (
        ProcedureVersion.objects.select_for_update()
        .select_related("service__responsible_unit")
        .get(pk=version.pk)
    )
    _require(actor, Perm.CATALOGUE_EDIT, version.service.responsible_unit)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be edited; this version is %(status)s.")
            % {"status": VersionStatus(version.status).label},
            code="version_not_editable",
        )
    unknown = set(fields) - _VERSION_FIELDS
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_editable",
        )
    if "service_mode" in fields:
        _check_choice(fields["service_mode"], ServiceMode, "service_mode")
    if "channels" in fields:
        _check_choice(fields["channels"], Channels, "channels")
    for key, value in fields.items():
        setattr(version, key, value)
    _add_contributor(version, actor)
    version.save()
    if steps is not None:
        _replace_steps(version, steps)
    if materials is not None:
        _replace_materials(version, materials)
    audit_record(
        actor=actor,
        action="catalogue.version.changed",
        target=version.service,
        unit=version.service.responsible_unit,
        data={
            "number": version.number,
            "fields": sorted(fields),
            "steps": steps is not None,
            "materials": materials is not None,
        },
    )
    return version


def _add_contributor(version: ProcedureVersion, actor: User | None) -> None:
    if actor is not None and actor.pk not in version.contributor_ids:
        version.contributor_ids = [*version.contributor_ids, actor.pk]


def _replace_steps(version: ProcedureVersion, steps: list[StepInput]) -> None:
    codes = {s.responsible_unit_code for s in steps if s.responsible_unit_code}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    missing = sorted(codes - set(units))
    if missing:
        raise ValidationFailed(
            _("Unknown organisation unit: %(codes)s.") % {"codes": ", ".join(missing)}, code="unknown_unit"
        )
    keys = [s.key for s in steps]
    if len(set(keys)) != len(keys):
        raise ValidationFailed(_("Each step needs its own key."), code="duplicate_step_key")
    for step in steps:
        if step.responsible_role:
            _check_choice(step.responsible_role, Role, "responsible_role")
    version.steps.all().delete()
    Step.objects.bulk_create(
        Step(
            version=version,
            position=index,
            key=s.key,
            name_zh=s.name_zh,
            name_en=s.name_en,
            responsible_unit=units.get(s.responsible_unit_code or ""),
            responsible_role=s.responsible_role,
            budget_days=s.budget_days,
            pause_allowed=s.pause_allowed,
            next_keys=s.next_keys,
        )
        for index, s in enumerate(steps, start=1)
    )


def _replace_materials(version: ProcedureVersion, materials: list[MaterialInput]) -> None:
    for material in materials:
        _check_choice(material.form, MaterialForm, "form")
        _check_choice(material.source, MaterialSource, "source")
    version.materials.all().delete()
    Material.objects.bulk_create(
        Material(
            version=version,
            position=index,
            name_zh=m.name_zh,
            name_en=m.name_en,
            form=m.form,
            copies=m.copies,
            source=m.source,
            required=m.required,
            notes=m.notes,
        )
        for index, m in enumerate(materials, start=1)
    )


@transaction.atomic
def version_transition(
    *, actor: User | None, version: ProcedureVersion, transition: str, reason: str = ""
) -> ProcedureVersion:
    """Move a version along its life cycle (see transitions.TRANSITIONS); anything else is refused."""
    rule = TRANSITIONS.get(transition)
    if rule is None:
        raise ValidationFailed(
            _("Unknown action %(action)s.") % {"action": transition}, code="unknown_transition"
        )
    version = (
        ProcedureVersion.objects.select_for_update()
        .select_related("service__responsible_unit")
        .get(pk=version.pk)
    )
    unit = version.service.responsible_unit
    _require(actor, rule.perm, unit)
    if version.status != rule.source:
        raise Conflict(
            _("Cannot %(action)s a version that is %(status)s.")
            % {"action": str(rule.label).lower(), "status": VersionStatus(version.status).label},
            code="transition_not_allowed",
        )
    if (
        transition == "approve"
        and actor is not None
        and (version.author_id == actor.pk or actor.pk in version.contributor_ids)
    ):
        raise Forbidden(
            _("Whoever wrote or submitted a version cannot approve it."), code="approver_is_author"
        )
    if transition == "reject" and not reason.strip():
        raise ValidationFailed(_("Say why the version is sent back."), code="reason_required")
    if rule.runs_linter:
        errors = linter.blocking(version_lint(version=version))
        if errors:
            raise ValidationFailed(
                _("The duty linter found %(count)s error(s); fix them first.") % {"count": len(errors)},
                code="lint_errors",
                detail=[f.as_dict() for f in errors],
            )
    now = clock.now()
    if transition == "submit":
        version.submitted_at = now
        _add_contributor(version, actor)
    elif transition == "approve":
        current = (
            ProcedureVersion.objects.select_for_update()
            .filter(service=version.service, status=VersionStatus.PUBLISHED)
            .first()
        )
        if current is not None:
            current.status = VersionStatus.RETIRED
            current.retired_at = now
            current.save(update_fields=["status", "retired_at"])
            audit_record(
                actor=actor,
                action="catalogue.version.retired",
                target=version.service,
                unit=unit,
                data={"number": current.number},
            )
        version.approver = actor
        version.published_at = now
    elif transition == "retire":
        version.retired_at = now
    version.status = rule.target
    version.save()
    audit_record(
        actor=actor,
        action=f"catalogue.version.{_PAST[transition]}",
        target=version.service,
        unit=unit,
        data={"number": version.number, "reason": reason.strip()},
    )
    return version


_PAST = {"submit": "submitted", "reject": "rejected", "approve": "approved", "retire": "retired"}
