"""The real task worker (django-tasks, database backend) runs the periodic time-limit scan."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.cases.tasks import schedule_sla_scan, sla_scan_task
from civicpulse.core import clock
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_scan_and_schedules_the_next_one():
    county = factories.county()
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    factories.published_service(county, "SVC-1")
    with clock.frozen(dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)):
        case = cases.case_intake(
            actor=county.window_officer,
            service_code="SVC-1",
            channel="hall",
            window=county.window,
            applicant=cases.Applicant(name="王五", id_number="110101199003071234", phone="13812345678"),
            submitted_positions=[1, 2],
        )
    # Long after the deadline, in real time: the worker process reads the real clock.
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO(), verbosity=0)
    assert Case.objects.get(pk=case.pk).sla_state == "overdue"
    runs = DBTaskResult.objects.filter(task_path=sla_scan_task.module_path)
    assert runs.filter(status="SUCCESSFUL").count() == 1
    waiting = runs.get(status="READY")
    assert waiting.run_after is not None and waiting.run_after > clock.now()
    assert schedule_sla_scan() is False  # one waiting scan is enough
