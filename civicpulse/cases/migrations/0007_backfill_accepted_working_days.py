"""Fill the acceptance time and the working days used of the cases taken in before the columns existed.

Outside one transaction and in batches, so a large database keeps serving while it runs: acceptance times
come from the audit trail in one set-based UPDATE, working days from each decided case's own calendar
snapshot (built once per distinct snapshot) and its pauses ended by the decision.
"""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Cast
from django.db.models import CharField
from django.utils import timezone

BATCH = 2000


def backfill(apps, schema_editor):
    import json

    from civicpulse.cases import clocks
    from civicpulse.core.calendars import calendar_from_snapshot
    from civicpulse.core.workdays import local_date

    Case = apps.get_model("cases", "Case")
    CasePause = apps.get_model("cases", "CasePause")
    AuditEvent = apps.get_model("core", "AuditEvent")
    first_acceptance = (
        AuditEvent.objects.filter(
            target_type="cases.case",
            target_id=Cast(OuterRef("pk"), CharField()),
            action__in=["cases.case.accepted", "cases.case.refused"],
        )
        .order_by()
        .values("target_id")
        .annotate(first=Min("occurred_at"))
        .values("first")
    )
    Case.objects.filter(accepted_at__isnull=True).update(accepted_at=Subquery(first_acceptance))

    tz = timezone.get_default_timezone()
    calendars = {}
    pending = Case.objects.filter(decided_at__isnull=False, working_days__isnull=True).order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        pauses = {}
        for p in CasePause.objects.filter(case_id__in=[c.pk for c in batch], ended_at__isnull=False):
            pauses.setdefault(p.case_id, []).append(p)
        for case in batch:
            key = json.dumps(case.calendar, sort_keys=True)
            if key not in calendars:
                calendars[key] = calendar_from_snapshot(case.calendar)
            ended = [
                (local_date(p.started_at, tz), local_date(p.ended_at, tz))
                for p in pauses.get(case.pk, [])
                if p.ended_at <= case.decided_at
            ]
            clock = clocks.Clock(intake_date=case.intake_date, limit_days=case.limit_days, pauses=ended)
            case.working_days = clocks.used_days(calendars[key], clock, local_date(case.decided_at, tz))
        Case.objects.bulk_update(batch, ["working_days"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0006_case_accepted_working_days"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
