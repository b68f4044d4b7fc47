"""`civicpulse exchange ...` through call_command: adding a feed, exporting with progress, checking a batch,
and writing what is due without the worker."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from civicpulse.core import clock
from civicpulse.core.models import AuditEvent
from civicpulse.exchange.models import Batch, Feed
from tests.exchange.conftest import at, exported
from tests.rectification.conftest import MONDAY, bad_review

pytestmark = pytest.mark.django_db


def run(*args: str, when=None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with clock.frozen(when or at(MONDAY, 12)):
        call_command("exchange", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_feed_is_added_and_listed(world):
    out, _err = run(
        "feed-add", "--name", "province", "--unit", "dept-a", "--format", "csv", "--destination", "省平台SFTP"
    )
    assert "Feed province created for dept-a" in out
    feed = Feed.objects.get()
    assert (feed.unit, feed.format, feed.schedule, feed.destination, feed.last_cutoff) == (
        world.dept_a,
        "csv",
        "daily",
        "省平台SFTP",
        None,
    )
    event = AuditEvent.objects.get(action="exchange.feed.created")
    assert event.actor is None and event.data["exchange_schedule"] == "daily"
    listed, _err = run("feeds")
    assert listed.split("\t")[:5] == ["province", "dept-a", "csv", "daily", "-"]


def test_adding_a_feed_refuses_bad_input_with_a_clear_message(world):
    run("feed-add", "--name", "province", "--unit", "dept-a", "--format", "jsonl")
    for args, message in (
        (["--name", "x2", "--unit", "nowhere", "--format", "jsonl"], "There is no unit nowhere."),
        (
            ["--name", "province", "--unit", "dept-a", "--format", "jsonl"],
            "There is already a feed called province.",
        ),
        (["--name", "Bad Name", "--unit", "dept-a", "--format", "jsonl"], "lower-case letters"),
        (
            ["--name", "later", "--unit", "dept-a", "--format", "jsonl", "--since", "2030-01-01T00:00:00"],
            "cannot be in the future",
        ),
    ):
        with pytest.raises(CommandError, match=message):
            run("feed-add", *args)
    assert Feed.objects.count() == 1


def test_export_writes_the_next_window_with_a_progress_bar(world):
    order = bad_review(world)
    run("feed-add", "--name", "province", "--unit", "county", "--format", "jsonl", "--schedule", "manual")
    out, err = run("export", "--feed", "province")
    batch = Batch.objects.get()
    assert batch.status == "succeeded" and batch.record_count == 1
    assert f"Export {batch.pk}: 1 records up to 2025-11-03T11:58:00+08:00, SHA-256 {batch.checksum}" in out
    assert "Export" in err and "1/1" in err
    assert exported(batch)[0]["order_id"] == order.pk
    assert AuditEvent.objects.filter(action="exchange.batch.exported", target_id=str(batch.pk)).exists()
    with pytest.raises(CommandError, match="Nothing new to export"):
        run("export", "--feed", "province", "--until", "2025-11-03T11:00:00+08:00", when=at(MONDAY, 13))
    with pytest.raises(CommandError, match=r"There is no feed called nowhere\."):
        run("export", "--feed", "nowhere")


def test_a_failed_export_is_an_error_of_the_command(world, monkeypatch):
    run("feed-add", "--name", "province", "--unit", "county", "--format", "csv")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", broken)
    with pytest.raises(CommandError, match="could not be written"):
        run("export", "--feed", "province")
    assert Feed.objects.get().last_cutoff is None and Batch.objects.get().status == "failed"


def test_verify_reports_an_intact_batch_and_a_changed_file(world):
    bad_review(world)
    run("feed-add", "--name", "province", "--unit", "county", "--format", "csv")
    run("export", "--feed", "province")
    batch = Batch.objects.get()
    out, _err = run("verify", "--batch", str(batch.pk), when=at("2025-11-10"))
    assert f"Export {batch.pk} is intact and reproduced byte for byte." in out
    with default_storage.open(batch.file, "ab") as handle:
        handle.write(b"extra\r\n")
    with pytest.raises(CommandError, match="no longer has its recorded SHA-256"):
        run("verify", "--batch", str(batch.pk))
    with pytest.raises(CommandError, match=r"There is no export 999\."):
        run("verify", "--batch", "999")


def test_run_due_writes_the_scheduled_feeds_without_the_worker(world):
    bad_review(world)
    run("feed-add", "--name", "daily", "--unit", "county", "--format", "jsonl", "--schedule", "daily")
    out, _err = run("run-due", when=at("2025-11-04", 0, 10))
    assert "Exports written: 1, failed: 0." in out
    batch = Batch.objects.get()
    assert (batch.status, batch.until, batch.record_count) == ("succeeded", at("2025-11-04", 0), 1)
    again, _err = run("run-due", when=at("2025-11-04", 9))
    assert "Exports written: 0, failed: 0." in again
