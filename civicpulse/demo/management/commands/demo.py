"""`civicpulse demo [--seed N] [--if-empty] [--today DATE]`: build the demo county into an empty database."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.core import clock
from civicpulse.core.errors import DomainError
from civicpulse.demo import builder


class _RawStream:
    """tqdm redraws its bar with carriage returns; OutputWrapper would end each write with a newline."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = "Build a realistic demo county (organisation, staff, service catalogue) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed: the same seed, the same county"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="skip quietly, and succeed, when the database already holds organisation units",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the history ends on the Monday of this date's week (default: this week), YYYY-MM-DD",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and OrgUnit.objects.exists():
            self.stdout.write(_("The database already holds organisation units: the demo county is skipped."))
            if User.objects.filter(username=builder.DEMO_LOGINS[0][0]).exists():
                self._print_logins()
            return
        started = time.monotonic()
        with tqdm(
            total=builder.work_total(),
            desc=_("Demo county"),
            unit="step",
            file=_RawStream(self.stderr),
            disable=options["verbosity"] < 1,
            leave=False,
        ) as bar:

            def report(done: int, total: int, stage: str) -> None:
                bar.set_description_str(stage, refresh=False)
                bar.update(done - bar.n)

            try:
                today = options["today"] or clock.today()
                summary = builder.build(seed=options["seed"], progress=report, now=builder.demo_now(today))
            except DomainError as error:
                raise CommandError(str(error.message)) from None
        # Fresh tables have no planner statistics: PostgreSQL would pick nested loops over every join
        # until autovacuum runs (the public search was 60x slower before this).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo county built from seed %(seed)s in %(seconds).1f s.")
                % {"seed": summary.seed, "seconds": time.monotonic() - started}
            )
        )
        rows = [(str(label), str(value)) for label, value in summary.rows()]
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"  {label.ljust(width)}  {value.rjust(5)}")
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            _("Sign in with these accounts, password %(password)s:") % {"password": builder.DEMO_PASSWORD}
        )
        width = max(len(username) for username, _role in builder.DEMO_LOGINS)
        for username, role in builder.DEMO_LOGINS:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
