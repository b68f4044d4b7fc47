"""Keeping the dashboards' cells current: a refresh every few minutes, which schedules its own next run (as
the time-limit scan does), so one worker keeps the dashboards fresh with no cron."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from civicpulse.core import clock


@task()
def dashboards_refresh_task() -> list[str]:
    from civicpulse.dashboards.cache import warm
    from civicpulse.dashboards.rollup import refresh

    try:
        months = [f"{month:%Y-%m}" for month in refresh()]
        warm()
        return months
    finally:
        schedule_refresh()


def schedule_refresh(*, now: bool = False) -> bool:
    """Keep one refresh waiting in the queue; True when one was added."""
    pending = DBTaskResult.objects.filter(task_path=dashboards_refresh_task.module_path, status="READY")
    if pending.exists():
        return False
    minutes = 0 if now else int(str(settings.CIVICPULSE["DASHBOARD_REFRESH_MINUTES"]))
    dashboards_refresh_task.using(run_after=clock.now() + timedelta(minutes=minutes)).enqueue()
    return True
