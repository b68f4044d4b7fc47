"""Catalogue API: public reads of published procedures; staff reads and writes scoped by unit."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, access_staff_member, require_perm
from civicpulse.accounts.selectors import org_unit_by_code
from civicpulse.catalogue import linter, selectors, services
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.catalogue.permissions import access_service, access_version
from civicpulse.catalogue.schemas import (
    ErrorOut,
    LintReportOut,
    ServiceDetailOut,
    ServiceIn,
    ServiceListItem,
    ServicePatch,
    StaffServiceOut,
    TransitionIn,
    VersionIn,
    VersionOut,
)
from civicpulse.core.errors import NotFound, ValidationFailed

router = Router(tags=["catalogue"])
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


class CatalogueFilter(Schema):
    q: str = ""
    unit: str = ""
    power_kind: str = ""
    channel: str = ""
    service_mode: str = ""


def _unit_by_code(code: str) -> OrgUnit:
    try:
        return org_unit_by_code(code=code)
    except NotFound:
        raise ValidationFailed(
            _("Unknown organisation unit: %(codes)s.") % {"codes": code},
            code="unknown_unit",
            detail={"unit": code},
        ) from None


def _public_item(version: ProcedureVersion) -> dict[str, Any]:
    service = version.service
    return {
        "code": service.code,
        "name_zh": service.name_zh,
        "name_en": service.name_en,
        "power_kind": service.power_kind,
        "responsible_unit": service.responsible_unit,
        "version": version,
    }


@router.get("/services", response=list[ServiceListItem], summary="Published services")
@paginate(LimitOffsetPagination)
def service_list(request: HttpRequest, filters: Query[CatalogueFilter]) -> list[dict[str, Any]]:
    unit = _unit_by_code(filters.unit) if filters.unit else None
    versions = selectors.published_version_list(
        q=filters.q,
        unit=unit,
        power_kind=filters.power_kind,
        channel=filters.channel,
        service_mode=filters.service_mode,
    )
    return [_public_item(v) for v in versions]


@router.get(
    "/services/{code}", response={200: ServiceDetailOut, 404: ErrorOut}, summary="A published service guide"
)
def service_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    version = selectors.published_version_get(code=code)
    return _public_item(version)


@router.get(
    "/lint", response={200: LintReportOut, **ERRORS}, auth=django_auth, summary="Duty linter findings"
)
def lint(request: HttpRequest, unit: str = "") -> dict[str, Any]:
    require_perm(request.user, Perm.CATALOGUE_VIEW_DRAFTS)
    services_qs = selectors.staff_service_list(user=request.user, unit=_unit_by_code(unit) if unit else None)
    findings = linter.ordered(selectors.catalogue_lint(services=services_qs))
    totals = linter.tally(findings)
    return {
        "errors": totals["error"],
        "warnings": totals["warning"],
        "findings": [f.as_dict() for f in findings],
    }


@router.get(
    "/manage/services",
    response={200: list[StaffServiceOut], **ERRORS},
    auth=django_auth,
    summary="Services I may work on, with all versions",
)
@paginate(LimitOffsetPagination)
def staff_service_list(request: HttpRequest, q: str = "", status: str = "") -> Any:
    require_perm(request.user, Perm.CATALOGUE_VIEW_DRAFTS)
    return selectors.staff_service_list(user=request.user, q=q, status=status)


@router.post("/manage/services", response={201: StaffServiceOut, **ERRORS}, auth=django_auth)
def service_create(request: HttpRequest, payload: ServiceIn) -> Status[Service]:
    require_perm(request.user, Perm.CATALOGUE_EDIT)
    owner = _owner(request, payload.process_owner_id)
    service = services.service_create(
        actor=_user(request),
        code=payload.code,
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        power_kind=payload.power_kind,
        responsible_unit=_unit_by_code(payload.responsible_unit_code),
        process_owner=owner,
    )
    return Status(201, service)


@router.patch("/manage/services/{code}", response={200: StaffServiceOut, **ERRORS}, auth=django_auth)
def service_update(request: HttpRequest, code: str, payload: ServicePatch) -> Service:
    service = access_service(request.user, code, Perm.CATALOGUE_EDIT)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "responsible_unit_code" in changes:
        changes["responsible_unit"] = _unit_by_code(changes.pop("responsible_unit_code") or "")
    if "process_owner_id" in changes:
        changes["process_owner"] = _owner(request, changes.pop("process_owner_id"))
    return services.service_update(actor=_user(request), service=service, **changes)


@router.get(
    "/manage/services/{code}/versions/{number}", response={200: VersionOut, **ERRORS}, auth=django_auth
)
def version_detail(request: HttpRequest, code: str, number: int) -> ProcedureVersion:
    return selectors.version_with_content(version=access_version(request.user, code, number))


@router.post("/manage/services/{code}/versions", response={201: VersionOut, **ERRORS}, auth=django_auth)
def version_create(request: HttpRequest, code: str, copy_latest: bool = True) -> Status[ProcedureVersion]:
    service = access_service(request.user, code, Perm.CATALOGUE_EDIT)
    version = services.version_create(actor=_user(request), service=service, copy_latest=copy_latest)
    return Status(201, selectors.version_with_content(version=version))


@router.patch(
    "/manage/services/{code}/versions/{number}", response={200: VersionOut, **ERRORS}, auth=django_auth
)
def version_update(request: HttpRequest, code: str, number: int, payload: VersionIn) -> ProcedureVersion:
    version = access_version(request.user, code, number, Perm.CATALOGUE_EDIT)
    data = payload.dict(exclude_unset=True)
    steps = data.pop("steps", None)
    materials = data.pop("materials", None)
    fields = {k: v for k, v in data.items() if v is not None}
    version = services.version_update(
        actor=_user(request),
        version=version,
        fields=fields,
        steps=[services.StepInput(**s) for s in steps] if steps is not None else None,
        materials=[services.MaterialInput(**m) for m in materials] if materials is not None else None,
    )
    return selectors.version_with_content(version=version)


@router.post(
    "/manage/services/{code}/versions/{number}/{action}",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="submit, approve, reject or retire a version",
)
def version_transition(
    request: HttpRequest, code: str, number: int, action: str, payload: TransitionIn | None = None
) -> ProcedureVersion:
    version = access_version(request.user, code, number)
    version = services.version_transition(
        actor=_user(request), version=version, transition=action, reason=payload.reason if payload else ""
    )
    return selectors.version_with_content(version=version)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _owner(request: HttpRequest, owner_id: int | None) -> User | None:
    """The process owner must be staff the caller may manage the catalogue for; others look missing."""
    if owner_id is None:
        return None
    return access_staff_member(request.user, owner_id, Perm.CATALOGUE_EDIT)
