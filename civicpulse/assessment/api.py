"""Assessment API: the indicator library, scheme authoring with live validation, runs, the payroll export."""

import csv
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import django_auth

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.assessment import indicators as lib
from civicpulse.assessment import services
from civicpulse.assessment.enums import SchemeStatus
from civicpulse.assessment.models import Adjustment, ReviewRequest, Run, RunSubject, Scheme, SchemeVersion
from civicpulse.assessment.permissions import access_run, access_run_subject, subject_scope
from civicpulse.assessment.schemas import (
    AdjustmentIn,
    AdjustmentItemsIn,
    AdjustmentOut,
    CalibrateIn,
    IndicatorOut,
    ItemsIn,
    ProblemsOut,
    ReviewAnswerIn,
    ReviewIn,
    ReviewOut,
    RunIn,
    RunOut,
    SubjectDetailOut,
    SubjectOut,
    VersionOut,
    WithdrawIn,
)
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import Forbidden, NotFound

router = Router(tags=["assessment"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _version(version_id: int) -> SchemeVersion:
    version = SchemeVersion.objects.select_related("scheme").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    return version


def _run(request: HttpRequest, run_id: int) -> Run:
    """A run with at least one row the user may see (NotFound otherwise, like a missing one)."""
    require_perm(request.user, Perm.ASSESSMENT_VIEW)
    return access_run(request.user, run_id)


def _items(payload: ItemsIn) -> list[services.ItemInput]:
    return [services.ItemInput(**item.dict()) for item in payload.items]


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator library")
def indicator_list(request: HttpRequest) -> Any:
    return sorted(lib.INDICATORS.values(), key=lambda i: i.code)


@router.post("/schemes/{code}/versions", response={201: VersionOut, **ERRORS}, summary="Start a draft")
def version_draft(request: HttpRequest, code: str) -> Status[SchemeVersion]:
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise NotFound()
    return Status(201, services.scheme_version_draft(actor=_user(request), scheme=scheme))


@router.post("/versions/{version_id}/check", response={200: ProblemsOut, **ERRORS}, summary="Live validation")
def version_check(request: HttpRequest, version_id: int, payload: ItemsIn) -> dict[str, list[str]]:
    require_perm(request.user, Perm.ASSESSMENT_EDIT)
    return {"problems": services.scheme_items_check(_items(payload))}


@router.put(
    "/versions/{version_id}/items", response={200: VersionOut, **ERRORS}, summary="Set the weight tables"
)
def version_items(request: HttpRequest, version_id: int, payload: ItemsIn) -> SchemeVersion:
    return services.scheme_items_set(
        actor=_user(request), version=_version(version_id), items=_items(payload)
    )


@router.post("/versions/{version_id}/{action}", response={200: VersionOut, **ERRORS})
def version_transition(request: HttpRequest, version_id: int, action: str) -> SchemeVersion:
    return services.scheme_version_transition(
        actor=_user(request), version=_version(version_id), transition=action
    )


@router.get("/runs", response={200: list[RunOut], **ERRORS})
def run_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.ASSESSMENT_VIEW)
    return Run.objects.select_related("version__scheme").order_by("-period", "-pk")[:200]


@router.post("/runs", response={201: RunOut, **ERRORS}, summary="Compute a run")
def run_create(request: HttpRequest, payload: RunIn) -> Status[Run]:
    require_perm(request.user, Perm.ASSESSMENT_EDIT)
    version = SchemeVersion.objects.filter(scheme__code=payload.scheme, status=SchemeStatus.PUBLISHED).first()
    if version is None:
        raise NotFound()
    run = services.run_compute(
        actor=_user(request), version=version, period=payload.period, cutoff=payload.cutoff
    )
    return Status(201, run)


@router.post("/runs/{run_id}/finalize", response={200: RunOut, **ERRORS}, summary="Lock a run")
def run_finalize(request: HttpRequest, run_id: int) -> Run:
    return services.run_finalize(actor=_user(request), run=_run(request, run_id))


@router.get("/runs/{run_id}/export.xlsx", summary="Grades and incentive coefficients for payroll (XLSX)")
def run_export_xlsx(request: HttpRequest, run_id: int) -> HttpResponse:
    import xlsxwriter

    run = _run(request, run_id)
    buffer = io.BytesIO()
    # In memory: a run has at most a few thousand rows, and nothing is left on disk.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(run.period)
    bold = workbook.add_format({"bold": True})
    rows = services.run_export_rows(run=run, user=_user(request))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            number = r > 0 and c in (3, 4, 6) and value != ""
            sheet.write(r, c, float(value) if number else value, bold if r == 0 else None)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 6, 16)
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{run.period}-{run.pk}.xlsx"'
    return response


@router.get("/runs/{run_id}/export.csv", summary="Grades and incentive coefficients for payroll (CSV)")
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheet programs read UTF-8 by its byte-order mark
    csv.writer(buffer).writerows(services.run_export_rows(run=run, user=_user(request)))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{run.period}-{run.pk}.csv"'
    return response


@router.post(
    "/runs/{run_id}/subjects/{subject_id}/review-requests",
    response={201: ReviewOut, **ERRORS},
    summary="Ask for a review of a result",
)
def review_request(
    request: HttpRequest, run_id: int, subject_id: int, payload: ReviewIn
) -> Status[ReviewRequest]:
    subject = RunSubject.objects.filter(pk=subject_id, run_id=run_id).first()
    if subject is None:
        raise NotFound()
    return Status(201, services.review_request(actor=_user(request), subject=subject, reason=payload.reason))


@router.get(
    "/review-requests", response={200: list[ReviewOut], **ERRORS}, summary="Review requests to answer"
)
def review_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.ASSESSMENT_APPROVE)
    return (
        ReviewRequest.objects.filter(subject_scope(request.user, "subject"), status="pending")
        .select_related("subject")
        .order_by("answer_due", "pk")
    )


@router.post("/review-requests/{request_id}/answer", response={200: ReviewOut, **ERRORS})
def review_answer(request: HttpRequest, request_id: int, payload: ReviewAnswerIn) -> ReviewRequest:
    review = ReviewRequest.objects.filter(pk=request_id).first()
    if review is None:
        raise NotFound()
    return services.review_answer(
        actor=_user(request), request=review, correct=payload.correct, answer=payload.answer
    )


@router.put(
    "/versions/{version_id}/adjustment-items",
    response={200: VersionOut, **ERRORS},
    summary="Set the bonus and penalty items",
)
def version_adjustment_items(
    request: HttpRequest, version_id: int, payload: AdjustmentItemsIn
) -> SchemeVersion:
    return services.scheme_adjustment_items_set(
        actor=_user(request), version=_version(version_id), items=[i.dict() for i in payload.items]
    )


@router.get("/runs/{run_id}/subjects", response={200: list[SubjectOut], **ERRORS}, summary="A run's rows")
def run_subjects(request: HttpRequest, run_id: int) -> Any:
    run = access_run(request.user, run_id)
    return (
        RunSubject.objects.filter(subject_scope(request.user), run=run)
        .select_related("unit", "staff")
        .order_by("group", "rank", "pk")
    )


@router.get(
    "/runs/{run_id}/subjects/{subject_id}",
    response={200: SubjectDetailOut, **ERRORS},
    summary="One row with every indicator and the records behind it",
)
def run_subject(request: HttpRequest, run_id: int, subject_id: int) -> RunSubject:
    return access_run_subject(request.user, run_id, subject_id)


@router.post("/runs/{run_id}/calibrate", response={200: RunOut, **ERRORS}, summary="Move grades")
def run_calibrate(request: HttpRequest, run_id: int, payload: CalibrateIn) -> Run:
    run = _run(request, run_id)
    moves = [services.Move(subject_id=m.subject, grade=m.grade, reason=m.reason) for m in payload.moves]
    return services.run_calibrate(actor=_user(request), run=run, moves=moves)


@router.get("/adjustments", response={200: list[AdjustmentOut], **ERRORS}, summary="Bonus and penalty items")
def adjustment_list(request: HttpRequest, scheme: str | None = None) -> Any:
    # Scoped like results: the units and staff the user oversees, and their own items; staff only.
    if _user(request).kind != UserKind.STAFF:
        raise Forbidden(_("You do not have access to this."), code="forbidden")
    rows = Adjustment.objects.filter(subject_scope(request.user)).select_related("scheme", "unit", "staff")
    if scheme:
        rows = rows.filter(scheme__code=scheme)
    return rows.order_by("-occurred_on", "-pk")[:500]


@router.post("/adjustments", response={201: AdjustmentOut, **ERRORS}, summary="Record a bonus or penalty")
def adjustment_create(request: HttpRequest, payload: AdjustmentIn) -> Status[Adjustment]:
    scheme = Scheme.objects.filter(code=payload.scheme).first()
    if scheme is None:
        raise NotFound()
    unit = OrgUnit.objects.filter(code=payload.unit).first() if payload.unit else None
    staff = User.objects.filter(employee_number=payload.staff).first() if payload.staff else None
    if (payload.unit and unit is None) or (payload.staff and staff is None):
        raise NotFound()
    entry = services.adjustment_record(
        actor=_user(request),
        scheme=scheme,
        code=payload.code,
        occurred_on=payload.occurred_on,
        reason=payload.reason,
        evidence=payload.evidence,
        unit=unit,
        staff=staff,
    )
    return Status(201, entry)


@router.post("/adjustments/{adjustment_id}/withdraw", response={200: AdjustmentOut, **ERRORS})
def adjustment_withdraw(request: HttpRequest, adjustment_id: int, payload: WithdrawIn) -> Adjustment:
    entry = Adjustment.objects.filter(pk=adjustment_id).first()
    if entry is None:
        raise NotFound()
    return services.adjustment_withdraw(actor=_user(request), adjustment=entry, reason=payload.reason)
