"""The scheme-version life cycle as one table, like a procedure's: anything not listed is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.permissions import Perm
from civicpulse.assessment.enums import SchemeStatus


@dataclass(frozen=True)
class Transition:
    name: str
    source: SchemeStatus
    target: SchemeStatus
    perm: Perm
    label: Promise


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit", SchemeStatus.DRAFT, SchemeStatus.IN_REVIEW, Perm.ASSESSMENT_EDIT, _("Submit for review")
        ),
        Transition(
            "reject", SchemeStatus.IN_REVIEW, SchemeStatus.DRAFT, Perm.ASSESSMENT_APPROVE, _("Send back")
        ),
        Transition(
            "approve",
            SchemeStatus.IN_REVIEW,
            SchemeStatus.PUBLISHED,
            Perm.ASSESSMENT_APPROVE,
            _("Approve and publish"),
        ),
        Transition(
            "retire", SchemeStatus.PUBLISHED, SchemeStatus.RETIRED, Perm.ASSESSMENT_APPROVE, _("Retire")
        ),
    )
}
