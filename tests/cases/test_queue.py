"""The hall queue: take a number, be called to a window, be served; the hall screen shows the calls."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.cases import queue
from civicpulse.cases.models import QueueLine, Ticket
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, NotFound
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(minute: int) -> dt.datetime:
    return dt.datetime(2025, 11, 3, 9, minute, tzinfo=SHANGHAI)


@pytest.fixture
def hall(county):
    line = QueueLine.objects.create(
        hall=county.hall, prefix="A", name_zh="综合受理", name_en="General intake"
    )
    line.windows.add(county.window)
    return county


def test_tickets_are_numbered_per_queue_and_called_oldest_first(hall):
    with clock.frozen(at(0)):
        first = queue.ticket_issue(hall=hall.hall, prefix="A")
    with clock.frozen(at(5)):
        second = queue.ticket_issue(hall=hall.hall, prefix="A")
    assert (first.label, second.label) == ("A001", "A002")
    with clock.frozen(at(12)):
        called = queue.ticket_call_next(actor=hall.window_officer, window=hall.window)
    assert called.pk == first.pk and called.wait_minutes == 12
    with pytest.raises(Conflict):  # one person at a time per window
        queue.ticket_call_next(actor=hall.window_officer, window=hall.window)
    with clock.frozen(at(13)):
        queue.ticket_act(actor=hall.window_officer, ticket=called, action="start")
    with clock.frozen(at(20)):
        done = queue.ticket_act(actor=hall.window_officer, ticket=called, action="finish")
    assert done.status == "done" and (done.finished_at - done.served_at).total_seconds() == 7 * 60
    with clock.frozen(at(21)):
        nxt = queue.ticket_call_next(actor=hall.window_officer, window=hall.window)
        assert queue.ticket_act(actor=hall.window_officer, ticket=nxt, action="no_show").status == "no_show"


def test_only_the_windows_officer_calls_and_an_empty_queue_says_so(hall):
    with clock.frozen(at(0)):
        with pytest.raises(Conflict) as empty:
            queue.ticket_call_next(actor=hall.window_officer, window=hall.window)
        assert empty.value.code == "queue_empty"
        queue.ticket_issue(hall=hall.hall, prefix="A")
        with pytest.raises(NotFound):
            queue.ticket_call_next(actor=hall.head_a, window=hall.window)
        with pytest.raises(NotFound):
            queue.ticket_issue(hall=hall.hall, prefix="Z")


def test_a_window_only_calls_the_queues_it_serves(hall):
    other_window = factories.unit("window-2", UnitKind.WINDOW, hall.hall, serving_unit=hall.dept_b)
    officer = factories.staff("officer2", other_window, [Role.WINDOW_OFFICER])
    with clock.frozen(at(0)):
        queue.ticket_issue(hall=hall.hall, prefix="A")
        with pytest.raises(Conflict):
            queue.ticket_call_next(actor=officer, window=other_window)


def test_the_kiosk_api_and_the_hall_screen(hall, client_for):
    kiosk = client_for(None)
    issued = kiosk.post(
        "/api/v1/halls/hall/tickets", data=json.dumps({"prefix": "A"}), content_type="application/json"
    )
    assert issued.status_code == 201 and issued.json()["label"].startswith("A")
    officer = client_for(hall.window_officer)
    called = officer.post(
        "/api/v1/cases/queue/windows/window-1/call-next", data="{}", content_type="application/json"
    )
    assert called.status_code == 200 and called.json()["window_code"] == "window-1"
    board = kiosk.get("/api/v1/halls/hall/board").json()
    assert [t["label"] for t in board] == [called.json()["label"]]
    screen = client_for(None, language="zh-hans").get("/halls/hall/board/")
    assert (
        called.json()["label"] in screen.content.decode()
        and 'hx-trigger="every 5s"' in screen.content.decode()
    )
    partial = kiosk.get("/halls/hall/board/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and called.json()["label"] in partial
    assert Ticket.objects.count() == 1
