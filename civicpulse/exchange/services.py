"""Every write of upward reporting: feeds, export batches (requested, written, failed), downloads, and the
scheduled run of due feeds.

A batch is requested in one transaction (its window fixed there and then) and written by the worker or
the CLI. The watermark moves in the same transaction that marks the batch ready, and only if it still
stands where the batch began: a failed or interrupted export leaves it where it was, and the next batch
covers the same changes again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from civicpulse.exchange import formats, records
from civicpulse.exchange.enums import OPEN_BATCH, BatchStatus, Format, Schedule
from civicpulse.exchange.models import Batch, Feed
from civicpulse.exchange.schema import fields

logger = logging.getLogger("civicpulse.exchange")

Progress = Callable[[int, int], None]

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
CONTENT_TYPES = {Format.JSONL: "application/x-ndjson; charset=utf-8", Format.CSV: "text/csv; charset=utf-8"}
# Batch.error holds one of these codes; the pages say the sentence in the reader's language.
ERRORS = {
    "export_failed": _("The file could not be written; the server log has the details."),
    "interrupted": _("The worker stopped before the file was written."),
    "watermark_moved": _("Another export of this feed finished first; this one was discarded."),
}


def _config(key: str, default: Any) -> Any:
    return settings.CIVICPULSE.get(key, default)


def source_code() -> str:
    """The reporting platform's code: the first part of every record id, so it must never change."""
    return str(_config("EXCHANGE_SOURCE_CODE", "civicpulse"))


def settle() -> dt.timedelta:
    """How far behind "now" a cut-off stays: a write whose transaction began before the cut-off but
    committed after it would otherwise fall between two windows."""
    return dt.timedelta(seconds=int(_config("EXCHANGE_SETTLE_SECONDS", 120)))


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=int(_config("EXCHANGE_STALE_MINUTES", 60)))


# --- cut-offs (pure) ----------------------------------------------------------------------------------------


def latest_cutoff(now: dt.datetime, lag: dt.timedelta) -> dt.datetime:
    """The latest cut-off that may be exported at `now`: `lag` earlier, in whole seconds."""
    return (now - lag).replace(microsecond=0)


def scheduled_cutoff(schedule: str, now: dt.datetime, lag: dt.timedelta) -> dt.datetime | None:
    """The boundary a scheduled feed exports up to: the last full hour, or the last local midnight, that
    is at least `lag` old. None for feeds exported on request only."""
    latest = timezone.localtime(latest_cutoff(now, lag))
    if schedule == Schedule.HOURLY:
        return latest.replace(minute=0, second=0)
    if schedule == Schedule.DAILY:
        return latest.replace(hour=0, minute=0, second=0)
    return None


# --- feeds --------------------------------------------------------------------------------------------------


def _may_export(actor: User | None, unit: OrgUnit) -> bool:
    """The CLI and the worker act for the installation (actor None); people need the right over the unit."""
    return actor is None or has_perm_on_unit(actor, Perm.EXCHANGE_EXPORT, unit)


@transaction.atomic
def feed_create(
    *,
    actor: User | None,
    name: str,
    unit: OrgUnit,
    fmt: str,
    schedule: str,
    destination: str = "",
    since: dt.datetime | None = None,
) -> Feed:
    """A feed of the unit's subtree. `since`: changes up to then are not sent (the receiving platform has
    them already); without it the first batch sends the whole history."""
    if not _may_export(actor, unit):
        raise Forbidden(_("You cannot export the data of this unit."), code="unit_not_covered")
    name = name.strip()
    if not NAME.match(name):
        raise ValidationFailed(
            _("A feed's name is 2 to 40 lower-case letters, digits, dashes or underscores."),
            code="invalid_name",
        )
    if fmt not in Format.values:
        raise ValidationFailed(_("Choose the format: JSON Lines or CSV."), code="invalid_format")
    if schedule not in Schedule.values:
        raise ValidationFailed(
            _("Choose the schedule: on request, hourly or daily."), code="invalid_schedule"
        )
    destination = destination.strip()
    if len(destination) > 200:
        raise ValidationFailed(
            _("The destination is longer than 200 characters."), code="destination_too_long"
        )
    now = clock.now()
    if since is not None:
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        since = since.replace(microsecond=0)
        if since > latest_cutoff(now, settle()):
            raise ValidationFailed(
                _("The start of the feed cannot be in the future."), code="since_in_future"
            )
    try:
        with transaction.atomic():
            feed = Feed.objects.create(
                name=name,
                unit=unit,
                destination=destination,
                format=fmt,
                schedule=schedule,
                last_cutoff=since,
                created_by=actor,
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(
            _("There is already a feed called %(name)s.") % {"name": name}, code="feed_exists"
        ) from None
    audit_record(
        actor=actor,
        action="exchange.feed.created",
        target=feed,
        unit=unit,
        data={
            "exchange_format": fmt,
            "exchange_schedule": schedule,
            "since": records.stamp(since) or "",
        },
    )
    return feed


@transaction.atomic
def feed_set_active(*, actor: User | None, feed: Feed, active: bool) -> Feed:
    feed = Feed.objects.select_for_update().select_related("unit").get(pk=feed.pk)
    if not _may_export(actor, feed.unit):
        raise NotFound()
    if feed.is_active == active:
        return feed
    feed.is_active = active
    feed.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="exchange.feed.activated" if active else "exchange.feed.deactivated",
        target=feed,
        unit=feed.unit,
    )
    return feed


# --- batches ------------------------------------------------------------------------------------------------


def _enqueue(batch_id: int) -> None:
    from civicpulse.exchange.tasks import export_batch_task

    export_batch_task.enqueue(batch_id)


def batch_request(
    *, actor: User | None, feed: Feed, until: dt.datetime | None = None, enqueue: bool = True
) -> tuple[Batch, bool]:
    """Fix the next window of the feed, (watermark, until], as a batch for the worker (after commit).

    Asking while a batch of the feed is waiting or being written returns that batch (False): a repeated
    click or retried request never exports twice."""
    with transaction.atomic():
        feed = Feed.objects.select_for_update().select_related("unit").get(pk=feed.pk)
        if not _may_export(actor, feed.unit):
            raise NotFound()
        waiting = feed.batches.filter(status__in=OPEN_BATCH).first()
        if waiting is not None:
            return waiting, False
        if not feed.is_active:
            raise Conflict(_("The feed is switched off."), code="feed_inactive")
        now = clock.now()
        latest = latest_cutoff(now, settle())
        if until is None:
            until = latest
        else:
            until = (timezone.make_aware(until) if timezone.is_naive(until) else until).replace(microsecond=0)
        if until > latest:
            raise ValidationFailed(
                _(
                    "The cut-off must be at least %(seconds)s seconds in the past, so that every change "
                    "up to it has been saved."
                )
                % {"seconds": int(settle().total_seconds())},
                code="cutoff_too_recent",
            )
        if feed.last_cutoff is not None and until <= feed.last_cutoff:
            raise Conflict(
                _("Nothing new to export: the feed is exported up to %(cutoff)s.")
                % {"cutoff": records.stamp(feed.last_cutoff)},
                code="up_to_date",
            )
        batch = Batch.objects.create(
            feed=feed, since=feed.last_cutoff, until=until, created_by=actor, created_at=now
        )
        audit_record(
            actor=actor,
            action="exchange.batch.requested",
            target=batch,
            unit=feed.unit,
            data={"since": records.stamp(batch.since) or "", "until": records.stamp(until)},
        )
        if enqueue:
            transaction.on_commit(functools.partial(_enqueue, batch.pk))
    return batch, True


def render(
    *,
    feed: Feed,
    since: dt.datetime | None,
    until: dt.datetime,
    progress: Progress | None = None,
    counter: list[int] | None = None,
) -> Iterator[bytes]:
    """The bytes of a window of the feed, in chunks; `counter[0]` counts the records as they go."""
    found = records.export_records(
        unit=feed.unit, since=since, until=until, source=source_code(), progress=progress
    )

    def counted() -> Iterator[dict[str, Any]]:
        for each in found:
            if counter is not None:
                counter[0] += 1
            yield each

    return formats.encode(counted(), fields(), feed.format)


def _write(batch: Batch, progress: Progress | None) -> tuple[int, str, int, str]:
    """Write the batch's file; returns (records, sha256, size, storage name)."""
    digest = hashlib.sha256()
    counter = [0]
    size = 0
    with tempfile.TemporaryFile() as spool:
        for chunk in render(
            feed=batch.feed, since=batch.since, until=batch.until, progress=progress, counter=counter
        ):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        name = default_storage.save(f"exchange/{batch.feed_id}/{batch.pk}.{batch.feed.format}", File(spool))
    return counter[0], digest.hexdigest(), size, name


def batch_run(*, batch_id: int, progress: Progress | None = None) -> Batch:
    """Write a requested batch and move the feed's watermark; a batch not waiting is returned untouched."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if batch.status != BatchStatus.PENDING:
            return batch
        batch.status = BatchStatus.RUNNING
        batch.started_at = clock.now()
        batch.save(update_fields=["status", "started_at"])
    batch = Batch.objects.select_related("feed__unit").get(pk=batch_id)
    saved = ""
    try:
        count, checksum, size, saved = _write(batch, progress)
        return _finish(batch, count, checksum, size, saved)
    except Exception as exc:
        if saved:
            default_storage.delete(saved)
        if not isinstance(exc, DomainError):
            logger.exception("export batch %s failed", batch_id)
        return _fail(batch, exc.code if isinstance(exc, DomainError) else "export_failed")


@transaction.atomic
def _finish(batch: Batch, count: int, checksum: str, size: int, name: str) -> Batch:
    feed = Feed.objects.select_for_update().select_related("unit").get(pk=batch.feed_id)
    current = Batch.objects.select_for_update().get(pk=batch.pk)
    if current.status != BatchStatus.RUNNING:
        raise Conflict(ERRORS["interrupted"], code="interrupted")
    if feed.last_cutoff != batch.since:
        raise Conflict(ERRORS["watermark_moved"], code="watermark_moved")
    feed.last_cutoff = batch.until
    feed.save(update_fields=["last_cutoff"])
    current.status = BatchStatus.SUCCEEDED
    current.record_count, current.checksum, current.size, current.file = count, checksum, size, name
    current.finished_at = clock.now()
    current.save()
    audit_record(
        actor=None,
        action="exchange.batch.exported",
        target=current,
        unit=feed.unit,
        data={"records": count, "until": records.stamp(batch.until), "checksum": checksum},
    )
    return current


@transaction.atomic
def _fail(batch: Batch, code: str) -> Batch:
    """Mark a waiting or running batch failed (once); the watermark is not touched."""
    changed = Batch.objects.filter(pk=batch.pk, status__in=OPEN_BATCH).update(
        status=BatchStatus.FAILED, error=code, finished_at=clock.now()
    )
    failed = Batch.objects.select_related("feed__unit").get(pk=batch.pk)
    if changed:
        audit_record(
            actor=None,
            action="exchange.batch.failed",
            target=failed,
            unit=failed.feed.unit,
            data={"error": code},
        )
    return failed


def exchange_scan(*, enqueue: bool = True) -> list[Batch]:
    """What the worker runs periodically: give up on batches whose worker died, and request the next
    batch of every scheduled feed whose boundary has passed (for the worker, or for the caller to write
    when `enqueue` is False). Safe to run repeatedly."""
    now = clock.now()
    limit = now - stale_after()
    for batch in Batch.objects.filter(status__in=OPEN_BATCH, created_at__lt=limit).order_by("pk"):
        if batch.status == BatchStatus.PENDING or (batch.started_at is not None and batch.started_at < limit):
            _fail(batch, "interrupted")
    requested: list[Batch] = []
    for feed in Feed.objects.filter(is_active=True).exclude(schedule=Schedule.MANUAL).order_by("pk"):
        cutoff = scheduled_cutoff(feed.schedule, now, settle())
        if cutoff is None or (feed.last_cutoff is not None and cutoff <= feed.last_cutoff):
            continue
        try:
            batch, created = batch_request(actor=None, feed=feed, until=cutoff, enqueue=enqueue)
        except DomainError:
            continue
        if created:
            requested.append(batch)
    return requested


def download_name(batch: Batch) -> str:
    def compact(moment: dt.datetime | None) -> str:
        return "start" if moment is None else timezone.localtime(moment).strftime("%Y%m%dT%H%M%S")

    return f"{batch.feed.name}_{compact(batch.since)}_{compact(batch.until)}.{batch.feed.format}"


@transaction.atomic
def batch_download(*, actor: User | None, batch: Batch) -> tuple[IO[bytes], str, str]:
    """The batch's file to send, its download name and content type; every download is audited."""
    feed = batch.feed
    if not _may_export(actor, feed.unit):
        raise NotFound()
    if batch.status != BatchStatus.SUCCEEDED:
        raise Conflict(_("This export has no file: it is not ready."), code="not_ready")
    try:
        handle: IO[bytes] = default_storage.open(batch.file, "rb")
    except FileNotFoundError:
        raise Conflict(
            _("The file of this export is missing from the server."), code="file_missing"
        ) from None
    audit_record(actor=actor, action="exchange.batch.downloaded", target=batch, unit=feed.unit)
    return handle, download_name(batch), CONTENT_TYPES[Format(feed.format)]


@dataclass(frozen=True)
class Verification:
    stored: bool  # the stored file still has the recorded SHA-256
    reproduced: bool  # writing the window again gives the recorded SHA-256


def batch_verify(*, batch: Batch) -> Verification:
    """Check a ready batch twice over: its file is intact, and its window still gives the same bytes."""
    if batch.status != BatchStatus.SUCCEEDED:
        raise Conflict(_("This export has no file: it is not ready."), code="not_ready")
    stored = hashlib.sha256()
    try:
        with default_storage.open(batch.file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                stored.update(block)
    except FileNotFoundError:
        raise Conflict(
            _("The file of this export is missing from the server."), code="file_missing"
        ) from None
    again = hashlib.sha256()
    for chunk in render(feed=batch.feed, since=batch.since, until=batch.until):
        again.update(chunk)
    return Verification(
        stored=stored.hexdigest() == batch.checksum, reproduced=again.hexdigest() == batch.checksum
    )
