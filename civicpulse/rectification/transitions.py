"""The rectification order's state machine as one table: the allowed edges and who may take each.

Anything else is refused. Edges marked `by` other than "roles" are taken by the services that own them:
the appeal is filed by the staff member who served or a head of the unit (`appeal_file`), decided by a
reviewer outside the appellant's unit (`appeal_decide`), and a dissatisfied rating escalates by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role
from civicpulse.accounts.permissions import ROLE_PERMISSIONS, Perm
from civicpulse.rectification.enums import Finding, OrderStatus

# The unit that served answers the review: its heads, approvers, window officers and quality officers.
_UNIT = ROLE_PERMISSIONS[Perm.RECTIFY]
# Judging the review and closing the file is not left to the person who was rated.
_UNIT_LEADS = frozenset({Role.DEPARTMENT_HEAD, Role.QUALITY_OFFICER})
_SUPERVISORS = frozenset({Role.SUPERVISOR})
_REVIEWERS = ROLE_PERMISSIONS[Perm.APPEAL_DECIDE]

By = Literal["roles", "appellant", "reviewer", "system"]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[OrderStatus, ...]
    target: OrderStatus
    roles: frozenset[Role]
    label: Promise
    past: str  # the audit action is rectification.order.<past> (rectification.appeal.<past> for appeals)
    # When the source is `verified`: which findings allow the edge (empty: any).
    findings: tuple[Finding, ...] = ()
    by: By = "roles"
    needs_reason: bool = False
    # The citizen who rated may record their own rating of the rectification (portal or link).
    applicant_may: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "contact",
            (OrderStatus.OPEN,),
            OrderStatus.CONTACTED,
            _UNIT,
            _("Record the call with the citizen"),
            "contacted",
        ),
        Transition(
            "verify",
            (OrderStatus.CONTACTED, OrderStatus.VERIFIED),
            OrderStatus.VERIFIED,
            _UNIT_LEADS,
            _("Record the finding"),
            "verified",
        ),
        Transition(
            "act",
            (OrderStatus.VERIFIED,),
            OrderStatus.ACTED,
            _UNIT,
            _("Record the rectification"),
            "acted",
            findings=(Finding.VALID,),
        ),
        Transition(
            "answer",
            (OrderStatus.ACTED,),
            OrderStatus.ANSWERED,
            _UNIT,
            _("Record the answer to the citizen"),
            "answered",
        ),
        Transition(
            "rate",
            (OrderStatus.ANSWERED,),
            OrderStatus.RATED,
            frozenset({Role.QUALITY_OFFICER}),
            _("Record the citizen's rating of the rectification"),
            "rated",
            applicant_may=True,
        ),
        Transition(
            "escalate",
            (OrderStatus.RATED,),
            OrderStatus.ESCALATED,
            frozenset(),
            _("Escalate to the supervisor"),
            "escalated",
            by="system",
        ),
        Transition("close", (OrderStatus.RATED,), OrderStatus.CLOSED, _UNIT_LEADS, _("Close"), "closed"),
        Transition(
            "reopen",
            (OrderStatus.ESCALATED,),
            OrderStatus.VERIFIED,
            _SUPERVISORS,
            _("Reopen: the unit must act again"),
            "reopened",
            needs_reason=True,
        ),
        Transition(
            "close_escalated",
            (OrderStatus.ESCALATED,),
            OrderStatus.CLOSED,
            _SUPERVISORS,
            _("Close with a reason"),
            "closed_by_supervisor",
            needs_reason=True,
        ),
        Transition(
            "appeal",
            (OrderStatus.VERIFIED,),
            OrderStatus.APPEALED,
            frozenset({Role.DEPARTMENT_HEAD}),
            _("Appeal the review"),
            "filed",
            findings=(Finding.MISTAKEN, Finding.MALICIOUS),
            by="appellant",
        ),
        Transition(
            "uphold",
            (OrderStatus.APPEALED,),
            OrderStatus.UPHELD,
            _REVIEWERS,
            _("Uphold the appeal"),
            "upheld",
            by="reviewer",
            needs_reason=True,
        ),
        Transition(
            "reject",
            (OrderStatus.APPEALED,),
            OrderStatus.VERIFIED,
            _REVIEWERS,
            _("Reject the appeal"),
            "rejected",
            by="reviewer",
            needs_reason=True,
        ),
        Transition(
            "answer_and_close",
            (OrderStatus.UPHELD,),
            OrderStatus.CLOSED,
            _UNIT,
            _("Answer the citizen and close"),
            "closed_after_appeal",
        ),
    )
}


def allows(rule: Transition, status: str, finding: str) -> bool:
    """Whether `rule` leaves an order in `status` with `finding` (the table's sources and findings)."""
    if status not in rule.sources:
        return False
    return not (status == OrderStatus.VERIFIED and rule.findings and finding not in rule.findings)


def transitions_from(status: str, finding: str = "") -> list[Transition]:
    return [t for t in TRANSITIONS.values() if allows(t, status, finding)]
