"""The demo county's published results: the last complete months and quarter, published by its quality
office as of a few days after each ended, readable by anyone in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from civicpulse.demo import builder
from civicpulse.publication import demo
from civicpulse.publication.models import PublishedExample, PublishedFigure, PublishedPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def county(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo county as `civicpulse demo` builds it, its results published once for the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        builder.build(seed=2026)
        start = (builder.DEMO_NOW - dt.timedelta(weeks=26)).date()
        demo.build(start=start, now=builder.DEMO_NOW)
        yield
        transaction.set_rollback(True)


def test_the_demo_publishes_its_last_complete_months_and_quarter(county: None) -> None:
    periods = list(PublishedPeriod.objects.order_by("start", "kind"))
    assert [(p.label, p.status) for p in periods] == [
        ("2026-Q1", "live"),
        ("2026-03", "live"),
        ("2026-04", "live"),
        ("2026-05", "live"),
    ]
    # Each is published after it ended and before the demo's now, as of that moment.
    for p in periods:
        assert p.end < p.cutoff.date() and p.cutoff < builder.DEMO_NOW
        assert (p.scope_code, p.published_by.username, p.min_sample) == (
            "example-county",
            "quality",
            demo.DEMO_MIN_SAMPLE,
        )
    quarter = periods[0]
    categories = set(
        PublishedFigure.objects.filter(period=quarter, subject_kind="department").values_list(
            "category_code", flat=True
        )
    )
    assert categories == {"window", "approval", "town", "enforcement"}
    assert PublishedFigure.objects.filter(period=quarter, rank=1).exists()
    assert PublishedExample.objects.filter(period__in=periods).exists()


def test_running_the_demo_step_again_publishes_nothing_more(county: None) -> None:
    assert demo.build(start=dt.date(2025, 12, 1), now=builder.DEMO_NOW) == []
    assert PublishedPeriod.objects.count() == 4


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_demo_results_read_in_both_languages(county: None, language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    for period in PublishedPeriod.objects.all():
        page = client.get(f"/results/{period.slug}/")
        assert page.status_code == 200
        assert ("Good-review rate" if language == "en" else "好评率") in page.content.decode()
        assert client.get(f"/open-data/{period.slug}/services.csv").status_code == 200
