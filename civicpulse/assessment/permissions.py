"""Who sees which assessment results: the rows of units (or staff) in a subtree the user holds
`Perm.ASSESSMENT_VIEW` over, and always their own staff row.

Leaders, supervisors, quality officers and administrators hold the permission over the units they oversee
(the region, for the county-wide roles), so they see every row there; a department head holds it over
their department, so they see that department's rows ("my assessment") and nothing of their peers.
Loading by id answers NotFound for missing and forbidden alike, so run and subject ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.assessment.models import Run, RunSubject
from civicpulse.core.errors import NotFound


def subject_scope(user: User | AnonymousUser | None, prefix: str = "") -> Q:
    """A Q over RunSubject (or over `<prefix>__` from a related model) keeping the rows `user` may see."""
    lead = f"{prefix}__" if prefix else ""
    q = unit_filter(user, Perm.ASSESSMENT_VIEW, f"{lead}unit") | unit_filter(
        user, Perm.ASSESSMENT_VIEW, f"{lead}staff__org_unit"
    )
    if isinstance(user, User) and user.is_authenticated:
        q |= Q(**{f"{lead}staff": user})
    return q


def access_run(user: User | AnonymousUser | None, run_id: Any) -> Run:
    """A run with at least one row the user may see."""
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    run = Run.objects.select_related("version__scheme").filter(pk=pk).first()
    if run is None or not RunSubject.objects.filter(subject_scope(user), run=run).exists():
        raise NotFound()
    return run


def access_run_subject(user: User | AnonymousUser | None, run_id: Any, subject_id: Any) -> RunSubject:
    """One row of a run (a unit or a staff member) that the user may see."""
    try:
        run_pk, subject_pk = int(run_id), int(subject_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    subject = (
        RunSubject.objects.select_related("run__version__scheme", "unit", "staff")
        .filter(subject_scope(user), pk=subject_pk, run_id=run_pk)
        .first()
    )
    if subject is None:
        raise NotFound()
    return subject
