"""`civicpulse reports generate`: synchronous generation with a progress bar."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from civicpulse.core import clock
from civicpulse.reports import render
from civicpulse.reports.models import Report
from tests.reports.conftest import AFTER

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with translation.override("en"), clock.frozen(AFTER):
        call_command("reports", "generate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_unit_s_report_in_a_language(november):
    out, err = run("--month", "2025-11", "--unit", "dept-a", "--language", "en")
    report = Report.objects.get()
    assert (report.unit.code, report.language, report.cutoff_kind, report.status) == (
        "dept-a",
        "en",
        "routine",
        "done",
    )
    assert report.requested_by is None and "1 generated, 0 not" in out
    assert "Reports" in err and "1/1" in err  # the progress bar, on stderr


def test_without_a_unit_the_region_and_every_department(november, monkeypatch):
    monkeypatch.setattr(render, "pdf", lambda html: b"%PDF-1.7 stand-in")
    out, _err = run("--month", "2025-11")
    assert sorted(Report.objects.values_list("unit__code", "language", "status")) == [
        ("county", "zh-hans", "done"),
        ("dept-a", "zh-hans", "done"),
        ("dept-b", "zh-hans", "done"),
    ]
    assert "3 generated" in out


def test_the_data_as_it_stands_for_a_month_not_yet_cut_off(november, monkeypatch):
    monkeypatch.setattr(render, "pdf", lambda html: b"%PDF-1.7 stand-in")
    with pytest.raises(CommandError, match="routine cut-off"):
        run("--month", "2025-12", "--unit", "dept-a")
    run("--month", "2025-12", "--unit", "dept-a", "--current")
    report = Report.objects.get()
    assert (report.cutoff_kind, report.cutoff, report.status) == ("current", AFTER, "done")


def test_a_failed_report_makes_the_command_fail_and_says_which(november, monkeypatch):
    monkeypatch.setattr(render, "pdf", lambda html: (_ for _ in ()).throw(RuntimeError("no fonts installed")))
    with pytest.raises(CommandError):
        run("--month", "2025-11", "--unit", "dept-a")
    assert Report.objects.get().status == "failed"


@pytest.mark.parametrize("args", [["--month", "2025-11", "--unit", "nowhere"], ["--month", "Nov"]])
def test_bad_arguments_are_refused(november, args):
    with pytest.raises(CommandError):
        run(*args)
    assert not Report.objects.exists()
