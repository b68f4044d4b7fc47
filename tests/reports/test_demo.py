"""The demo's reports: the region's and one department's made at once, the others (the region's in the other
language too) queued for the worker; the routine cut-off once it has passed, else the data as it stands."""

from __future__ import annotations

import pytest

from civicpulse.reports import demo, render
from tests.assessment.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdf(monkeypatch):
    monkeypatch.setattr(render, "pdf", lambda html: b"%PDF-1.7 stand-in")


def test_the_region_and_the_named_department_are_made_and_the_rest_queued(november):
    made = demo.build(now=at("2025-12-08", 9), department="dept-a")
    found = sorted((r.unit.code, r.language, r.cutoff_kind, r.status, r.requested_by_id) for r in made)
    assert found == [
        ("county", "en", "routine", "queued", None),
        ("county", "zh-hans", "routine", "done", None),
        ("dept-a", "zh-hans", "routine", "done", None),
        ("dept-b", "zh-hans", "routine", "queued", None),
    ]


def test_before_the_routine_cut_off_the_demo_reports_the_data_as_it_stands(november):
    now = at("2025-12-01", 9)
    made = demo.build(now=now)
    assert {(r.month, r.cutoff_kind, r.cutoff) for r in made} == {("2025-11", "current", now)}


def test_the_demo_can_leave_every_report_to_the_worker(november):
    made = demo.build(now=at("2025-12-08", 9), department="dept-a", generate=False)
    assert {r.status for r in made} == {"queued"} and len(made) == 4
