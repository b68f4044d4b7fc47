"""The rectification tests' county (a hall window staffed by dept-a, one published service) with bad reviews
made the real way, and helpers to export a feed and read its file back."""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage

from civicpulse.core import clock
from civicpulse.exchange import services
from civicpulse.exchange.models import Batch, Feed
from tests.exchange.reading import parse
from tests.rectification.conftest import _english, at, reviewer, world  # noqa: F401


def make_feed(
    unit, name: str = "province", fmt: str = "jsonl", schedule: str = "manual", since=None, now=None
) -> Feed:
    with clock.frozen(now or at("2025-06-02")):
        return services.feed_create(actor=None, name=name, unit=unit, fmt=fmt, schedule=schedule, since=since)


def export(feed: Feed, now: dt.datetime, until: dt.datetime | None = None) -> Batch:
    """Request the feed's next window at `now` and write it at once, as the CLI does."""
    with clock.frozen(now):
        batch, created = services.batch_request(actor=None, feed=feed, until=until, enqueue=False)
        assert created
        return services.batch_run(batch_id=batch.pk)


def content(batch: Batch) -> bytes:
    with default_storage.open(batch.file, "rb") as handle:
        return handle.read()


def exported(batch: Batch) -> list[dict]:
    return parse(content(batch), batch.feed.format)
