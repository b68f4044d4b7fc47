"""The procedure-version life cycle as one table: anything not listed here is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.permissions import Perm
from civicpulse.catalogue.enums import VersionStatus


@dataclass(frozen=True)
class Transition:
    name: str
    source: VersionStatus
    target: VersionStatus
    perm: Perm
    label: Promise
    runs_linter: bool


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            VersionStatus.DRAFT,
            VersionStatus.IN_REVIEW,
            Perm.CATALOGUE_EDIT,
            _("Submit for review"),
            True,
        ),
        Transition(
            "reject",
            VersionStatus.IN_REVIEW,
            VersionStatus.DRAFT,
            Perm.CATALOGUE_APPROVE,
            _("Send back"),
            False,
        ),
        Transition(
            "approve",
            VersionStatus.IN_REVIEW,
            VersionStatus.PUBLISHED,
            Perm.CATALOGUE_APPROVE,
            _("Approve and publish"),
            True,
        ),
        Transition(
            "retire",
            VersionStatus.PUBLISHED,
            VersionStatus.RETIRED,
            Perm.CATALOGUE_APPROVE,
            _("Retire"),
            False,
        ),
    )
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if t.source == status]
