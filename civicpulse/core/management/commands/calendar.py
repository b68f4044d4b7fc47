"""`calendar add-days START N` and `calendar between A B`: working-day arithmetic from the shell."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpulse.core import workdays
from civicpulse.core.calendars import calendar_for_cli, official_cn_calendar
from civicpulse.core.errors import NotFound


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(value)s is not a date (YYYY-MM-DD) or an ISO date-time with an offset.") % {"value": value}
        ) from None
    if timezone.is_naive(instant):
        # Without an offset the day would depend on whoever runs the command.
        raise CommandError(
            _("The date-time %(value)s needs an offset, such as +08:00.") % {"value": value}
        ) from None
    return workdays.local_date(instant, timezone.get_default_timezone())


def _parse_count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise CommandError(_("%(value)s is not a whole number of working days.") % {"value": value}) from None
    if n < 0:
        raise CommandError(_("The number of working days cannot be negative."))
    if n > workdays.MAX_WORKING_DAYS:
        raise CommandError(
            _("At most %(max)s working days can be added.") % {"max": workdays.MAX_WORKING_DAYS}
        )
    return n


class Command(BaseCommand):
    help = "Working-day arithmetic on a region's calendar (the intake day is never counted)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{add-days,between}")
        add_days = actions.add_parser("add-days", help="Print the N-th working day after START.")
        add_days.add_argument("start", help="YYYY-MM-DD or an ISO date-time with offset")
        add_days.add_argument("n", help="number of working days (0 or more)")
        between = actions.add_parser("between", help="Print the number of working days in (A, B].")
        between.add_argument("a", help="YYYY-MM-DD or an ISO date-time with offset")
        between.add_argument("b", help="YYYY-MM-DD or an ISO date-time with offset")
        for sub in (add_days, between):
            sub.add_argument(
                "--region", default="", help="calendar code (default: settings DEFAULT_CALENDAR)"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add-days":
            start, n = _parse_day(options["start"]), _parse_count(options["n"])
            calendar = self._calendar(options["region"])
            try:
                due = workdays.add_working_days(calendar, start, n)
            except OverflowError:
                raise CommandError(_("The result falls beyond the last representable date.")) from None
            self._warn_uncovered(calendar, start, due)
            self.stdout.write(due.isoformat())
        else:
            a, b = _parse_day(options["a"]), _parse_day(options["b"])
            calendar = self._calendar(options["region"])
            try:
                count = workdays.working_days_between(calendar, a, b)
            except (ValueError, OverflowError):
                raise CommandError(
                    _("The two dates are more than %(max)s days apart.") % {"max": workdays.MAX_SPAN_DAYS}
                ) from None
            self._warn_uncovered(calendar, a, b)
            self.stdout.write(str(count))

    def _calendar(self, region: str) -> workdays.WorkingCalendar:
        try:
            return calendar_for_cli(region)[1]
        except NotFound as exc:
            raise CommandError(str(exc.message)) from None
        except DatabaseError:
            # An unmigrated database has no calendar tables yet; the default region still means the
            # official schedule, so say so rather than fail. A named region cannot be guessed.
            if region and region != settings.CIVICPULSE["DEFAULT_CALENDAR"]:
                raise CommandError(
                    _("The database is not ready (run migrate) and calendar %(code)s cannot be read.")
                    % {"code": region}
                ) from None
            self.stderr.write(
                _("The database is not ready; using the official mainland China schedule."),
                style_func=self.style.WARNING,
            )
            return official_cn_calendar()

    def _warn_uncovered(self, calendar: workdays.WorkingCalendar, a: dt.date, b: dt.date) -> None:
        # Only the days in (a, b] are looked at; the first day's kind never matters.
        if b <= a:
            return
        for year in workdays.uncovered_years(calendar, a + dt.timedelta(days=1), b):
            self.stderr.write(
                _("No official holiday schedule for %(year)s; counted weekends only.") % {"year": year},
                style_func=self.style.WARNING,
            )
