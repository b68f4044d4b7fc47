"""The in-app inbox: every notification a person received, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from civicpulse.core import clock
from civicpulse.core.models import Notification
from civicpulse.core.notify import render as render_notification


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient_id=request.user.pk)
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    rows = [(n, render_notification(n)) for n in page]
    return render(
        request,
        "core/inbox.html",
        {"page": page, "rows": rows, "unread": notifications.filter(read_at__isnull=True).count()},
    )


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    unread = Notification.objects.filter(recipient_id=request.user.pk, read_at__isnull=True)
    unread.update(read_at=clock.now())
    return redirect("inbox")
