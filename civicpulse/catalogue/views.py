"""Staff pages for the catalogue: services in scope, versions, the life cycle and the duty linter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit
from civicpulse.catalogue import linter, selectors, services
from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.permissions import access_service, access_version
from civicpulse.catalogue.transitions import transitions_from
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.core.selectors import audit_event_list


def _staff_only(request: HttpRequest) -> User:
    if not has_perm(request.user, Perm.CATALOGUE_VIEW_DRAFTS):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    user = _staff_only(request)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    services_qs = selectors.staff_service_list(
        user=user, q=q, status=status if status in VersionStatus.values else ""
    )
    page = Paginator(services_qs, 30).get_page(request.GET.get("page"))
    findings = selectors.catalogue_lint(services=services_qs.filter(pk__in=[s.pk for s in page]))
    counts = linter.tally_by_service(findings)
    rows = [(service, counts.get(service.code, linter.tally([]))) for service in page]
    return render(
        request,
        "catalogue/service_list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "status": status,
            "statuses": VersionStatus.choices,
        },
    )


@login_required
def lint_report(request: HttpRequest) -> HttpResponse:
    user = _staff_only(request)
    findings = linter.ordered(selectors.catalogue_lint(services=selectors.staff_service_list(user=user)))
    totals = linter.tally(findings)
    severity = request.GET.get("severity", "")
    if severity in totals:
        findings = [f for f in findings if f.severity == severity]
    return render(
        request,
        "catalogue/lint.html",
        {
            "findings": findings,
            "severity": severity,
            "errors": totals["error"],
            "warnings": totals["warning"],
        },
    )


@login_required
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        service = access_service(request.user, code)
    except NotFound:
        raise Http404 from None
    versions = list(service.versions.select_related("author", "approver").order_by("-number"))
    events = audit_event_list(user=request.user, target_type="catalogue.service", target_id=str(service.pk))[
        :50
    ]
    return render(
        request,
        "catalogue/service_detail.html",
        {
            "service": service,
            "versions": versions,
            "events": events,
            "can_edit": has_perm_on_unit(request.user, Perm.CATALOGUE_EDIT, service.responsible_unit),
            "has_open": any(v.status in selectors.OPEN_STATUSES for v in versions),
        },
    )


@login_required
@require_POST
def version_new(request: HttpRequest, code: str) -> HttpResponse:
    try:
        service = access_service(request.user, code)
        version = services.version_create(actor=_staff_only(request), service=service)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("catalogue:service_detail", code=code)
    messages.success(request, _("Draft version %(number)s started.") % {"number": version.number})
    return redirect("catalogue:version_detail", code=code, number=version.number)


def _version_context(request: HttpRequest, code: str, number: int) -> dict[str, object]:
    try:
        version = selectors.version_with_content(version=access_version(request.user, code, number))
    except NotFound:
        raise Http404 from None
    unit = version.service.responsible_unit
    actions = [t for t in transitions_from(version.status) if has_perm_on_unit(request.user, t.perm, unit)]
    findings = selectors.version_lint(version=version) if version.status != VersionStatus.RETIRED else []
    return {
        "version": version,
        "service": version.service,
        "actions": actions,
        "findings": findings,
        "blocking": linter.blocking(findings),
    }


@login_required
def version_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    _staff_only(request)
    return render(request, "catalogue/version_detail.html", _version_context(request, code, number))


@login_required
@require_POST
def version_action(request: HttpRequest, code: str, number: int, action: str) -> HttpResponse:
    user = _staff_only(request)
    error: DomainError | None = None
    try:
        version = access_version(request.user, code, number)
        services.version_transition(
            actor=user, version=version, transition=action, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    context = _version_context(request, code, number)
    context["error"] = error
    if request.headers.get("HX-Request"):
        return render(request, "catalogue/partials/version_panel.html", context)
    if error is not None:
        messages.error(request, str(error.message))
    return redirect("catalogue:version_detail", code=code, number=number)
