"""The demo county's monthly reports for its last complete month, asked for through the services as the
schedule asks for them: the region's and the demo department's, in the installation's language, are
generated at once, so they are there to open as soon as the county is built; the region's in the other
language and every other department's are queued for the worker (`civicpulse serve` starts it), which is
how reports are made every month. A PDF takes about a second to lay out with its Chinese font: two dozen
would add more to the build than the whole quality year."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.core import clock
from civicpulse.reports import services
from civicpulse.reports.enums import CutoffKind, Language
from civicpulse.reports.models import Report


def build(*, now: dt.datetime, department: str = "", generate: bool = True) -> list[Report]:
    """Reports of the month before `now`'s; `department` (a code) is generated at once with the region's.
    The routine cut-off when it has passed by `now`, else the data as it stands at `now`. Queued reports
    are enqueued when the caller's transaction commits; `generate` False queues every report."""
    with clock.frozen(now):
        month = services.previous_month(timezone.localdate(now))
        kind = CutoffKind.ROUTINE if services.routine_cutoff(month) <= now else CutoffKind.CURRENT
        language = services.default_language()
        other = Language.EN if language != Language.EN else Language.ZH_HANS
        units = OrgUnit.objects.filter(
            is_active=True, kind__in=[UnitKind.REGION, UnitKind.DEPARTMENT]
        ).order_by("path")
        reports = []
        for unit in units:
            languages = [language, other] if unit.kind == UnitKind.REGION else [language]
            for each in languages:
                at_once = (
                    generate
                    and each == language
                    and (unit.kind == UnitKind.REGION or unit.code == department)
                )
                report, _new = services.report_request(
                    actor=None, unit=unit, month=month, language=each, cutoff_kind=kind, enqueue=not at_once
                )
                if at_once:
                    report = services.report_generate(report_id=report.pk)
                reports.append(report)
        return reports
