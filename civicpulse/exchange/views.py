"""Upward-reporting pages: the feeds a user exports for with their latest batches, a feed's batches with
"export now", creating and switching feeds, and the audited download."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm, unit_filter
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.exchange import selectors, services
from civicpulse.exchange.enums import Format, Schedule
from civicpulse.exchange.schema import SCHEMA_VERSION
from civicpulse.exchange.schemas import schema_url

RECENT = 20


def _staff(request: HttpRequest) -> User:
    if not has_perm(request.user, Perm.EXCHANGE_EXPORT):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


def _units(user: User) -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(unit_filter(user, Perm.EXCHANGE_EXPORT, field=""), is_active=True).order_by(
            "path"
        )
    )


def _since(raw: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(_("Give the start as a date and time."), code="invalid_since") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = request.POST
        try:
            unit = next((u for u in _units(user) if str(u.pk) == form.get("unit", "")), None)
            if unit is None:
                raise ValidationFailed(_("Choose the unit whose data the feed sends."), code="unit_required")
            feed = services.feed_create(
                actor=user,
                name=form.get("name", ""),
                unit=unit,
                fmt=form.get("format", ""),
                schedule=form.get("schedule", ""),
                destination=form.get("destination", ""),
                since=_since(form.get("since", "")),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("The feed %(name)s was created.") % {"name": feed.name})
            return redirect("exchange:feed_detail", name=feed.name)
    return render(
        request,
        "exchange/index.html",
        {
            "feeds": selectors.feed_list(user=user),
            "batches": selectors.batch_list(user=user)[:RECENT],
            "errors": services.ERRORS,
            "units": _units(user),
            "formats": Format.choices,
            "schedules": Schedule.choices,
            "error": error,
            "form": request.POST if error else {},
            "schema_url": schema_url(),
            "schema_version": SCHEMA_VERSION,
        },
        status=422 if error else 200,
    )


@login_required
def feed_detail(request: HttpRequest, name: str) -> HttpResponse:
    user = _staff(request)
    try:
        feed = selectors.access_feed(user, name)
    except NotFound:
        raise Http404 from None
    batches = selectors.batch_list(user=user, feed=feed)
    return render(
        request,
        "exchange/feed_detail.html",
        {
            "feed": feed,
            "page": Paginator(batches, 50).get_page(request.GET.get("page")),
            "errors": services.ERRORS,
            "schema_url": schema_url(),
            "schema_version": SCHEMA_VERSION,
            "settle_seconds": int(services.settle().total_seconds()),
        },
    )


@login_required
@require_POST
def feed_action(request: HttpRequest, name: str, action: str) -> HttpResponse:
    user = _staff(request)
    try:
        feed = selectors.access_feed(user, name)
    except NotFound:
        raise Http404 from None
    try:
        if action == "export":
            _batch, created = services.batch_request(actor=user, feed=feed)
            if created:
                messages.success(
                    request, _("Export requested: the worker is writing the file. Refresh to see it.")
                )
            else:
                messages.info(request, _("An export of this feed is already under way."))
        elif action in ("activate", "deactivate"):
            services.feed_set_active(actor=user, feed=feed, active=action == "activate")
            messages.success(request, _("Saved."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("exchange:feed_detail", name=feed.name)


@login_required
def batch_download(request: HttpRequest, batch_id: int) -> HttpResponse | FileResponse:
    user = _staff(request)
    try:
        batch = selectors.access_batch(user, batch_id)
    except NotFound:
        raise Http404 from None
    try:
        handle, filename, content_type = services.batch_download(actor=user, batch=batch)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("exchange:feed_detail", name=batch.feed.name)
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["X-Checksum-SHA256"] = batch.checksum
    return response
