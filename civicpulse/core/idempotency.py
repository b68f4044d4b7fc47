"""Idempotency-Key support for every POST/PUT/PATCH under /api/: a retry replays the first answer.

The key is claimed in its own transaction before the view runs, so two concurrent requests with one key
cannot both execute: the second sees the claim and gets 409 until the first finishes. A failed first
attempt (5xx) releases the key so the client can retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from civicpulse.core import clock
from civicpulse.core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
RETENTION = timedelta(days=1)


def _caller(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    # An integration (kiosk, app, hotline) calls with a bearer token and no cookies: the token is the caller.
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer ") and len(authorization) > 7:
        return "bearer:" + hashlib.sha256(authorization[7:].encode()).hexdigest()[:40]
    if request.session.session_key is None:
        request.session.save()
    return f"session:{request.session.session_key}"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "detail": None}, status=status)


# A claim whose request never finished (the process died) is given up after this long.
STALE_CLAIM = timedelta(minutes=2)
# Refusals that a corrected retry with the same key must not be stuck with.
_NOT_STORED = {401, 403, 429}


def _claim(key: str, caller: str, request: HttpRequest, digest: str) -> IdempotencyRecord | None:
    """Insert the claim; None if a live record holds the key (expired or stale ones are replaced)."""
    now = clock.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    key=key,
                    caller=caller,
                    method=request.method or "",
                    path=request.get_full_path()[:500],
                    request_digest=digest,
                    created_at=now,
                )
        except IntegrityError:
            expired = Q(created_at__lt=now - RETENTION) | Q(
                status_code__isnull=True, created_at__lt=now - STALE_CLAIM
            )
            if not IdempotencyRecord.objects.filter(expired, caller=caller, key=key).delete()[0]:
                return None
    return None


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(HEADER)
        if not key or request.method not in {"POST", "PUT", "PATCH"} or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 200:
            return _error(422, "idempotency_key_too_long", _("The Idempotency-Key header is too long."))
        caller = _caller(request)
        target = f"{request.method} {request.get_full_path()}".encode()
        digest = hashlib.sha256(target + b"\n" + request.body).hexdigest()
        record = _claim(key, caller, request, digest)
        if record is None:
            existing = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
            if existing is None:
                # The first attempt failed and released the key between our insert and this read.
                return _error(
                    409,
                    "idempotency_in_progress",
                    _("A request with this Idempotency-Key is still being processed."),
                )
            if existing.request_digest != digest:
                return _error(
                    422,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request."),
                )
            if existing.status_code is None:
                return _error(
                    409,
                    "idempotency_in_progress",
                    _("A request with this Idempotency-Key is still being processed."),
                )
            response = HttpResponse(
                bytes(existing.response_body or b""),
                status=existing.status_code,
                content_type=existing.content_type or "application/json",
            )
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or response.status_code in _NOT_STORED:
            record.delete()
            return response
        record.status_code = response.status_code
        record.response_body = response.content
        record.content_type = response.get("Content-Type", "")
        record.save(update_fields=["status_code", "response_body", "content_type"])
        IdempotencyRecord.objects.filter(created_at__lt=clock.now() - RETENTION).delete()
        return response
