"""Loading working-day calendars: the official mainland China schedule plus a region's overrides."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import chinese_calendar
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicpulse.core.errors import NotFound
from civicpulse.core.models import CalendarOverride, WorkCalendar
from civicpulse.core.workdays import WorkingCalendar


@functools.cache
def official_cn_calendar() -> WorkingCalendar:
    """The State Council schedule shipped by the `chinesecalendar` package (2004 to its last year).

    The package lists every day of a holiday period, weekends included. Only the Monday-to-Friday ones are
    kept: a weekend day is already off, so `is_working_day` gives the same answers and `holidays` stays
    what it says, days off that would otherwise be working days.
    """
    holidays = frozenset(day for day in chinese_calendar.holidays if day.weekday() < 5)
    workdays = frozenset(chinese_calendar.workdays)
    years = frozenset(day.year for day in (*chinese_calendar.holidays, *chinese_calendar.workdays))
    return WorkingCalendar(holidays=holidays, workdays=workdays, covered_years=years)


def _base_calendar(base: str) -> WorkingCalendar:
    if base == WorkCalendar.Base.CN_OFFICIAL:
        return official_cn_calendar()
    if base == WorkCalendar.Base.WEEKENDS_ONLY:
        return WorkingCalendar(covers_all_years=True)
    raise ValueError(f"unknown calendar base {base!r}")


def calendar_snapshot(code: str) -> dict[str, object]:
    """What a case keeps of its calendar at intake, so later overrides never rewrite its deadlines."""
    row = WorkCalendar.objects.filter(code=code).only("id", "base").first()
    if row is None:
        if code == settings.CIVICPULSE["DEFAULT_CALENDAR"]:
            # As in calendar_for_cli: until an administrator creates it, the default is the official schedule.
            return {"code": code, "base": WorkCalendar.Base.CN_OFFICIAL, "overrides": []}
        raise NotFound(
            _("No working-day calendar with code %(code)s.") % {"code": code}, code="calendar_not_found"
        )
    overrides = CalendarOverride.objects.filter(calendar_id=row.id).order_by("date")
    pairs = overrides.values_list("date", "is_working_day")
    return {
        "code": code,
        "base": row.base,
        "overrides": [[day.isoformat(), working] for day, working in pairs],
    }


def calendar_from_snapshot(snapshot: dict[str, object]) -> WorkingCalendar:
    overrides = snapshot.get("overrides") or []
    assert isinstance(overrides, list)
    return _apply_overrides(
        _base_calendar(str(snapshot["base"])),
        [(dt.date.fromisoformat(day), bool(working)) for day, working in overrides],
    )


def calendar_for(code: str) -> WorkingCalendar:
    """The calendar stored under `code`: its base schedule with the administrator's overrides applied."""
    row = WorkCalendar.objects.filter(code=code).only("id", "base").first()
    if row is None:
        raise NotFound(
            _("No working-day calendar with code %(code)s.") % {"code": code}, code="calendar_not_found"
        )
    return _apply_overrides(
        _base_calendar(row.base),
        CalendarOverride.objects.filter(calendar_id=row.id).values_list("date", "is_working_day"),
    )


def _apply_overrides(base: WorkingCalendar, overrides: Iterable[tuple[dt.date, bool]]) -> WorkingCalendar:
    holidays, workdays = set(base.holidays), set(base.workdays)
    for day, is_working in overrides:
        if is_working:
            # Only a weekend needs listing to become a working day; a weekday just stops being a holiday.
            if day.weekday() >= 5:
                workdays.add(day)
            holidays.discard(day)
        else:
            workdays.discard(day)
            if day.weekday() < 5:
                holidays.add(day)
    return WorkingCalendar(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        covered_years=base.covered_years,
        covers_all_years=base.covers_all_years,
    )


def calendar_for_cli(region: str = "") -> tuple[str, WorkingCalendar]:
    """The calendar for `region`, or for the default region when it is empty; returns (code, calendar).

    Until the default calendar has been created (a fresh database), its code stands for the official
    mainland schedule, so date arithmetic works out of the box. Any other unknown code is an error.
    """
    default = str(settings.CIVICPULSE["DEFAULT_CALENDAR"])
    code = region or default
    try:
        return code, calendar_for(code)
    except NotFound:
        unit_calendar = calendar_code_for_unit_code(code) if region else None
        if unit_calendar is not None:
            return unit_calendar, calendar_for(unit_calendar)
        if code != default:
            raise
        return code, official_cn_calendar()


def calendar_code_for_unit_code(unit_code: str) -> str | None:
    """The calendar of an organisation unit: the nearest calendar set on it or an ancestor region.

    None when no such unit exists; the default calendar when the unit's whole line has none.
    """
    from civicpulse.accounts.models import OrgUnit

    unit = OrgUnit.objects.filter(code=unit_code).only("path").first()
    if unit is None:
        return None
    chain = dict(
        OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), calendar__isnull=False).values_list(
            "depth", "calendar__code"
        )
    )
    return chain[max(chain)] if chain else str(settings.CIVICPULSE["DEFAULT_CALENDAR"])


def ensure_default_calendar() -> WorkCalendar:
    calendar, _created = WorkCalendar.objects.get_or_create(
        code="CN",
        defaults={
            "name_zh": "中国大陆法定工作日",
            "name_en": "Mainland China statutory calendar",
            "base": WorkCalendar.Base.CN_OFFICIAL,
        },
    )
    return calendar
