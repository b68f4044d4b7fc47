"""The periodic time-driven work, run by the task worker: case time limits, rectification deadlines, the
invitations to rate, routine assessment runs and the quality system's rules and checks. One task keeps it
simple to run without cron: it schedules its own next run."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from civicpulse.cases import services
from civicpulse.core import clock


@task()
def sla_scan_task() -> dict[str, int]:
    from civicpulse.assessment.services import routine_runs
    from civicpulse.evaluations.services import invitations_send
    from civicpulse.exchange.services import exchange_scan
    from civicpulse.quality.services import quality_scan
    from civicpulse.rectification.services import rectification_scan
    from civicpulse.reports.services import reports_routine

    try:
        result = services.sla_scan()
        result.update({f"rectification_{k}": v for k, v in rectification_scan().items()})
        result["invitations"] = invitations_send()
        result["assessment_runs"] = len(routine_runs())
        result.update({f"quality_{k}": v for k, v in quality_scan().items()})
        result["exchange_batches"] = len(exchange_scan())
        result["monthly_reports"] = len(reports_routine())
        return result
    finally:
        # The scan schedules its own next run, so one worker keeps it going with no cron.
        schedule_sla_scan()


def schedule_sla_scan(*, now: bool = False) -> bool:
    """Keep one scan waiting in the queue; True when one was added (a duplicate would only scan twice)."""
    pending = DBTaskResult.objects.filter(task_path=sla_scan_task.module_path, status="READY")
    if pending.exists():
        return False
    minutes = 0 if now else int(str(settings.CIVICPULSE["SLA_SCAN_EVERY_MINUTES"]))
    sla_scan_task.using(run_after=clock.now() + timedelta(minutes=minutes)).enqueue()
    return True
