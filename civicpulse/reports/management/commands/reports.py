"""`civicpulse reports generate --month 2026-10 [--unit CODE] [--language en] [--current]`: generate monthly
reports now, in this process (the worker is not needed): one unit's, or the region's and every
department's as the schedule makes them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.core.errors import DomainError
from civicpulse.reports import services
from civicpulse.reports.enums import CutoffKind, Language, ReportStatus


class Command(BaseCommand):
    help = "Monthly reports: `generate` makes them now, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        generate = sub.add_parser("generate", help="generate monthly reports now")
        generate.add_argument("--month", required=True, help="the month, as 2026-10")
        generate.add_argument(
            "--unit", default="", help="a unit's code (default: the region and every department)"
        )
        generate.add_argument(
            "--language",
            default="",
            choices=["", *Language.values],
            help="default: the installation's language",
        )
        generate.add_argument(
            "--current",
            action="store_true",
            help="the data as it stands now, not as of the routine cut-off",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["unit"]:
            units = list(OrgUnit.objects.filter(code=options["unit"]))
            if not units:
                raise CommandError(_("There is no unit %(code)s.") % {"code": options["unit"]})
        else:
            units = list(
                OrgUnit.objects.filter(
                    is_active=True, kind__in=[UnitKind.REGION, UnitKind.DEPARTMENT]
                ).order_by("path")
            )
        kind = CutoffKind.CURRENT if options["current"] else CutoffKind.ROUTINE
        failed = []
        done = 0
        # tqdm redraws in place: give it the raw stream, not the wrapper that ends each write with a newline.
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(
            total=len(units), desc=_("Reports"), unit="report", file=stream, disable=options["verbosity"] < 1
        ) as bar:
            for unit in units:
                try:
                    report, _new = services.report_request(
                        actor=None,
                        unit=unit,
                        month=options["month"],
                        language=options["language"],
                        cutoff_kind=kind,
                        enqueue=False,
                    )
                except DomainError as error:
                    raise CommandError(str(error.message)) from None
                report = services.report_generate(report_id=report.pk)
                if report.status == ReportStatus.DONE:
                    done += 1
                else:
                    failed.append(f"{unit.code}: {report.error or report.get_status_display()}")
                bar.update(1)
        self.stdout.write(
            _("Monthly reports of %(month)s: %(done)s generated, %(failed)s not.")
            % {"month": options["month"], "done": done, "failed": len(failed)}
        )
        for line in failed:
            self.stderr.write(line)
        if failed:
            raise CommandError(_("Some reports could not be generated."))
