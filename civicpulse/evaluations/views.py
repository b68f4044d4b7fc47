"""Rating pages (the window pad, one-time links, the citizen's own case) and the staff evaluation pages."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import access_case
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.core.http import client_ip
from civicpulse.core.masking import mask_phone
from civicpulse.evaluations import selectors, services
from civicpulse.evaluations.enums import EvalChannel, EvaluationStatus, Grade, Level, Stage
from civicpulse.evaluations.models import Integration
from civicpulse.evaluations.permissions import access_evaluation

PAD_COOKIE = "civicpulse_pad"


def _rating_from(post: QueryDict, template: Any) -> services.Rating:
    level = post.get("level", "")
    dimensions = {}
    for item in template.dimensions:
        value = post.get(f"dim-{item['key']}", "")
        if value.isdigit():
            dimensions[item["key"]] = int(value)
    return services.Rating(
        level=int(level) if level.isdigit() else 0,
        dimensions=dimensions,
        tags=[t for t in post.getlist("tag") if t],
        text=post.get("text", "")[:2000],
    )


def _form_context(template: Any, post: QueryDict | None = None) -> dict[str, Any]:
    chosen: dict[str, Any] = {"level": "", "tags": set(), "text": ""}
    if post is not None:
        chosen = {
            "level": post.get("level", ""),
            "tags": set(post.getlist("tag")),
            "text": post.get("text", ""),
        }
    return {"template": template, "levels": Level.choices, "chosen": chosen}


def _ip(request: HttpRequest) -> str:
    # No device id from a browser: a user-agent string is shared by thousands and would fake bursts.
    return client_ip(request)


def _refuse_staff(request: HttpRequest) -> bool:
    return request.user.is_authenticated and getattr(request.user, "kind", "") == UserKind.STAFF


# --- the window pad ----------------------------------------------------------------------------------------


def _pad(request: HttpRequest) -> Integration | None:
    token = request.get_signed_cookie(PAD_COOKIE, default="", salt="pad")
    integration = services.integration_authenticate(token=token or "")
    if integration is None or integration.channel != EvalChannel.PAD:
        return None
    return integration


def pad_pair(request: HttpRequest) -> HttpResponse:
    """Pair this tablet with its window once, with the token printed when the pad was registered."""
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        integration = services.integration_authenticate(token=token)
        if integration is not None and integration.channel == EvalChannel.PAD:
            response = redirect("evaluations:pad")
            response.set_signed_cookie(
                PAD_COOKIE,
                token,
                salt="pad",
                max_age=400 * 24 * 3600,
                httponly=True,
                samesite="Strict",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
        error = _("This is not the token of a window pad.")
    return render(request, "evaluations/pad_pair.html", {"error": error})


def pad(request: HttpRequest) -> HttpResponse:
    integration = _pad(request)
    if integration is None:
        return redirect("evaluations:pad_pair")
    return render(request, "evaluations/pad.html", _pad_context(request, integration))


def _pad_context(request: HttpRequest, integration: Integration) -> dict[str, Any]:
    context: dict[str, Any] = {
        "integration": integration,
        "staff_signed_in": _refuse_staff(request),
        "reset_seconds": settings.CIVICPULSE["PAD_RESET_SECONDS"],
    }
    current = selectors.pad_interaction(window=integration.window)
    if current is not None and not context["staff_signed_in"]:
        case, ticket = current
        context.update(
            case=case,
            ticket=ticket,
            **_form_context(services.template_current(kind=services.template_kind(case))),
        )
    return context


def pad_current(request: HttpRequest) -> HttpResponse:
    integration = _pad(request)
    if integration is None:
        raise Http404
    return render(request, "evaluations/partials/pad_screen.html", _pad_context(request, integration))


@require_POST
def pad_rate(request: HttpRequest) -> HttpResponse:
    integration = _pad(request)
    if integration is None:
        raise Http404
    context = _pad_context(request, integration)
    case = context.get("case")
    if case is None or case.number != request.POST.get("case", ""):
        # The interaction moved on (or never was): start afresh rather than rate the wrong one.
        return render(request, "evaluations/partials/pad_screen.html", context)
    ip = _ip(request)
    try:
        services.evaluation_submit(
            case=case,
            stage=Stage.INTAKE,
            channel=EvalChannel.PAD,
            rating=_rating_from(request.POST, context["template"]),
            as_applicant=True,
            integration=integration,
            ticket=context.get("ticket"),
            device=f"pad:{integration.pk}",
            ip=ip,
        )
    except DomainError as error:
        context.update(error=error, **_form_context(context["template"], request.POST))
        return render(request, "evaluations/partials/pad_screen.html", context)
    return render(request, "evaluations/partials/pad_thanks.html", context)


# --- one-time links (QR code on the receipt, SMS invitation) -----------------------------------------------


def link_rate(request: HttpRequest, token: str) -> HttpResponse:
    if _refuse_staff(request):
        return render(request, "evaluations/link.html", {"refused": True}, status=403)
    try:
        link = services.link_get(token=token)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        return render(request, "evaluations/link.html", {"gone": error}, status=410)
    template = services.template_current(kind=services.template_kind(link.case))
    context: dict[str, Any] = {"link": link, "case": link.case, **_form_context(template)}
    if request.method == "POST":
        ip = _ip(request)
        try:
            services.evaluation_submit(
                case=link.case,
                stage=link.stage,
                channel=EvalChannel.LINK,
                rating=_rating_from(request.POST, template),
                as_applicant=True,
                link=link,
                ip=ip,
            )
        except DomainError as error:
            context.update(error=error, **_form_context(template, request.POST))
        else:
            return render(request, "evaluations/link.html", {"thanks": True})
    return render(request, "evaluations/link.html", context)


# --- the citizen's own case ------------------------------------------------------------------------------


@login_required
@require_POST
def my_case_rate(request: HttpRequest, number: str, stage: str) -> HttpResponse:
    if _refuse_staff(request):
        raise Http404
    try:
        case = access_case(request.user, number)
    except NotFound:
        raise Http404 from None
    if case.applicant_id != request.user.pk:
        raise Http404
    template = services.template_current(kind=services.template_kind(case))
    assert isinstance(request.user, User)
    ip = _ip(request)
    context: dict[str, Any] = {
        "case": case,
        "stage": stage,
        "stage_label": Stage(stage).label if stage in Stage.values else stage,
        **_form_context(template, request.POST),
    }
    try:
        services.evaluation_submit(
            case=case,
            stage=stage,
            channel=EvalChannel.PORTAL,
            rating=_rating_from(request.POST, template),
            evaluator=request.user,
            evaluator_phone=request.user.phone,
            ip=ip,
        )
    except DomainError as error:
        context["error"] = error
        return render(request, "evaluations/partials/portal_rating.html", context)
    return render(
        request, "evaluations/partials/portal_rating.html", {"case": case, "stage": stage, "thanks": True}
    )


def rating_forms(*, case: Case, user: Any) -> list[dict[str, Any]]:
    """For the citizen's case page: one form per reached stage they have not rated yet."""
    rated = set(case.evaluations.filter(evaluator_key=services.APPLICANT).values_list("stage", flat=True))
    template = services.template_current(kind=services.template_kind(case))
    return [
        {"case": case, "stage": stage, "stage_label": Stage(stage).label, **_form_context(template)}
        for stage in services.stages_open(case)
        if stage not in rated
    ]


# --- staff -------------------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    if not has_perm(request.user, Perm.EVALUATION_VIEW):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


def _filters(request: HttpRequest) -> selectors.EvaluationFilter:
    get = request.GET
    return selectors.EvaluationFilter(
        status=get.get("status", "") if get.get("status", "") in EvaluationStatus.values else "",
        grade=get.get("grade", "") if get.get("grade", "") in Grade.values else "",
        stage=get.get("stage", "") if get.get("stage", "") in Stage.values else "",
        channel=get.get("channel", "") if get.get("channel", "") in EvalChannel.values else "",
        service=get.get("service", "")[:40],
    )


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    filters = _filters(request)
    rows = selectors.evaluation_list(user=user, filters=filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluations/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": EvaluationStatus.choices,
            "grades": Grade.choices,
            "stages": Stage.choices,
            "channels": EvalChannel.choices,
            "query": request.GET.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def evaluation_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of the evaluations the user may see; the evaluator appears masked, never in clear."""
    user = _staff(request)
    rows = selectors.evaluation_list(user=user, filters=_filters(request))
    writer = csv.writer(_Echo())
    header = [
        _("case number"),
        _("service"),
        _("serving unit"),
        _("stage"),
        _("channel"),
        _("level"),
        _("review"),
        _("status"),
        _("reason tags"),
        _("comment"),
        _("evaluator phone"),
        _("submitted"),
    ]

    def lines() -> Any:
        yield "\ufeff" + writer.writerow(header)  # the BOM makes spreadsheet programs read UTF-8
        for e in rows.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    e.case.number,
                    e.service.code,
                    e.unit.code,
                    e.stage,
                    e.channel,
                    e.level,
                    e.grade,
                    e.status,
                    " ".join(e.tags),
                    e.text,
                    mask_phone(e.evaluator_phone),
                    e.submitted_at.isoformat(),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="evaluations.csv"'
    return response


def _detail_context(request: HttpRequest, evaluation_id: int) -> dict[str, Any]:
    try:
        evaluation = access_evaluation(request.user, evaluation_id)
    except NotFound:
        raise Http404 from None
    return {
        "evaluation": evaluation,
        "may_review": evaluation.status == EvaluationStatus.QUARANTINED
        and has_perm_on_unit(request.user, Perm.EVALUATION_REVIEW, evaluation.unit),
        "may_identify": has_perm_on_unit(request.user, Perm.EVALUATION_IDENTITY, evaluation.unit),
        "template_items": {
            item["key"]: item for item in [*evaluation.template.dimensions, *evaluation.template.reason_tags]
        },
    }


@login_required
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    _staff(request)
    return render(request, "evaluations/detail.html", _detail_context(request, evaluation_id))


@login_required
@require_POST
def evaluation_review(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user = _staff(request)
    context = _detail_context(request, evaluation_id)
    try:
        services.evaluation_review(
            actor=user,
            evaluation=context["evaluation"],
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        context["error"] = error
        return render(request, "evaluations/partials/evaluation_panel.html", context)
    return render(
        request, "evaluations/partials/evaluation_panel.html", _detail_context(request, evaluation_id)
    )


@login_required
@require_POST
def evaluation_identity(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user = _staff(request)
    context = _detail_context(request, evaluation_id)
    try:
        identity = services.evaluator_identity(actor=user, evaluation=context["evaluation"])
    except NotFound:
        raise Http404 from None
    return render(request, "evaluations/partials/identity.html", {"identity": identity})
