"""Who reaches feeds, batches and files, through the API and the pages: deny by default, scoped to the
feed's unit subtree, 404 for what is out of reach; every download and every feed change is audited."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicpulse.cases import services as cases
from civicpulse.core import clock
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations import services as ev
from civicpulse.exchange.models import Batch, Feed
from civicpulse.exchange.schema import SCHEMA_PATH
from tests import factories
from tests.exchange.conftest import at, export, exported, make_feed
from tests.rectification.conftest import MONDAY, bad_review, hall_case, online_bad_review, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def feeds(world):
    return {
        "region": make_feed(world.region, name="county"),
        "dept_a": make_feed(world.dept_a, name="dept-a-feed", fmt="csv"),
        "dept_b": make_feed(world.dept_b, name="dept-b-feed"),
    }


def names(response) -> list[str]:
    return sorted(row["name"] if "name" in row else row["feed"] for row in response.json())


@pytest.mark.parametrize(
    ("who", "status", "visible"),
    [
        (None, 401, None),
        ("citizen", 403, None),
        ("head_a", 403, None),
        ("window_officer", 403, None),
        ("quality_a", 200, ["dept-a-feed"]),
        ("supervisor", 200, ["county", "dept-a-feed", "dept-b-feed"]),
        ("admin", 200, ["county", "dept-a-feed", "dept-b-feed"]),
    ],
)
def test_feeds_are_listed_for_the_units_one_exports_for(world, feeds, client_for, who, status, visible):
    response = client_for(getattr(world, who) if who else None).get("/api/v1/exchange/feeds")
    assert response.status_code == status
    if visible is not None:
        assert names(response) == visible
        assert all(
            row["schema_url"] == "/api/v1/exchange/schemas/evaluation-v1.json" for row in response.json()
        )
    else:
        assert set(response.json()) == {"code", "message", "detail"}


def test_a_feed_beyond_ones_units_is_not_found_and_cannot_be_exported(world, feeds, client_for):
    office = client_for(world.quality_a)
    assert office.get("/api/v1/exchange/feeds/county").status_code == 404
    assert office.get("/api/v1/exchange/feeds/no-such-feed").status_code == 404
    with clock.frozen(at(MONDAY, 12)):
        refused = office.post("/api/v1/exchange/feeds/county/batches", content_type="application/json")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert not Batch.objects.exists()


def test_triggering_an_export_is_idempotent(world, feeds, client_for, django_capture_on_commit_callbacks):
    office = client_for(world.quality_a)
    url = "/api/v1/exchange/feeds/dept-a-feed/batches"
    with clock.frozen(at(MONDAY, 12)), django_capture_on_commit_callbacks() as queued:
        first = office.post(url, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        replay = office.post(url, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = office.post(url, {"until": "2025-11-03T11:00:00+08:00"}, content_type="application/json")
    assert first.status_code == 202 and first.json()["status"] == "pending"
    assert (
        replay.status_code == 202
        and replay["Idempotent-Replayed"] == "true"
        and replay.json() == first.json()
    )
    # A second request while the first batch waits gets that batch back, not a new one.
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Batch.objects.count() == 1 and len(queued) == 1
    body = first.json()
    assert (body["feed"], body["since"], body["created_by"], body["download_url"]) == (
        "dept-a-feed",
        None,
        "quality_a",
        None,
    )


def test_bad_input_to_a_trigger_gets_the_error_shape(world, feeds, client_for):
    office = client_for(world.quality_a)
    url = "/api/v1/exchange/feeds/dept-a-feed/batches"
    with clock.frozen(at(MONDAY, 12)):
        future = office.post(url, {"until": "2025-11-03T12:00:00+08:00"}, content_type="application/json")
        garbage = office.post(url, {"until": "soon"}, content_type="application/json")
    assert future.status_code == 422 and future.json()["code"] == "cutoff_too_recent"
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid_request"
    assert not Batch.objects.exists()


def test_a_feed_sends_its_subtree_and_the_windows_its_departments_staff(world, feeds):
    factories.published_service(world, "SVC-B", "建设工程规划许可", unit=world.dept_b)
    at_window = rate(hall_case(world))  # served at window-1, which dept-a staffs
    online = online_bad_review(world)  # served by dept-a itself
    with clock.frozen(at(MONDAY, 11)):
        case_b = cases.case_intake(
            actor=world.citizen,
            service_code="SVC-B",
            channel="online",
            applicant=cases.Applicant("市民", "110101199003071234", "13900009999"),
            submitted_positions=[1, 2],
        )
        of_b = ev.evaluation_submit(
            case=case_b,
            stage="intake",
            channel="portal",
            rating=ev.Rating(5, {}, []),
            evaluator=world.citizen,
        )

    def sent(feed: Feed) -> set[int]:
        return {int(r["record_id"].rsplit(":", 1)[1]) for r in exported(export(feed, at(MONDAY, 12)))}

    assert sent(feeds["dept_a"]) == {at_window.pk, online.pk}
    assert sent(feeds["dept_b"]) == {of_b.pk}
    assert sent(feeds["region"]) == {at_window.pk, online.pk, of_b.pk}


def test_downloads_are_scoped_and_audited(world, feeds, client_for):
    bad_review(world)
    batch = export(feeds["dept_a"], at(MONDAY, 12))
    office = client_for(world.quality_a)
    listed = office.get("/api/v1/exchange/batches?feed=dept-a-feed").json()
    assert [row["id"] for row in listed] == [batch.pk]
    assert listed[0]["download_url"] == f"/api/v1/exchange/batches/{batch.pk}/file"
    assert listed[0]["record_count"] == 1 and listed[0]["checksum"] == batch.checksum
    response = office.get(listed[0]["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Checksum-SHA256"] == batch.checksum
    assert "dept-a-feed_start_20251103T115800.csv" in response["Content-Disposition"]
    with default_storage.open(batch.file, "rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()
    event = AuditEvent.objects.get(action="exchange.batch.downloaded")
    assert (event.actor, event.target_id, event.unit) == (world.quality_a, str(batch.pk), world.dept_a)
    # Out of reach: another department's head, a holder of the right over another subtree, a citizen.
    for user in (world.head_b, world.citizen, world.head_a):
        assert client_for(user).get(f"/api/v1/exchange/batches/{batch.pk}/file").status_code == 404
        assert client_for(user).get(f"/api/v1/exchange/batches/{batch.pk}").status_code == 404
    other = factories.staff("quality_b", world.dept_b, ["quality_officer"])
    assert client_for(other).get(f"/api/v1/exchange/batches/{batch.pk}/file").status_code == 404
    assert client_for(other).get("/api/v1/exchange/batches").json() == []
    assert client_for(None).get(f"/api/v1/exchange/batches/{batch.pk}/file").status_code == 401
    assert AuditEvent.objects.filter(action="exchange.batch.downloaded").count() == 1


def test_a_batch_that_is_not_ready_has_no_file(world, feeds, client_for):
    with clock.frozen(at(MONDAY, 12)):
        pending = client_for(world.supervisor).post(
            "/api/v1/exchange/feeds/county/batches", content_type="application/json"
        )
    response = client_for(world.supervisor).get(f"/api/v1/exchange/batches/{pending.json()['id']}/file")
    assert response.status_code == 409 and response.json()["code"] == "not_ready"


def test_the_schema_is_public_at_a_stable_address(client_for):
    response = client_for(None).get("/api/v1/exchange/schemas/evaluation-v1.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/schema+json"
    assert json.loads(response.content) == json.loads(SCHEMA_PATH.read_text())
    assert client_for(None).get("/api/v1/exchange/schemas/evaluation-v9.json").status_code == 404


# --- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "lang"), [("en", "en"), ("zh-hans", "zh-CN")])
def test_the_page_lists_the_feeds_and_exports_one_may_see(world, feeds, client_for, language, lang):
    export(feeds["dept_a"], at(MONDAY, 12))
    export(feeds["region"], at(MONDAY, 12))
    page = client_for(world.quality_a, language).get("/staff/exchange/")
    html = page.content.decode()
    assert page.status_code == 200 and f'<html lang="{lang}">' in html
    assert [f.name for f in page.context["feeds"]] == ["dept-a-feed"]
    assert [b.feed.name for b in page.context["batches"]] == ["dept-a-feed"]
    assert "dept-b-feed" not in html and "/staff/exchange/feeds/county/" not in html
    assert "/api/v1/exchange/schemas/evaluation-v1.json" in html


def test_the_page_is_closed_to_those_without_the_right(world, feeds, client_for):
    assert client_for(world.head_a).get("/staff/exchange/").status_code == 404
    assert client_for(world.quality_a).get("/staff/exchange/feeds/county/").status_code == 404
    anonymous = client_for(None).get("/staff/exchange/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_export_now_download_and_switching_off_from_the_feed_page(
    world, feeds, client_for, django_capture_on_commit_callbacks, settings
):
    # The worker is stood in for by the backend that runs a task as soon as it is enqueued (on commit).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    bad_review(world)
    office = client_for(world.quality_a)
    url = "/staff/exchange/feeds/dept-a-feed/"
    with clock.frozen(at(MONDAY, 12)), django_capture_on_commit_callbacks(execute=True):
        done = office.post(url + "export/", follow=True)
    assert done.status_code == 200 and "Export requested" in done.content.decode()
    batch = Batch.objects.get(feed=feeds["dept_a"])
    assert batch.status == "succeeded" and batch.created_by == world.quality_a
    page = office.get(url).content.decode()
    assert f"/staff/exchange/batches/{batch.pk}/download/" in page
    download = office.get(f"/staff/exchange/batches/{batch.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    assert AuditEvent.objects.filter(action="exchange.batch.downloaded", actor=world.quality_a).count() == 1
    assert client_for(world.head_b).get(f"/staff/exchange/batches/{batch.pk}/download/").status_code == 404

    office.post(url + "deactivate/")
    assert not Feed.objects.get(name="dept-a-feed").is_active
    assert AuditEvent.objects.filter(action="exchange.feed.deactivated", actor=world.quality_a).exists()
    with clock.frozen(at(MONDAY, 14)):
        refused = office.post(url + "export/", follow=True)
    assert "The feed is switched off." in refused.content.decode()
    assert Batch.objects.count() == 1
    assert office.post(url + "explode/").status_code == 404


def test_a_feed_is_created_on_the_page_only_for_ones_own_units(world, client_for):
    office = client_for(world.quality_a)
    form = {"name": "to-province", "format": "csv", "schedule": "daily", "destination": "省平台"}
    refused = office.post("/staff/exchange/", {**form, "unit": world.region.pk})
    assert refused.status_code == 422 and not Feed.objects.exists()
    assert "Choose the unit whose data the feed sends." in refused.content.decode()
    bad_name = office.post("/staff/exchange/", {**form, "unit": world.dept_a.pk, "name": "To Province!"})
    assert bad_name.status_code == 422 and "lower-case letters" in bad_name.content.decode()
    created = office.post("/staff/exchange/", {**form, "unit": world.dept_a.pk})
    assert created.status_code == 302 and created["Location"] == "/staff/exchange/feeds/to-province/"
    feed = Feed.objects.get()
    assert (feed.unit, feed.format, feed.schedule, feed.destination) == (
        world.dept_a,
        "csv",
        "daily",
        "省平台",
    )
    event = AuditEvent.objects.get(action="exchange.feed.created")
    assert event.actor == world.quality_a and event.data["exchange_format"] == "csv"
    duplicate = office.post("/staff/exchange/", {**form, "unit": world.dept_a.pk})
    assert duplicate.status_code == 422 and "already a feed called to-province" in duplicate.content.decode()


def test_lists_cost_the_same_for_one_batch_or_many(world, feeds, client_for):
    supervisor = client_for(world.supervisor)
    counts = []
    for hour in (12, 13, 14, 15):
        for feed in feeds.values():
            export(feed, at(MONDAY, hour))
        with CaptureQueriesContext(connection) as api:
            assert supervisor.get("/api/v1/exchange/batches").status_code == 200
        with CaptureQueriesContext(connection) as page:
            assert supervisor.get("/staff/exchange/").status_code == 200
        counts.append((len(api), len(page)))
    assert len(set(counts)) == 1
