"""Organisation API: units and staff, scoped to the subtrees the caller's roles cover."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from civicpulse.accounts import selectors
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, access_org_unit, access_staff_member, require_perm
from civicpulse.accounts.schemas import OrgUnitOut, StaffOut
from civicpulse.catalogue.schemas import ErrorOut

router = Router(tags=["organisation"])
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404): ErrorOut}


@router.get("/units", response={200: list[OrgUnitOut], **ERRORS})
@paginate(LimitOffsetPagination)
def unit_list(request: HttpRequest, kind: str = "") -> Any:
    require_perm(request.user, Perm.ORG_VIEW)
    return selectors.org_unit_list(user=request.user, kind=kind or None)


@router.get("/units/{unit_id}", response={200: OrgUnitOut, **ERRORS})
def unit_detail(request: HttpRequest, unit_id: int) -> OrgUnit:
    return access_org_unit(request.user, unit_id)


@router.get("/staff", response={200: list[StaffOut], **ERRORS})
@paginate(LimitOffsetPagination)
def staff_list(request: HttpRequest, unit_id: int | None = None) -> Any:
    require_perm(request.user, Perm.ORG_VIEW)
    unit = access_org_unit(request.user, unit_id) if unit_id is not None else None
    return selectors.staff_list(user=request.user, unit=unit)


@router.get("/staff/{user_id}", response={200: StaffOut, **ERRORS})
def staff_detail(request: HttpRequest, user_id: int) -> User:
    return access_staff_member(request.user, user_id)
