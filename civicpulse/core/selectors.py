from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, covered_paths, unit_filter
from civicpulse.core.models import AuditEvent


def audit_event_list(
    *, user: User | AnonymousUser, target_type: str = "", target_id: str = "", action_prefix: str = ""
) -> QuerySet[AuditEvent]:
    """Audit events on units the user covers for audit.view.

    Events tied to no unit (citizen sign-ups, calendars) belong to the whole installation: only someone who
    covers every top region sees them.
    """
    scope = unit_filter(user, Perm.AUDIT_VIEW)
    covered_roots = {path for path in covered_paths(user, Perm.AUDIT_VIEW) if path.count("/") == 2}
    all_roots = set(OrgUnit.objects.filter(parent__isnull=True).values_list("path", flat=True))
    if covered_roots and covered_roots >= all_roots:
        scope |= Q(unit__isnull=True)
    events = AuditEvent.objects.filter(scope).select_related("actor")
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    return events.order_by("-occurred_at", "-id")
