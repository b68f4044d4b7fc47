"""The report pages in both languages: the scoped list with filters and the request form, one report's
figures, downloads; the htmx refresh of waiting reports."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.core.models import AuditEvent
from civicpulse.reports.models import Report
from tests.reports.conftest import AFTER

pytestmark = pytest.mark.django_db

LIST = "/staff/reports/"


@pytest.mark.parametrize(("language", "heading"), [("en", "Monthly reports"), ("zh-hans", "dept-a单位")])
def test_the_list_shows_the_reports_of_the_units_the_user_covers(reports, client_for, language, heading):
    page = client_for(reports.head_a, language).get(LIST)
    html = page.content.decode()
    assert page.status_code == 200 and heading in html
    assert f"/staff/reports/{reports.reports['dept_a'].pk}/report.pdf" in html
    assert f"/staff/reports/{reports.reports['region'].pk}/" not in html
    assert f"/staff/reports/{reports.reports['dept_b'].pk}/" not in html
    # A head reads reports but does not ask for them.
    assert 'name="cutoff_kind"' not in html


def test_staff_without_the_right_and_citizens_get_no_page(reports, client_for):
    assert client_for(reports.window_officer).get(LIST).status_code == 404
    assert client_for(reports.citizen).get(LIST).status_code == 404
    assert client_for(None).get(LIST).status_code == 302
    report = reports.reports["dept_a"]
    assert client_for(reports.head_b).get(f"{LIST}{report.pk}/").status_code == 404
    assert client_for(reports.head_b).get(f"{LIST}{report.pk}/report.xlsx").status_code == 404


def test_the_filters_narrow_the_list(reports, client_for):
    leader = client_for(reports.leader)

    def shown(query: str) -> set[int]:
        html = leader.get(f"{LIST}?{query}").content.decode()
        return {r.pk for r in Report.objects.all() if f'href="/staff/reports/{r.pk}/"' in html}

    everything = set(Report.objects.values_list("pk", flat=True))
    assert shown("") == everything
    assert shown("unit=dept-b") == {reports.reports["dept_b"].pk}
    assert shown("status=queued") == {Report.objects.get(status="queued").pk}
    assert shown("month=2025-10") == set()


@pytest.mark.parametrize(("language", "label"), [("en", "Good-review rate"), ("zh-hans", "好评率")])
def test_one_report_shows_its_figures_charts_and_versions(reports, client_for, language, label):
    report = reports.reports["region"]
    page = client_for(reports.leader, language).get(f"{LIST}{report.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and label in html and "<svg" in html
    assert 'data-code="good_review_rate"' in html and "50.0%" in html
    assert report.digest in html and "dept-b" not in html.split("<h2")[0]


def test_a_page_download_is_the_file_and_is_logged(reports, client_for):
    report = reports.reports["dept_a"]
    response = client_for(reports.head_a).get(f"{LIST}{report.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == report.pdf.read()
    assert AuditEvent.objects.filter(action="reports.report.downloaded", actor=reports.head_a).count() == 1


def test_asking_for_a_report_on_the_page_is_idempotent(november, client_for):
    office = client_for(november.quality_a)
    form = {"unit": "dept-a", "month": "2025-11", "language": "en", "cutoff_kind": "routine"}
    with clock.frozen(AFTER):
        page = office.get(LIST)
        first = office.post(LIST, form)
        second = office.post(LIST, form)
    assert 'name="cutoff_kind"' in page.content.decode()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == "/staff/reports/?month=2025-11&unit=dept-a"
    assert Report.objects.count() == 1 and Report.objects.get().requested_by == november.quality_a


def test_a_refused_request_on_the_page_says_why_and_keeps_the_form(november, client_for):
    with clock.frozen(AFTER):
        page = client_for(november.quality_a).post(
            LIST, {"unit": "dept-a", "month": "2025-12", "language": "en", "cutoff_kind": "routine"}
        )
    html = page.content.decode()
    assert page.status_code == 200 and 'role="alert"' in html and "2026-01-06 00:00" in html
    assert 'value="2025-12"' in html and not Report.objects.exists()


def test_waiting_reports_refresh_themselves_and_the_refresh_is_just_the_rows(reports, client_for):
    leader = client_for(reports.leader)
    assert 'hx-trigger="every 5s"' in leader.get(LIST).content.decode()
    rows = leader.get(LIST, HTTP_HX_REQUEST="true").content.decode()
    assert rows.lstrip().startswith("<tbody") and "<h1" not in rows
    done_only = leader.get(f"{LIST}?status=done").content.decode()
    assert 'hx-trigger="every 5s"' not in done_only


def test_the_list_page_takes_the_same_number_of_queries_for_more_reports(reports, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicpulse.reports import services

    leader = client_for(reports.leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            leader.get(LIST)
        return len(captured.captured_queries)

    few = queries()
    with clock.frozen(AFTER):
        for unit in (reports.region, reports.dept_b):
            services.report_request(actor=reports.admin, unit=unit, month="2025-11", enqueue=False)
    assert queries() == few
