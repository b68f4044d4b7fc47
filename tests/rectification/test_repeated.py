"""Repeated bad reviews: services and units with REPEATED_BAD_REVIEWS valid bad reviews in a month."""

from __future__ import annotations

from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification.selectors import Month, month_parse, repeated_bad_reviews
from tests import factories
from tests.rectification.conftest import at, bad_review, hall_case, rate


def codes(rows) -> list[tuple[str, int]]:
    return [(r["code"], r["count"]) for r in rows]


def test_only_valid_bad_reviews_within_the_month_count_toward_the_threshold(world, settings):
    factories.published_service(world, "SVC-2")
    for hour in (9, 10, 11):
        bad_review(world, hour=hour)
    bad_review(world, hour=12, service="SVC-2")
    # Neither a review outside the month (Shanghai time) nor a neutral one nor an excluded one counts.
    bad_review(world, day="2025-10-31", hour=23)
    bad_review(world, day="2025-12-01", hour=0)
    rate(hall_case(world, hour=13), hour=13, rating=ev.Rating(level=3, dimensions={}, tags=["slow"]))
    excluded = bad_review(world, hour=14, service="SVC-2")
    Evaluation.objects.filter(pk=excluded.evaluation_id).update(status="excluded", exclusion="appeal")
    result = repeated_bad_reviews(user=world.supervisor, month=Month(2025, 11))
    assert codes(result.services) == [("SVC-1", 3)]
    assert codes(result.units) == [("window-1", 4)]
    settings.CIVICPULSE = {**settings.CIVICPULSE, "REPEATED_BAD_REVIEWS": 5}
    assert repeated_bad_reviews(user=world.supervisor, month=Month(2025, 11)).units == []


def test_the_list_is_scoped_to_the_units_the_user_reviews(world):
    for hour in (9, 10, 11):
        bad_review(world, hour=hour)
    assert repeated_bad_reviews(user=world.head_b, month=Month(2025, 11)).services == []
    assert codes(repeated_bad_reviews(user=world.quality_a, month=Month(2025, 11)).services) == [("SVC-1", 3)]


def test_the_default_month_is_the_current_one(world):
    with clock.frozen(at("2025-02-14")):
        assert month_parse("") == Month(2025, 2)
    assert str(month_parse("2024-12")) == "2024-12"
    start, end = Month(2024, 12).bounds
    assert (start.isoformat(), end.isoformat()) == ("2024-12-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00")
