"""The case state machine as one table: the allowed edges and who may take each. Anything else is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role
from civicpulse.cases.enums import OPEN_STATUSES, CaseStatus

_HANDLERS = frozenset({Role.APPROVER, Role.DEPARTMENT_HEAD})
_FRONT_DESK = frozenset({Role.WINDOW_OFFICER, Role.DEPARTMENT_HEAD})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[CaseStatus, ...]
    target: CaseStatus
    roles: frozenset[Role]
    label: Promise
    past: str  # the audit action is cases.case.<past>
    needs_reason: bool = False
    applicant_may: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "accept",
            (CaseStatus.SUBMITTED,),
            CaseStatus.IN_PROGRESS,
            _FRONT_DESK | _HANDLERS,
            _("Accept"),
            "accepted",
        ),
        Transition(
            "refuse",
            (CaseStatus.SUBMITTED,),
            CaseStatus.REFUSED,
            _FRONT_DESK | _HANDLERS,
            _("Refuse at intake"),
            "refused",
            needs_reason=True,
        ),
        Transition(
            "advance",
            (CaseStatus.IN_PROGRESS,),
            CaseStatus.IN_PROGRESS,
            _HANDLERS,
            _("Pass to the next step"),
            "advanced",
        ),
        Transition(
            "request_supplement",
            (CaseStatus.IN_PROGRESS,),
            CaseStatus.PAUSED,
            _FRONT_DESK | _HANDLERS,
            _("Request missing materials"),
            "supplement_requested",
        ),
        Transition(
            "pause",
            (CaseStatus.IN_PROGRESS,),
            CaseStatus.PAUSED,
            _HANDLERS,
            _("Pause the clock"),
            "paused",
            needs_reason=True,
        ),
        Transition(
            "resume",
            (CaseStatus.PAUSED,),
            CaseStatus.IN_PROGRESS,
            _FRONT_DESK | _HANDLERS,
            _("Resume"),
            "resumed",
        ),
        Transition(
            "approve", (CaseStatus.IN_PROGRESS,), CaseStatus.DECIDED, _HANDLERS, _("Approve"), "approved"
        ),
        Transition(
            "deny",
            (CaseStatus.IN_PROGRESS,),
            CaseStatus.DECIDED,
            _HANDLERS,
            _("Deny"),
            "denied",
            needs_reason=True,
        ),
        Transition(
            "deliver",
            (CaseStatus.DECIDED,),
            CaseStatus.DELIVERED,
            _FRONT_DESK | _HANDLERS,
            _("Deliver the result"),
            "delivered",
        ),
        Transition(
            "close",
            (CaseStatus.DELIVERED, CaseStatus.REFUSED),
            CaseStatus.CLOSED,
            _FRONT_DESK,
            _("Close"),
            "closed",
        ),
        Transition(
            "withdraw",
            OPEN_STATUSES,
            CaseStatus.WITHDRAWN,
            _FRONT_DESK,
            _("Withdraw"),
            "withdrawn",
            applicant_may=True,
        ),
    )
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
