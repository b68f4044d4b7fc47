"""The `calendar` management command, and the calendar loading it relies on."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import chinese_calendar
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from civicpulse.core.calendars import calendar_for, ensure_default_calendar, official_cn_calendar
from civicpulse.core.errors import NotFound
from civicpulse.core.models import CalendarOverride, WorkCalendar

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def regional(code: str, base: str = WorkCalendar.Base.CN_OFFICIAL) -> WorkCalendar:
    return WorkCalendar.objects.create(code=code, name_zh=code, name_en=code, base=base)


def test_add_days_prints_the_due_date_over_national_day():
    assert run("add-days", "2025-09-30", "5") == ("2025-10-14", "")


def test_between_prints_the_working_days_strictly_after_a_up_to_b():
    assert run("between", "2025-09-30", "2025-10-14") == ("5", "")
    assert run("between", "2025-10-14", "2025-09-30")[0] == "0"


def test_date_times_are_read_as_dates_in_the_local_zone():
    # 16:30 UTC on 30 September is already 1 October in Beijing, a holiday: the count starts the same.
    assert run("add-days", "2025-09-30T16:30:00+00:00", "5")[0] == "2025-10-14"
    assert run("between", "2025-09-29T12:00:00Z", "2025-10-13T23:59:00+08:00")[0] == "5"


def test_zero_days_prints_the_start_date():
    assert run("add-days", "2025-10-04", "0")[0] == "2025-10-04"


@pytest.mark.parametrize(
    "args",
    [
        ("add-days", "2025-13-01", "5"),
        ("add-days", "yesterday", "5"),
        ("add-days", "2025-09-30", "-1"),
        ("add-days", "2025-09-30", "five"),
        ("add-days", "2025-09-30", "1.5"),
        ("add-days", "2025-09-30T10:00:00", "5"),  # no offset
        ("between", "2025-09-30", "not-a-date"),
        ("add-days", "2025-09-30"),
        ("frobnicate", "2025-09-30"),
    ],
)
def test_bad_input_is_refused_with_a_command_error(args):
    with pytest.raises(CommandError):
        run(*args)


def test_a_negative_count_says_what_is_wrong():
    with pytest.raises(CommandError, match="cannot be negative"):
        run("add-days", "2025-09-30", "-3")


def test_an_unknown_region_is_refused():
    with pytest.raises(CommandError, match="No working-day calendar with code XX"):
        run("add-days", "2025-09-30", "5", "--region", "XX")


def test_a_regional_override_changes_the_result():
    calendar = regional("SZ")
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-10-08"), is_working_day=True)
    # 8 Oct now counts, so the fifth working day is Monday 13 instead of Tuesday 14.
    assert run("add-days", "2025-09-30", "5", "--region", "SZ")[0] == "2025-10-13"
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-10-10"), is_working_day=False)
    assert run("add-days", "2025-09-30", "5", "--region", "SZ")[0] == "2025-10-14"
    assert run("between", "2025-09-30", "2025-10-14", "--region", "SZ")[0] == "5"


def test_a_weekends_only_region_ignores_public_holidays_and_never_warns():
    regional("EXPO", base=WorkCalendar.Base.WEEKENDS_ONLY)
    assert run("add-days", "2025-09-30", "5", "--region", "EXPO") == ("2025-10-07", "")
    assert run("add-days", "2027-09-30", "5", "--region", "EXPO") == ("2027-10-07", "")


def test_a_year_without_official_data_warns_on_stderr_but_still_answers():
    out, err = run("add-days", "2026-12-30", "3")
    assert out == "2027-01-04"
    assert err == "No official holiday schedule for 2027; counted weekends only."
    out, err = run("between", "2026-12-01", "2028-01-01")
    assert out.isdigit() and "2027" in err and "2028" in err


def test_the_start_year_alone_does_not_warn():
    # Only the days after the intake day are looked at.
    assert run("add-days", "2026-12-31", "0") == ("2026-12-31", "")
    assert run("between", "2027-03-01", "2026-12-01") == ("0", "")


def test_without_a_default_calendar_row_the_official_schedule_is_used():
    WorkCalendar.objects.filter(code="CN").delete()
    assert run("add-days", "2025-09-30", "5") == ("2025-10-14", "")


def test_the_default_region_uses_its_overrides_once_it_exists():
    default = ensure_default_calendar()
    CalendarOverride.objects.create(calendar=default, date=D("2025-10-08"), is_working_day=True)
    assert run("add-days", "2025-09-30", "5")[0] == "2025-10-13"


def test_an_unmigrated_database_falls_back_for_the_default_region_only(monkeypatch):
    def no_tables(region=""):
        raise OperationalError("no such table: core_workcalendar")

    monkeypatch.setattr("civicpulse.core.management.commands.calendar.calendar_for_cli", no_tables)
    out, err = run("add-days", "2025-09-30", "5")
    assert out == "2025-10-14" and "not ready" in err
    with pytest.raises(CommandError, match="run migrate"):
        run("add-days", "2025-09-30", "5", "--region", "SZ")


# --- Loading ---------------------------------------------------------------------------------------------


def test_the_official_calendar_agrees_with_the_package_on_every_published_day():
    calendar = official_cn_calendar()
    day = dt.date(2004, 1, 1)
    while day <= dt.date(2026, 12, 31):
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert calendar.covered_years == frozenset(range(2004, 2027))


def test_loading_a_calendar_takes_two_queries():
    calendar = regional("HZ")
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-10-11"), is_working_day=False)
    with CaptureQueriesContext(connection) as queries:
        loaded = calendar_for("HZ")
    assert len(queries) == 2
    assert not loaded.is_working_day(D("2025-10-11"))


def test_an_override_on_a_weekday_holiday_or_a_make_up_day_flips_it():
    calendar = regional("NB")
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-10-01"), is_working_day=True)
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-09-28"), is_working_day=False)
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-09-27"), is_working_day=True)
    CalendarOverride.objects.create(calendar=calendar, date=D("2025-09-29"), is_working_day=False)
    loaded = calendar_for("NB")
    assert loaded.is_working_day(D("2025-10-01"))
    assert not loaded.is_working_day(D("2025-09-28"))
    assert loaded.is_working_day(D("2025-09-27"))
    assert not loaded.is_working_day(D("2025-09-29"))
    assert loaded.covered_years == official_cn_calendar().covered_years


def test_an_unknown_calendar_code_raises_not_found():
    with pytest.raises(NotFound) as raised:
        calendar_for("XX")
    assert raised.value.code == "calendar_not_found"


def test_ensure_default_calendar_creates_the_row_once():
    WorkCalendar.objects.filter(code="CN").delete()
    first = ensure_default_calendar()
    assert ensure_default_calendar().pk == first.pk
    assert (first.base, first.name_en) == (WorkCalendar.Base.CN_OFFICIAL, "Mainland China statutory calendar")


@pytest.mark.django_db
def test_region_may_name_an_organisation_unit_that_uses_its_regions_calendar(county):
    from civicpulse.accounts.models import OrgUnit

    local = WorkCalendar.objects.create(code="county-cal", name_zh="县", name_en="County", base="cn_official")
    CalendarOverride.objects.create(
        calendar=local, date=dt.date(2025, 10, 13), is_working_day=False, name="x"
    )
    OrgUnit.objects.filter(pk=county.region.pk).update(calendar=local)
    out = StringIO()
    call_command("calendar", "add-days", "2025-09-30", "5", "--region", "dept-a-1", stdout=out)
    assert out.getvalue().strip() == "2025-10-15"
    with pytest.raises(CommandError):
        call_command("calendar", "add-days", "2025-09-30", "5", "--region", "atlantis")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/calendar/add-days?start=2025-01-01&n=100000000",
        "/api/v1/calendar/add-days?start=9999-12-30&n=5",
        "/api/v1/calendar/add-days?start=2025-01-01&n=-1",
        "/api/v1/calendar/between?start=0001-01-01&end=9999-12-31",
    ],
)
def test_the_calendar_api_refuses_absurd_ranges_with_a_clear_error(client, path):
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["code"] in ("out_of_range", "negative_days") and response.json()["message"]


@pytest.mark.django_db
def test_the_calendar_api_answers_the_domain_example(client):
    body = client.get("/api/v1/calendar/add-days?start=2025-09-30&n=5").json()
    assert body["due"] == "2025-10-14" and body["uncovered_years"] == []
    assert client.get("/api/v1/calendar/between?start=2025-09-30&end=2025-10-14").json()["working_days"] == 5


def test_the_cli_refuses_absurd_ranges():
    with pytest.raises(CommandError):
        call_command("calendar", "add-days", "2025-01-01", "100000")
    with pytest.raises(CommandError):
        call_command("calendar", "between", "0001-01-01", "9999-12-31")


@pytest.fixture(autouse=True)
def _english():
    """These tests read the commands' messages in English; the installation default is Chinese."""
    with translation.override("en"):
        yield
