"""The worker's side of upward reporting: writing a requested batch."""

from __future__ import annotations

from django_tasks import task

from civicpulse.exchange import services


@task()
def export_batch_task(batch_id: int) -> dict[str, object]:
    batch = services.batch_run(batch_id=batch_id)
    return {"batch": batch.pk, "status": batch.status, "records": batch.record_count}
