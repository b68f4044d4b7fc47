"""Evaluation API: submissions by integrations (bearer token) and citizens (session); staff reads, review."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer, django_auth

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import access_case
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import Forbidden, NotFound
from civicpulse.core.http import client_ip
from civicpulse.evaluations import selectors, services
from civicpulse.evaluations.enums import EvalChannel
from civicpulse.evaluations.models import Evaluation, IndicatorTemplate, Integration
from civicpulse.evaluations.permissions import access_evaluation
from civicpulse.evaluations.schemas import (
    EvaluationIn,
    EvaluationOut,
    EvaluationStaffOut,
    IdentityOut,
    ReviewIn,
    TemplateOut,
)

ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


class IntegrationAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Integration | None:
        return services.integration_authenticate(token=token)


public_router = Router(tags=["evaluation"])
router = Router(tags=["evaluation"], auth=django_auth)


@public_router.get("/templates", response=list[TemplateOut], summary="The indicator templates in force")
def templates(request: HttpRequest) -> Any:
    return IndicatorTemplate.objects.filter(is_current=True).order_by("kind")


@public_router.post(
    "",
    response={201: EvaluationOut, **ERRORS},
    auth=[IntegrationAuth(), django_auth],
    summary="Rate an interaction (integrations with their token; citizens signed in)",
)
def evaluation_submit(request: HttpRequest, payload: EvaluationIn) -> Status[Evaluation]:
    rating = services.Rating(
        level=payload.level, dimensions=payload.dimensions, tags=payload.tags, text=payload.text
    )
    auth = getattr(request, "auth", None)
    integration = auth if isinstance(auth, Integration) else None
    if integration is not None:
        case = (
            Case.objects.select_related("window", "responsible_unit")
            .filter(number=payload.case_number)
            .first()
        )
        if case is None or (integration.window_id and integration.window_id != case.window_id):
            raise NotFound()
        evaluation = services.evaluation_submit(
            case=case,
            stage=payload.stage,
            channel=integration.channel,
            rating=rating,
            evaluator_phone=payload.evaluator_phone,
            as_applicant=integration.channel == EvalChannel.PAD,
            integration=integration,
            # A hotline or app is one client for thousands of people: only a kiosk or pad id is a device.
            device=payload.device,
            ip=client_ip(request),
        )
        return Status(201, evaluation)
    user = request.user
    assert isinstance(user, User)
    if user.kind == UserKind.STAFF:
        raise Forbidden(_("Staff accounts cannot submit evaluations."), code="staff_cannot_rate")
    case = access_case(user, payload.case_number)
    evaluation = services.evaluation_submit(
        case=case,
        stage=payload.stage,
        channel=EvalChannel.PORTAL,
        rating=rating,
        evaluator=user,
        evaluator_phone=user.phone,
        device=payload.device,
        ip=client_ip(request),
    )
    return Status(201, evaluation)


@router.get("", response={200: list[EvaluationStaffOut], **ERRORS}, summary="Evaluations of my units")
@paginate(LimitOffsetPagination)
def evaluation_list(request: HttpRequest, filters: Query[selectors.EvaluationFilter]) -> Any:
    require_perm(request.user, Perm.EVALUATION_VIEW)
    return selectors.evaluation_list(user=request.user, filters=filters)


@router.get("/{evaluation_id}", response={200: EvaluationStaffOut, **ERRORS})
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> Evaluation:
    return access_evaluation(request.user, evaluation_id)


@router.post(
    "/{evaluation_id}/review", response={200: EvaluationStaffOut, **ERRORS}, summary="Clear or confirm"
)
def evaluation_review(request: HttpRequest, evaluation_id: int, payload: ReviewIn) -> Evaluation:
    assert isinstance(request.user, User)
    evaluation = access_evaluation(request.user, evaluation_id)
    return services.evaluation_review(
        actor=request.user, evaluation=evaluation, outcome=payload.outcome, note=payload.note
    )


@router.post(
    "/{evaluation_id}/identity", response={200: IdentityOut, **ERRORS}, summary="Who rated (audited lookup)"
)
def evaluator_identity(request: HttpRequest, evaluation_id: int) -> dict[str, str]:
    assert isinstance(request.user, User)
    evaluation = access_evaluation(request.user, evaluation_id)
    return services.evaluator_identity(actor=request.user, evaluation=evaluation)
