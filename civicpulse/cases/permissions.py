"""Who may see a case: staff covering its responsible unit or its intake window, and its own applicant."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.cases.models import Case
from civicpulse.core.errors import NotFound


def case_scope(user: User | AnonymousUser | None) -> Q:
    """Cases visible to `user`; nothing for anonymous callers."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    scope = unit_filter(user, Perm.CASE_VIEW, field="responsible_unit") | unit_filter(
        user, Perm.CASE_VIEW, field="window"
    )
    # The assignee of the current step sees the case even from a section below the responsible unit.
    return scope | Q(applicant_id=user.pk) | Q(assignee_id=user.pk)


def access_case(user: User | AnonymousUser | None, number: Any) -> Case:
    try:
        return Case.objects.select_related("service", "version", "responsible_unit", "window").get(
            case_scope(user), number=str(number)
        )
    except Case.DoesNotExist:
        raise NotFound() from None
