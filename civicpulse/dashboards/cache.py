"""Dashboards rendered once per refresh of the cells: a board depends only on its filters, the language and
the cells (and for "my service", on who asks), so its HTML is kept, keyed by all of them, until the next
refresh. The worker renders the region's landing pages right after each refresh (`warm`)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.core import clock
from civicpulse.dashboards import panels
from civicpulse.dashboards.models import RenderedBoard
from civicpulse.dashboards.selectors import Filters, default_span, freshness

# The lenses whose board is the same for everyone who may see the scope.
SHARED_LENSES = ("overview", "unit", "quality", "difficulty")


def _key(lens: str, filters: Filters, language: str, mark: dt.datetime, user: User | None) -> str:
    who = str(user.pk) if lens not in SHARED_LENSES and user is not None else ""
    text = "|".join(
        str(part)
        for part in (
            lens,
            filters.unit.pk,
            filters.start,
            filters.end,
            filters.service_id,
            filters.channel,
            language,
            mark.isoformat(),
            who,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def board_html(lens: str, *, user: User | None, filters: Filters) -> str:
    """The board's HTML, from the store if the cells have not changed since it was rendered."""
    mark = freshness()
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = _key(lens, filters, language, mark, user) if mark is not None else ""
    if key:
        found = RenderedBoard.objects.filter(key=key).values_list("html", flat=True).first()
        if found is not None:
            return found
    board = panels.board(lens, user=user, filters=filters)
    html = render_to_string(
        "dashboards/partials/board.html", {"board": board, "query": panels.query_of(filters)}
    )
    if key:
        try:
            with transaction.atomic():
                RenderedBoard.objects.create(key=key, html=html, refreshed_at=mark, rendered_at=clock.now())
        except IntegrityError:
            pass  # another request rendered the same board meanwhile: both are the same
    return html


def warm() -> int:
    """Drop boards of older cells, then render the region's landing pages (the twelve months up to now, every
    lens that does not depend on who asks, in every language). Answers how many were rendered."""
    mark = freshness()
    RenderedBoard.objects.exclude(refreshed_at=mark).delete()
    today = clock.today()
    start, end = default_span(today)
    rendered = 0
    for root in OrgUnit.objects.filter(parent__isnull=True, is_active=True):
        filters = Filters(unit=root, start=start, end=end)
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for lens in SHARED_LENSES:
                    board_html(lens, user=None, filters=filters)
                    rendered += 1
    return rendered
