"""Reads of feeds and batches, scoped to the units over which the user may export (deny by default)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core.errors import NotFound
from civicpulse.exchange.models import Batch, Feed


def feed_scope(user: User | AnonymousUser | None, prefix: str = "") -> Q:
    """Feeds (or rows reaching one through `prefix`) of a unit inside a subtree the user exports for."""
    return unit_filter(user, Perm.EXCHANGE_EXPORT, field=f"{prefix}unit")


def feed_list(*, user: User | AnonymousUser) -> QuerySet[Feed]:
    return Feed.objects.filter(feed_scope(user)).select_related("unit").order_by("name")


def batch_list(*, user: User | AnonymousUser, feed: Feed | None = None) -> QuerySet[Batch]:
    rows = Batch.objects.filter(feed_scope(user, "feed__")).select_related("feed", "feed__unit", "created_by")
    if feed is not None:
        rows = rows.filter(feed=feed)
    return rows.order_by("-created_at", "-pk")


def access_feed(user: User | AnonymousUser | None, name: str) -> Feed:
    feed = Feed.objects.filter(feed_scope(user), name=str(name)).select_related("unit").first()
    if feed is None:
        raise NotFound()
    return feed


def access_batch(user: User | AnonymousUser | None, batch_id: Any) -> Batch:
    try:
        return Batch.objects.select_related("feed", "feed__unit", "created_by").get(
            feed_scope(user, "feed__"), pk=int(batch_id)
        )
    except (Batch.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
