from __future__ import annotations

import datetime as dt

from django.urls import reverse
from ninja import Schema

from civicpulse.exchange.enums import BatchStatus
from civicpulse.exchange.models import Batch, Feed
from civicpulse.exchange.schema import SCHEMA_NAME, SCHEMA_VERSION
from civicpulse.exchange.services import ERRORS


def schema_url() -> str:
    return reverse("api:exchange_schema", kwargs={"name": SCHEMA_NAME})


class FeedOut(Schema):
    name: str
    unit: str
    destination: str
    format: str
    schedule: str
    last_cutoff: dt.datetime | None
    is_active: bool
    schema_version: str
    schema_url: str

    @staticmethod
    def resolve_unit(obj: Feed) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_schema_version(obj: Feed) -> str:
        return SCHEMA_VERSION

    @staticmethod
    def resolve_schema_url(obj: Feed) -> str:
        return schema_url()


class BatchOut(Schema):
    id: int
    feed: str
    since: dt.datetime | None
    until: dt.datetime
    status: str
    record_count: int | None
    size: int | None
    checksum: str
    error: str
    error_message: str
    created_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    download_url: str | None

    @staticmethod
    def resolve_feed(obj: Batch) -> str:
        return obj.feed.name

    @staticmethod
    def resolve_error_message(obj: Batch) -> str:
        return str(ERRORS.get(obj.error, obj.error))

    @staticmethod
    def resolve_created_by(obj: Batch) -> str | None:
        return obj.created_by.username if obj.created_by else None

    @staticmethod
    def resolve_download_url(obj: Batch) -> str | None:
        if obj.status != BatchStatus.SUCCEEDED:
            return None
        return reverse("api:exchange_batch_file", kwargs={"batch_id": obj.pk})


class BatchIn(Schema):
    # Default: as late as allowed (now minus the settling lag).
    until: dt.datetime | None = None
