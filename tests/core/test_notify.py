"""The notifier: inbox first, then each configured channel after commit; the SMS gateway over real HTTP."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicpulse.core.models import Notification
from civicpulse.core.notify import notify


class Gateway:
    """A local SMS gateway that records what it receives and answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[dict[str, str], dict[str, str]]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append((dict(self.headers), json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_at(settings):
    started: list[Gateway] = []

    def start(status: int = 200, token: str = "") -> Gateway:
        gateway = Gateway(status)
        started.append(gateway)
        settings.CIVICPULSE = {
            **settings.CIVICPULSE,
            "NOTIFIERS": ["civicpulse.core.notify.SmsChannel"],
            "SMS_GATEWAY_URL": gateway.url,
            "SMS_GATEWAY_TOKEN": token,
        }
        return gateway

    yield start
    for gateway in started:
        gateway.close()


def send(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[user], code="cases.overdue", target=user, params={"number": "N1", "due": "2026-01-05"}
        )


def test_an_sms_goes_to_the_recipients_phone_in_the_installations_language(
    county, gateway_at, django_capture_on_commit_callbacks
):
    gateway = gateway_at(token="s3cret")
    county.head_a.phone = "13900001111"
    county.head_a.save()
    send(county.head_a, django_capture_on_commit_callbacks)
    [(headers, body)] = gateway.received
    assert body["to"] == "13900001111" and "N1" in body["text"] and "2026-01-05" in body["text"]
    assert "已超期" in body["text"]  # LANGUAGE_CODE is zh-hans
    assert headers["Authorization"] == "Bearer s3cret"


def test_no_phone_no_sms_and_the_inbox_has_it_anyway(county, gateway_at, django_capture_on_commit_callbacks):
    gateway = gateway_at()
    county.head_a.phone = ""
    county.head_a.save()
    send(county.head_a, django_capture_on_commit_callbacks)
    assert gateway.received == []
    assert Notification.objects.filter(recipient=county.head_a).count() == 1


def test_a_refusing_gateway_is_logged_without_the_phone_and_the_inbox_keeps_the_message(
    county, gateway_at, django_capture_on_commit_callbacks, caplog
):
    gateway = gateway_at(status=500)
    county.head_a.phone = "13900001111"
    county.head_a.save()
    send(county.head_a, django_capture_on_commit_callbacks)
    assert len(gateway.received) == 1
    assert "SmsChannel failed" in caplog.text and "13900001111" not in caplog.text
    assert Notification.objects.filter(recipient=county.head_a).count() == 1


def test_nothing_is_sent_when_the_change_is_rolled_back(county, gateway_at):
    from django.db import transaction

    gateway = gateway_at()
    county.head_a.phone = "13900001111"
    county.head_a.save()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[county.head_a], code="cases.overdue", target=county.head_a, params={})
        raise RuntimeError
    assert gateway.received == [] and Notification.objects.count() == 0


def test_an_unregistered_message_is_refused(county):
    with pytest.raises(ValueError):
        notify(recipients=[county.head_a], code="nope", target=county.head_a, params={})
