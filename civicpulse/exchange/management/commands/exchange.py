"""`civicpulse exchange ...`: upward-reporting feeds and exports from the command line.

feed-add --name NAME --unit CODE --format jsonl|csv [--schedule manual|hourly|daily]
         [--destination TEXT] [--since ISO-DATETIME]
feeds                      list the feeds and their watermarks
export --feed NAME [--until ISO-DATETIME]   write the feed's next window now
verify --batch ID          write a batch's window again and compare the SHA-256
run-due                    write the batches of scheduled feeds that are due (cron, without the worker)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.accounts.models import OrgUnit
from civicpulse.core.errors import DomainError
from civicpulse.exchange import services
from civicpulse.exchange.enums import BatchStatus, Format, Schedule
from civicpulse.exchange.models import Batch, Feed


def _moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Upward reporting: feeds of evaluations and rectifications, and their exports."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("feed-add", help="create a feed")
        add.add_argument("--name", required=True)
        add.add_argument("--unit", required=True, help="code of the unit whose subtree the feed sends")
        add.add_argument("--format", required=True, choices=Format.values)
        add.add_argument("--schedule", default=Schedule.DAILY, choices=Schedule.values)
        add.add_argument("--destination", default="")
        add.add_argument("--since", type=_moment, default=None, help="send only changes after this moment")
        sub.add_parser("feeds", help="list the feeds")
        export = sub.add_parser("export", help="export the feed's next window now")
        export.add_argument("--feed", required=True)
        export.add_argument(
            "--until", type=_moment, default=None, help="cut-off (default: as late as allowed)"
        )
        verify = sub.add_parser("verify", help="check that a batch's window still gives the same bytes")
        verify.add_argument("--batch", type=int, required=True)
        sub.add_parser("run-due", help="write the batches of scheduled feeds that are due")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["verb"].replace("-", "_"))(options)
        except DomainError as error:
            raise CommandError(str(error.message)) from None

    def _feed(self, name: str) -> Feed:
        feed = Feed.objects.select_related("unit").filter(name=name).first()
        if feed is None:
            raise CommandError(_("There is no feed called %(name)s.") % {"name": name})
        return feed

    def _feed_add(self, options: dict[str, Any]) -> None:
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(_("There is no unit %(code)s.") % {"code": options["unit"]})
        feed = services.feed_create(
            actor=None,
            name=options["name"],
            unit=unit,
            fmt=options["format"],
            schedule=options["schedule"],
            destination=options["destination"],
            since=options["since"],
        )
        self.stdout.write(
            _("Feed %(name)s created for %(unit)s and everything under it.")
            % {"name": feed.name, "unit": unit.code}
        )

    def _feeds(self, options: dict[str, Any]) -> None:
        for feed in Feed.objects.select_related("unit").order_by("name"):
            self.stdout.write(
                "\t".join(
                    [
                        feed.name,
                        feed.unit.code,
                        feed.format,
                        feed.schedule,
                        timezone.localtime(feed.last_cutoff).isoformat() if feed.last_cutoff else "-",
                        _("active") if feed.is_active else _("off"),
                    ]
                )
            )

    def _export(self, options: dict[str, Any]) -> None:
        feed = self._feed(options["feed"])
        batch, created = services.batch_request(actor=None, feed=feed, until=options["until"], enqueue=False)
        if not created:
            raise CommandError(_("Export %(batch)s of this feed is already under way.") % {"batch": batch.pk})
        # tqdm redraws in place: give it the raw stream, not the wrapper that ends each write with a newline.
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(desc=_("Export"), unit="record", file=stream, disable=options["verbosity"] < 1) as bar:

            def report(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            batch = services.batch_run(batch_id=batch.pk, progress=report)
        if batch.status != BatchStatus.SUCCEEDED:
            raise CommandError(
                _("Export %(batch)s failed: %(error)s")
                % {"batch": batch.pk, "error": services.ERRORS.get(batch.error, batch.error)}
            )
        self.stdout.write(
            _("Export %(batch)s: %(records)s records up to %(until)s, SHA-256 %(checksum)s, file %(file)s.")
            % {
                "batch": batch.pk,
                "records": batch.record_count,
                "until": timezone.localtime(batch.until).isoformat(),
                "checksum": batch.checksum,
                "file": batch.file,
            }
        )

    def _verify(self, options: dict[str, Any]) -> None:
        batch = Batch.objects.select_related("feed__unit").filter(pk=options["batch"]).first()
        if batch is None:
            raise CommandError(_("There is no export %(batch)s.") % {"batch": options["batch"]})
        result = services.batch_verify(batch=batch)
        if not result.stored:
            raise CommandError(
                _("The file of export %(batch)s no longer has its recorded SHA-256.") % {"batch": batch.pk}
            )
        if not result.reproduced:
            raise CommandError(
                _("Export %(batch)s differs from its window written again.") % {"batch": batch.pk}
            )
        self.stdout.write(_("Export %(batch)s is intact and reproduced byte for byte.") % {"batch": batch.pk})

    def _run_due(self, options: dict[str, Any]) -> None:
        """For installations run from cron: request what is due and write it here, without the worker."""
        written = [services.batch_run(batch_id=batch.pk) for batch in services.exchange_scan(enqueue=False)]
        failed = [batch for batch in written if batch.status != BatchStatus.SUCCEEDED]
        self.stdout.write(
            _("Exports written: %(written)s, failed: %(failed)s.")
            % {"written": len(written) - len(failed), "failed": len(failed)}
        )
        if failed:
            raise CommandError(_("Some exports failed; see the feeds' pages."))
