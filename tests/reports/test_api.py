"""The reports API: scoped lists, an idempotent request, one report with its figures, downloads checked and
logged like the pages'."""

from __future__ import annotations

import hashlib

import pytest

from civicpulse.core import clock
from civicpulse.core.models import AuditEvent
from civicpulse.reports import services
from civicpulse.reports.models import Report
from tests.reports.conftest import AFTER

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports"


@pytest.mark.parametrize(
    ("user", "units"),
    [
        ("leader", ["county", "dept-a", "dept-a-1", "dept-b"]),
        ("head_a", ["dept-a", "dept-a-1"]),
        ("head_b", ["dept-b"]),
        ("quality_a", ["dept-a", "dept-a-1"]),
    ],
)
def test_the_list_holds_the_reports_of_the_units_the_user_covers(reports, client_for, user, units):
    response = client_for(getattr(reports, user)).get(URL)
    assert response.status_code == 200
    assert sorted(item["unit"] for item in response.json()["items"]) == units


def test_a_window_officer_and_a_citizen_see_no_reports(reports, client_for):
    assert client_for(reports.window_officer).get(URL).status_code == 403
    assert client_for(reports.citizen).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 401
    report = reports.reports["dept_a"]
    assert client_for(reports.window_officer).get(f"{URL}/{report.pk}").status_code == 404
    assert client_for(reports.head_b).get(f"{URL}/{report.pk}").status_code == 404


def test_the_list_filters_by_month_unit_status_and_language(reports, client_for):
    leader = client_for(reports.leader)

    def units(query: str) -> list[str]:
        return sorted(item["unit"] for item in leader.get(f"{URL}?{query}").json()["items"])

    assert units("unit=dept-a") == ["dept-a"]
    assert units("status=queued") == ["dept-a-1"]
    assert units("month=2025-10") == []
    assert units("language=en&status=done") == ["county", "dept-a", "dept-b"]


def test_one_report_comes_with_its_figures_and_file_links(reports, client_for):
    report = reports.reports["dept_a"]
    body = client_for(reports.head_a).get(f"{URL}/{report.pk}").json()
    assert (body["unit"], body["month"], body["status"], body["live"], body["digest"]) == (
        "dept-a",
        "2025-11",
        "done",
        True,
        report.digest,
    )
    assert body["figures"]["headline"]["good_review_rate"]["value"] == 0.5
    assert body["pdf_url"] == f"{URL}/{report.pk}/pdf" and body["xlsx_url"] == f"{URL}/{report.pk}/xlsx"
    assert body["requested_by"] is None


@pytest.mark.parametrize(("kind", "content_type"), [("pdf", "application/pdf"), ("xlsx", "spreadsheetml")])
def test_a_download_is_the_stored_file_and_is_logged(reports, client_for, kind, content_type):
    report = reports.reports["dept_a"]
    response = client_for(reports.head_a).get(f"{URL}/{report.pk}/{kind}")
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and content_type in response["Content-Type"]
    assert (
        "attachment" in response["Content-Disposition"]
        and f"dept-a-2025-11-en-v1.{kind}" in response["Content-Disposition"]
    )
    assert hashlib.sha256(content).hexdigest() == response["X-Content-SHA256"]
    event = AuditEvent.objects.get(action="reports.report.downloaded")
    assert (event.actor, event.target_id, event.data["format"]) == (
        reports.head_a,
        str(report.pk),
        kind.upper(),
    )


def test_a_report_not_ready_or_not_covered_is_not_downloaded(reports, client_for):
    waiting = Report.objects.get(unit=reports.section_a1)
    assert client_for(reports.head_a).get(f"{URL}/{waiting.pk}/pdf").status_code == 409
    assert client_for(reports.head_b).get(f"{URL}/{reports.reports['dept_a'].pk}/pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="reports.report.downloaded").exists()


def test_asking_for_a_report_is_idempotent(november, client_for):
    office = client_for(november.quality_a)
    body = {"unit": "dept-a", "month": "2025-11", "language": "en"}
    with clock.frozen(AFTER):
        first = office.post(URL, body, content_type="application/json")
        second = office.post(URL, body, content_type="application/json")
        keyed = office.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        replay = office.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code, keyed.status_code) == (201, 200, 200)
    assert first.json()["id"] == second.json()["id"] == keyed.json()["id"]
    assert first.json()["status"] == "queued" and first.json()["requested_by"] == "quality_a"
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("user", "body", "status", "code"),
    [
        ("quality_a", {"unit": "county", "month": "2025-11"}, 403, "forbidden"),
        ("head_a", {"unit": "dept-a", "month": "2025-11"}, 403, "forbidden"),
        ("quality_a", {"unit": "nowhere", "month": "2025-11"}, 422, "unknown_unit"),
        ("quality_a", {"unit": "dept-a", "month": "2025-13"}, 422, "invalid_month"),
        ("quality_a", {"unit": "dept-a", "month": "2025-12"}, 422, "cutoff_not_reached"),
        ("quality_a", {"unit": "dept-a", "month": "2025-11", "language": "fr"}, 422, "invalid_language"),
        ("quality_a", {"unit": "dept-a"}, 422, "invalid_request"),
    ],
)
def test_a_request_that_cannot_be_met_gets_the_error_shape(november, client_for, user, body, status, code):
    with clock.frozen(AFTER):
        response = client_for(getattr(november, user)).post(URL, body, content_type="application/json")
    assert response.status_code == status and response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "detail"} and not Report.objects.exists()


def test_the_list_takes_the_same_number_of_queries_for_more_reports(reports, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = client_for(reports.leader)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            items = leader.get(URL).json()["items"]
        return len(items), len(captured.captured_queries)

    few = queries()
    with clock.frozen(AFTER):
        for unit in (reports.region, reports.dept_b):
            services.report_request(actor=reports.admin, unit=unit, month="2025-11", enqueue=False)
    more = queries()
    assert (few[0], more[0]) == (4, 6) and more[1] == few[1]
