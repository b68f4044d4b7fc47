"""Asking for a report and generating it: the files, their contents in either language, versions, failures,
the routine cut-off and the schedule."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, transaction

from civicpulse.core import clock
from civicpulse.core.errors import Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.reports import figures, render, services
from civicpulse.reports.enums import CutoffKind, ReportStatus
from civicpulse.reports.models import Report
from tests.assessment.conftest import at
from tests.reports.conftest import AFTER, CUTOFF, generated, number_formats, workbook
from tests.reports.pdftext import text_of

pytestmark = pytest.mark.django_db


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "reports"
    return (
        {str(p.relative_to(settings.MEDIA_ROOT)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


def test_a_generated_report_has_its_files_its_figures_and_its_trail(november):
    report = generated(november.dept_a, actor=november.quality_a)
    assert (report.status, report.live, report.version, report.error) == (ReportStatus.DONE, True, 1, "")
    assert report.cutoff == CUTOFF and report.requested_by == november.quality_a
    pdf, xlsx = report.pdf.read(), report.xlsx.read()
    assert pdf.startswith(b"%PDF") and xlsx.startswith(b"PK")
    assert (report.pdf_sha256, report.xlsx_sha256) == (
        hashlib.sha256(pdf).hexdigest(),
        hashlib.sha256(xlsx).hexdigest(),
    )
    expected = figures.compute(november.dept_a, "2025-11", CUTOFF)
    assert report.figures == expected.as_json() and report.digest == expected.digest()
    assert report.generated_at == AFTER
    actions = list(
        AuditEvent.objects.filter(target_type="reports.report", target_id=str(report.pk))
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("reports.report.requested", november.quality_a.pk),
        ("reports.report.generated", None),
    ]


@pytest.mark.parametrize(
    ("language", "name", "heading"),
    [("en", "dept-a unit", "Twelve-month trend"), ("zh-hans", "dept-a单位", "好评率")],
)
def test_the_pdf_shows_the_unit_and_its_figures_in_the_report_s_language(november, language, name, heading):
    report = generated(november.dept_a, language)
    text = text_of(report.pdf.read())
    found = figures.Figures.from_json(report.figures)
    assert name in text and heading in text
    # The good-review rate and the hall's average wait, as the page prints them.
    assert "50.0%" in text and found.headline["good_review_rate"].value == 0.5
    assert f"{found.headline['mean_wait'].value:.1f}" in text
    other = "dept-a单位" if language == "en" else "dept-a unit"
    assert other not in text


def test_the_same_data_gives_the_same_figures_digest_in_either_language(november):
    english, chinese = generated(november.region, "en"), generated(november.region, "zh-hans")
    assert english.digest == chinese.digest and english.pdf_sha256 != chinese.pdf_sha256


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_workbook_holds_the_figures_as_numbers(november, language):
    report = generated(november.region, language)
    found = figures.Figures.from_json(report.figures)
    content = report.xlsx.read()
    sheets = workbook(content)
    headline, trend, breakdown, about = (sheets[name] for name in sheets)
    assert len(sheets) == 4
    rows = {row[1]: row for row in headline[1:]}
    for code, figure in found.headline.items():
        row = rows[code]
        assert row[3] == (pytest.approx(figure.value, rel=1e-15) if figure.value is not None else None), code
        assert (row[5], row[6]) == (figure.n, figure.numerator), code
        assert row[7] == (pytest.approx(figure.low, rel=1e-15) if figure.low is not None else None), code
        assert row[9] is figure.insufficient, code
    assert (rows["orders_open"][3], rows["orders_overdue"][3]) == (found.orders_open, found.orders_overdue)
    formats = number_formats(content)
    position = 1 + list(rows).index("good_review_rate")
    assert formats[f"D{position + 1}"] == "0.0%" and formats[f"F{position + 1}"] == "General"
    assert [row[0] for row in trend[1:]] == [m.month for m in found.trend]
    assert trend[-1][1] == found.trend[-1].figures["good_review_rate"].value
    assert trend[-1][2] == found.trend[-1].figures["good_review_rate"].n
    assert [row[0] for row in breakdown[1:]] == [row.code for row in found.breakdown]
    dept_a = breakdown[1]
    assert (dept_a[2], dept_a[3], dept_a[4]) == (
        found.breakdown[0].figures["good_review_rate"].value,
        found.breakdown[0].figures["good_review_rate"].n,
        found.breakdown[0].figures["good_review_rate"].insufficient,
    )
    facts = {row[0]: row[1] for row in about if row and len(row) > 1}
    assert report.digest in facts.values() and "county" in facts.values() and "2025-11" in facts.values()


def test_asking_again_while_it_waits_gets_the_same_report_and_after_it_a_new_version(november):
    with clock.frozen(AFTER):
        first, created = services.report_request(actor=november.admin, unit=november.dept_a, month="2025-11")
        again, created_again = services.report_request(
            actor=november.admin, unit=november.dept_a, month="2025-11"
        )
    assert created and not created_again and again.pk == first.pk
    assert first.language == "zh-hans"  # the installation's language when none is named
    with clock.frozen(AFTER):
        services.report_generate(report_id=first.pk)
        second, created = services.report_request(actor=november.admin, unit=november.dept_a, month="2025-11")
    assert created and second.version == 2
    # Until the new version is generated the old one stays live; then it is kept, superseded.
    assert Report.objects.get(pk=first.pk).live
    with clock.frozen(AFTER):
        services.report_generate(report_id=second.pk)
    assert list(Report.objects.order_by("version").values_list("version", "live", "status")) == [
        (1, False, "done"),
        (2, True, "done"),
    ]
    assert Report.objects.get(pk=first.pk).pdf.read().startswith(b"%PDF")


def test_generating_a_report_twice_does_nothing_the_second_time(november):
    report = generated(november.dept_a)
    again = services.report_generate(report_id=report.pk)
    assert (again.status, again.pdf.name, again.generated_at) == (
        report.status,
        report.pdf.name,
        report.generated_at,
    )


def test_a_failure_leaves_the_report_failed_with_the_error_and_no_files(november, monkeypatch):
    before = media_files()

    def broken(*args, **kwargs):
        raise RuntimeError("the spreadsheet writer ran out of disk")

    monkeypatch.setattr(render, "xlsx", broken)
    report = generated(november.dept_a)
    assert report.status == ReportStatus.FAILED and "ran out of disk" in report.error
    assert (report.pdf.name, report.xlsx.name, report.live, report.figures) == ("", "", False, None)
    assert media_files() == before
    assert AuditEvent.objects.filter(action="reports.report.failed", target_id=str(report.pk)).exists()


def test_a_file_that_cannot_be_stored_takes_the_one_stored_before_it_along(november, monkeypatch):
    before = media_files()
    save = FileSystemStorage._save

    def refuse_spreadsheets(self, name, content):
        if name.endswith(".xlsx"):
            raise OSError("read-only file system")
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", refuse_spreadsheets)
    report = generated(november.dept_a)
    assert report.status == ReportStatus.FAILED and "read-only" in report.error
    assert media_files() == before


def test_after_a_failure_asking_again_makes_a_new_version(november, monkeypatch):
    monkeypatch.setattr(render, "pdf", lambda html: (_ for _ in ()).throw(ValueError("no fonts")))
    failed = generated(november.dept_a)
    monkeypatch.undo()
    retried = generated(november.dept_a)
    assert (failed.status, retried.status, retried.version, retried.live) == ("failed", "done", 2, True)


def test_a_report_left_running_by_a_stopped_worker_is_replaced(november):
    with clock.frozen(AFTER):
        report, _created = services.report_request(
            actor=None, unit=november.dept_a, month="2025-11", enqueue=False
        )
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, started_at=AFTER)
    with clock.frozen(AFTER + dt.timedelta(minutes=10)):
        same, created = services.report_request(actor=None, unit=november.dept_a, month="2025-11")
    assert same.pk == report.pk and not created
    with clock.frozen(AFTER + services.STALE + dt.timedelta(minutes=1)):
        fresh, created = services.report_request(actor=None, unit=november.dept_a, month="2025-11")
    assert created and fresh.version == 2
    stale = Report.objects.get(pk=report.pk)
    assert stale.status == ReportStatus.FAILED and stale.error


def test_a_report_queued_too_long_is_enqueued_again(november, django_capture_on_commit_callbacks):
    with clock.frozen(AFTER), django_capture_on_commit_callbacks() as first:
        report, _created = services.report_request(actor=None, unit=november.dept_a, month="2025-11")
    with clock.frozen(AFTER + dt.timedelta(minutes=5)), django_capture_on_commit_callbacks() as soon:
        services.report_request(actor=None, unit=november.dept_a, month="2025-11")
    with (
        clock.frozen(AFTER + services.STALE + dt.timedelta(minutes=1)),
        django_capture_on_commit_callbacks() as late,
    ):
        again, created = services.report_request(actor=None, unit=november.dept_a, month="2025-11")
    assert (len(first), len(soon), len(late)) == (1, 0, 1)
    assert again.pk == report.pk and not created


def test_the_database_keeps_one_live_and_one_waiting_version_of_a_report(november):
    done = generated(november.dept_a)
    key = {"unit": november.dept_a, "month": "2025-11", "language": "en", "cutoff_kind": "routine"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(**key, cutoff=CUTOFF, version=2, requested_at=AFTER, live=True, status="done")
    Report.objects.create(**key, cutoff=CUTOFF, version=2, requested_at=AFTER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(**key, cutoff=CUTOFF, version=3, requested_at=AFTER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=done.pk).update(status=ReportStatus.FAILED, error="")


@pytest.mark.parametrize(
    ("month", "kind", "code"),
    [
        ("2025-13", "routine", "invalid_month"),
        ("November", "routine", "invalid_month"),
        ("2026-01", "current", "month_in_future"),
        ("2025-12", "routine", "cutoff_not_reached"),
        ("2025-11", "someday", "invalid_cutoff_kind"),
    ],
)
def test_a_request_that_cannot_be_met_is_refused_with_its_reason(november, month, kind, code):
    with clock.frozen(AFTER), pytest.raises(ValidationFailed) as refused:
        services.report_request(actor=november.admin, unit=november.dept_a, month=month, cutoff_kind=kind)
    assert refused.value.code == code and not Report.objects.exists()


def test_the_month_in_progress_can_be_reported_as_it_stands(november):
    report = generated(november.dept_a, month="2025-12", kind=CutoffKind.CURRENT)
    assert report.status == ReportStatus.DONE and report.cutoff == AFTER


def test_a_language_other_than_the_two_is_refused(november):
    with clock.frozen(AFTER), pytest.raises(ValidationFailed) as refused:
        services.report_request(actor=november.admin, unit=november.dept_a, month="2025-11", language="fr")
    assert refused.value.code == "invalid_language"


@pytest.mark.parametrize(
    ("user", "unit", "allowed"),
    [
        ("quality_a", "dept_a", True),
        ("quality_a", "section_a1", True),
        ("quality_a", "region", False),
        ("head_a", "dept_a", False),
        ("admin", "region", True),
        ("window_officer", "window", False),
    ],
)
def test_only_the_quality_office_and_administrators_ask_for_reports_of_units_they_cover(
    november, user, unit, allowed
):
    def ask():
        with clock.frozen(AFTER):
            return services.report_request(
                actor=getattr(november, user), unit=getattr(november, unit), month="2025-11", enqueue=False
            )

    if allowed:
        assert ask()[1]
    else:
        with pytest.raises(Forbidden):
            ask()


@pytest.mark.parametrize(
    ("month", "working_day", "cutoff"),
    [
        ("2025-11", 3, "2025-12-03"),
        ("2025-11", 1, "2025-12-01"),
        # 1-8 October 2025 are the National Day holidays; Saturday 11 October is a make-up working day.
        ("2025-09", 3, "2025-10-11"),
        ("2025-12", 3, "2026-01-06"),
    ],
)
def test_the_routine_cut_off_is_the_start_of_a_working_day_after_the_month(
    settings, month, working_day, cutoff
):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "REPORT_WORKING_DAY": working_day}
    assert services.routine_cutoff(month) == at(cutoff, 0)


def test_the_schedule_asks_once_for_the_region_and_every_department(november, settings):
    with clock.frozen(at("2025-12-02", 23)):
        assert services.reports_routine() == []
    with clock.frozen(at("2025-12-03", 0)):
        asked = services.reports_routine()
    assert sorted((r.unit.code, r.month, r.language, r.cutoff_kind, r.status) for r in asked) == [
        ("county", "2025-11", "zh-hans", "routine", "queued"),
        ("dept-a", "2025-11", "zh-hans", "routine", "queued"),
        ("dept-b", "2025-11", "zh-hans", "routine", "queued"),
    ]
    assert all(r.requested_by is None and r.cutoff == CUTOFF for r in asked)
    with clock.frozen(at("2025-12-20")):
        assert services.reports_routine() == []
    settings.CIVICPULSE = {**settings.CIVICPULSE, "REPORT_LANGUAGE": "en"}
    with clock.frozen(at("2025-12-20")):
        assert {r.language for r in services.reports_routine()} == {"en"}
