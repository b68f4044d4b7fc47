"""The API of internal audits: programmes per year and their approval; audits with their scope, team,
checklist, findings (which open nonconformities) and report.

No `from __future__ import annotations` here: django-ninja reads the annotations at import time."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from civicpulse.accounts.models import User
from civicpulse.catalogue.schemas import ErrorOut, UnitRef
from civicpulse.quality import internal_audits as ia
from civicpulse.quality.models.internal_audits import AuditProgramme, InternalAudit

router = Router(auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


# --- schemas ------------------------------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)


class ServiceRef(Schema):
    code: str
    name_zh: str
    name_en: str


class ProgrammeIn(Schema):
    year: int
    title: str = Field(..., max_length=200)


class ProgrammeOut(Schema):
    year: int
    title: str
    status: str
    author: UserRef
    approver: UserRef | None
    created_at: dt.datetime
    approved_at: dt.datetime | None


class ScopeIn(Schema):
    scope_units: list[str] = Field(default_factory=list, max_length=100, description="unit codes")
    scope_services: list[str] = Field(default_factory=list, max_length=200, description="service codes")
    clauses: list[str] = Field(..., max_length=100, description="ISO 9001:2015 clause numbers")
    criteria: str = Field(..., max_length=4000)


class AuditIn(ScopeIn):
    title: str = Field(..., max_length=200)
    planned_on: dt.date


class AuditTeamIn(Schema):
    lead: int = Field(..., description="user id of the lead auditor")
    auditors: list[int] = Field(default_factory=list, max_length=20, description="user ids of the others")


class ChecklistItemIn(Schema):
    clause: str = Field(..., max_length=10)
    question: str = Field(..., max_length=4000)


class ChecklistIn(Schema):
    items: list[ChecklistItemIn] = Field(..., max_length=ia.MAX_CHECKLIST_ITEMS)


class ChecklistResultIn(Schema):
    item: int
    result: str = Field(..., description="conformity, observation, minor or major")
    note: str = Field("", max_length=4000)


class ChecklistResultsIn(Schema):
    results: list[ChecklistResultIn] = Field(..., max_length=ia.MAX_CHECKLIST_ITEMS)


class FindingIn(Schema):
    clause: str = Field(..., max_length=10)
    kind: str = Field(..., description="conformity, observation, minor or major")
    description: str = Field(..., max_length=4000)
    evidence: str = Field("", max_length=4000)
    unit: str = Field(..., description="code of the audited unit concerned")


class ReportIn(Schema):
    report: str = Field(..., max_length=20_000)


class ChecklistItemOut(Schema):
    id: int
    clause: str
    question: str
    result: str
    note: str
    answered_at: dt.datetime | None


class FindingOut(Schema):
    id: int
    clause: str
    kind: str
    description: str
    evidence: str
    unit: UnitRef
    nonconformity: str | None
    recorded_by: UserRef
    recorded_at: dt.datetime

    @staticmethod
    def resolve_nonconformity(obj: Any) -> str | None:
        return obj.nonconformity.number if obj.nonconformity_id else None


class ClauseOut(Schema):
    number: str
    title: str


class ReportFindingOut(Schema):
    clause: str
    clause_title: str
    kind: str
    kind_label: str
    unit: str
    description: str
    nonconformity: str | None
    nonconformity_url: str | None
    nonconformity_status: str | None


class ReportOut(Schema):
    """The audit summed up in the request's language."""

    units: list[str]
    services: list[str]
    clauses: list[ClauseOut]
    checklist_results: dict[str, int] = Field(..., description="questions by result; 'unanswered' for none")
    findings_by_kind: dict[str, int]
    findings: list[ReportFindingOut]
    lead_auditor: str
    auditors: list[str]
    text: str


class AuditOut(Schema):
    number: str
    title: str
    programme: int
    status: str
    planned_on: dt.date
    scope_units: list[UnitRef]
    scope_services: list[ServiceRef]
    clauses: list[str]
    criteria: str
    lead_auditor: UserRef | None
    auditors: list[UserRef]
    started_at: dt.datetime | None
    reported_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: Any) -> int:
        return int(obj.programme.year)

    @staticmethod
    def resolve_scope_units(obj: Any) -> list[Any]:
        return list(obj.scope_units.all())

    @staticmethod
    def resolve_scope_services(obj: Any) -> list[Any]:
        return list(obj.scope_services.all())

    @staticmethod
    def resolve_auditors(obj: Any) -> list[Any]:
        return list(obj.auditors.all())


class AuditDetailOut(AuditOut):
    checklist: list[ChecklistItemOut]
    findings: list[FindingOut]
    report: ReportOut

    @staticmethod
    def resolve_checklist(obj: Any) -> list[Any]:
        return list(ia.audit_checklist(audit=obj))

    @staticmethod
    def resolve_findings(obj: Any) -> list[Any]:
        return list(ia.audit_findings(audit=obj))

    @staticmethod
    def resolve_report(obj: Any) -> dict[str, Any]:
        report = ia.audit_report(audit=obj)
        return {
            "units": report.units,
            "services": report.services,
            "clauses": [{"number": c.number, "title": c.title} for c in report.clauses],
            "checklist_results": {(c.code or "unanswered"): c.count for c in report.results},
            "findings_by_kind": {c.code: c.count for c in report.findings_by_kind},
            "findings": [
                {
                    "clause": line.finding.clause,
                    "clause_title": line.clause_title,
                    "kind": line.finding.kind,
                    "kind_label": line.kind_label,
                    "unit": line.unit_name,
                    "description": line.finding.description,
                    "nonconformity": line.nonconformity or None,
                    "nonconformity_url": line.nonconformity_url or None,
                    "nonconformity_status": line.nonconformity_status or None,
                }
                for line in report.findings
            ],
            "lead_auditor": report.lead_auditor,
            "auditors": report.auditors,
            "text": report.text,
        }


# --- helpers ------------------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _programme(request: HttpRequest, year: int) -> AuditProgramme:
    return ia.access_programme(request.user, year)


def _audit(request: HttpRequest, number: str) -> InternalAudit:
    return ia.access_audit(request.user, number)


def _scope(payload: ScopeIn) -> ia.Scope:
    return ia.Scope(
        units=ia.units_by_code(codes=payload.scope_units),
        services=ia.services_by_code(codes=payload.scope_services),
        clauses=payload.clauses,
        criteria=payload.criteria,
    )


def _fresh(request: HttpRequest, audit: InternalAudit) -> InternalAudit:
    """The audit as the user sees it after a change, with everything the detail shows."""
    return ia.access_audit(request.user, audit.number)


# --- programmes (registered before "/{number}" so that "programmes" is never read as an audit number) -------


@router.get("/programmes", response={200: list[ProgrammeOut], **ERRORS}, summary="Audit programmes")
def programme_list(request: HttpRequest) -> Any:
    return ia.programme_list(user=request.user)


@router.post("/programmes", response={201: ProgrammeOut, **ERRORS}, summary="Draw up a year's programme")
def programme_create(request: HttpRequest, payload: ProgrammeIn) -> Status[AuditProgramme]:
    return Status(201, ia.programme_create(actor=_user(request), year=payload.year, title=payload.title))


@router.get("/programmes/{year}", response={200: ProgrammeOut, **ERRORS}, summary="One year's programme")
def programme_get(request: HttpRequest, year: int) -> AuditProgramme:
    return _programme(request, year)


@router.post(
    "/programmes/{year}/approve",
    response={200: ProgrammeOut, **ERRORS},
    summary="Approve a programme (not its author)",
)
def programme_approve(request: HttpRequest, year: int) -> AuditProgramme:
    return ia.programme_approve(actor=_user(request), programme=_programme(request, year))


@router.get(
    "/programmes/{year}/audits", response={200: list[AuditOut], **ERRORS}, summary="The audits of a year"
)
def audit_list(request: HttpRequest, year: int, status: str = "") -> Any:
    return ia.audit_list(user=request.user, programme=_programme(request, year), status=status)


@router.post("/programmes/{year}/audits", response={201: AuditDetailOut, **ERRORS}, summary="Plan an audit")
def audit_plan(request: HttpRequest, year: int, payload: AuditIn) -> Status[InternalAudit]:
    audit = ia.audit_plan(
        actor=_user(request),
        programme=_programme(request, year),
        title=payload.title,
        scope=_scope(payload),
        planned_on=payload.planned_on,
    )
    return Status(201, _fresh(request, audit))


# --- one audit ----------------------------------------------------------------------------------------------


@router.get(
    "/{number}",
    response={200: AuditDetailOut, **ERRORS},
    summary="One audit with its checklist, findings and report",
)
def audit_get(request: HttpRequest, number: str) -> InternalAudit:
    return _audit(request, number)


@router.put("/{number}/scope", response={200: AuditDetailOut, **ERRORS}, summary="Set the scope")
def audit_scope_set(request: HttpRequest, number: str, payload: ScopeIn) -> InternalAudit:
    audit = ia.audit_scope_set(actor=_user(request), audit=_audit(request, number), scope=_scope(payload))
    return _fresh(request, audit)


@router.put(
    "/{number}/auditors",
    response={200: AuditDetailOut, **ERRORS},
    summary="Name the audit team (independent of the area)",
)
def audit_team_set(request: HttpRequest, number: str, payload: AuditTeamIn) -> InternalAudit:
    audit = _audit(request, number)
    lead, *_others = ia.staff_by_id(ids=[payload.lead])
    audit = ia.audit_team_set(
        actor=_user(request), audit=audit, lead=lead, auditors=ia.staff_by_id(ids=payload.auditors)
    )
    return _fresh(request, audit)


@router.post("/{number}/start", response={200: AuditDetailOut, **ERRORS}, summary="Start the audit")
def audit_start(request: HttpRequest, number: str) -> InternalAudit:
    return _fresh(request, ia.audit_start(actor=_user(request), audit=_audit(request, number)))


@router.post(
    "/{number}/checklist", response={201: list[ChecklistItemOut], **ERRORS}, summary="Add checklist questions"
)
def checklist_add(request: HttpRequest, number: str, payload: ChecklistIn) -> Status[Any]:
    rows = ia.checklist_add(
        actor=_user(request),
        audit=_audit(request, number),
        items=[(item.clause, item.question) for item in payload.items],
    )
    return Status(201, rows)


@router.post(
    "/{number}/checklist/results",
    response={200: list[ChecklistItemOut], **ERRORS},
    summary="Record checklist results",
)
def checklist_record(request: HttpRequest, number: str, payload: ChecklistResultsIn) -> Any:
    return ia.checklist_record(
        actor=_user(request),
        audit=_audit(request, number),
        answers=[ia.Answer(item_id=r.item, result=r.result, note=r.note) for r in payload.results],
    )


@router.post(
    "/{number}/findings",
    response={201: FindingOut, **ERRORS},
    summary="Record a finding (a minor or major one opens a nonconformity)",
)
def finding_record(request: HttpRequest, number: str, payload: FindingIn) -> Status[Any]:
    audit = _audit(request, number)
    units = ia.units_by_code(codes=[payload.unit])
    finding = ia.finding_record(
        actor=_user(request),
        audit=audit,
        clause=payload.clause,
        kind=payload.kind,
        description=payload.description,
        evidence=payload.evidence,
        unit=units[0] if units else None,
    )
    return Status(201, finding)


@router.post("/{number}/report", response={200: AuditDetailOut, **ERRORS}, summary="Record the report")
def audit_report_record(request: HttpRequest, number: str, payload: ReportIn) -> InternalAudit:
    audit = ia.audit_report_record(actor=_user(request), audit=_audit(request, number), report=payload.report)
    return _fresh(request, audit)


@router.post(
    "/{number}/close",
    response={200: AuditDetailOut, **ERRORS},
    summary="Close the audit once its nonconformities are dealt with",
)
def audit_close(request: HttpRequest, number: str) -> InternalAudit:
    return _fresh(request, ia.audit_close(actor=_user(request), audit=_audit(request, number)))
