"""Quality API: controlled documents, nonconformities and their actions; internal audits and
self-assessments under their own sub-routers."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import django_auth

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, require_perm, unit_filter
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import NotFound, ValidationFailed
from civicpulse.quality import reviews, selectors, services
from civicpulse.quality.api_internal_audits import router as internal_audits_router
from civicpulse.quality.api_self_assessment import router as self_assessment_router
from civicpulse.quality.models import (
    Action,
    Document,
    DocumentVersion,
    ManagementReview,
    Nonconformity,
    ReviewOutput,
)
from civicpulse.quality.schemas import (
    AcknowledgementsOut,
    ActionDoneIn,
    ActionIn,
    ActionOut,
    AnalysisIn,
    ApproveIn,
    CloseIn,
    DocumentIn,
    DocumentOut,
    DraftIn,
    NonconformityDetailOut,
    NonconformityIn,
    NonconformityOut,
    PackOut,
    ReasonIn,
    ReviewHoldIn,
    ReviewIn,
    ReviewOut,
    ReviewOutputIn,
    ReviewOutputOut,
    VersionOut,
)

router = Router(tags=["quality"], auth=django_auth)
router.add_router("/audits", internal_audits_router, tags=["quality: internal audits"])
router.add_router("/self-assessments", self_assessment_router, tags=["quality: self-assessment"])
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _unit(code: str | None) -> OrgUnit | None:
    if not code:
        return None
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationFailed(_("There is no unit %(code)s.") % {"code": code}, code="unknown_unit")
    return unit


def _required_unit(code: str) -> OrgUnit:
    unit = _unit(code)
    if unit is None:
        raise ValidationFailed(_("Name the unit by its code."), code="unit_required")
    return unit


def _staff(username: str) -> User:
    user = User.objects.filter(username=username, kind=UserKind.STAFF, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            _("There is no active staff member %(username)s.") % {"username": username}, code="unknown_user"
        )
    return user


def _document(request: HttpRequest, code: str) -> Document:
    """A document of a unit the user may read (404 otherwise, like a missing one)."""
    found = selectors.documents(user=request.user).filter(code=code).first()
    if found is None:
        raise NotFound()
    return found


def _version(request: HttpRequest, code: str, number: int) -> DocumentVersion:
    version = _document(request, code).versions.filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


def _nc(request: HttpRequest, number: str) -> Nonconformity:
    return selectors.access_nc(request.user, number)


# --- documents ----------------------------------------------------------------------------------------------


@router.get("/documents", response={200: list[DocumentOut], **ERRORS}, summary="Controlled documents")
def document_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.QUALITY_VIEW)
    return selectors.documents(user=request.user).select_related("owner_unit").order_by("code")


@router.post("/documents", response={201: DocumentOut, **ERRORS}, summary="A new document with its draft")
def document_create(request: HttpRequest, payload: DocumentIn) -> Status[Document]:
    owner = _required_unit(payload.owner_unit)
    version = services.document_create(
        actor=_user(request),
        code=payload.code,
        title_zh=payload.title_zh,
        title_en=payload.title_en,
        kind=payload.kind,
        owner_unit=owner,
        roles=payload.roles,
        body=payload.body,
        change_reason=payload.change_reason,
    )
    return Status(201, version.document)


@router.get("/documents/{code}", response={200: DocumentOut, **ERRORS})
def document_detail(request: HttpRequest, code: str) -> Document:
    return _document(request, code)


@router.post(
    "/documents/{code}/versions", response={201: VersionOut, **ERRORS}, summary="Draft a new version"
)
def document_draft(request: HttpRequest, code: str, payload: DraftIn) -> Status[DocumentVersion]:
    version = services.document_version_draft(
        actor=_user(request),
        document=_document(request, code),
        body=payload.body,
        change_reason=payload.change_reason,
    )
    return Status(201, version)


@router.post("/documents/{code}/versions/{number}/submit", response={200: VersionOut, **ERRORS})
def document_submit(request: HttpRequest, code: str, number: int) -> DocumentVersion:
    return services.document_version_submit(actor=_user(request), version=_version(request, code, number))


@router.post("/documents/{code}/versions/{number}/return", response={200: VersionOut, **ERRORS})
def document_return(request: HttpRequest, code: str, number: int, payload: ReasonIn) -> DocumentVersion:
    return services.document_version_return(
        actor=_user(request), version=_version(request, code, number), reason=payload.reason
    )


@router.post(
    "/documents/{code}/versions/{number}/approve",
    response={200: VersionOut, **ERRORS},
    summary="Approve (never by the author): the version takes effect",
)
def document_approve(request: HttpRequest, code: str, number: int, payload: ApproveIn) -> DocumentVersion:
    return services.document_version_approve(
        actor=_user(request), version=_version(request, code, number), effective_on=payload.effective_on
    )


@router.post("/documents/{code}/versions/{number}/acknowledge", response={200: VersionOut, **ERRORS})
def document_acknowledge(request: HttpRequest, code: str, number: int) -> DocumentVersion:
    version = (
        DocumentVersion.objects.filter(document__code=code, number=number).select_related("document").first()
    )
    # Only those it binds, or who may read it, learn that it exists.
    if version is None or (
        _user(request) not in services.bound_readers(version.document)
        and not selectors.documents(user=request.user).filter(pk=version.document_id).exists()
    ):
        raise NotFound()
    services.document_acknowledge(actor=_user(request), version=version)
    return version


@router.get(
    "/documents/{code}/versions/{number}/acknowledgements",
    response={200: AcknowledgementsOut, **ERRORS},
    summary="Who has read it and who has not",
)
def document_acknowledgements(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    found = selectors.acknowledgements(_version(request, code, number))
    return {
        "version": number,
        "acknowledged": [user.username for user, _at in found.done],
        "missing": [user.username for user in found.missing],
    }


# --- nonconformities ----------------------------------------------------------------------------------------


@router.get("/nonconformities", response={200: list[NonconformityOut], **ERRORS})
def nc_list(request: HttpRequest, status: str = "") -> Any:
    require_perm(request.user, Perm.QUALITY_VIEW)
    return selectors.nc_list(user=request.user, status=status)[:500]


@router.post("/nonconformities", response={201: NonconformityDetailOut, **ERRORS}, summary="Raise by hand")
def nc_raise(request: HttpRequest, payload: NonconformityIn) -> Status[Nonconformity]:
    service = Service.objects.filter(code=payload.service).first() if payload.service else None
    if payload.service and service is None:
        raise ValidationFailed(
            _("There is no service %(code)s.") % {"code": payload.service}, code="unknown_service"
        )
    nc = services.nc_raise(
        actor=_user(request),
        title=payload.title,
        description=payload.description,
        source=payload.source,
        severity=payload.severity,
        unit=_unit(payload.unit),
        service=service,
        indicator=payload.indicator,
    )
    return Status(201, nc)


@router.get("/nonconformities/{number}", response={200: NonconformityDetailOut, **ERRORS})
def nc_detail(request: HttpRequest, number: str) -> Nonconformity:
    return _nc(request, number)


@router.post("/nonconformities/{number}/analysis", response={200: NonconformityDetailOut, **ERRORS})
def nc_analyse(request: HttpRequest, number: str, payload: AnalysisIn) -> Nonconformity:
    return services.nc_analyse(
        actor=_user(request),
        nc=_nc(request, number),
        containment=payload.containment,
        whys=payload.whys,
        cause_category=payload.cause_category,
        root_cause=payload.root_cause,
        owner=_staff(payload.owner) if payload.owner else None,
    )


@router.post("/nonconformities/{number}/actions", response={201: ActionOut, **ERRORS})
def action_add(request: HttpRequest, number: str, payload: ActionIn) -> Status[Action]:
    action = services.action_add(
        actor=_user(request),
        nc=_nc(request, number),
        kind=payload.kind,
        description=payload.description,
        owner=_staff(payload.owner),
        working_days=payload.working_days,
    )
    return Status(201, action)


@router.post("/nonconformities/{number}/actions/{action_id}/done", response={200: ActionOut, **ERRORS})
def action_done(request: HttpRequest, number: str, action_id: int, payload: ActionDoneIn) -> Action:
    action = _nc(request, number).actions.filter(pk=action_id).first()
    if action is None:
        raise NotFound()
    version = None
    if payload.procedure_service:
        version = ProcedureVersion.objects.filter(
            service__code=payload.procedure_service, number=payload.procedure_version or 0
        ).first()
        if version is None:
            raise ValidationFailed(_("There is no such procedure version."), code="unknown_procedure_version")
    return services.action_complete(
        actor=_user(request), action=action, result=payload.result, procedure_version=version
    )


@router.post("/nonconformities/{number}/check", response={200: NonconformityDetailOut, **ERRORS})
def nc_check(request: HttpRequest, number: str) -> Nonconformity:
    return services.nc_check(actor=_user(request), nc=_nc(request, number))


@router.post("/nonconformities/{number}/close", response={200: NonconformityDetailOut, **ERRORS})
def nc_close(request: HttpRequest, number: str, payload: CloseIn) -> Nonconformity:
    return services.nc_close(actor=_user(request), nc=_nc(request, number), note=payload.note)


@router.post("/nonconformities/{number}/cancel", response={200: NonconformityDetailOut, **ERRORS})
def nc_cancel(request: HttpRequest, number: str, payload: ReasonIn) -> Nonconformity:
    return services.nc_cancel(actor=_user(request), nc=_nc(request, number), reason=payload.reason)


# --- management reviews -----------------------------------------------------------------------------------


def _review(request: HttpRequest, review_id: int) -> ManagementReview:
    """A review of a unit the user oversees, or one that gave them an action."""
    found = (
        ManagementReview.objects.filter(
            unit_filter(request.user, Perm.QUALITY_VIEW, "unit") | Q(outputs__owner=_user(request)),
            pk=review_id,
        )
        .select_related("unit")
        .distinct()
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@router.get("/reviews", response={200: list[ReviewOut], **ERRORS}, summary="Management reviews")
def review_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.QUALITY_VIEW)
    return ManagementReview.objects.filter(
        unit_filter(request.user, Perm.QUALITY_VIEW, "unit")
    ).select_related("unit")


@router.post("/reviews", response={201: ReviewOut, **ERRORS}, summary="Plan a management review")
def review_create(request: HttpRequest, payload: ReviewIn) -> Status[ManagementReview]:
    unit = _required_unit(payload.unit)
    review = reviews.review_create(
        actor=_user(request),
        unit=unit,
        title=payload.title,
        period_start=payload.period_start,
        period_end=payload.period_end,
    )
    return Status(201, review)


@router.get(
    "/reviews/{review_id}",
    response={200: PackOut, **ERRORS},
    summary="The review with its pack of inputs (ISO 9001 9.3.2), built from live data",
)
def review_pack(request: HttpRequest, review_id: int) -> dict[str, Any]:
    review = _review(request, review_id)
    built = reviews.pack(review, english=True)
    return {
        "review": review,
        "previous_actions": built.previous_outputs,
        "satisfaction": built.satisfaction,
        "process": built.process,
        "nonconformities": built.nonconformities,
        "outputs": list(review.outputs.select_related("owner")),
    }


@router.post("/reviews/{review_id}/outputs", response={201: ReviewOutputOut, **ERRORS})
def review_output(request: HttpRequest, review_id: int, payload: ReviewOutputIn) -> Status[ReviewOutput]:
    output = reviews.review_output_add(
        actor=_user(request),
        review=_review(request, review_id),
        kind=payload.kind,
        text=payload.text,
        owner=_staff(payload.owner) if payload.owner else None,
        due_on=payload.due_on,
    )
    return Status(201, output)


@router.post("/reviews/{review_id}/hold", response={200: ReviewOut, **ERRORS})
def review_hold(request: HttpRequest, review_id: int, payload: ReviewHoldIn) -> ManagementReview:
    return reviews.review_hold(
        actor=_user(request),
        review=_review(request, review_id),
        held_on=payload.held_on,
        chair=_staff(payload.chair),
        attendees=payload.attendees,
    )


@router.post("/reviews/{review_id}/outputs/{output_id}/done", response={200: ReviewOutputOut, **ERRORS})
def review_output_done(request: HttpRequest, review_id: int, output_id: int) -> ReviewOutput:
    output = _review(request, review_id).outputs.filter(pk=output_id).first()
    if output is None:
        raise NotFound()
    return reviews.review_output_done(actor=_user(request), output=output)


@router.put(
    "/documents/{code}/versions/{number}", response={200: VersionOut, **ERRORS}, summary="Edit a draft"
)
def document_edit(request: HttpRequest, code: str, number: int, payload: DraftIn) -> DocumentVersion:
    return services.document_version_edit(
        actor=_user(request),
        version=_version(request, code, number),
        body=payload.body,
        change_reason=payload.change_reason,
    )


@router.post(
    "/documents/{code}/withdraw",
    response={200: DocumentOut, **ERRORS},
    summary="Withdraw a document from use (its versions are kept)",
)
def document_withdraw(request: HttpRequest, code: str, payload: ReasonIn) -> Document:
    return services.document_withdraw(
        actor=_user(request), document=_document(request, code), reason=payload.reason
    )
