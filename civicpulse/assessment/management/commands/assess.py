"""`civicpulse assess run --scheme CODE --period 2026-10 [--cutoff ISO-DATETIME]`: one assessment run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.assessment.enums import SchemeStatus
from civicpulse.assessment.models import SchemeVersion
from civicpulse.assessment.services import run_compute
from civicpulse.core.errors import DomainError


def _cutoff(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Assessment runs: `run` computes a scheme's published version for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        run = sub.add_parser("run", help="compute a run and store it")
        run.add_argument("--scheme", required=True, help="scheme code")
        run.add_argument("--period", required=True, help="2026-10, 2026-Q3 or 2026")
        run.add_argument("--cutoff", type=_cutoff, default=None, help="data cut-off (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        version = SchemeVersion.objects.filter(
            scheme__code=options["scheme"], status=SchemeStatus.PUBLISHED
        ).first()
        if version is None:
            raise CommandError(
                _("No published version of the scheme %(code)s.") % {"code": options["scheme"]}
            )
        # tqdm redraws in place: give it the raw stream, not the wrapper that ends each write with a newline.
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(desc=_("Assessment"), unit="subject", file=stream, disable=options["verbosity"] < 1) as bar:

            def report(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                run = run_compute(
                    actor=None,
                    version=version,
                    period=options["period"],
                    cutoff=options["cutoff"],
                    progress=report,
                )
            except DomainError as error:
                raise CommandError(str(error.message)) from None
        self.stdout.write(
            _("Run %(run)s: %(subjects)s subjects, input digest %(digest)s.")
            % {"run": run, "subjects": run.subjects.count(), "digest": run.digest[:12]}
        )
