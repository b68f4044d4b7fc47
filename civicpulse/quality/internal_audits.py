"""Internal audits: every write (one transaction per use case, the permission checked again, an audit event)
and every read (scoped to what the user may see) of audit programmes and audits.

Who does what:
- the quality office (`Perm.QUALITY_MANAGE` over every unit an audit covers) draws up the programme, plans
  audits, sets their scope and team, and closes them;
- someone other than the programme's author who holds `Perm.DOCUMENT_APPROVE` or `Perm.QUALITY_MANAGE`
  over the author's unit and over every audited unit approves the programme;
- the audit team records the checklist and the findings; the lead auditor writes the report;
- `Perm.QUALITY_VIEW` over any audited unit reads an audit, and so does its team.

Auditor independence (ISO 9001 9.2.2 c, ISO 19011 4 and 7.2): nobody audits their own area. The area of an
audit is the subtree of every audited unit and of every audited service's responsible unit, the hall windows
staffed by a unit in those subtrees, and the units above them short of the region (a department manages its
sections). An auditor must not work in the area, hold a role on one of its units, or own the process of an
audited service. County-wide oversight (a role held over the region) does not make someone part of a
department's area: otherwise the county's quality office could audit nothing. The rule is checked when the
team is named, when the scope changes and again when the audit starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit, unit_filter
from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.core.notify import notify
from civicpulse.quality.enums import NcStatus
from civicpulse.quality.models.internal_audits import (
    NONCONFORMING,
    AuditProgramme,
    AuditStatus,
    ChecklistItem,
    ChecklistResult,
    Finding,
    FindingKind,
    InternalAudit,
    ProgrammeStatus,
)
from civicpulse.quality.reference import CLAUSE_NUMBERS, ISO9001_CLAUSES, ISO9001_SECTIONS
from civicpulse.quality.services import nc_raise_for_finding

_CLAUSE_ORDER = {clause.number: i for i, clause in enumerate(ISO9001_CLAUSES)}
_CLAUSES = {clause.number: clause for clause in ISO9001_CLAUSES}
MAX_CHECKLIST_ITEMS = 200


def _forbidden() -> Forbidden:
    return Forbidden(_("You do not have access to this."), code="forbidden")


def _text(value: str, what: str, limit: int = 4000, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("%(what)s is required.") % {"what": what}, code="required")
    if len(value) > limit:
        raise ValidationFailed(
            _("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit},
            code="too_long",
        )
    return value


def _is_staff(user: User | AnonymousUser | None) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.kind == UserKind.STAFF


# --- clauses ------------------------------------------------------------------------------------------------


def clean_clauses(values: Iterable[str]) -> list[str]:
    """ISO 9001 clause numbers from the reference list, without repeats, in the standard's order."""
    wanted = {str(v).strip() for v in values if str(v).strip()}
    unknown = sorted(wanted - CLAUSE_NUMBERS)
    if unknown:
        raise ValidationFailed(
            _("These are not ISO 9001 clauses: %(clauses)s.") % {"clauses": ", ".join(unknown)},
            code="invalid_clause",
            detail=unknown,
        )
    if not wanted:
        raise ValidationFailed(_("Choose at least one ISO 9001 clause."), code="clauses_required")
    return sorted(wanted, key=_CLAUSE_ORDER.__getitem__)


@dataclass(frozen=True)
class ClauseLine:
    number: str
    title: str


def clause_title(number: str) -> str:
    """A clause's title in the active language (the number itself for one not in the reference)."""
    clause = _CLAUSES.get(number)
    if clause is None:
        return number
    return clause.title_en if (get_language() or "").startswith("en") else clause.title_zh


def _audit_clause(audit: InternalAudit, clause: str) -> str:
    """A clause the audit covers: one of its clauses or a sub-clause of one."""
    clause = (clause or "").strip()
    if clause not in CLAUSE_NUMBERS:
        raise ValidationFailed(
            _("These are not ISO 9001 clauses: %(clauses)s.") % {"clauses": clause or "–"},
            code="invalid_clause",
            detail=[clause],
        )
    if not any(clause == c or clause.startswith(f"{c}.") for c in audit.clauses):
        raise ValidationFailed(
            _("Clause %(clause)s is not in the scope of this audit.") % {"clause": clause},
            code="clause_not_in_scope",
        )
    return clause


# --- the audited area and auditor independence --------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """The part of the organisation an audit covers (see the module docstring)."""

    paths: tuple[str, ...]
    managing_units: frozenset[int]
    process_owners: frozenset[int]

    def units_q(self, field: str) -> Q:
        q = Q(**{f"{field}_id__in": sorted(self.managing_units)})
        for path in self.paths:
            q |= Q(**{f"{field}__path__startswith": path})
        return q

    def covers(self, unit: OrgUnit) -> bool:
        return any(unit.path.startswith(path) for path in self.paths)


def audited_area(*, units: Sequence[OrgUnit], services: Sequence[Service]) -> Area:
    roots = [*units, *(s.responsible_unit for s in services)]
    paths = {root.path for root in roots}
    if paths:
        serving = Q(pk__in=[])
        for path in paths:
            serving |= Q(serving_unit__path__startswith=path)
        paths |= set(OrgUnit.objects.filter(serving, kind=UnitKind.WINDOW).values_list("path", flat=True))
    # Paths inside other paths add nothing.
    kept = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
    above = {a for root in roots for a in root.ancestor_ids() if a != root.pk}
    managing = OrgUnit.objects.filter(pk__in=above).exclude(kind=UnitKind.REGION).values_list("pk", flat=True)
    return Area(
        paths=kept,
        managing_units=frozenset(managing),
        process_owners=frozenset(s.process_owner_id for s in services if s.process_owner_id),
    )


def _area_of(audit: InternalAudit) -> Area:
    return audited_area(
        units=list(audit.scope_units.all()),
        services=list(audit.scope_services.select_related("responsible_unit")),
    )


def independence_problems(*, area: Area, auditors: Iterable[User]) -> list[dict[str, Any]]:
    """Why each auditor who is not independent of the area is not: works there, holds a role there or owns
    an audited process. Empty when every auditor is independent."""
    problems = []
    for user in auditors:
        unit = user.org_unit if user.org_unit_id else None
        if unit is not None and (area.covers(unit) or unit.pk in area.managing_units):
            reason = "works_in_area"
        elif RoleAssignment.objects.filter(area.units_q("unit"), user=user).exists():
            reason = "role_in_area"
        elif user.pk in area.process_owners:
            reason = "owns_audited_process"
        else:
            continue
        problems.append({"user": user.pk, "name": user.display_name, "reason": reason})
    return problems


def _require_independent(area: Area, auditors: Iterable[User]) -> None:
    problems = independence_problems(area=area, auditors=auditors)
    if problems:
        raise ValidationFailed(
            _(
                "%(names)s cannot audit this area: an auditor must not work in the audited units, hold a "
                "role on them or own the process of an audited service."
            )
            % {"names": ", ".join(p["name"] for p in problems)},
            code="auditor_not_independent",
            detail=problems,
        )


def auditor_candidates(*, audit: InternalAudit, limit: int = 300) -> list[User]:
    """Active staff independent of the audit's area, for the team picker."""
    area = _area_of(audit)
    in_area_roles = RoleAssignment.objects.filter(area.units_q("unit")).values("user_id")
    rows = (
        User.objects.filter(kind=UserKind.STAFF, is_active=True)
        .exclude(area.units_q("org_unit"))
        .exclude(pk__in=in_area_roles)
        .exclude(pk__in=sorted(area.process_owners))
        .select_related("org_unit")
        .order_by("org_unit__path", "full_name", "username")
    )
    return list(rows[:limit])


# --- who may do what ----------------------------------------------------------------------------------------


def _covered_units(units: Iterable[OrgUnit], services: Iterable[Service]) -> list[OrgUnit]:
    return [*units, *(s.responsible_unit for s in services)]


def _manages_scope(actor: User | AnonymousUser, units: Sequence[OrgUnit]) -> bool:
    return bool(units) and all(has_perm_on_unit(actor, Perm.QUALITY_MANAGE, u) for u in units)


def _audit_units(audit: InternalAudit) -> list[OrgUnit]:
    return _covered_units(audit.scope_units.all(), audit.scope_services.select_related("responsible_unit"))


def _require_manager(actor: User, audit: InternalAudit) -> None:
    if not _manages_scope(actor, _audit_units(audit)):
        raise _forbidden()


def _team_ids(audit: InternalAudit) -> set[int]:
    ids = set(audit.auditors.values_list("pk", flat=True))
    if audit.lead_auditor_id:
        ids.add(audit.lead_auditor_id)
    return ids


def _require_team(actor: User, audit: InternalAudit) -> None:
    if actor.pk not in _team_ids(audit):
        raise Forbidden(_("Only the audit team records this."), code="not_on_audit_team")


def _home_unit(audit: InternalAudit) -> OrgUnit | None:
    units = _audit_units(audit)
    return units[0] if units else None


def _lock(audit: InternalAudit) -> InternalAudit:
    return (
        InternalAudit.objects.select_for_update(of=("self",))
        .select_related("programme", "lead_auditor")
        .get(pk=audit.pk)
    )


def _require_status(audit: InternalAudit, *allowed: AuditStatus) -> None:
    if audit.status not in allowed:
        raise Conflict(
            _("This cannot be done while the audit is %(status)s.") % {"status": audit.get_status_display()},
            code="wrong_audit_status",
        )


def _record(actor: User, action: str, audit: InternalAudit, **data: Any) -> None:
    audit_record(actor=actor, action=action, target=audit, unit=_home_unit(audit), data=data)


@dataclass(frozen=True)
class Abilities:
    """What the user may do on an audit now: the pages show only the forms that would succeed."""

    manage: bool
    on_team: bool
    lead: bool
    set_scope: bool
    set_team: bool
    start: bool
    add_questions: bool
    record: bool
    report: bool
    close: bool


def audit_abilities(*, user: User | AnonymousUser, audit: InternalAudit) -> Abilities:
    manage = _manages_scope(user, _audit_units(audit))
    team = getattr(user, "pk", None) in _team_ids(audit)
    lead = audit.lead_auditor_id is not None and audit.lead_auditor_id == getattr(user, "pk", None)
    status = audit.status
    return Abilities(
        manage=manage,
        on_team=team,
        lead=lead,
        set_scope=manage and status == AuditStatus.PLANNED,
        set_team=manage and status == AuditStatus.PLANNED,
        start=(manage or lead) and status == AuditStatus.PLANNED,
        add_questions=(manage or team) and status in (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS),
        record=team and status == AuditStatus.IN_PROGRESS,
        report=lead and status == AuditStatus.IN_PROGRESS,
        close=manage and status == AuditStatus.REPORTED,
    )


def can_approve_programme(*, user: User | AnonymousUser, programme: AuditProgramme) -> bool:
    """Someone other than the author, overseeing the author's unit and every audited unit."""
    if not _is_staff(user) or user.pk == programme.author_id or programme.status != ProgrammeStatus.DRAFT:
        return False

    def approves(unit: OrgUnit | None) -> bool:
        if unit is None:
            return has_perm(user, Perm.DOCUMENT_APPROVE) or has_perm(user, Perm.QUALITY_MANAGE)
        return has_perm_on_unit(user, Perm.DOCUMENT_APPROVE, unit) or has_perm_on_unit(
            user, Perm.QUALITY_MANAGE, unit
        )

    units: list[OrgUnit | None] = [programme.author.org_unit]
    for audit in programme.audits.prefetch_related("scope_units", "scope_services__responsible_unit"):
        units.extend(_covered_units(audit.scope_units.all(), audit.scope_services.all()))
    return all(approves(unit) for unit in units)


# --- programmes ---------------------------------------------------------------------------------------------


@transaction.atomic
def programme_create(*, actor: User, year: int, title: str) -> AuditProgramme:
    """The draft programme of a year, drawn up by the quality office."""
    if not has_perm(actor, Perm.QUALITY_MANAGE):
        raise _forbidden()
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("Give a year between 2000 and 2100."), code="invalid_year")
    if AuditProgramme.objects.filter(year=year).exists():
        raise Conflict(_("The programme of this year exists."), code="programme_exists")
    programme = AuditProgramme.objects.create(
        year=year, title=_text(title, _("The title"), 200), author=actor, created_at=clock.now()
    )
    audit_record(actor=actor, action="quality.audit_programme.created", target=programme, data={"year": year})
    return programme


@transaction.atomic
def programme_approve(*, actor: User, programme: AuditProgramme) -> AuditProgramme:
    programme = (
        AuditProgramme.objects.select_for_update(of=("self",))
        .select_related("author__org_unit")
        .get(pk=programme.pk)
    )
    if programme.status != ProgrammeStatus.DRAFT:
        raise Conflict(_("Only a draft programme is approved."), code="programme_not_draft")
    if programme.author_id == actor.pk:
        raise Forbidden(
            _("A programme is approved by someone other than its author."), code="approver_is_author"
        )
    if not can_approve_programme(user=actor, programme=programme):
        raise _forbidden()
    if not programme.audits.exists():
        raise ValidationFailed(_("Plan at least one audit before approval."), code="programme_empty")
    programme.status = ProgrammeStatus.APPROVED
    programme.approver = actor
    programme.approved_at = clock.now()
    programme.save(update_fields=["status", "approver", "approved_at"])
    audit_record(
        actor=actor,
        action="quality.audit_programme.approved",
        target=programme,
        data={"year": programme.year},
    )
    return programme


# --- planning -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    units: Sequence[OrgUnit]
    services: Sequence[Service]
    clauses: Sequence[str]
    criteria: str


def _clean_scope(actor: User, scope: Scope) -> tuple[list[OrgUnit], list[Service], list[str], str]:
    units = sorted({u.pk: u for u in scope.units}.values(), key=lambda u: u.path)
    services = sorted({s.pk: s for s in scope.services}.values(), key=lambda s: s.code)
    if not units and not services:
        raise ValidationFailed(_("Name at least one unit or service to audit."), code="scope_required")
    if not _manages_scope(actor, _covered_units(units, services)):
        raise _forbidden()
    return units, services, clean_clauses(scope.clauses), _text(scope.criteria, _("The audit criteria"))


def _scope_data(
    units: Sequence[OrgUnit], services: Sequence[Service], clauses: Sequence[str]
) -> dict[str, str]:
    return {
        "units": ", ".join([u.code for u in units] + [s.code for s in services]),
        "clauses": ", ".join(clauses),
    }


@transaction.atomic
def audit_plan(
    *, actor: User, programme: AuditProgramme, title: str, scope: Scope, planned_on: dt.date | None
) -> InternalAudit:
    """An audit planned in the programme. Planning one into an approved programme changes the programme,
    so it goes back for approval (audits already under way carry on)."""
    programme = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
    units, services, clauses, criteria = _clean_scope(actor, scope)
    if planned_on is None or planned_on.year != programme.year:
        raise ValidationFailed(
            _("Plan the audit on a day of %(year)s.") % {"year": programme.year}, code="planned_outside_year"
        )
    number = f"IA{programme.year}-{programme.audits.count() + 1:02d}"
    audit = InternalAudit.objects.create(
        programme=programme,
        number=number,
        title=_text(title, _("The title"), 200),
        clauses=clauses,
        criteria=criteria,
        planned_on=planned_on,
        created_by=actor,
        created_at=clock.now(),
    )
    audit.scope_units.set(units)
    audit.scope_services.set(services)
    _record(
        actor,
        "quality.audit.planned",
        audit,
        number=number,
        title=audit.title,
        **_scope_data(units, services, clauses),
    )
    if programme.status == ProgrammeStatus.APPROVED:
        programme.status = ProgrammeStatus.DRAFT
        programme.approver = None
        programme.approved_at = None
        programme.save(update_fields=["status", "approver", "approved_at"])
        audit_record(
            actor=actor,
            action="quality.audit_programme.reopened",
            target=programme,
            data={"year": programme.year, "number": number},
        )
    return audit


@transaction.atomic
def audit_scope_set(*, actor: User, audit: InternalAudit, scope: Scope) -> InternalAudit:
    """A new scope for a planned audit; the team already named must be independent of it too."""
    audit = _lock(audit)
    _require_manager(actor, audit)
    _require_status(audit, AuditStatus.PLANNED)
    units, services, clauses, criteria = _clean_scope(actor, scope)
    team = list(User.objects.filter(pk__in=_team_ids(audit)).select_related("org_unit"))
    _require_independent(audited_area(units=units, services=services), team)
    audit.clauses, audit.criteria = clauses, criteria
    audit.save(update_fields=["clauses", "criteria"])
    audit.scope_units.set(units)
    audit.scope_services.set(services)
    _record(actor, "quality.audit.scope_set", audit, **_scope_data(units, services, clauses))
    return audit


@transaction.atomic
def audit_team_set(
    *, actor: User, audit: InternalAudit, lead: User, auditors: Iterable[User]
) -> InternalAudit:
    """The lead auditor and the other auditors of a planned audit, every one independent of its area."""
    audit = _lock(audit)
    _require_manager(actor, audit)
    _require_status(audit, AuditStatus.PLANNED)
    team = {lead.pk: lead, **{u.pk: u for u in auditors}}
    if any(u.kind != UserKind.STAFF or not u.is_active for u in team.values()):
        raise ValidationFailed(_("Auditors are active staff members."), code="invalid_auditor")
    _require_independent(_area_of(audit), team.values())
    new = set(team) - _team_ids(audit)
    audit.lead_auditor = lead
    audit.save(update_fields=["lead_auditor"])
    audit.auditors.set(team.values())
    others = sorted(u.display_name for u in team.values() if u.pk != lead.pk)
    _record(actor, "quality.audit.team_set", audit, lead=lead.display_name, team=", ".join(others) or "–")
    if new:
        notify(
            recipients=[team[pk] for pk in sorted(new)],
            code="quality.audit.team",
            target=audit,
            params={"number": audit.number, "title": audit.title, "planned_on": audit.planned_on.isoformat()},
        )
    return audit


@transaction.atomic
def audit_start(*, actor: User, audit: InternalAudit) -> InternalAudit:
    """The audit begins, under an approved programme, with a team still independent of the area (people
    move between units; the team is checked again)."""
    audit = _lock(audit)
    if actor.pk != audit.lead_auditor_id:
        _require_manager(actor, audit)
    _require_status(audit, AuditStatus.PLANNED)
    if audit.programme.status != ProgrammeStatus.APPROVED:
        raise Conflict(_("An audit starts once its programme is approved."), code="programme_not_approved")
    if audit.lead_auditor_id is None:
        raise Conflict(_("Name the audit team first."), code="no_audit_team")
    team = list(User.objects.filter(pk__in=_team_ids(audit)).select_related("org_unit"))
    _require_independent(_area_of(audit), team)
    audit.status = AuditStatus.IN_PROGRESS
    audit.started_at = clock.now()
    audit.save(update_fields=["status", "started_at"])
    _record(actor, "quality.audit.started", audit)
    return audit


# --- during the audit ---------------------------------------------------------------------------------------


@transaction.atomic
def checklist_add(
    *, actor: User, audit: InternalAudit, items: Sequence[tuple[str, str]]
) -> list[ChecklistItem]:
    """Questions for the checklist, each against a clause of the audit, before or during the audit."""
    audit = _lock(audit)
    if actor.pk not in _team_ids(audit):
        _require_manager(actor, audit)
    _require_status(audit, AuditStatus.PLANNED, AuditStatus.IN_PROGRESS)
    if not items:
        raise ValidationFailed(_("Add at least one question."), code="questions_required")
    if audit.checklist.count() + len(items) > MAX_CHECKLIST_ITEMS:
        raise ValidationFailed(
            _("A checklist has at most %(limit)s questions.") % {"limit": MAX_CHECKLIST_ITEMS},
            code="checklist_too_long",
        )
    rows = ChecklistItem.objects.bulk_create(
        ChecklistItem(
            audit=audit, clause=_audit_clause(audit, clause), question=_text(question, _("The question"))
        )
        for clause, question in items
    )
    _record(actor, "quality.audit.checklist_added", audit, count=len(rows))
    return rows


@dataclass(frozen=True)
class Answer:
    item_id: int
    result: str
    note: str = ""


@transaction.atomic
def checklist_record(*, actor: User, audit: InternalAudit, answers: Sequence[Answer]) -> list[ChecklistItem]:
    """The team's results on checklist questions of the audit under way."""
    audit = _lock(audit)
    _require_team(actor, audit)
    _require_status(audit, AuditStatus.IN_PROGRESS)
    if not answers:
        raise ValidationFailed(_("Record at least one result."), code="results_required")
    items = {item.pk: item for item in audit.checklist.filter(pk__in=[a.item_id for a in answers])}
    now = clock.now()
    changed = []
    for answer in answers:
        item = items.get(answer.item_id)
        if item is None:
            raise ValidationFailed(_("This question is not on the audit's checklist."), code="unknown_item")
        if answer.result not in ChecklistResult.values or answer.result == ChecklistResult.BLANK:
            raise ValidationFailed(_("Choose a result for each question."), code="invalid_result")
        item.result = answer.result
        item.note = _text(answer.note, _("The note"), required=False)
        item.answered_by, item.answered_at = actor, now
        changed.append(item)
    ChecklistItem.objects.bulk_update(changed, ["result", "note", "answered_by", "answered_at"])
    _record(actor, "quality.audit.checklist_answered", audit, count=len(changed))
    return changed


def _finding_unit(audit: InternalAudit, unit: OrgUnit | None) -> OrgUnit:
    if unit is None:
        raise ValidationFailed(_("Name the audited unit the finding concerns."), code="unit_required")
    roots = _audit_units(audit)
    if not any(unit.path.startswith(root.path) for root in roots):
        raise ValidationFailed(
            _("The finding's unit is not in the scope of this audit."), code="unit_not_in_scope"
        )
    return unit


@transaction.atomic
def finding_record(
    *,
    actor: User,
    audit: InternalAudit,
    clause: str,
    kind: str,
    description: str,
    evidence: str,
    unit: OrgUnit | None,
) -> Finding:
    """A finding of the audit under way. A minor or a major one opens a nonconformity of the same
    severity for the unit, in this transaction, and keeps the link; a conformity or observation opens none."""
    audit = _lock(audit)
    _require_team(actor, audit)
    _require_status(audit, AuditStatus.IN_PROGRESS)
    if kind not in FindingKind.values:
        raise ValidationFailed(_("Choose the kind of finding."), code="invalid_kind")
    nonconforming = kind in NONCONFORMING
    finding = Finding.objects.create(
        audit=audit,
        clause=_audit_clause(audit, clause),
        kind=kind,
        description=_text(description, _("The description")),
        # A nonconformity is stated with the evidence it rests on (ISO 19011 6.4.8).
        evidence=_text(evidence, _("The evidence"), required=nonconforming),
        unit=_finding_unit(audit, unit),
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    if nonconforming:
        finding.nonconformity = nc_raise_for_finding(
            actor=actor,
            finding_id=finding.pk,
            title=_("Internal audit %(number)s, clause %(clause)s: %(summary)s")
            % {
                "number": audit.number,
                "clause": finding.clause,
                "summary": finding.description.splitlines()[0][:120],
            },
            description=_("%(description)s\n\nEvidence: %(evidence)s")
            % {"description": finding.description, "evidence": finding.evidence},
            severity=kind,
            unit=finding.unit,
        )
        finding.save(update_fields=["nonconformity"])
    _record(
        actor,
        "quality.audit.finding_recorded",
        audit,
        finding_kind=kind,
        clause=finding.clause,
        nc=f" → {finding.nonconformity.number}" if finding.nonconformity else "",
    )
    return finding


@transaction.atomic
def audit_report_record(*, actor: User, audit: InternalAudit, report: str) -> InternalAudit:
    """The lead auditor's report ends the audit: every checklist question answered first."""
    audit = _lock(audit)
    if actor.pk != audit.lead_auditor_id:
        raise Forbidden(_("The lead auditor writes the report."), code="not_lead_auditor")
    _require_status(audit, AuditStatus.IN_PROGRESS)
    if audit.checklist.filter(result=ChecklistResult.BLANK).exists():
        raise Conflict(_("Answer every checklist question before the report."), code="checklist_incomplete")
    audit.report = _text(report, _("The report"), 20_000)
    audit.status = AuditStatus.REPORTED
    audit.reported_at = clock.now()
    audit.save(update_fields=["report", "status", "reported_at"])
    _record(actor, "quality.audit.reported", audit)
    return audit


@transaction.atomic
def audit_close(*, actor: User, audit: InternalAudit) -> InternalAudit:
    """The follow-up is done: every nonconformity the audit opened is closed or cancelled."""
    audit = _lock(audit)
    _require_manager(actor, audit)
    _require_status(audit, AuditStatus.REPORTED)
    still_open = sorted(
        audit.findings.filter(nonconformity__isnull=False)
        .exclude(nonconformity__status__in=[NcStatus.CLOSED, NcStatus.CANCELLED])
        .values_list("nonconformity__number", flat=True)
    )
    if still_open:
        raise Conflict(
            _("These nonconformities of the audit are still open: %(numbers)s.")
            % {"numbers": ", ".join(still_open)},
            code="nonconformities_open",
            detail=still_open,
        )
    audit.status = AuditStatus.CLOSED
    audit.closed_at = clock.now()
    audit.save(update_fields=["status", "closed_at"])
    _record(actor, "quality.audit.closed", audit)
    return audit


# --- reads --------------------------------------------------------------------------------------------------


def units_by_code(*, codes: Iterable[str]) -> list[OrgUnit]:
    """Active units by code, for a scope or a finding; an unknown code is refused by name."""
    wanted = sorted({str(c).strip() for c in codes if str(c).strip()})
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=wanted, is_active=True)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ValidationFailed(
            _("There is no active unit with the code %(codes)s.") % {"codes": ", ".join(missing)},
            code="unknown_unit",
            detail=missing,
        )
    return [found[c] for c in wanted]


def services_by_code(*, codes: Iterable[str]) -> list[Service]:
    wanted = sorted({str(c).strip() for c in codes if str(c).strip()})
    found = {s.code: s for s in Service.objects.filter(code__in=wanted).select_related("responsible_unit")}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ValidationFailed(
            _("There is no service with the code %(codes)s.") % {"codes": ", ".join(missing)},
            code="unknown_service",
            detail=missing,
        )
    return [found[c] for c in wanted]


def staff_by_id(*, ids: Iterable[int]) -> list[User]:
    """Active staff members by id (auditors usually come from other units than the planner's, so this is
    not scoped); a missing or inactive one is refused without saying which."""
    wanted = sorted({int(i) for i in ids})
    found = list(
        User.objects.filter(pk__in=wanted, kind=UserKind.STAFF, is_active=True).select_related("org_unit")
    )
    if len(found) != len(wanted):
        raise ValidationFailed(_("Auditors are active staff members."), code="invalid_auditor")
    return found


def audit_scope_q(user: User | AnonymousUser | None) -> Q:
    """Audits of a unit (or of a service of a unit) the user reads quality records of, and audits the user
    is on the team of."""
    by_unit = InternalAudit.objects.filter(unit_filter(user, Perm.QUALITY_VIEW, "scope_units")).values("pk")
    by_service = InternalAudit.objects.filter(
        unit_filter(user, Perm.QUALITY_VIEW, "scope_services__responsible_unit")
    ).values("pk")
    q = Q(pk__in=by_unit) | Q(pk__in=by_service)
    if _is_staff(user):
        assert isinstance(user, User)
        q |= Q(lead_auditor=user) | Q(pk__in=InternalAudit.objects.filter(auditors=user).values("pk"))
    return q


def audit_list(
    *, user: User | AnonymousUser, programme: AuditProgramme | None = None, status: str = ""
) -> QuerySet[InternalAudit]:
    rows = InternalAudit.objects.filter(audit_scope_q(user))
    if programme is not None:
        rows = rows.filter(programme=programme)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.select_related("programme", "lead_auditor")
        .prefetch_related(
            "scope_units",
            "scope_services__responsible_unit",
            Prefetch("auditors", queryset=User.objects.order_by("full_name", "username")),
        )
        .order_by("planned_on", "number")
    )


def access_audit(user: User | AnonymousUser | None, number: str) -> InternalAudit:
    """One audit by number; NotFound whether it is missing or out of the user's sight."""
    if user is None:
        raise NotFound(code="not_found")
    found = audit_list(user=user).filter(number=str(number)[:20]).first()
    if found is None:
        raise NotFound(code="not_found")
    return found


def programme_list(*, user: User | AnonymousUser) -> QuerySet[AuditProgramme]:
    """Every programme for those who read quality records; for an auditor without that right, the
    programmes of their audits."""
    rows = AuditProgramme.objects.select_related("author", "approver")
    if has_perm(user, Perm.QUALITY_VIEW):
        return rows.order_by("-year")
    if not _is_staff(user):
        return rows.none()
    mine = InternalAudit.objects.filter(audit_scope_q(user)).values("programme_id")
    return rows.filter(pk__in=mine).order_by("-year")


def access_programme(user: User | AnonymousUser, year: int) -> AuditProgramme:
    found = programme_list(user=user).filter(year=year).first()
    if found is None:
        raise NotFound(code="not_found")
    return found


def plannable_units(*, user: User | AnonymousUser) -> QuerySet[OrgUnit]:
    """The active units the user may plan audits of."""
    return OrgUnit.objects.filter(unit_filter(user, Perm.QUALITY_MANAGE, ""), is_active=True).order_by("path")


def plannable_services(*, user: User | AnonymousUser) -> QuerySet[Service]:
    return (
        Service.objects.filter(unit_filter(user, Perm.QUALITY_MANAGE, "responsible_unit"))
        .select_related("responsible_unit")
        .order_by("code")
    )


@dataclass(frozen=True)
class ClauseGroup:
    section: ClauseLine
    clauses: list[ClauseLine]


def clause_groups() -> list[ClauseGroup]:
    """Every ISO 9001 clause an audit can be scoped to, under its section, in the active language."""
    english = (get_language() or "").startswith("en")
    groups = []
    for section in ISO9001_SECTIONS:
        groups.append(
            ClauseGroup(
                section=ClauseLine(section.number, section.title_en if english else section.title_zh),
                clauses=[
                    ClauseLine(c.number, clause_title(c.number))
                    for c in ISO9001_CLAUSES
                    if c.number.split(".")[0] == section.number
                ],
            )
        )
    return groups


def audit_clause_choices(*, audit: InternalAudit) -> list[ClauseLine]:
    """The clauses a question or finding of the audit may cite: its clauses and their sub-clauses."""
    return [
        ClauseLine(c.number, clause_title(c.number))
        for c in ISO9001_CLAUSES
        if any(c.number == a or c.number.startswith(f"{a}.") for a in audit.clauses)
    ]


def finding_units(*, audit: InternalAudit) -> QuerySet[OrgUnit]:
    """The active units a finding of the audit may concern: the audited units and everything under them."""
    q = Q(pk__in=[])
    for root in _audit_units(audit):
        q |= Q(path__startswith=root.path)
    return OrgUnit.objects.filter(q, is_active=True).order_by("path")


def audit_checklist(*, audit: InternalAudit) -> QuerySet[ChecklistItem]:
    return audit.checklist.select_related("answered_by").order_by("pk")


def audit_findings(*, audit: InternalAudit) -> QuerySet[Finding]:
    return audit.findings.select_related("unit", "nonconformity", "recorded_by").order_by("pk")


def audit_timeline(*, audit: InternalAudit) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="quality.internalaudit", target_id=str(audit.pk)).order_by(
        "occurred_at", "pk"
    )


def _name(obj: OrgUnit | Service) -> str:
    english = (get_language() or "").startswith("en")
    return (obj.name_en if english and obj.name_en else obj.name_zh) or obj.code


@dataclass(frozen=True)
class Count:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class FindingLine:
    finding: Finding
    clause_title: str
    kind_label: str
    unit_name: str
    nonconformity: str
    nonconformity_url: str
    nonconformity_status: str


@dataclass(frozen=True)
class AuditReport:
    """The audit summed up in the active language: scope, clauses, checklist results by result, findings
    with their nonconformities, the team and the report."""

    audit: InternalAudit
    units: list[str]
    services: list[str]
    clauses: list[ClauseLine]
    results: list[Count]
    findings_by_kind: list[Count]
    findings: list[FindingLine]
    lead_auditor: str
    auditors: list[str]
    text: str


def audit_report(*, audit: InternalAudit) -> AuditReport:
    results = {code: 0 for code in ChecklistResult.values}
    for result in audit.checklist.values_list("result", flat=True):
        results[result] = results.get(result, 0) + 1
    findings = list(audit_findings(audit=audit))
    kinds = {code: 0 for code in FindingKind.values}
    for finding in findings:
        kinds[finding.kind] += 1
    lead = audit.lead_auditor
    return AuditReport(
        audit=audit,
        units=[_name(u) for u in audit.scope_units.all()],
        services=[_name(s) for s in audit.scope_services.all()],
        clauses=[ClauseLine(number, clause_title(number)) for number in audit.clauses],
        results=[Count(code, str(ChecklistResult(code).label), n) for code, n in results.items()],
        findings_by_kind=[Count(code, str(FindingKind(code).label), n) for code, n in kinds.items()],
        findings=[
            FindingLine(
                finding=f,
                clause_title=clause_title(f.clause),
                kind_label=f.get_kind_display(),
                unit_name=_name(f.unit),
                nonconformity=f.nonconformity.number if f.nonconformity else "",
                nonconformity_url=reverse("quality:nc_detail", args=[f.nonconformity.number])
                if f.nonconformity
                else "",
                nonconformity_status=f.nonconformity.get_status_display() if f.nonconformity else "",
            )
            for f in findings
        ],
        lead_auditor=lead.display_name if lead else "",
        auditors=[u.display_name for u in audit.auditors.all() if u.pk != audit.lead_auditor_id],
        text=audit.report,
    )
