"""The worker's side of monthly reports: generate one report by id (enqueued when it is asked for)."""

from __future__ import annotations

from django_tasks import task

from civicpulse.reports import services


@task()
def report_generate(report_id: int) -> str:
    return services.report_generate(report_id=report_id).status
