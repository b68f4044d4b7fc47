"""`civicpulse sla scan`: the time-driven work the worker also runs (safe to run repeatedly): case time
limits, rectification deadlines of bad reviews, the invitations to rate, routine assessment runs, and the
quality system's rules over live data, overdue actions and effectiveness checks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from civicpulse.assessment.services import routine_runs
from civicpulse.cases.services import sla_scan
from civicpulse.evaluations.services import invitations_send
from civicpulse.quality.services import quality_scan
from civicpulse.rectification.services import rectification_scan
from civicpulse.reports.services import reports_routine


class Command(BaseCommand):
    help = "Time-limit tools. `scan` re-rates open cases and rectification orders and sends due invitations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("scan", help="re-rate every open case and rectification order")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = sla_scan()
        self.stdout.write(
            _(
                "Time limits scanned: %(warning)s now in warning, %(overdue)s now overdue, "
                "%(on_track)s back on track, %(step_overdue)s steps past their own budget."
            )
            % changed
        )
        orders = rectification_scan()
        self.stdout.write(
            _(
                "Rectification orders: %(contact_overdue)s citizens not contacted in time, "
                "%(rectify_overdue)s rectifications overdue."
            )
            % orders
        )
        self.stdout.write(_("Invitations sent: %(count)s.") % {"count": invitations_send()})
        runs = routine_runs()
        self.stdout.write(_("Routine assessment runs: %(count)s.") % {"count": len(runs)})
        self.stdout.write(
            _(
                "Quality: %(raised)s nonconformities raised, %(escalated)s overdue actions escalated, "
                "%(checked)s effectiveness checks run."
            )
            % quality_scan()
        )
        self.stdout.write(_("Monthly reports asked for: %(count)s.") % {"count": len(reports_routine())})
