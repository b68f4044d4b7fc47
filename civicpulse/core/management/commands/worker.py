"""`civicpulse worker`: run background tasks (the database queue) and keep the periodic jobs scheduled."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (time-limit scans, notifications, dashboard refreshes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        from civicpulse.cases.tasks import schedule_sla_scan
        from civicpulse.dashboards.tasks import schedule_refresh

        schedule_sla_scan(now=True)
        schedule_refresh(now=True)
        worker_args = ["--interval", str(options["interval"]), "--no-startup-delay"]
        if options["batch"]:
            worker_args.append("--batch")
        call_command("db_worker", *worker_args, verbosity=options["verbosity"])
