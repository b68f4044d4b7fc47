"""One pluggable notifier: every message lands in the in-app inbox, then goes to the configured channels.

Channels are classes named in settings.CIVICPULSE["NOTIFIERS"] with a `send(notification)` method (console
in development; e-mail or an SMS gateway in production). They run after the transaction commits, so a
rolled-back change never sends anything.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from civicpulse.core import clock
from civicpulse.core.models import Notification

logger = logging.getLogger("civicpulse.notify")
_MESSAGES: dict[str, Promise] = {}


class Channel(Protocol):
    def send(self, notification: Notification) -> None: ...


def register_messages(messages: dict[str, Promise]) -> None:
    _MESSAGES.update(messages)


def message_text(code: str, params: dict[str, Any]) -> str:
    """A registered message in the active language, for channels that reach people without an account."""
    sentence = str(_MESSAGES.get(code, code))
    try:
        return sentence % params
    except (KeyError, TypeError, ValueError):
        return sentence


def render(notification: Notification) -> str:
    return message_text(notification.code, notification.params)


def notify(
    *, recipients: Iterable[Any], code: str, target: models.Model, params: dict[str, Any]
) -> list[Notification]:
    if code not in _MESSAGES:
        raise ValueError(f"unregistered message {code!r}")
    now = clock.now()
    unique = {user.pk: user for user in recipients if user is not None}
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            code=code,
            params=params,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            created_at=now,
        )
        for user in unique.values()
    )
    transaction.on_commit(lambda: _deliver(rows))
    return rows


def _deliver(rows: list[Notification]) -> None:
    for path in settings.CIVICPULSE.get("NOTIFIERS", ()):  # type: ignore[attr-defined]
        channel: Channel = import_string(path)()
        for row in rows:
            try:
                channel.send(row)
            except Exception:  # one failing channel must not stop the others; the inbox already has it
                logger.exception("notifier %s failed for notification %s", path, row.pk)


class ConsoleChannel:
    """Development: log the message (never personal data: messages carry case numbers only)."""

    def send(self, notification: Notification) -> None:
        logger.info("to user %s: %s", notification.recipient_id, render(notification))


class EmailChannel:
    """E-mail through Django's configured mail backend (EMAIL_* settings), in the installation's language."""

    def send(self, notification: Notification) -> None:
        from django.core.mail import send_mail
        from django.utils import translation

        address = notification.recipient.email
        if not address:
            return
        with translation.override(settings.LANGUAGE_CODE):
            text = render(notification)
            send_mail(
                subject=f"CivicPulse: {text[:60]}", message=text, from_email=None, recipient_list=[address]
            )


class SmsChannel:
    """SMS through an HTTP gateway, in the installation's language, to the recipient's phone.

    Gateways differ (a carrier's, Aliyun's, a provincial platform's); the common ground is an HTTP POST,
    so this sends JSON {"to", "text"} and an installation with another format subclasses `payload`.
    """

    def send(self, notification: Notification) -> None:
        from django.utils import translation

        phone = notification.recipient.phone
        if not phone:
            return
        with translation.override(settings.LANGUAGE_CODE):
            sms_send(phone=phone, text=render(notification), payload=self.payload)

    @staticmethod
    def payload(phone: str, text: str) -> dict[str, Any]:
        return {"to": phone, "text": text}


def sms_send(*, phone: str, text: str, payload: Any = SmsChannel.payload) -> None:
    """One message through the configured gateway; raises on any failure so the caller can log it."""
    from django.core.exceptions import ImproperlyConfigured

    url = str(settings.CIVICPULSE.get("SMS_GATEWAY_URL", ""))
    if not url:
        raise ImproperlyConfigured("CIVICPULSE_SMS_GATEWAY_URL is not set")
    token = str(settings.CIVICPULSE.get("SMS_GATEWAY_TOKEN", ""))
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured("CIVICPULSE_SMS_GATEWAY_URL must be an http(s) URL")
    body = json.dumps(payload(phone, text), ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked
    # urlopen raises HTTPError for any 4xx/5xx answer, so a refused message is never taken as sent.
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
        response.read()
