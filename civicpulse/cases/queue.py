"""The hall queue (取号叫号): issue a ticket, call the next one to a window, serve, finish or no-show.

Calling locks the oldest waiting ticket (SKIP LOCKED on PostgreSQL, SQLite's single writer otherwise), so
two windows pressing "next" together never get the same person.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.cases.enums import TicketStatus
from civicpulse.cases.models import QueueLine, Ticket
from civicpulse.cases.services import holds_role
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, NotFound, ValidationFailed
from civicpulse.core.workdays import local_date

# Which status each action leaves from, and where it goes.
TICKET_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": ((TicketStatus.CALLED,), TicketStatus.SERVING),
    "finish": ((TicketStatus.SERVING,), TicketStatus.DONE),
    "no_show": ((TicketStatus.CALLED,), TicketStatus.NO_SHOW),
}


def _today() -> dt.date:
    return local_date(clock.now(), timezone.get_default_timezone())


def ticket_issue(*, hall: OrgUnit, prefix: str) -> Ticket:
    """A kiosk or the front desk hands out the next number of a queue; anyone may take one."""
    line = QueueLine.objects.filter(hall=hall, prefix=prefix).first()
    if line is None:
        raise NotFound(_("No such queue in this hall."), code="queue_not_found")
    day = _today()
    try:
        with transaction.atomic():
            # Locking the queue's row makes kiosks draw numbers one after another, never the same one twice.
            QueueLine.objects.select_for_update().filter(pk=line.pk).first()
            last = Ticket.objects.filter(line=line, day=day).aggregate(n=Max("sequence"))["n"] or 0
            return Ticket.objects.create(line=line, day=day, sequence=last + 1, issued_at=clock.now())
    except IntegrityError:  # pragma: no cover - the lock above prevents it; the constraint stays as a guard
        raise Conflict(_("The queue is busy; please try again."), code="queue_busy") from None


def _window_officer(actor: User, window: OrgUnit) -> None:
    if window.kind != UnitKind.WINDOW or not holds_role(actor, frozenset({Role.WINDOW_OFFICER}), [window]):
        raise NotFound()


@transaction.atomic
def ticket_call_next(*, actor: User, window: OrgUnit) -> Ticket:
    _window_officer(actor, window)
    if Ticket.objects.filter(window=window, status__in=[TicketStatus.CALLED, TicketStatus.SERVING]).exists():
        raise Conflict(_("Finish the current ticket at this window first."), code="window_busy")
    waiting = Ticket.objects.filter(line__windows=window, status=TicketStatus.WAITING, day=_today()).order_by(
        "issued_at", "pk"
    )
    if connection.features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True, of=("self",))
    ticket = waiting.first()
    if ticket is None:
        raise Conflict(_("Nobody is waiting for this window."), code="queue_empty")
    ticket.status = TicketStatus.CALLED
    ticket.window = window
    ticket.officer = actor
    ticket.called_at = clock.now()
    ticket.save(update_fields=["status", "window", "officer", "called_at"])
    return ticket


@transaction.atomic
def ticket_act(*, actor: User, ticket: Ticket, action: str) -> Ticket:
    if action not in TICKET_ACTIONS:
        raise ValidationFailed(
            _("Unknown action %(action)s.") % {"action": action}, code="unknown_transition"
        )
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("window", "line").get(pk=ticket.pk)
    if ticket.window is None:
        raise Conflict(_("This ticket has not been called yet."), code="transition_not_allowed")
    _window_officer(actor, ticket.window)
    sources, target = TICKET_ACTIONS[action]
    if ticket.status not in sources:
        raise Conflict(_("This ticket cannot do that now."), code="transition_not_allowed")
    now = clock.now()
    if action == "start":
        ticket.served_at = now
    else:
        ticket.finished_at = now
    ticket.status = target
    ticket.save(update_fields=["status", "served_at", "finished_at"])
    return ticket


def hall_board(*, hall: OrgUnit) -> list[Ticket]:
    """What the hall screen shows: today's tickets being called or served, newest call first."""
    return list(
        Ticket.objects.filter(
            line__hall=hall, day=_today(), status__in=[TicketStatus.CALLED, TicketStatus.SERVING]
        )
        .select_related("line", "window")
        .order_by("-called_at")[:12]
    )
