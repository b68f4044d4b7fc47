"""The staff desk: my cases by urgency, one case with its actions (htmx), and the unit's load."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.cases import selectors, services
from civicpulse.cases.enums import CaseStatus, PauseKind, SlaState
from civicpulse.cases.permissions import access_case
from civicpulse.core.audit import render_event
from civicpulse.core.errors import DomainError, NotFound


def _staff(request: HttpRequest) -> User:
    if not has_perm(request.user, Perm.CASE_VIEW):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    status = request.GET.get("status", "")
    sla = request.GET.get("sla", "")
    mine = request.GET.get("mine", "1") == "1"
    cases = selectors.case_list(
        user=user,
        status=status if status in CaseStatus.values else "",
        sla_state=sla if sla in SlaState.values else "",
        mine=mine,
    )
    page = Paginator(cases, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/desk.html",
        {
            "page": page,
            "status": status,
            "sla": sla,
            "mine": mine,
            "statuses": CaseStatus.choices,
            "sla_states": SlaState.choices,
            "load": selectors.unit_load(user=user),
        },
    )


def _case_context(request: HttpRequest, number: str) -> dict[str, object]:
    try:
        case = access_case(request.user, number)
    except NotFound:
        raise Http404 from None
    return {
        "case": case,
        "actions": selectors.allowed_transitions(user=request.user, case=case),
        "materials": list(case.materials.all()),
        "timeline": [(e, render_event(e)) for e in selectors.case_timeline(case=case)],
        "pause_kinds": [(k, label) for k, label in PauseKind.choices if k != PauseKind.SUPPLEMENT],
    }


@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    _staff(request)
    return render(request, "cases/case_detail.html", _case_context(request, number))


@login_required
@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    try:
        case = access_case(user, number)
        services.case_transition(
            actor=user,
            case=case,
            transition=action,
            reason=request.POST.get("reason", ""),
            missing=[int(v) for v in request.POST.getlist("missing") if v.isdigit()],
            pause_kind=request.POST.get("pause_kind", PauseKind.EXPERT_REVIEW),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    context = _case_context(request, number)
    context["error"] = error
    return render(request, "cases/partials/case_panel.html", context)
