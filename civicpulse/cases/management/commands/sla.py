"""`civicpulse sla scan`: re-rate the time-limit state of every open case (safe to run repeatedly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from civicpulse.cases.services import sla_scan


class Command(BaseCommand):
    help = "Time-limit tools. `scan` marks open cases on track, in warning or overdue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("scan", help="re-rate every open case")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = sla_scan()
        self.stdout.write(
            _(
                "Time limits scanned: %(warning)s now in warning, %(overdue)s now overdue, "
                "%(on_track)s back on track, %(step_overdue)s steps past their own budget."
            )
            % changed
        )
