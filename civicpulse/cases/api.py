"""Case API: intake, transitions, visits, and case reads scoped to the caller."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth
from ninja.throttling import AnonRateThrottle

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.selectors import org_unit_by_code
from civicpulse.cases import queue, selectors, services
from civicpulse.cases.models import Case, Ticket
from civicpulse.cases.permissions import access_case
from civicpulse.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CaseReceiptOut,
    CaseTrackOut,
    TicketIn,
    TicketOut,
    TrackIn,
    TransitionIn,
    VisitIn,
)
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import NotFound, ValidationFailed

router = Router(tags=["cases"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _window(code: str | None) -> OrgUnit | None:
    if not code:
        return None
    try:
        return org_unit_by_code(code=code)
    except NotFound:
        raise ValidationFailed(
            _("Unknown window: %(code)s.") % {"code": code}, code="unknown_window"
        ) from None


@router.get("", response={200: list[CaseOut], **ERRORS}, summary="Cases I may see, most urgent first")
@paginate(LimitOffsetPagination)
def case_list(request: HttpRequest, status: str = "", sla_state: str = "", service: str = "") -> Any:
    return selectors.case_list(user=request.user, status=status, sla_state=sla_state, service_code=service)


@router.post("", response={201: CaseReceiptOut, **ERRORS}, summary="Receive an application")
def case_intake(request: HttpRequest, payload: CaseIn) -> Status[Case]:
    case = services.case_intake(
        actor=_user(request),
        service_code=payload.service_code,
        channel=payload.channel,
        applicant=services.Applicant(**payload.applicant.dict()),
        submitted_positions=payload.submitted_materials,
        window=_window(payload.window_code),
    )
    return Status(201, case)


@router.get("/{number}", response={200: CaseDetailOut, **ERRORS})
def case_detail(request: HttpRequest, number: str) -> Case:
    return access_case(request.user, number)


@router.post("/{number}/visits", response={201: CaseDetailOut, **ERRORS}, summary="Record an in-person visit")
def visit_record(request: HttpRequest, number: str, payload: VisitIn) -> Status[Case]:
    case = access_case(request.user, number)
    window = _window(payload.window_code)
    assert window is not None
    services.visit_record(actor=_user(request), case=case, kind=payload.kind, window=window)
    return Status(201, access_case(request.user, number))


@router.post("/{number}/{action}", response={200: CaseDetailOut, **ERRORS}, summary="Move a case along")
def case_transition(request: HttpRequest, number: str, action: str, payload: TransitionIn) -> Case:
    case = access_case(request.user, number)
    services.case_transition(
        actor=_user(request),
        case=case,
        transition=action,
        reason=payload.reason,
        missing=payload.missing_materials,
        pause_kind=payload.pause_kind,
    )
    return access_case(request.user, number)


public_router = Router(tags=["cases"])


@public_router.post(
    "/track",
    response={200: CaseTrackOut, 404: ErrorOut, 422: ErrorOut},
    throttle=[AnonRateThrottle(str(settings.CIVICPULSE["TRACKING_RATE"]))],
    summary="Follow a case by its number and verification code",
)
def case_track(request: HttpRequest, payload: TrackIn) -> dict[str, Any]:
    return selectors.case_track_summary(case=selectors.case_track(number=payload.number, code=payload.code))


@public_router.post(
    "/halls/{hall_code}/tickets",
    response={201: TicketOut, 404: ErrorOut, 409: ErrorOut},
    throttle=[AnonRateThrottle(str(settings.CIVICPULSE["KIOSK_RATE"]))],
    summary="Take a queue ticket (kiosk)",
)
def ticket_issue(request: HttpRequest, hall_code: str, payload: TicketIn) -> Status[Ticket]:
    hall = org_unit_by_code(code=hall_code)
    return Status(201, queue.ticket_issue(hall=hall, prefix=payload.prefix))


@public_router.get(
    "/halls/{hall_code}/board",
    response={200: list[TicketOut], 404: ErrorOut},
    summary="Tickets being called or served now (hall screen)",
)
def hall_board(request: HttpRequest, hall_code: str) -> list[Ticket]:
    return queue.hall_board(hall=org_unit_by_code(code=hall_code))


@router.post(
    "/queue/windows/{window_code}/call-next",
    response={200: TicketOut, **ERRORS},
    summary="Call the next waiting ticket to this window",
)
def ticket_call_next(request: HttpRequest, window_code: str) -> Ticket:
    window = _window(window_code)
    assert window is not None
    return queue.ticket_call_next(actor=_user(request), window=window)


@router.post(
    "/queue/tickets/{ticket_id}/{action}",
    response={200: TicketOut, **ERRORS},
    summary="start, finish or no_show",
)
def ticket_act(request: HttpRequest, ticket_id: int, action: str) -> Ticket:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return queue.ticket_act(actor=_user(request), ticket=ticket, action=action)
