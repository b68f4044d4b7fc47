"""Loaders for catalogue objects by id: 404 for missing and forbidden alike."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.core.errors import NotFound


def access_service(
    user: User | AnonymousUser | None, code: str, perm: Perm = Perm.CATALOGUE_VIEW_DRAFTS
) -> Service:
    """A service the user may work on: `perm` over its responsible unit."""
    try:
        service = Service.objects.select_related("responsible_unit", "process_owner").get(code=code)
    except Service.DoesNotExist:
        raise NotFound() from None
    if not has_perm_on_unit(user, perm, service.responsible_unit):
        raise NotFound()
    return service


def access_version(
    user: User | AnonymousUser | None, code: str, number: Any, perm: Perm = Perm.CATALOGUE_VIEW_DRAFTS
) -> ProcedureVersion:
    """A procedure version. Published and retired versions are public; drafts need `perm` over the unit."""
    try:
        version = ProcedureVersion.objects.select_related(
            "service", "service__responsible_unit", "service__process_owner", "author", "approver"
        ).get(service__code=code, number=int(number))
    except (ProcedureVersion.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    public = (
        version.status in (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
        and perm == Perm.CATALOGUE_VIEW_DRAFTS
    )
    if not public and not has_perm_on_unit(user, perm, version.service.responsible_unit):
        raise NotFound()
    return version
