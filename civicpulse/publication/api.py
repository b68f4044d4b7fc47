"""Publication API for the quality office: its publications, the preview of a complete period, publishing
(send an Idempotency-Key: a retried publish replays the first answer) and withdrawing. The public reads the
open data at /open-data/ instead."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import django_auth

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import ValidationFailed
from civicpulse.publication import selectors, services
from civicpulse.publication.models import PublishedPeriod
from civicpulse.publication.schemas import PeriodDetailOut, PeriodOut, PreviewOut, PublishIn, WithdrawIn
from civicpulse.publication.selectors import PublicExample, PublicResults, PublicSubject

router = Router(tags=["publication"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _scope(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationFailed(_("There is no unit %(code)s.") % {"code": code}, code="unknown_unit")
    return unit


def _period(period: PublishedPeriod) -> dict[str, Any]:
    return {
        "slug": period.slug,
        "period": period.label,
        "kind": period.kind,
        "start": period.start,
        "end": period.end,
        "cutoff": period.cutoff,
        "scope": period.scope_code,
        "status": period.status,
        "min_sample": period.min_sample,
        "suppressed_below": period.suppress_below,
        "digest": period.digest,
        "published_by": period.published_by.display_name,
        "published_at": period.published_at,
        "withdrawn_at": period.withdrawn_at,
        "withdrawal_reason": period.withdrawal_reason,
    }


def _subject(s: PublicSubject) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "code": s.code,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "category_code": s.category_code,
        "department_code": s.department_code,
        "figures": [
            {
                "indicator": f.indicator,
                "value": f.value,
                "interval_low": f.low,
                "interval_high": f.high,
                "n": f.n,
                "numerator": f.numerator,
                "insufficient_data": f.insufficient,
                "suppressed": f.suppressed,
                "n_suppressed": f.n_suppressed,
                "rank": f.rank,
            }
            for _code, f in sorted(s.figures.items())
        ],
    }


def _example(e: PublicExample) -> dict[str, Any]:
    return {
        "order": e.order_id,
        "month": e.month,
        "service_code": e.service_code,
        "department_code": e.department_code,
        "tags": [t["key"] for t in e.tags],
        "complaint": e.complaint,
        "outcome": e.outcome,
        "answer": e.answer,
        "satisfaction": e.satisfaction,
    }


def _results(results: PublicResults) -> dict[str, Any]:
    return {
        "subjects": [_subject(s) for s in (*results.departments, *results.services)],
        "examples": [_example(e) for e in results.examples],
    }


@router.get("/periods", response={200: list[PeriodOut], **ERRORS}, summary="Publications, live and withdrawn")
def period_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.RESULTS_PUBLISH)
    return [_period(p) for p in selectors.period_list(user=request.user)[:500]]


@router.get(
    "/preview",
    response={200: PreviewOut, **ERRORS},
    summary="What publishing a complete period now would publish",
)
def preview(request: HttpRequest, period: str, scope: str) -> Any:
    require_perm(request.user, Perm.RESULTS_PUBLISH)
    unit = _scope(scope)
    computed = selectors.period_preview(user=_user(request), scope=unit, period=period)
    threshold = services.suppression_threshold()
    return {
        "period": computed.label,
        "kind": computed.kind,
        "start": computed.start,
        "end": computed.end,
        "cutoff": computed.cutoff,
        "scope": unit.code,
        "suppressed_below": threshold,
        **_results(selectors.preview_results(computed=computed, threshold=threshold)),
    }


@router.post("/periods", response={201: PeriodDetailOut, **ERRORS}, summary="Publish a complete period")
def publish(request: HttpRequest, payload: PublishIn) -> Status[dict[str, Any]]:
    require_perm(request.user, Perm.RESULTS_PUBLISH)
    published = services.period_publish(
        actor=_user(request), scope=_scope(payload.scope), period=payload.period, examples=payload.examples
    )
    return Status(201, _detail(published))


def _detail(period: PublishedPeriod) -> dict[str, Any]:
    results = selectors.public_results(period=period)
    body = {**_period(period), **_results(results)}
    orders = dict(period.examples.values_list("position", "order_id"))
    for position, example in enumerate(body["examples"], start=1):
        example["order"] = orders.get(position)
    return body


@router.get("/periods/{slug}", response={200: PeriodDetailOut, **ERRORS})
def period_detail(request: HttpRequest, slug: str) -> Any:
    return _detail(selectors.access_period(request.user, slug))


@router.post(
    "/periods/{slug}/withdraw", response={200: PeriodOut, **ERRORS}, summary="Withdraw, with a reason"
)
def withdraw(request: HttpRequest, slug: str, payload: WithdrawIn) -> Any:
    period = selectors.access_period(request.user, slug)
    return _period(services.period_withdraw(actor=_user(request), period=period, reason=payload.reason))
