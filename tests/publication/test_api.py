"""The quality office's publication API: preview, publish (idempotent), list, detail, withdraw; refused to
everyone else."""

from __future__ import annotations

import json

import pytest

from civicpulse.core import clock
from civicpulse.publication.models import PublishedPeriod
from tests.publication.conftest import at, rated

pytestmark = pytest.mark.django_db

BASE = "/api/v1/publication"


def _post(client, path: str, body: dict, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_the_office_previews_publishes_once_lists_and_withdraws(county_world, client_for):
    w = county_world
    rated(w.desk_a, "2025-11-03", [5] * 11 + [1])
    client = client_for(w.office)
    with clock.frozen(at("2025-12-05")):
        preview = client.get(f"{BASE}/preview?period=2025-11&scope=county")
        assert preview.status_code == 200, preview.content
        assert not PublishedPeriod.objects.exists()
        body = {"period": "2025-11", "scope": "county"}
        first = _post(client, f"{BASE}/periods", body, key="publish-2025-11")
        again = _post(client, f"{BASE}/periods", body, key="publish-2025-11")
        other = _post(client, f"{BASE}/periods", body, key="another-key")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "already_published"
    assert PublishedPeriod.objects.count() == 1
    published = first.json()
    good_a = next(
        f
        for s in published["subjects"]
        if s["code"] == "dept-a"
        for f in s["figures"]
        if f["indicator"] == "good_review_rate"
    )
    shown = next(
        f
        for s in preview.json()["subjects"]
        if s["code"] == "dept-a"
        for f in s["figures"]
        if f["indicator"] == "good_review_rate"
    )
    assert good_a == shown and (good_a["numerator"], good_a["n"]) == (11, 12)
    bad_a = next(
        f
        for s in published["subjects"]
        if s["code"] == "dept-a"
        for f in s["figures"]
        if f["indicator"] == "bad_review_rate"
    )
    assert (bad_a["value"], bad_a["numerator"], bad_a["n"], bad_a["suppressed"]) == (None, None, 12, True)

    listed = client.get(f"{BASE}/periods").json()
    assert [p["slug"] for p in listed] == ["2025-11-county"]
    assert client.get(f"{BASE}/periods/2025-11-county").json()["digest"] == published["digest"]
    with clock.frozen(at("2025-12-06")):
        missing = _post(client, f"{BASE}/periods/2025-11-county/withdraw", {"reason": ""})
        withdrawn = _post(client, f"{BASE}/periods/2025-11-county/withdraw", {"reason": "Wrong month."})
    assert missing.status_code == 422 and missing.json()["code"] == "reason_required"
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_an_incomplete_or_unknown_period_gets_a_clear_error(county_world, client_for):
    client = client_for(county_world.office)
    with clock.frozen(at("2025-12-05")):
        early = _post(client, f"{BASE}/periods", {"period": "2025-12", "scope": "county"})
        unknown = _post(client, f"{BASE}/periods", {"period": "2025-11", "scope": "nowhere"})
        bad = client.get(f"{BASE}/preview?period=Nov&scope=county")
    assert early.status_code == 422 and early.json()["code"] == "period_not_complete"
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_unit"
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_period"
    assert set(early.json()) == {"code", "message", "detail"}


@pytest.mark.parametrize("who", ["admin", "leader", "supervisor", "head_a", "window_officer", "citizen"])
def test_everyone_but_the_quality_office_is_refused(county_world, client_for, who):
    w = county_world
    client = client_for(getattr(w, who))
    with clock.frozen(at("2025-12-05")):
        assert client.get(f"{BASE}/periods").status_code == 403
        assert client.get(f"{BASE}/preview?period=2025-11&scope=county").status_code == 403
        assert _post(client, f"{BASE}/periods", {"period": "2025-11", "scope": "county"}).status_code == 403
    assert not PublishedPeriod.objects.exists()


def test_anonymous_callers_must_sign_in(county_world, client_for):
    assert client_for(None).get(f"{BASE}/periods").status_code == 401


def test_a_department_office_cannot_see_or_withdraw_the_countys_publication(county_world, client_for):
    w = county_world
    with clock.frozen(at("2025-12-05")):
        county = _post(client_for(w.office), f"{BASE}/periods", {"period": "2025-11", "scope": "county"})
        denied = _post(client_for(w.quality_a), f"{BASE}/periods", {"period": "2025-11", "scope": "county"})
        own = _post(client_for(w.quality_a), f"{BASE}/periods", {"period": "2025-11", "scope": "dept-a"})
    assert county.status_code == 201 and denied.status_code == 403 and own.status_code == 201
    office_a = client_for(w.quality_a)
    assert [p["slug"] for p in office_a.get(f"{BASE}/periods").json()] == ["2025-11-dept-a"]
    assert office_a.get(f"{BASE}/periods/2025-11-county").status_code == 404
    assert _post(office_a, f"{BASE}/periods/2025-11-county/withdraw", {"reason": "x"}).status_code == 404
