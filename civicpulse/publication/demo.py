"""The demo county's published results: the quality office publishes each of the last complete months of the
history, and the last whole quarter, a few days after it ends (never after the demo's "now"), through the
publishing service, so the public pages and the open data have something to show."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, RoleAssignment
from civicpulse.core import clock
from civicpulse.publication import services
from civicpulse.publication.compute import bounds, complete_periods
from civicpulse.publication.models import PublishedPeriod

MONTHS = 3
# Days after a period's end when the office publishes it: ratings and rectifications of its last days
# have come in by then.
PUBLISH_AFTER_DAYS = 8
# A county of 500 cases in half a year has a few dozen ratings per department a quarter: a real one uses the
# library's minimum (30), the demo ranks from the suppression threshold up so the pages have rankings.
DEMO_MIN_SAMPLE = 10


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), timezone.get_default_timezone())


def build(*, start: dt.date, now: dt.datetime) -> list[PublishedPeriod]:
    """Publish the last complete months and quarter lying wholly within [start, now) that are not
    published yet (running it twice publishes nothing more)."""
    office = (
        RoleAssignment.objects.filter(role=Role.QUALITY_OFFICER, unit__parent__isnull=True)
        .select_related("user", "unit")
        .order_by("user__username")
        .first()
    )
    if office is None:
        return []
    region: OrgUnit = office.unit
    today = timezone.localdate(now)
    live = set(PublishedPeriod.objects.filter(scope=region, status="live").values_list("label", flat=True))
    labels = [p for p in complete_periods(today, months=MONTHS, quarters=1, years=0) if p not in live]
    plan = []
    for label in labels:
        _kind, first, last = bounds(label)
        moment = min(_at(last + dt.timedelta(days=PUBLISH_AFTER_DAYS)), now - dt.timedelta(hours=1))
        if first >= start and moment.date() > last:
            plan.append((moment, label))
    published = []
    for moment, label in sorted(plan):
        with clock.frozen(moment):
            published.append(
                services.period_publish(
                    actor=office.user, scope=region, period=label, min_sample=DEMO_MIN_SAMPLE
                )
            )
    return published
