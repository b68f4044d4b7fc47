"""The quality office's publishing pages: its publications, the preview of a complete period (figures as the
public will see them, examples to keep or leave out), publishing, and withdrawing with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.core import clock
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.publication import compute, selectors, services
from civicpulse.publication.display import results_context
from civicpulse.quality.selectors import timeline_of


def _publisher(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF or not has_perm(user, Perm.RESULTS_PUBLISH):
        raise Http404
    return user


def _scope(user: User, code: str) -> OrgUnit:
    scopes = selectors.publisher_scopes(user=user)
    if not code:
        return scopes[0]
    found = OrgUnit.objects.filter(code=code).first()
    if found is None or not any(found.path.startswith(s.path) for s in scopes):
        raise Http404
    return found


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    user = _publisher(request)
    scope = _scope(user, request.GET.get("scope", ""))
    published = selectors.live_labels(scope=scope)
    available = [p for p in compute.complete_periods(compute.today_at(clock.now())) if p not in published]
    return render(
        request,
        "publication/workspace.html",
        {
            "periods": list(selectors.period_list(user=user)[:200]),
            "scopes": selectors.publisher_scopes(user=user),
            "scope": scope,
            "available": available,
        },
    )


@login_required
def preview(request: HttpRequest) -> HttpResponse:
    user = _publisher(request)
    source = request.POST if request.method == "POST" else request.GET
    scope = _scope(user, source.get("scope", ""))
    period = source.get("period", "")
    error: DomainError | None = None
    if request.method == "POST":
        try:
            kept = [int(v) for v in request.POST.getlist("example")]
            published = services.period_publish(actor=user, scope=scope, period=period, examples=kept)
        except ValueError:
            error = DomainError(_("Choose examples from the list."), code="invalid_example")
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request, _("The results of %(period)s are published.") % {"period": published.label}
            )
            return redirect("publication:detail", slug=published.slug)
    try:
        computed = selectors.period_preview(user=user, scope=scope, period=period)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("publication:workspace") + f"?scope={scope.code}")
    results = selectors.preview_results(computed=computed, threshold=services.suppression_threshold())
    return render(
        request,
        "publication/preview.html",
        {
            "computed": computed,
            "scope": scope,
            "error": error,
            "min_sample": services.ranking_min_sample(),
            **results_context(results),
        },
    )


@login_required
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = _publisher(request)
    try:
        period = selectors.access_period(user, slug)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "publication/detail.html",
        {
            "period": period,
            "events": timeline_of(period),
            **results_context(selectors.public_results(period=period)),
        },
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    user = _publisher(request)
    try:
        period = selectors.access_period(user, slug)
        services.period_withdraw(actor=user, period=period, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The results of %(period)s are withdrawn.") % {"period": period.label})
    return redirect("publication:detail", slug=slug)
