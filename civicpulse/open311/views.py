"""The GeoReport v2 endpoints. Plain Django views: the standard's `.json`/`.xml` suffixes, form-encoded
POSTs with `api_key` in the body and its bare-array errors do not fit the django-ninja API.

Each view parses, calls one selector or service, and shapes the answer; errors become the standard's
`[{code, description}]` with 404 for what does not exist, 403 for a wrong or missing api_key and 400 for
anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicpulse.core import clock
from civicpulse.core.errors import DomainError, Forbidden, NotFound
from civicpulse.open311 import mapping, selectors, services
from civicpulse.open311.render import CONTENT_TYPES, render

View = Callable[..., HttpResponse]


def _setting(name: str, default: Any) -> Any:
    return settings.CIVICPULSE.get(name, default)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _respond(fmt: str, root: str, payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(render(fmt, root, payload), status=status, content_type=CONTENT_TYPES[fmt])


def _status_for(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Forbidden):
        return 403
    return 400


def _errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    payload = [{"code": status, "description": text} for text in descriptions]
    return _respond(fmt, "errors", payload, status=status)


def open311(*methods: str) -> Callable[[View], View]:
    """Format suffix, allowed methods, jurisdiction_id and DomainError handling shared by every endpoint."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str = "xml", **kwargs: Any) -> HttpResponse:
            fmt = (fmt or "xml").lower()
            if fmt not in CONTENT_TYPES:
                return _errors(
                    "xml", 400, [_("Unsupported format %(format)s: use json or xml.") % {"format": fmt}]
                )
            if request.method not in methods:
                response = _errors(
                    fmt, 405, [_("Method %(method)s is not allowed here.") % {"method": request.method}]
                )
                response["Allow"] = ", ".join(methods)
                return response
            jurisdiction = str(_setting("OPEN311_JURISDICTION_ID", ""))
            asked = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
            # One jurisdiction per installation: the argument is optional, but a wrong one is not ignored.
            if jurisdiction and asked and asked != jurisdiction:
                return _errors(fmt, 404, [_("jurisdiction_id %(id)s was not found.") % {"id": asked}])
            try:
                return view(request, fmt, *args, **kwargs)
            except DomainError as error:
                details = error.detail if isinstance(error.detail, list) else [str(error.message)]
                return _errors(fmt, _status_for(error), [str(d) for d in details])

        return wrapper

    return decorate


@open311("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changed = selectors.changeset()
    stamp = changed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if changed else ""
    base = str(_setting("PUBLIC_BASE_URL", "")).rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    payload = {
        "changeset": stamp,
        "contact": str(_setting("OPEN311_CONTACT", ""))
        or _("Ask the service centre for help with this API."),
        "key_service": str(_setting("OPEN311_KEY_SERVICE", ""))
        or _("API keys are issued by the service centre's administrator."),
        "endpoints": [
            {
                "specification": mapping.SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": stamp,
                "type": str(_setting("OPEN311_ENDPOINT_TYPE", "test" if settings.DEBUG else "production")),
                "formats": list(mapping.FORMATS.values()),
            }
        ],
    }
    return _respond(fmt, "discovery", payload)


@open311("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    english = _english()
    payload = [mapping.service_item(facts, english) for facts in selectors.service_list()]
    return _respond(fmt, "services", payload)


@open311("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    try:
        facts = selectors.service_get(code=code)
    except NotFound:
        raise NotFound(_("Unknown service_code: %(code)s.") % {"code": code}) from None
    return _respond(fmt, "service_definition", mapping.service_definition(facts, _english()))


def _reader_key(request: HttpRequest) -> int | None:
    """GET needs no key; a client that sends its own sees what it submitted (location, description)."""
    key = request.GET.get("api_key", "")
    if not key:
        return None
    return services.api_key_authenticate(key=key).pk


def _requests_payload(submissions: list[Any], reader: int | None) -> list[dict[str, Any]]:
    english, tz = _english(), timezone.get_default_timezone()
    return [
        mapping.request_item(
            selectors.request_facts(s, english), tz=tz, english=english, reveal=reader == s.api_key_id
        )
        for s in submissions
    ]


@csrf_exempt
@open311("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, fmt)
    reader = _reader_key(request)
    maximum = int(_setting("OPEN311_MAX_REQUESTS", mapping.MAX_REQUESTS))
    query = mapping.parse_request_query(request.GET, maximum=maximum)
    submissions = selectors.request_list(query=query, now=clock.now())
    return _respond(fmt, "service_requests", _requests_payload(submissions, reader))


def _submit(request: HttpRequest, fmt: str) -> HttpResponse:
    api_key = services.api_key_authenticate(key=request.POST.get("api_key", ""))
    receipt = services.request_submit(
        api_key=api_key,
        params=dict(request.POST.lists()),
        idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
    )
    notice = mapping.receipt_notice(
        receipt.service,
        number=receipt.case.number,
        due=receipt.case.due_date,
        verification_code=receipt.verification_code,
        english=_english(),
    )
    # realtime: the id is known at once, so the standard wants no token in the body; the token every
    # accepted request gets travels in a header for clients that track by token.
    payload = [{"service_request_id": receipt.case.number, "service_notice": notice}]
    response = _respond(fmt, "service_requests", payload, status=200)
    response["Open311-Token"] = receipt.submission.token
    if receipt.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@open311("GET")
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    reader = _reader_key(request)
    try:
        submission = selectors.request_get(number=number)
    except NotFound:
        raise NotFound(_("Unknown service_request_id: %(id)s.") % {"id": number}) from None
    return _respond(fmt, "service_requests", _requests_payload([submission], reader))


@open311("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    try:
        submission = selectors.token_get(token=token)
    except NotFound:
        raise NotFound(_("Unknown token: %(token)s.") % {"token": token}) from None
    payload = [{"service_request_id": submission.case.number, "token": submission.token}]
    return _respond(fmt, "service_requests", payload)
