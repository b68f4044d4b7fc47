"""The quality office's publishing pages: preview, publish with the examples it kept, withdraw."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.publication.models import PublishedExample, PublishedPeriod
from tests.publication.conftest import at, rated
from tests.publication.test_publishing import _rectified

pytestmark = pytest.mark.django_db


def test_the_office_previews_a_period_and_publishes_the_examples_it_kept(county_world, client_for):
    w = county_world
    rated(w.desk_a, "2025-11-03", [5] * 12 + [1, 1], text="窗口王小明态度差")
    kept, dropped = _rectified(w, "satisfied"), _rectified(w, "satisfied")
    client = client_for(w.office)
    with clock.frozen(at("2025-12-05")):
        desk = client.get("/staff/publication/").content.decode()
        assert '<option value="2025-11">' in desk and '<option value="2025-12">' not in desk
        page = client.get("/staff/publication/preview/?scope=county&period=2025-11")
        text = page.content.decode()
        assert page.status_code == 200
        # dept-a: 12 good reviews of 14, as the public will read it.
        assert "dept-a unit" in text and "85.7%" in text
        assert f'name="example" value="{kept.pk}" checked' in text
        assert f'name="example" value="{dropped.pk}" checked' in text
        assert "王小明" not in text and "王**" in text
        assert not PublishedPeriod.objects.exists()
        done = client.post(
            "/staff/publication/preview/", {"scope": "county", "period": "2025-11", "example": [str(kept.pk)]}
        )
    period = PublishedPeriod.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/staff/publication/{period.slug}/"
    assert list(PublishedExample.objects.values_list("order_id", flat=True)) == [kept.pk]
    detail = client.get(done["Location"]).content.decode()
    assert "withdraw" in detail and "published the results of 2025-11" in detail
    with clock.frozen(at("2025-12-05")):
        # The period is live: the desk no longer offers it, and a second publish says why.
        assert '<option value="2025-11">' not in client.get("/staff/publication/").content.decode()
        twice = client.post("/staff/publication/preview/", {"scope": "county", "period": "2025-11"})
    assert "already published" in twice.content.decode() and PublishedPeriod.objects.count() == 1


def test_the_office_withdraws_with_a_reason_and_the_public_loses_the_page(county_world, client_for):
    w = county_world
    rated(w.desk_a, "2025-11-03", [5] * 10)
    client = client_for(w.office)
    with clock.frozen(at("2025-12-05")):
        client.post("/staff/publication/preview/", {"scope": "county", "period": "2025-11"})
    slug = PublishedPeriod.objects.get().slug
    assert client_for(None).get(f"/results/{slug}/").status_code == 200
    empty = client.post(f"/staff/publication/{slug}/withdraw/", {"reason": ""}, follow=True)
    assert "Say why" in empty.content.decode() and PublishedPeriod.objects.get().is_live
    with clock.frozen(at("2025-12-06")):
        done = client.post(
            f"/staff/publication/{slug}/withdraw/", {"reason": "Wrong service names."}, follow=True
        )
    assert "Wrong service names." in done.content.decode()
    assert PublishedPeriod.objects.get().status == "withdrawn"
    assert client_for(None).get(f"/results/{slug}/").status_code == 404


def test_an_incomplete_period_is_not_previewed(county_world, client_for):
    client = client_for(county_world.office)
    with clock.frozen(at("2025-12-05")):
        answer = client.get("/staff/publication/preview/?scope=county&period=2025-12", follow=True)
    assert "has not ended yet" in answer.content.decode()


@pytest.mark.parametrize("who", ["admin", "leader", "head_a", "window_officer", "citizen"])
def test_the_pages_are_the_quality_offices_only(county_world, client_for, who):
    client = client_for(getattr(county_world, who))
    assert client.get("/staff/publication/").status_code == 404
    assert client.get("/staff/publication/preview/?scope=county&period=2025-11").status_code == 404


def test_a_department_office_previews_only_its_own_department(county_world, client_for):
    w = county_world
    client = client_for(w.quality_a)
    with clock.frozen(at("2025-12-05")):
        assert client.get("/staff/publication/preview/?scope=county&period=2025-11").status_code == 404
        own = client.get("/staff/publication/preview/?scope=dept-a&period=2025-11")
    assert own.status_code == 200 and "dept-b unit" not in own.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(county_world, client_for):
    answer = client_for(None).get("/staff/publication/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
