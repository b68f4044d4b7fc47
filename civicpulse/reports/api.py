"""Reports API: the reports a user may see, asking for one (idempotent), one report with its figures, and
its PDF and spreadsheet."""

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import ValidationFailed
from civicpulse.reports import selectors, services
from civicpulse.reports.enums import FileKind
from civicpulse.reports.models import Report
from civicpulse.reports.schemas import ReportDetailOut, ReportIn, ReportOut
from civicpulse.reports.views import file_response

router = Router(tags=["reports"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get("", response={200: list[ReportOut], **ERRORS}, summary="Monthly reports I may see")
@paginate(LimitOffsetPagination)
def report_list(
    request: HttpRequest, month: str = "", unit: str = "", status: str = "", language: str = ""
) -> Any:
    require_perm(request.user, Perm.REPORT_VIEW)
    return selectors.report_list(user=request.user, month=month, unit=unit, status=status, language=language)


@router.post(
    "",
    response={200: ReportOut, 201: ReportOut, **ERRORS},
    summary="Ask for a monthly report (201: queued now; 200: the same report, already waiting or running)",
)
def report_request(request: HttpRequest, payload: ReportIn) -> Status[Report]:
    unit = OrgUnit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise ValidationFailed(_("There is no unit %(code)s.") % {"code": payload.unit}, code="unknown_unit")
    report, created = services.report_request(
        actor=_user(request),
        unit=unit,
        month=payload.month,
        language=payload.language,
        cutoff_kind=payload.cutoff_kind,
    )
    return Status(201 if created else 200, selectors.access_report(request.user, report.pk))


@router.get("/{report_id}", response={200: ReportDetailOut, **ERRORS}, summary="One report with its figures")
def report_get(request: HttpRequest, report_id: int) -> Report:
    return selectors.access_report(request.user, report_id)


@router.get("/{report_id}/pdf", url_name="report_pdf", summary="The report as PDF")
def report_pdf(request: HttpRequest, report_id: int) -> FileResponse:
    report = services.report_download(user=_user(request), report_id=report_id, kind=FileKind.PDF)
    return file_response(report, FileKind.PDF)


@router.get("/{report_id}/xlsx", url_name="report_xlsx", summary="The report's figures as a spreadsheet")
def report_xlsx(request: HttpRequest, report_id: int) -> FileResponse:
    report = services.report_download(user=_user(request), report_id=report_id, kind=FileKind.XLSX)
    return file_response(report, FileKind.XLSX)
