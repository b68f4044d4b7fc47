"""Case handling: intake, the state machine, pauses, visits and the time-limit scan.

One transaction per use case; the case row is locked (SELECT ... FOR UPDATE, or SQLite's write lock) and
its status re-read before any change, so of two concurrent transitions one wins and the other gets a
Conflict, with nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.accounts.selectors import staff_covering
from civicpulse.cases import clocks
from civicpulse.cases.enums import (
    CLOCK_RUNNING,
    OPEN_STATUSES,
    CaseStatus,
    Channel,
    Decision,
    PauseKind,
    SlaState,
    VisitKind,
)
from civicpulse.cases.models import Case, CaseFile, CaseMaterial, CasePause, Visit
from civicpulse.cases.permissions import access_case
from civicpulse.cases.transitions import TRANSITIONS
from civicpulse.cases.uploads import check_upload
from civicpulse.catalogue.enums import Channels, ServiceMode
from civicpulse.catalogue.models import Step
from civicpulse.catalogue.selectors import published_version_get
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.calendars import calendar_code_for_unit_code, calendar_from_snapshot, calendar_snapshot
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.notify import notify
from civicpulse.core.workdays import local_date


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str
    email: str = ""


def holds_role(actor: User | None, roles: frozenset[Role], units: list[OrgUnit | None]) -> bool:
    if actor is None or actor.kind != UserKind.STAFF:
        return False
    paths = RoleAssignment.objects.filter(user=actor, role__in=roles).values_list("unit__path", flat=True)
    return any(unit is not None and unit.path.startswith(path) for path in paths for unit in units)


def code_digest(number: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{number}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_number(day: Any) -> str:
    return f"{day:%Y%m%d}{secrets.randbelow(10**6):06d}"


def _clock(case: Case, pauses: list[CasePause] | None = None) -> clocks.Clock:
    tz = timezone.get_default_timezone()
    rows = pauses if pauses is not None else list(case.pauses.all())
    return clocks.Clock(
        intake_date=case.intake_date,
        limit_days=case.limit_days,
        pauses=[
            (local_date(p.started_at, tz), local_date(p.ended_at, tz) if p.ended_at else None) for p in rows
        ],
    )


def _working_days_used(case: Case, decided_at: dt.datetime) -> int:
    """Working days from intake to the decision, the pauses ended by then taken out (the clock's count)."""
    tz = timezone.get_default_timezone()
    ended = [p for p in case.pauses.all() if p.ended_at is not None and p.ended_at <= decided_at]
    return clocks.used_days(
        calendar_from_snapshot(case.calendar), _clock(case, ended), local_date(decided_at, tz)
    )


def _refresh_clock(case: Case) -> None:
    calendar = calendar_from_snapshot(case.calendar)
    case_clock = _clock(case)
    case.due_date = clocks.deadline(calendar, case_clock)
    if case.status in CLOCK_RUNNING or case.status == CaseStatus.PAUSED:
        share = settings.CIVICPULSE["SLA_WARNING_SHARE"]
        assert isinstance(share, float)
        case.sla_state = clocks.sla_state(calendar, case_clock, clock.today(), share)
    if case.status in CLOCK_RUNNING or case.status == CaseStatus.PAUSED:
        if case.step_started_on is not None and case.step_budget_days is not None:
            case.step_due_date = clocks.step_deadline(
                calendar, case_clock, case.step_started_on, case.step_budget_days
            )
    else:
        case.step_due_date = None


def _enter_step(case: Case, step: Any) -> None:
    case.step_position = step.position if step is not None else None
    case.step_started_on = clock.today() if step is not None else None
    case.step_budget_days = step.budget_days if step is not None else None
    case.step_overdue = False
    case.assignee = _pick_assignee(case, step)


@transaction.atomic
def case_intake(
    *,
    actor: User,
    service_code: str,
    channel: str,
    applicant: Applicant,
    submitted_positions: list[int],
    window: OrgUnit | None = None,
) -> Case:
    """Receive an application at a hall window (window officer) or online (the citizen)."""
    if channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel")
    version = published_version_get(code=service_code)
    service = version.service
    if channel == Channel.HALL:
        if window is None or window.kind != UnitKind.WINDOW:
            raise ValidationFailed(
                _("Name the window that receives the application."), code="window_required"
            )
        if not holds_role(actor, frozenset({Role.WINDOW_OFFICER}), [window]):
            raise NotFound()
        if version.channels == Channels.ONLINE:
            raise ValidationFailed(_("This service is handled online only."), code="channel_not_offered")
    else:
        if actor.kind != UserKind.CITIZEN:
            raise Forbidden(_("Online applications are made by the applicant."), code="online_by_applicant")
        if version.channels == Channels.HALL:
            raise ValidationFailed(
                _("This service is handled at the service hall only."), code="channel_not_offered"
            )
        window = None
    for key, label, value in (
        ("name", _("applicant name"), applicant.name),
        ("id_number", _("applicant ID number"), applicant.id_number),
        ("phone", _("applicant phone"), applicant.phone),
    ):
        if not value.strip():
            raise ValidationFailed(
                _("The %(field)s is missing.") % {"field": label},
                code="applicant_incomplete",
                detail={"field": key},
            )
    materials = list(version.materials.all())
    unknown = sorted(set(submitted_positions) - {m.position for m in materials})
    if unknown:
        raise ValidationFailed(
            _("Unknown material numbers: %(numbers)s.") % {"numbers": unknown}, code="unknown_material"
        )
    now = clock.now()
    tz = timezone.get_default_timezone()
    calendar_code = calendar_code_for_unit_code(service.responsible_unit.code) or "CN"
    fields = {
        "service": service,
        "version": version,
        "responsible_unit": service.responsible_unit,
        "calendar": calendar_snapshot(calendar_code),
        "channel": channel,
        "window": window,
        "intake_officer": actor if channel == Channel.HALL else None,
        "applicant": actor if channel == Channel.ONLINE else None,
        "applicant_name": applicant.name.strip(),
        "applicant_id_number": applicant.id_number.strip(),
        "applicant_phone": applicant.phone.strip(),
        "applicant_email": applicant.email.strip(),
        "limit_days": version.promised_limit_days,
        "intake_at": now,
        "intake_date": local_date(now, tz),
    }
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(number=_new_number(fields["intake_date"]), **fields)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - a million numbers a day make five collisions in a row implausible
        raise Conflict(_("Could not allocate a case number; try again."), code="case_number_busy")
    # Shown once, on the receipt: with the case number the applicant can follow the case without an account.
    code = f"{secrets.randbelow(10**6):06d}"
    case.verification_digest = code_digest(case.number, code)
    case.verification_code = code  # type: ignore[attr-defined]
    CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            position=m.position,
            name_zh=m.name_zh,
            name_en=m.name_en,
            required=m.required,
            submitted=m.position in submitted_positions,
        )
        for m in materials
    )
    if channel == Channel.HALL:
        Visit.objects.create(case=case, kind=VisitKind.INTAKE, at=now, window=window)
    _refresh_clock(case)
    case.save(update_fields=["due_date", "sla_state", "verification_digest"])
    audit_record(
        actor=actor,
        action="cases.case.submitted",
        target=case,
        unit=case.responsible_unit,
        data={"service": service.code, "channel": channel},
    )
    return case


@transaction.atomic
def case_apply_online(
    *, actor: User, service_code: str, applicant: Applicant, uploads: dict[int, UploadedFile]
) -> Case:
    """A citizen's online application: the case and every uploaded document, or nothing at all."""
    max_bytes = int(str(settings.CIVICPULSE["UPLOAD_MAX_BYTES"]))
    checked: dict[int, tuple[UploadedFile, str]] = {}
    for position, upload in uploads.items():
        head = next(upload.chunks(chunk_size=16), b"") if upload.size else b""
        upload.seek(0)
        result = check_upload(head, upload.size or 0, max_bytes)
        if result.problem is not None or result.content_type is None:
            raise ValidationFailed(
                _UPLOAD_PROBLEMS[result.problem or "unsupported_type"]
                % {"name": upload.name, "megabytes": max_bytes // (1024 * 1024)},
                code=f"upload_{result.problem}",
                detail={"material": position},
            )
        checked[position] = (upload, result.content_type)
    case = case_intake(
        actor=actor,
        service_code=service_code,
        channel=Channel.ONLINE,
        applicant=applicant,
        submitted_positions=sorted(checked),
    )
    materials = {m.position: m for m in case.materials.all()}
    for position, (upload, content_type) in checked.items():
        CaseFile.objects.create(
            material=materials[position],
            file=upload,
            original_name=(upload.name or "")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_at=clock.now(),
        )
    return case


_UPLOAD_PROBLEMS = {
    "empty": _("The file %(name)s is empty."),
    "too_large": _("The file %(name)s is larger than %(megabytes)s MB."),
    "unsupported_type": _("The file %(name)s is not a PDF, JPEG or PNG document."),
}


def _not_now(action: str, case: Case) -> Conflict:
    return Conflict(
        _("Cannot %(action)s a case that is %(status)s.")
        % {"action": action, "status": CaseStatus(case.status).label},
        code="transition_not_allowed",
    )


@transaction.atomic
def case_transition(
    *,
    actor: User,
    case: Case,
    transition: str,
    reason: str = "",
    missing: list[int] | None = None,
    pause_kind: str = PauseKind.EXPERT_REVIEW,
) -> Case:
    rule = TRANSITIONS.get(transition)
    if rule is None:
        raise ValidationFailed(
            _("Unknown action %(action)s.") % {"action": transition}, code="unknown_transition"
        )
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("responsible_unit", "window", "version")
        .get(pk=case.pk)
    )
    is_applicant = rule.applicant_may and case.applicant_id is not None and case.applicant_id == actor.pk
    if not is_applicant and not holds_role(actor, rule.roles, [*case_units(case), step_unit(case)]):
        raise NotFound()
    if case.status not in rule.sources:
        raise _not_now(str(rule.label).lower(), case)
    if rule.needs_reason and not reason.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    now = clock.now()
    steps = list(case.version.steps.order_by("position"))
    data: dict[str, Any] = {"reason": reason.strip()}
    if transition in ("accept", "refuse"):
        case.accepted_at = now
    if transition == "accept":
        _enter_step(case, steps[0] if steps else None)
    elif transition == "advance":
        later = [s for s in steps if case.step_position is None or s.position > case.step_position]
        if not later:
            raise Conflict(_("This is the last step: decide the case."), code="no_next_step")
        _enter_step(case, later[0])
        data["step"] = later[0].name_zh
    elif transition in ("request_supplement", "pause"):
        _open_pause(case, steps, transition, reason, missing, pause_kind, now)
        data["kind"] = PauseKind.SUPPLEMENT if transition == "request_supplement" else pause_kind
    elif transition == "resume":
        CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    elif transition in ("approve", "deny"):
        case.decision = Decision.APPROVED if transition == "approve" else Decision.DENIED
        case.decided_at = now
        case.working_days = _working_days_used(case, now)
    elif transition == "deliver":
        case.delivered_at = now
    elif transition in ("close", "withdraw"):
        case.closed_at = now
        CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    if transition in ("approve", "deny", "withdraw", "refuse"):
        case.reason = reason.strip()
    if rule.target not in (CaseStatus.IN_PROGRESS, CaseStatus.PAUSED):
        case.assignee = None
    case.status = rule.target
    _refresh_clock(case)
    case.save()
    audit_record(
        actor=actor, action=f"cases.case.{rule.past}", target=case, unit=case.responsible_unit, data=data
    )
    return case


@transaction.atomic
def case_settle_on_the_spot(*, actor: User, case: Case, approve: bool = True, reason: str = "") -> Case:
    """An immediate service (即办件) is accepted, decided and handed over at the window in one go."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("version", "window", "responsible_unit")
        .get(pk=case.pk)
    )
    if case.version.service_mode != ServiceMode.IMMEDIATE:
        raise Conflict(_("Only an immediate service is decided at the window."), code="not_immediate")
    if case.window is None or not holds_role(actor, frozenset({Role.WINDOW_OFFICER}), [case.window]):
        raise NotFound()
    if case.status != CaseStatus.SUBMITTED:
        raise _not_now(str(_("decide on the spot")), case)
    if not approve and not reason.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    now = clock.now()
    case.status = CaseStatus.DELIVERED
    case.decision = Decision.APPROVED if approve else Decision.DENIED
    case.reason = reason.strip()
    case.accepted_at = case.decided_at = case.delivered_at = now
    case.working_days = _working_days_used(case, now)
    _refresh_clock(case)
    case.save()
    for past in ("accepted", "approved" if approve else "denied", "delivered"):
        audit_record(
            actor=actor,
            action=f"cases.case.{past}",
            target=case,
            unit=case.responsible_unit,
            data={"reason": case.reason, "on_the_spot": True},
        )
    return case


@transaction.atomic
def case_file_open(*, user: User, number: str, file_id: int) -> CaseFile:
    """A staff member opens an uploaded document: the documents are personal data, so each look is logged."""
    case = access_case(user, number)
    upload = CaseFile.objects.filter(pk=file_id, material__case=case).first()
    if upload is None:
        raise NotFound()
    audit_record(
        actor=user,
        action="cases.case.file_viewed",
        target=case,
        unit=case.responsible_unit,
        data={"file": upload.original_name},
    )
    return upload


def case_units(case: Case) -> list[OrgUnit | None]:
    """The units whose staff answer for a case: its responsible unit and its intake window."""
    return [case.responsible_unit, case.window]


def current_step(case: Case) -> Step | None:
    if case.step_position is None:
        return None
    return case.version.steps.filter(position=case.step_position).select_related("responsible_unit").first()


def step_unit(case: Case) -> OrgUnit | None:
    """The unit of the step the case is at: that section's approvers act on it, not only the department."""
    step = current_step(case)
    return step.responsible_unit if step is not None else None


def _pick_assignee(case: Case, step: Any) -> User | None:
    """The staff member of the step's unit holding the step's role with the fewest open cases."""
    if step is None:
        return None
    if step.responsible_role == Role.WINDOW_OFFICER and case.intake_officer_id:
        return case.intake_officer
    unit = step.responsible_unit or case.responsible_unit
    role = step.responsible_role or Role.APPROVER
    candidates = (
        User.objects.filter(
            is_active=True,
            kind=UserKind.STAFF,
            role_assignments__role=role,
            role_assignments__unit__path__startswith=unit.path,
        )
        .distinct()
        .annotate(load=Count("assigned_cases", filter=Q(assigned_cases__status__in=OPEN_STATUSES)))
        .order_by("load", "pk")
    )
    return candidates.first()


@transaction.atomic
def case_reassign(*, actor: User, case: Case, assignee: User) -> Case:
    """A department head moves the current step to another member of the step's unit."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("responsible_unit", "version")
        .get(pk=case.pk)
    )
    step = current_step(case)
    unit = (step.responsible_unit if step else None) or case.responsible_unit
    if not holds_role(actor, frozenset({Role.DEPARTMENT_HEAD}), [unit, case.responsible_unit]):
        raise NotFound()
    if case.status not in (CaseStatus.IN_PROGRESS, CaseStatus.PAUSED):
        raise Conflict(_("Only a case in progress can be reassigned."), code="transition_not_allowed")
    if assignee.kind != UserKind.STAFF or assignee.org_unit is None or not assignee.org_unit.is_within(unit):
        raise ValidationFailed(
            _("The new assignee must work in the step's unit."), code="assignee_outside_unit"
        )
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    audit_record(
        actor=actor,
        action="cases.case.reassigned",
        target=case,
        unit=case.responsible_unit,
        data={"assignee": assignee.display_name},
    )
    return case


def _open_pause(
    case: Case,
    steps: list[Any],
    transition: str,
    reason: str,
    missing: list[int] | None,
    pause_kind: str,
    now: Any,
) -> None:
    step = next((s for s in steps if s.position == case.step_position), None)
    if step is not None and not step.pause_allowed:
        raise ValidationFailed(
            _("The procedure allows no statutory pause at this step."), code="pause_not_allowed"
        )
    if transition == "request_supplement":
        wanted = sorted(set(missing or []))
        known = set(case.materials.values_list("position", flat=True))
        if not wanted or not set(wanted) <= known:
            raise ValidationFailed(
                _("List every missing material, by its number in the guide."),
                code="missing_materials_required",
            )
        CasePause.objects.create(
            case=case, kind=PauseKind.SUPPLEMENT, missing=wanted, reason=reason.strip(), started_at=now
        )
    else:
        if pause_kind not in PauseKind.values or pause_kind == PauseKind.SUPPLEMENT:
            raise ValidationFailed(_("Unknown kind of pause."), code="invalid_pause_kind")
        CasePause.objects.create(case=case, kind=pause_kind, reason=reason.strip(), started_at=now)


@transaction.atomic
def visit_record(*, actor: User, case: Case, kind: str, window: OrgUnit) -> Visit:
    if kind not in VisitKind.values:
        raise ValidationFailed(_("Unknown kind of visit."), code="invalid_visit_kind")
    if not holds_role(
        actor, frozenset({Role.WINDOW_OFFICER, Role.DEPARTMENT_HEAD}), [window, case.responsible_unit]
    ):
        raise NotFound()
    visit = Visit.objects.create(case=case, kind=kind, at=clock.now(), window=window)
    audit_record(
        actor=actor,
        action="cases.case.visit_recorded",
        target=case,
        unit=case.responsible_unit,
        data={"kind": kind},
    )
    return visit


def sla_scan(*, batch_size: int = 500) -> dict[str, int]:
    """Re-rate every open case's time-limit state; only changes are written (running it twice is harmless)."""
    changed = {str(state): 0 for state in SlaState} | {"step_overdue": 0}
    open_ids = list(
        Case.objects.filter(status__in=[*CLOCK_RUNNING, CaseStatus.PAUSED]).values_list("pk", flat=True)
    )
    for start in range(0, len(open_ids), batch_size):
        with transaction.atomic():
            for case in (
                Case.objects.select_for_update(of=("self",))
                .filter(pk__in=open_ids[start : start + batch_size])
                .prefetch_related("pauses")
            ):
                before = case.sla_state
                step_due_before = case.step_due_date
                _refresh_clock(case)
                step_late = (
                    case.status == CaseStatus.IN_PROGRESS
                    and case.step_due_date is not None
                    and clock.today() > case.step_due_date
                    and not case.step_overdue
                )
                if step_late:
                    case.step_overdue = True
                    changed["step_overdue"] += 1
                    _escalate_step(case)
                if case.sla_state != before or step_late or case.step_due_date != step_due_before:
                    case.save(update_fields=["sla_state", "due_date", "step_due_date", "step_overdue"])
                if case.sla_state != before:
                    changed[case.sla_state] += 1
                    _escalate(case)
                    audit_record(
                        actor=None,
                        action="cases.case.sla_changed",
                        target=case,
                        unit=case.responsible_unit,
                        data={"state": case.sla_state, "before": before},
                    )
    return changed


def _escalate_step(case: Case) -> None:
    """A step past its own budget: its assignee and the heads of the step's unit hear of it once."""
    step = current_step(case)
    unit = (step.responsible_unit if step else None) or case.responsible_unit
    recipients = [case.assignee] if case.assignee_id else []
    recipients += staff_covering(role=Role.DEPARTMENT_HEAD, unit=unit)
    params = {
        "number": case.number,
        "step": step.name_zh if step else "",
        "due": case.step_due_date.isoformat() if case.step_due_date else "",
    }
    notify(recipients=recipients, code="cases.step_overdue", target=case, params=params)
    audit_record(
        actor=None,
        action="cases.case.step_overdue",
        target=case,
        unit=case.responsible_unit,
        data={"step": params["step"], "due": params["due"]},
    )


def _escalate(case: Case) -> None:
    """Warning: the assignee (else the unit's heads). Overdue: assignee, heads and next-level supervisors."""
    if case.sla_state == SlaState.ON_TRACK:
        return
    heads = staff_covering(role=Role.DEPARTMENT_HEAD, unit=case.responsible_unit)
    assignee = [case.assignee] if case.assignee_id else []
    if case.sla_state == SlaState.WARNING:
        recipients = assignee or heads
    else:
        parent = case.responsible_unit.parent if case.responsible_unit.parent_id else case.responsible_unit
        recipients = [*assignee, *heads, *staff_covering(role=Role.SUPERVISOR, unit=parent)]
    params = {"number": case.number, "due": case.due_date.isoformat() if case.due_date else ""}
    notify(recipients=recipients, code=f"cases.{case.sla_state}", target=case, params=params)
