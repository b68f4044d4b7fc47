"""Quality pages for staff: the quality office's workspace, nonconformities with their analysis, actions,
effectiveness check and timeline, and the register of controlled documents with acknowledgements."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit
from civicpulse.assessment import indicators as lib
from civicpulse.core import clock
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.core.workdays import local_date
from civicpulse.quality import selectors, services
from civicpulse.quality.enums import ActionKind, CauseCategory, NcStatus, Severity
from civicpulse.quality.models import DocumentVersion

PAGE = 50


def _staff(request: HttpRequest, perm: Perm | None = Perm.QUALITY_VIEW) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF:
        raise Http404
    if perm is not None and not has_perm(user, perm):
        raise Http404
    return user


def _today() -> dt.date:
    return local_date(clock.now(), timezone.get_default_timezone())


def _english() -> bool:
    return (get_language() or "").startswith("en")


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    desk = selectors.workspace(user=user, today=_today())
    severities = [(s.label, desk.open_by_severity.get(s.value, 0)) for s in Severity]
    ages = [
        (_("under 30 days"), desk.open_by_age["under_30"]),
        (_("30 to 90 days"), desk.open_by_age["30_to_90"]),
        (_("over 90 days"), desk.open_by_age["over_90"]),
    ]
    return render(
        request,
        "quality/workspace.html",
        {
            "desk": desk,
            "severities": severities,
            "ages": ages,
            "today": _today(),
            "can_manage": has_perm(user, Perm.QUALITY_MANAGE),
        },
    )


@login_required
def nc_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    status = request.GET.get("status", "open")
    if status not in ("", "open", *NcStatus.values):
        status = "open"
    rows = selectors.nc_list(user=user, status=status)
    return render(
        request,
        "quality/nc_list.html",
        {"rows": rows[:PAGE], "status": status, "statuses": NcStatus.choices, "total": rows.count()},
    )


def _record_links(nc: Any) -> list[dict[str, str]]:
    """The linked records as the drill-down shows them: case numbers, never an applicant's name."""
    from civicpulse.cases.models import Case
    from civicpulse.evaluations.models import Evaluation

    links: list[dict[str, str]] = []
    by_kind: dict[str, list[int]] = {}
    for kind, object_id in nc.records.values_list("kind", "object_id"):
        by_kind.setdefault(kind, []).append(object_id)
    for case in Case.objects.filter(pk__in=by_kind.get("case", [])).only("number").order_by("number"):
        links.append({"label": case.number, "url": f"/staff/cases/{case.number}/", "kind": _("case")})
    evaluations = (
        Evaluation.objects.filter(pk__in=by_kind.get("evaluation", []))
        .select_related("case")
        .only("level", "grade", "submitted_at", "case__number")
        .order_by("submitted_at")
    )
    for evaluation in evaluations:
        links.append(
            {
                "label": f"{evaluation.case.number} · {evaluation.get_grade_display()} {evaluation.level}/5",
                "url": f"/staff/cases/{evaluation.case.number}/",
                "kind": _("evaluation"),
            }
        )
    for finding in by_kind.get("finding", []):
        links.append({"label": f"#{finding}", "url": "", "kind": _("audit finding")})
    return links


@login_required
def nc_detail(request: HttpRequest, number: str) -> HttpResponse:
    # The owner of one of its actions reads it too, without the quality office's rights.
    user = _staff(request, None)
    try:
        nc = selectors.access_nc(user, number)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    if request.method == "POST":
        try:
            _act(user, nc, request.POST)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Saved."))
            return redirect("quality:nc_detail", number=nc.number)
    subject = services.nc_subject_unit(nc)
    can_manage = has_perm_on_unit(user, Perm.QUALITY_MANAGE, subject)
    indicator = lib.INDICATORS.get(nc.indicator)
    return render(
        request,
        "quality/nc_detail.html",
        {
            "nc": nc,
            "error": error,
            "can_manage": can_manage,
            "actions": list(nc.actions.select_related("owner", "procedure_version__service")),
            "records": _record_links(nc),
            "events": selectors.nc_timeline(nc),
            "indicator_name": (indicator.name_en if _english() else indicator.name_zh) if indicator else "",
            "kinds": ActionKind.choices,
            "categories": CauseCategory.choices,
            "user": user,
            "whys": (nc.whys + [""] * 5)[:5],
        },
    )


def _act(user: User, nc: Any, form: Any) -> None:
    """One form of the page, by its `do` field; each calls one service."""
    do = form.get("do", "")
    if do == "analyse":
        owner = User.objects.filter(username=form.get("owner", ""), kind=UserKind.STAFF).first()
        services.nc_analyse(
            actor=user,
            nc=nc,
            containment=form.get("containment", ""),
            whys=[form.get(f"why{i}", "") for i in range(1, 6)],
            cause_category=form.get("cause_category", ""),
            root_cause=form.get("root_cause", ""),
            owner=owner,
        )
    elif do == "action":
        owner = User.objects.filter(
            username=form.get("owner", ""), kind=UserKind.STAFF, is_active=True
        ).first()
        if owner is None:
            from civicpulse.core.errors import ValidationFailed

            raise ValidationFailed(_("Name the owner by their user name."), code="unknown_user")
        try:
            days = int(form.get("working_days", ""))
        except ValueError:
            days = 0
        services.action_add(
            actor=user,
            nc=nc,
            kind=form.get("kind", ""),
            description=form.get("description", ""),
            owner=owner,
            working_days=days,
        )
    elif do == "done":
        action = (
            nc.actions.filter(pk=form.get("action", "")).first() if form.get("action", "").isdigit() else None
        )
        if action is None:
            raise NotFound()
        services.action_complete(actor=user, action=action, result=form.get("result", ""))
    elif do == "check":
        services.nc_check(actor=user, nc=nc)
    elif do == "close":
        services.nc_close(actor=user, nc=nc, note=form.get("note", ""))
    elif do == "cancel":
        services.nc_cancel(actor=user, nc=nc, reason=form.get("reason", ""))
    else:
        raise NotFound()


@login_required
def document_register(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    rows = selectors.document_register(user=user, today=_today(), english=_english())
    return render(
        request,
        "quality/document_register.html",
        {
            "rows": rows,
            "overdue": sum(r.review_overdue for r in rows),
            "can_manage": has_perm(user, Perm.QUALITY_MANAGE),
        },
    )


@login_required
def my_documents(request: HttpRequest) -> HttpResponse:
    user = _staff(request, None)
    if request.method == "POST":
        raw = request.POST.get("version", "")
        version = DocumentVersion.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if version is None:
            raise Http404
        try:
            services.document_acknowledge(actor=user, version=version)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you: your acknowledgement is recorded."))
        return redirect("quality:my_documents")
    return render(request, "quality/my_documents.html", {"versions": selectors.my_documents(user=user)})


@login_required
def document_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    document = selectors.documents(user=user).filter(code=code).select_related("owner_unit").first()
    if document is None:
        raise Http404
    error: DomainError | None = None
    if request.method == "POST":
        raw = request.POST.get("version", "")
        version = document.versions.filter(number=int(raw)).first() if raw.isdigit() else None
        try:
            if version is None:
                raise NotFound()
            do = request.POST.get("do", "")
            if do == "submit":
                services.document_version_submit(actor=user, version=version)
            elif do == "approve":
                services.document_version_approve(actor=user, version=version)
            elif do == "return":
                services.document_version_return(
                    actor=user, version=version, reason=request.POST.get("reason", "")
                )
            else:
                raise NotFound()
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Saved."))
            return redirect("quality:document_detail", code=document.code)
    versions = list(document.versions.select_related("author", "approver").order_by("-number"))
    effective = next((v for v in versions if v.status == "effective"), None)
    return render(
        request,
        "quality/document_detail.html",
        {
            "document": document,
            "versions": versions,
            "effective": effective,
            "acknowledgements": selectors.acknowledgements(effective) if effective else None,
            "error": error,
            "title": document.title_en if _english() else document.title_zh,
            "events": selectors.timeline_of(document),
        },
    )
