"""Rectification API: orders scoped to the caller, their steps, appeals and decisions, repeated bad
reviews."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.rectification import selectors, services
from civicpulse.rectification.models import Appeal, RectificationOrder
from civicpulse.rectification.permissions import access_appeal, access_order
from civicpulse.rectification.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    OrderDetailOut,
    OrderFilter,
    OrderOut,
    RepeatedOut,
    TransitionIn,
)

router = Router(tags=["rectification"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get(
    "/orders", response={200: list[OrderOut], **ERRORS}, summary="Orders I may see, open and urgent first"
)
@paginate(LimitOffsetPagination)
def order_list(request: HttpRequest, filters: Query[OrderFilter]) -> Any:
    return selectors.order_list(user=request.user, status=filters.status, overdue=filters.overdue)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **ERRORS})
def order_detail(request: HttpRequest, order_id: int) -> RectificationOrder:
    return access_order(request.user, order_id)


@router.post(
    "/orders/{order_id}/appeals",
    response={201: AppealOut, **ERRORS},
    summary="Appeal the review as mistaken or malicious",
)
def appeal_file(request: HttpRequest, order_id: int, payload: AppealIn) -> Status[Appeal]:
    order = access_order(request.user, order_id)
    appeal = services.appeal_file(actor=_user(request), order=order, kind=payload.kind, reason=payload.reason)
    return Status(201, access_appeal(request.user, appeal.pk))


@router.post(
    "/orders/{order_id}/{action}",
    response={200: OrderDetailOut, **ERRORS},
    summary="Take a step (contact, verify, act, answer, rate, close, reopen, close_escalated...)",
)
def order_transition(
    request: HttpRequest, order_id: int, action: str, payload: TransitionIn
) -> RectificationOrder:
    order = access_order(request.user, order_id)
    services.order_transition(
        actor=_user(request), order=order, transition=action, details=services.Details(**payload.model_dump())
    )
    return access_order(request.user, order_id)


@router.get("/appeals", response={200: list[AppealOut], **ERRORS}, summary="Pending appeals I may decide")
def appeal_queue(request: HttpRequest) -> list[Appeal]:
    require_perm(request.user, Perm.APPEAL_DECIDE)
    return selectors.appeal_queue(user=request.user)


@router.post("/appeals/{appeal_id}/decision", response={200: AppealOut, **ERRORS}, summary="Uphold or reject")
def appeal_decide(request: HttpRequest, appeal_id: int, payload: AppealDecisionIn) -> Appeal:
    appeal = access_appeal(request.user, appeal_id)
    services.appeal_decide(
        actor=_user(request), appeal=appeal, outcome=payload.outcome, reason=payload.reason
    )
    return access_appeal(request.user, appeal_id)


@router.get(
    "/repeated",
    response={200: RepeatedOut, **ERRORS},
    summary="Services and units with repeated bad reviews in a month (YYYY-MM, default: this month)",
)
def repeated(request: HttpRequest, month: str = "") -> selectors.Repeated:
    require_perm(request.user, Perm.EVALUATION_REVIEW)
    return selectors.repeated_bad_reviews(user=request.user, month=selectors.month_parse(month))
