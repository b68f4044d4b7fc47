"""Batches: incremental windows (nothing missed, nothing twice in a window), deterministic bytes, the
watermark kept by a failed export, the scheduled run and the worker."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from civicpulse.core import clock
from civicpulse.core.errors import Conflict, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.exchange import records, services
from civicpulse.exchange.models import Batch, Feed
from civicpulse.exchange.tasks import export_batch_task
from tests import factories
from tests.exchange.conftest import at, content, export, exported, make_feed
from tests.exchange.reading import schema_problems
from tests.rectification.conftest import MONDAY, bad_review, hall_case, rate, step

pytestmark = pytest.mark.django_db

GOOD = ev.Rating(5, {}, [])


def ids(batch: Batch) -> list[int]:
    return [int(r["record_id"].rsplit(":", 1)[1]) for r in exported(batch)]


def test_each_window_holds_what_was_created_or_changed_in_it_once(world):
    feed = make_feed(world.region)
    a = bad_review(world, hour=9)
    b = rate(hall_case(world, hour=9), hour=9, rating=GOOD)
    first = export(feed, at(MONDAY, 12))
    assert ids(first) == sorted([a.evaluation_id, b.pk]) and first.since is None
    feed.refresh_from_db()
    assert feed.last_cutoff == first.until == at(MONDAY, 11, 58)

    step(world.window_officer, a, "contact", MONDAY, 15, call_notes="Called.")
    c = rate(hall_case(world, hour=14), hour=14, rating=GOOD)
    second = export(feed, at(MONDAY, 16))
    assert second.since == first.until
    assert ids(second) == sorted([a.evaluation_id, c.pk])  # b did not change: it is not sent again
    assert next(r for r in exported(second) if r["order_id"] == a.pk)["order_status"] == "contacted"

    third = export(feed, at(MONDAY, 17))
    assert ids(third) == [] and third.record_count == 0 and third.status == "succeeded"
    every = ids(first) + ids(second) + ids(third)
    assert set(every) == set(Evaluation.objects.values_list("pk", flat=True))
    for batch in (first, second, third):
        assert len(ids(batch)) == len(set(ids(batch))) == batch.record_count


def test_a_change_at_the_cut_off_belongs_to_that_window_and_not_the_next(world):
    feed = make_feed(world.region)
    order = bad_review(world)
    step(world.window_officer, order, "contact", MONDAY, 15, call_notes="Called.")
    first = export(feed, at(MONDAY, 18), until=at(MONDAY, 15))
    assert exported(first)[0]["order_status"] == "contacted"
    second = export(feed, at(MONDAY, 18, 30))
    assert ids(second) == []


def test_the_same_window_gives_the_same_bytes_whatever_happened_since(world, reviewer):
    order = bad_review(world)
    rate(hall_case(world, hour=11), hour=11, rating=ev.Rating(3, {"efficiency": 3}, ["long_wait"]))
    first = {
        fmt: export(make_feed(world.region, name=f"one-{fmt}", fmt=fmt), at(MONDAY, 12))
        for fmt in ("jsonl", "csv")
    }
    before = {fmt: content(batch) for fmt, batch in first.items()}
    # Everything moves on after the cut-off...
    step(world.window_officer, order, "contact", MONDAY, 13, call_notes="Called.")
    rate(hall_case(world, hour=14), hour=14, rating=GOOD)
    for fmt, one in first.items():
        assert hashlib.sha256(before[fmt]).hexdigest() == one.checksum and one.size == len(before[fmt])
        # ...yet another feed exporting the same window, and the check of the first, see the same bytes.
        two = export(make_feed(world.region, name=f"two-{fmt}", fmt=fmt), at(MONDAY, 18), until=one.until)
        assert content(two) == before[fmt] and two.checksum == one.checksum
        assert services.batch_verify(batch=one) == services.Verification(stored=True, reproduced=True)
    assert before["jsonl"] != before["csv"]


def test_a_tampered_file_is_caught_by_the_check(world):
    bad_review(world)
    batch = export(make_feed(world.region), at(MONDAY, 12))
    default_storage.delete(batch.file)
    default_storage.save(batch.file, StringIO('{"record_id":"forged"}\n'))
    assert services.batch_verify(batch=batch) == services.Verification(stored=False, reproduced=True)


def test_a_failed_export_leaves_the_watermark_and_the_next_one_covers_the_same_changes(world, monkeypatch):
    feed = make_feed(world.region)
    order = bad_review(world)
    export(feed, at(MONDAY, 11))
    step(world.window_officer, order, "contact", MONDAY, 15, call_notes="Called.")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", broken)
    failed = export(feed, at(MONDAY, 16))
    assert (failed.status, failed.error, failed.file, failed.checksum) == ("failed", "export_failed", "", "")
    feed.refresh_from_db()
    assert feed.last_cutoff == at(MONDAY, 10, 58)
    event = AuditEvent.objects.get(action="exchange.batch.failed")
    assert event.target_id == str(failed.pk) and event.data == {"error": "export_failed"}
    monkeypatch.undo()
    retried = export(feed, at(MONDAY, 17))
    assert retried.since == failed.since and ids(retried) == [order.evaluation_id]
    assert exported(retried)[0]["order_status"] == "contacted"


def test_a_batch_already_under_way_is_returned_rather_than_doubled(world):
    feed = make_feed(world.region)
    with clock.frozen(at(MONDAY, 12)):
        first, created = services.batch_request(actor=world.supervisor, feed=feed, enqueue=False)
        again, created_again = services.batch_request(actor=world.supervisor, feed=feed, enqueue=False)
    assert created and not created_again and again.pk == first.pk
    assert Batch.objects.count() == 1
    event = AuditEvent.objects.get(action="exchange.batch.requested")
    assert event.actor == world.supervisor and event.data["until"] == "2025-11-03T11:58:00+08:00"


def test_a_cut_off_must_settle_and_move_forward(world):
    feed = make_feed(world.region)
    with clock.frozen(at(MONDAY, 12)), pytest.raises(ValidationFailed) as too_recent:
        services.batch_request(actor=None, feed=feed, until=at(MONDAY, 11, 59), enqueue=False)
    assert too_recent.value.code == "cutoff_too_recent" and "120 seconds" in str(too_recent.value.message)
    export(feed, at(MONDAY, 12))
    with clock.frozen(at(MONDAY, 13)), pytest.raises(Conflict) as behind:
        services.batch_request(actor=None, feed=feed, until=at(MONDAY, 11), enqueue=False)
    assert behind.value.code == "up_to_date" and "2025-11-03T11:58:00+08:00" in str(behind.value.message)
    services.feed_set_active(actor=None, feed=feed, active=False)
    with clock.frozen(at(MONDAY, 13)), pytest.raises(Conflict) as off:
        services.batch_request(actor=None, feed=feed, enqueue=False)
    assert off.value.code == "feed_inactive" and Batch.objects.count() == 1


def test_a_feed_started_later_sends_only_what_changed_after_its_start(world):
    old = rate(hall_case(world, hour=9), hour=9, rating=GOOD)
    feed = make_feed(world.region, since=at(MONDAY, 10), now=at(MONDAY, 10, 30))
    new = rate(hall_case(world, hour=11), hour=11, rating=GOOD)
    batch = export(feed, at(MONDAY, 12))
    assert batch.since == at(MONDAY, 10) and ids(batch) == [new.pk] and old.pk not in ids(batch)


def test_every_record_of_a_busy_window_validates_against_the_schema(world, reviewer):
    bad_review(world, hour=9)
    rate(hall_case(world, hour=10), hour=10, rating=ev.Rating(4, {"attitude": 5}, [], "ok"))
    with clock.frozen(at(MONDAY, 11)):
        ev.evaluation_submit(
            case=hall_case(world, hour=11),
            stage="intake",
            channel="hotline",
            rating=ev.Rating(2, {}, ["slow"]),
            evaluator_phone="13812345678",
        )
    batch = export(make_feed(world.region), at(MONDAY, 12))
    assert batch.record_count == 3
    assert [schema_problems(record) for record in exported(batch)] == [[], [], []]


# --- the schedule ---------------------------------------------------------------------------------------


def test_scheduled_feeds_are_requested_when_their_boundary_passes(world, django_capture_on_commit_callbacks):
    daily = make_feed(world.region, name="daily", schedule="daily")
    make_feed(world.region, name="by-hand", schedule="manual")
    off = make_feed(world.region, name="off", schedule="hourly")
    services.feed_set_active(actor=None, feed=off, active=False)
    bad_review(world)
    with clock.frozen(at("2025-11-04", 0, 5)), django_capture_on_commit_callbacks(execute=True):
        requested = services.exchange_scan()
    assert [(b.feed.name, b.since, b.until) for b in requested] == [("daily", None, at("2025-11-04", 0))]
    queued = DBTaskResult.objects.get(task_path=export_batch_task.module_path)
    assert queued.args_kwargs["args"] == [requested[0].pk]
    with clock.frozen(at("2025-11-04", 0, 30)):
        assert services.exchange_scan() == []  # its batch is still waiting for the worker
    services.batch_run(batch_id=requested[0].pk)
    with clock.frozen(at("2025-11-04", 23, 0)):
        assert services.exchange_scan() == []
    with clock.frozen(at("2025-11-05", 0, 3)):
        (tomorrow,) = services.exchange_scan()
    assert (tomorrow.feed, tomorrow.since, tomorrow.until) == (
        daily,
        at("2025-11-04", 0),
        at("2025-11-05", 0),
    )


def test_a_batch_whose_worker_died_is_given_up_and_asked_again(world, settings):
    make_feed(world.region, name="daily", schedule="daily")
    with clock.frozen(at("2025-11-04", 0, 5)):
        (lost,) = services.exchange_scan(enqueue=False)
    with clock.frozen(at("2025-11-04", 0, 50)):
        assert services.exchange_scan(enqueue=False) == []
    with clock.frozen(at("2025-11-04", 1, 10)):
        (again,) = services.exchange_scan(enqueue=False)
    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", "interrupted")
    assert (again.since, again.until) == (None, at("2025-11-04", 0))
    # A batch that ends after being given up is discarded: the watermark moves once, for the live one.
    assert services.batch_run(batch_id=lost.pk).status == "failed"
    assert services.batch_run(batch_id=again.pk).status == "succeeded"
    assert Feed.objects.get(name="daily").last_cutoff == at("2025-11-04", 0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_a_requested_batch():
    county = factories.county()
    with clock.frozen(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC)):
        factories.published_service(county, "SVC-1")
    from civicpulse.accounts import services as org

    org.role_assign(actor=None, user=county.approver_a, role="approver", unit=county.dept_a)
    evaluation = rate(hall_case(county))
    feed = make_feed(county.region)
    batch, created = services.batch_request(actor=county.supervisor, feed=feed)
    assert created and batch.status == "pending"
    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO(), verbosity=0
    )
    batch.refresh_from_db()
    assert batch.status == "succeeded" and ids(batch) == [evaluation.pk]
    assert DBTaskResult.objects.get(task_path=export_batch_task.module_path).status == "SUCCESSFUL"


def test_an_export_reads_in_chunks_not_record_by_record(world):
    bad_review(world, hour=8)
    few = list(Evaluation.objects.values_list("pk", flat=True))
    for hour in (9, 10, 11):
        step(world.window_officer, bad_review(world, hour=hour), "contact", MONDAY, hour, call_notes="x")
        rate(hall_case(world, hour=hour), hour=hour, rating=GOOD)
    many = list(Evaluation.objects.values_list("pk", flat=True))
    counts = []
    for chosen in (few, many):
        with CaptureQueriesContext(connection) as queries:
            found = list(records.records_of(sorted(chosen), until=at(MONDAY, 23), source="x"))
        assert len(found) == len(chosen)
        counts.append(len(queries))
    assert counts[0] == counts[1]
