"""Pages of internal audits: the programmes, one year's programme with its audits, one audit with the forms
its stage and the user's part in it allow, and the audit report. Plain forms: POST, then redirect; a refused
change shows the page again with the reason and what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.core import clock
from civicpulse.core.audit import render_event
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.quality import internal_audits as ia
from civicpulse.quality.models.internal_audits import (
    AuditProgramme,
    ChecklistResult,
    FindingKind,
    InternalAudit,
)


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF:
        raise Http404
    return user


def _int(value: str | None) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(_("Give a whole number."), code="invalid_number") from None


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), code="invalid_date") from None


def _scope(post: QueryDict) -> ia.Scope:
    return ia.Scope(
        units=ia.units_by_code(codes=post.getlist("scope_units")),
        services=ia.services_by_code(codes=post.getlist("scope_services")),
        clauses=post.getlist("clauses"),
        criteria=post.get("criteria", ""),
    )


def _programme(user: User, year: int) -> AuditProgramme:
    try:
        return ia.access_programme(user, year)
    except NotFound:
        raise Http404 from None


def _audit(user: User, number: str) -> InternalAudit:
    try:
        return ia.access_audit(user, number)
    except NotFound:
        raise Http404 from None


def _scope_form(user: User, post: QueryDict | None, audit: InternalAudit | None = None) -> dict[str, Any]:
    """The scope picker: the units and services the user plans audits of, and the clauses; ticked as
    posted, else as the audit has them."""
    if post is not None:
        chosen_units, chosen_services = post.getlist("scope_units"), post.getlist("scope_services")
        chosen_clauses, criteria = post.getlist("clauses"), post.get("criteria", "")
    elif audit is not None:
        chosen_units = [u.code for u in audit.scope_units.all()]
        chosen_services = [s.code for s in audit.scope_services.all()]
        chosen_clauses, criteria = list(audit.clauses), audit.criteria
    else:
        chosen_units, chosen_services, chosen_clauses, criteria = [], [], [], ""
    return {
        "units": ia.plannable_units(user=user),
        "services": ia.plannable_services(user=user),
        "clause_groups": ia.clause_groups(),
        "chosen_units": chosen_units,
        "chosen_services": chosen_services,
        "chosen_clauses": chosen_clauses,
        # The sections holding a chosen clause are shown open.
        "chosen_sections": sorted({c.split(".")[0] for c in chosen_clauses}),
        "criteria": criteria,
    }


# --- programmes ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def audit_programmes(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    programmes = ia.programme_list(user=user)
    if not has_perm(user, Perm.QUALITY_VIEW) and not programmes.exists():
        raise Http404
    error: DomainError | None = None
    if request.method == "POST":
        try:
            programme = ia.programme_create(
                actor=user, year=_int(request.POST.get("year")), title=request.POST.get("title", "")
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("The programme was drawn up: plan its audits."))
            return redirect("quality:audit_programme", year=programme.year)
    return render(
        request,
        "quality/internal_audits/programmes.html",
        {
            "programmes": programmes,
            "can_create": has_perm(user, Perm.QUALITY_MANAGE),
            "error": error,
            "posted": request.POST if error else {},
            "this_year": clock.today().year,
        },
    )


def _programme_page(
    request: HttpRequest, user: User, programme: AuditProgramme, error: DomainError | None = None
) -> HttpResponse:
    post = request.POST if error is not None and request.POST.get("form") == "plan" else None
    return render(
        request,
        "quality/internal_audits/programme.html",
        {
            "programme": programme,
            "audits": ia.audit_list(user=user, programme=programme),
            "can_approve": ia.can_approve_programme(user=user, programme=programme),
            "can_plan": ia.plannable_units(user=user).exists(),
            "error": error,
            "posted": post or {},
            **_scope_form(user, post),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_programme(request: HttpRequest, year: int) -> HttpResponse:
    """One year's programme; its POST plans an audit in it."""
    user = _staff(request)
    programme = _programme(user, year)
    if request.method == "GET":
        return _programme_page(request, user, programme)
    try:
        audit = ia.audit_plan(
            actor=user,
            programme=programme,
            title=request.POST.get("title", ""),
            scope=_scope(request.POST),
            planned_on=_date(request.POST.get("planned_on")),
        )
    except DomainError as exc:
        return _programme_page(request, user, _programme(user, year), exc)
    messages.success(
        request, _("The audit %(number)s was planned: name its team.") % {"number": audit.number}
    )
    return redirect("quality:audit_detail", number=audit.number)


@login_required
@require_POST
def audit_programme_approve(request: HttpRequest, year: int) -> HttpResponse:
    user = _staff(request)
    programme = _programme(user, year)
    try:
        ia.programme_approve(actor=user, programme=programme)
    except DomainError as exc:
        return _programme_page(request, user, _programme(user, year), exc)
    messages.success(request, _("The programme was approved."))
    return redirect("quality:audit_programme", year=year)


# --- one audit ----------------------------------------------------------------------------------------------


def _audit_page(
    request: HttpRequest, user: User, audit: InternalAudit, error: DomainError | None = None
) -> HttpResponse:
    abilities = ia.audit_abilities(user=user, audit=audit)
    form = request.POST.get("form", "") if error is not None else ""
    post = request.POST if error is not None else None
    return render(
        request,
        "quality/internal_audits/audit.html",
        {
            "audit": audit,
            "can": abilities,
            "report": ia.audit_report(audit=audit),
            "checklist": list(ia.audit_checklist(audit=audit)),
            "clause_choices": ia.audit_clause_choices(audit=audit),
            "finding_units": ia.finding_units(audit=audit) if abilities.record else [],
            "candidates": ia.auditor_candidates(audit=audit) if abilities.set_team else [],
            "team_ids": [u.pk for u in audit.auditors.all()],
            "results": [c for c in ChecklistResult.choices if c[0]],
            "kinds": FindingKind.choices,
            "timeline": [(e, render_event(e)) for e in ia.audit_timeline(audit=audit)],
            "error": error,
            "error_form": form,
            "posted": post or {},
            **_scope_form(user, post if form == "scope" else None, audit),
        },
    )


@login_required
def audit_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _staff(request)
    return _audit_page(request, user, _audit(user, number))


def _answers(audit: InternalAudit, post: QueryDict) -> list[ia.Answer]:
    answers = []
    for item in audit.checklist.order_by("pk"):
        result = post.get(f"result-{item.pk}", "")
        if result:
            answers.append(ia.Answer(item_id=item.pk, result=result, note=post.get(f"note-{item.pk}", "")))
    return answers


def _do(user: User, audit: InternalAudit, action: str, post: QueryDict) -> str:
    """Runs one change and answers the sentence that confirms it."""
    if action == "scope":
        ia.audit_scope_set(actor=user, audit=audit, scope=_scope(post))
        return _("The scope was saved.")
    if action == "team":
        (lead,) = ia.staff_by_id(ids=[_int(post.get("lead"))])
        others = ia.staff_by_id(ids=[_int(v) for v in post.getlist("auditors")])
        ia.audit_team_set(actor=user, audit=audit, lead=lead, auditors=others)
        return _("The audit team was named.")
    if action == "start":
        ia.audit_start(actor=user, audit=audit)
        return _("The audit has started.")
    if action == "questions":
        clause = post.get("clause", "")
        lines = [line for line in post.get("questions", "").splitlines() if line.strip()]
        ia.checklist_add(actor=user, audit=audit, items=[(clause, line) for line in lines])
        return _("The questions were added to the checklist.")
    if action == "results":
        ia.checklist_record(actor=user, audit=audit, answers=_answers(audit, post))
        return _("The checklist results were recorded.")
    if action == "finding":
        units = ia.units_by_code(codes=[post.get("unit", "")])
        finding = ia.finding_record(
            actor=user,
            audit=audit,
            clause=post.get("clause", ""),
            kind=post.get("kind", ""),
            description=post.get("description", ""),
            evidence=post.get("evidence", ""),
            unit=units[0] if units else None,
        )
        if finding.nonconformity is not None:
            return _("The finding was recorded and opened the nonconformity %(number)s.") % {
                "number": finding.nonconformity.number
            }
        return _("The finding was recorded.")
    if action == "report":
        ia.audit_report_record(actor=user, audit=audit, report=post.get("report", ""))
        return _("The report was recorded.")
    if action == "close":
        ia.audit_close(actor=user, audit=audit)
        return _("The audit was closed.")
    raise Http404


@login_required
@require_POST
def audit_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = _staff(request)
    audit = _audit(user, number)
    try:
        done = _do(user, audit, action, request.POST)
    except DomainError as exc:
        return _audit_page(request, user, _audit(user, number), exc)
    messages.success(request, done)
    if action == "report":
        return redirect("quality:audit_report", number=number)
    return redirect("quality:audit_detail", number=number)


@login_required
def audit_report(request: HttpRequest, number: str) -> HttpResponse:
    user = _staff(request)
    audit = _audit(user, number)
    return render(
        request,
        "quality/internal_audits/report.html",
        {"audit": audit, "report": ia.audit_report(audit=audit)},
    )


urlpatterns: list[URLPattern] = [
    path("audits/", audit_programmes, name="audit_programmes"),
    path("audits/<int:year>/", audit_programme, name="audit_programme"),
    path("audits/<int:year>/approve/", audit_programme_approve, name="audit_programme_approve"),
    path("audits/<str:number>/", audit_detail, name="audit_detail"),
    path("audits/<str:number>/report/", audit_report, name="audit_report"),
    path("audits/<str:number>/<slug:action>/", audit_action, name="audit_action"),
]
