"""`civicpulse dashboards refresh | rebuild`: bring the dashboards' cells up to date (the months whose records
changed, and the current one) or count every month again from scratch, with a progress bar."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.dashboards import rollup
from civicpulse.dashboards.cache import warm


class Command(BaseCommand):
    help = "Dashboards: `refresh` rebuilds the months whose records changed; `rebuild` rebuilds every month."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("refresh", help="rebuild the months whose records changed, and the current month")
        sub.add_parser("rebuild", help="rebuild every month that has records")

    def handle(self, *args: Any, **options: Any) -> None:
        months = rollup.months_with_records() if options["verb"] == "rebuild" else None
        with tqdm(
            total=len(months) if months is not None else None,
            unit=_("month"),
            file=sys.stderr,
            disable=options["verbosity"] == 0,
        ) as bar:

            def progress(month: Any) -> None:
                bar.set_postfix_str(f"{month:%Y-%m}")
                bar.update(1)

            done = (
                rollup.rebuild(progress=progress)
                if options["verb"] == "rebuild"
                else rollup.refresh(progress=progress)
            )
        warm()
        self.stdout.write(_("%(n)d months rebuilt.") % {"n": len(done)})
