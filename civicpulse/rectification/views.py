"""Rectification pages: the unit's inbox, one order with its actions (htmx), the supervisor's escalations,
the appeal review queue and the repeated bad reviews list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.core import clock
from civicpulse.core.audit import render_event
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.evaluations.enums import Level
from civicpulse.rectification import selectors, services
from civicpulse.rectification.enums import (
    AppealKind,
    AppealStatus,
    Finding,
    OrderStatus,
    Outcome,
    Satisfaction,
)
from civicpulse.rectification.models import RectificationOrder
from civicpulse.rectification.permissions import access_appeal, access_order


def _staff(request: HttpRequest, perm: Perm = Perm.RECTIFICATION_VIEW) -> User:
    if not has_perm(request.user, perm):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    status = request.GET.get("status", "")
    overdue = request.GET.get("overdue", "")
    orders = selectors.order_list(
        user=user,
        status=status if status in OrderStatus.values else "",
        overdue={"1": True, "0": False}.get(overdue),
    )
    return render(
        request,
        "rectification/inbox.html",
        {
            "page": Paginator(orders, 30).get_page(request.GET.get("page")),
            "status": status,
            "overdue": overdue,
            "statuses": OrderStatus.choices,
            "today": _today(),
            "can_review_appeals": has_perm(user, Perm.APPEAL_DECIDE),
            "can_see_repeated": has_perm(user, Perm.EVALUATION_REVIEW),
        },
    )


def _today() -> dt.date:
    return clock.today()


@login_required
def escalated(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    page = Paginator(selectors.escalated_list(user=user), 30).get_page(request.GET.get("page"))
    return render(request, "rectification/escalated.html", {"page": page, "today": _today()})


def _order_context(request: HttpRequest, order_id: int) -> dict[str, Any]:
    try:
        order = access_order(request.user, order_id)
    except NotFound:
        raise Http404 from None
    evaluation = order.evaluation
    tags = {t["key"]: t for t in evaluation.template.reason_tags}
    return {
        "order": order,
        "evaluation": evaluation,
        "case": evaluation.case,
        "level_label": Level(evaluation.level).label
        if evaluation.level in Level.values
        else evaluation.level,
        "tags": [tags.get(key, {"name_zh": key, "name_en": key}) for key in evaluation.tags],
        "actions": selectors.allowed_transitions(user=request.user, order=order),
        "extras": selectors.order_extras(user=request.user, order=order),
        "timeline": [(e, render_event(e)) for e in selectors.order_timeline(order=order)],
        "findings": Finding.choices,
        "outcomes": Outcome.choices,
        "satisfactions": Satisfaction.choices,
        "appeal_kinds": AppealKind.choices,
        "today": _today(),
    }


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    _staff(request)
    return render(request, "rectification/order_detail.html", _order_context(request, order_id))


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), code="invalid_date") from None


def _details(post: QueryDict) -> services.Details:
    text = {
        key: post.get(key, "")[:4000]
        for key in (
            "call_notes",
            "finding",
            "verification_notes",
            "outcome",
            "outcome_notes",
            "ledger_entry",
            "explanation",
            "answer",
            "satisfaction",
            "reason",
        )
    }
    return services.Details(ledger_due=_date(post.get("ledger_due", "")), **text)


def _do(user: User, order: RectificationOrder, action: str, post: QueryDict) -> None:
    if action == "appeal":
        services.appeal_file(
            actor=user, order=order, kind=post.get("kind", ""), reason=post.get("reason", "")
        )
    elif action == "decide":
        pending = order.appeals.filter(status=AppealStatus.PENDING).first()
        if pending is None:
            raise ValidationFailed(_("There is no pending appeal on this order."), code="no_pending_appeal")
        services.appeal_decide(
            actor=user, appeal=pending, outcome=post.get("outcome", ""), reason=post.get("reason", "")
        )
    else:
        services.order_transition(actor=user, order=order, transition=action, details=_details(post))


@login_required
@require_POST
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    try:
        _do(user, access_order(user, order_id), action, request.POST)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    context = _order_context(request, order_id)
    context["error"] = error
    template = (
        "rectification/partials/order_panel.html" if _is_htmx(request) else "rectification/order_detail.html"
    )
    return render(request, template, context, status=200)


@login_required
def appeals(request: HttpRequest) -> HttpResponse:
    user = _staff(request, Perm.APPEAL_DECIDE)
    return render(request, "rectification/appeals.html", {"appeals": selectors.appeal_queue(user=user)})


@login_required
@require_POST
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    user = _staff(request, Perm.APPEAL_DECIDE)
    error: DomainError | None = None
    decided = None
    try:
        decided = services.appeal_decide(
            actor=user,
            appeal=access_appeal(user, appeal_id),
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    context = {"appeals": selectors.appeal_queue(user=user), "error": error, "decided": decided}
    template = (
        "rectification/partials/appeal_queue.html" if _is_htmx(request) else "rectification/appeals.html"
    )
    return render(request, template, context)


@login_required
def repeated(request: HttpRequest) -> HttpResponse:
    user = _staff(request, Perm.EVALUATION_REVIEW)
    error: DomainError | None = None
    try:
        month = selectors.month_parse(request.GET.get("month", ""))
    except DomainError as exc:
        error, month = exc, selectors.month_parse("")
    return render(
        request,
        "rectification/repeated.html",
        {"result": selectors.repeated_bad_reviews(user=user, month=month), "error": error},
    )


# --- the citizen -------------------------------------------------------------------------------------------


def citizen_orders(*, case: Any, user: Any) -> list[RectificationOrder]:
    """The answered orders on the citizen's own bad reviews of this case, waiting for their rating."""
    if not isinstance(user, User) or case.applicant_id != user.pk:
        return []
    return list(
        RectificationOrder.objects.filter(
            evaluation__case=case, evaluation__evaluator_key="applicant", status=OrderStatus.ANSWERED
        ).order_by("opened_at")
    )


@login_required
@require_POST
def citizen_rate(request: HttpRequest, number: str, order_id: int) -> HttpResponse:
    """The citizen rates how their bad review was handled (the callback, answered online)."""
    user = request.user
    assert isinstance(user, User)
    order = (
        RectificationOrder.objects.select_related("evaluation__case")
        .filter(pk=order_id, evaluation__case__number=number, evaluation__case__applicant=user)
        .first()
    )
    if order is None:
        raise Http404
    context: dict[str, Any] = {"order": order, "satisfactions": Satisfaction.choices, "number": number}
    try:
        services.order_transition(
            actor=user,
            order=order,
            transition="rate",
            details=services.Details(satisfaction=request.POST.get("satisfaction", "")),
        )
    except DomainError as error:
        context["error"] = error
    else:
        context["thanks"] = True
    return render(request, "rectification/partials/citizen_rate.html", context)
