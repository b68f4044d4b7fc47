"""Upward-reporting API: feeds, their batches, triggering an export, downloading it, and the schema."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut
from civicpulse.core.errors import NotFound
from civicpulse.exchange import selectors, services
from civicpulse.exchange.models import Batch, Feed
from civicpulse.exchange.schema import SCHEMA_NAME, SCHEMA_PATH
from civicpulse.exchange.schemas import BatchIn, BatchOut, FeedOut

router = Router(tags=["exchange"], auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}
PAGE = 200


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class BatchFilter(Schema):
    feed: str = ""


@router.get(
    "/schemas/{name}", auth=None, url_name="exchange_schema", summary="JSON Schema of one exported record"
)
def schema_file(request: HttpRequest, name: str) -> HttpResponse:
    # Public on purpose: the receiving platform's developers need it, and it holds no data.
    if name != SCHEMA_NAME:
        raise NotFound()
    return HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/schema+json")


@router.get("/feeds", response={200: list[FeedOut], **ERRORS}, summary="Feeds of the units you export for")
def feed_list(request: HttpRequest) -> Any:
    require_perm(request.user, Perm.EXCHANGE_EXPORT)
    return selectors.feed_list(user=request.user)


@router.get("/feeds/{name}", response={200: FeedOut, **ERRORS}, summary="One feed")
def feed_detail(request: HttpRequest, name: str) -> Feed:
    return selectors.access_feed(request.user, name)


@router.get("/batches", response={200: list[BatchOut], **ERRORS}, summary="Export batches, newest first")
def batch_list(request: HttpRequest, filters: Query[BatchFilter]) -> Any:
    require_perm(request.user, Perm.EXCHANGE_EXPORT)
    feed = selectors.access_feed(request.user, filters.feed) if filters.feed else None
    return selectors.batch_list(user=request.user, feed=feed)[:PAGE]


@router.post(
    "/feeds/{name}/batches",
    response={200: BatchOut, 202: BatchOut, **ERRORS},
    summary="Export the feed's next window (202: requested; 200: one is already under way)",
)
def batch_trigger(request: HttpRequest, name: str, payload: BatchIn | None = None) -> Status[Batch]:
    feed = selectors.access_feed(request.user, name)
    batch, created = services.batch_request(
        actor=_user(request), feed=feed, until=payload.until if payload else None
    )
    return Status(202 if created else 200, batch)


@router.get("/batches/{batch_id}", response={200: BatchOut, **ERRORS}, summary="One export batch")
def batch_detail(request: HttpRequest, batch_id: int) -> Batch:
    return selectors.access_batch(request.user, batch_id)


@router.get(
    "/batches/{batch_id}/file",
    url_name="exchange_batch_file",
    response={200: None, **ERRORS},
    summary="Download a batch's file (audited)",
)
def batch_file(request: HttpRequest, batch_id: int) -> FileResponse:
    batch = selectors.access_batch(request.user, batch_id)
    handle, filename, content_type = services.batch_download(actor=_user(request), batch=batch)
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["X-Checksum-SHA256"] = batch.checksum
    return response
