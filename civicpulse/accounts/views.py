"""Staff pages: the organisation tree in scope, one unit with its staff, and the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from civicpulse.accounts import selectors
from civicpulse.accounts.permissions import Perm, access_org_unit, has_perm
from civicpulse.core.errors import NotFound
from civicpulse.core.selectors import audit_event_list


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.ORG_VIEW):
        raise Http404
    units = list(selectors.org_unit_list(user=request.user))
    return render(request, "accounts/unit_tree.html", {"units": units})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    try:
        unit = access_org_unit(request.user, unit_id)
    except NotFound:
        raise Http404 from None
    staff = Paginator(selectors.staff_list(user=request.user, unit=unit), 50).get_page(
        request.GET.get("page")
    )
    children = selectors.org_unit_list(user=request.user).filter(parent=unit)
    return render(request, "accounts/unit_detail.html", {"unit": unit, "staff": staff, "children": children})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.AUDIT_VIEW):
        raise Http404
    action = request.GET.get("action", "").strip()[:100]
    events = audit_event_list(user=request.user, action_prefix=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page, "action": action})
