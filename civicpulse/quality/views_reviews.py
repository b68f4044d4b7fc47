"""Management review pages: the list, a review's pack as a web page with its forms, and the same pack as
PDF (WeasyPrint renders the page's own markup and SVG charts: nothing is fetched from elsewhere)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit, unit_filter
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.quality import charts, reviews
from civicpulse.quality.models import ManagementReview
from civicpulse.quality.models.reviews import OutputKind
from civicpulse.quality.selectors import timeline_of
from civicpulse.quality.views import _english, _staff


def _date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("%(what)s: give a date as 2026-10-31.") % {"what": what}, code="invalid_date"
        ) from None


def _review(user: User, review_id: int) -> ManagementReview:
    """A review of a unit the user oversees, or one that gave them an action to do."""
    found = (
        ManagementReview.objects.filter(
            unit_filter(user, Perm.QUALITY_VIEW, "unit") | Q(outputs__owner=user), pk=review_id
        )
        .select_related("unit", "chair")
        .distinct()
        .first()
    )
    if found is None:
        raise Http404
    return found


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    if request.method == "POST":
        unit = OrgUnit.objects.filter(code=request.POST.get("unit", "")).first()
        try:
            if unit is None:
                raise ValidationFailed(_("Choose the organisation reviewed."), code="unknown_unit")
            review = reviews.review_create(
                actor=user,
                unit=unit,
                title=request.POST.get("title", ""),
                period_start=_date(request.POST.get("period_start", ""), _("Period from")),
                period_end=_date(request.POST.get("period_end", ""), _("Period to")),
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("quality:review_detail", review_id=review.pk)
    rows = ManagementReview.objects.filter(unit_filter(user, Perm.QUALITY_VIEW, "unit")).select_related(
        "unit"
    )
    units = OrgUnit.objects.filter(unit_filter(user, Perm.QUALITY_MANAGE, "")).order_by("path")
    return render(request, "quality/reviews/list.html", {"rows": rows, "units": units, "error": error})


def _context(review: ManagementReview) -> dict[str, Any]:
    english = _english()
    built = reviews.pack(review, english=english)
    trend = charts.bars_svg(
        [(label, f.value, f.shown + (f" (n = {f.n})")) for label, f in built.trend],
        title=_("Good-review rate by month"),
        maximum=1.0,
    )
    sources = built.nonconformities["by_source"]
    from civicpulse.quality.enums import Source

    by_source = charts.bars_svg(
        [(str(Source(code).label), float(n), str(n)) for code, n in sorted(sources.items())],
        title=_("Nonconformities raised in the period, by source"),
    )
    return {"review": review, "pack": built, "trend_svg": trend, "sources_svg": by_source}


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _staff(request, None)
    review = _review(user, review_id)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            _act(user, review, request.POST)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Saved."))
            return redirect("quality:review_detail", review_id=review.pk)
    context = _context(review)
    context.update(
        {
            "error": error,
            "can_manage": has_perm_on_unit(user, Perm.QUALITY_MANAGE, review.unit),
            "outputs": list(review.outputs.select_related("owner")),
            "kinds": OutputKind.choices,
            "user": user,
            "events": timeline_of(review),
        }
    )
    return render(request, "quality/reviews/detail.html", context)


def _act(user: User, review: ManagementReview, form: Any) -> None:
    do = form.get("do", "")
    if do == "inputs":
        reviews.review_inputs_set(
            actor=user,
            review=review,
            issues=form.get("issues", ""),
            resources=form.get("resources", ""),
            risks=form.get("risks", ""),
        )
    elif do == "output":
        owner = (
            User.objects.filter(username=form.get("owner", ""), kind=UserKind.STAFF).first()
            if form.get("owner")
            else None
        )
        due = _date(form.get("due_on", ""), _("Due")) if form.get("due_on") else None
        reviews.review_output_add(
            actor=user,
            review=review,
            kind=form.get("kind", ""),
            text=form.get("text", ""),
            owner=owner,
            due_on=due,
        )
    elif do == "output_done":
        raw = form.get("output", "")
        output = review.outputs.filter(pk=int(raw)).first() if raw.isdigit() else None
        if output is None:
            raise NotFound()
        reviews.review_output_done(actor=user, output=output)
    elif do == "hold":
        chair = User.objects.filter(username=form.get("chair", ""), kind=UserKind.STAFF).first()
        if chair is None:
            raise ValidationFailed(_("Name the chair by their user name."), code="unknown_user")
        reviews.review_hold(
            actor=user,
            review=review,
            held_on=_date(form.get("held_on", ""), _("Held on")),
            chair=chair,
            attendees=form.get("attendees", ""),
        )
    else:
        raise NotFound()


@login_required
def review_pdf(request: HttpRequest, review_id: int) -> HttpResponse:
    from weasyprint import HTML

    user = _staff(request)
    review = _review(user, review_id)
    context = _context(review)
    context["outputs"] = list(review.outputs.select_related("owner"))
    html = render_to_string("quality/reviews/pack.html", context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="management-review-{review.pk}.pdf"'
    return response


urlpatterns = [
    path("reviews/", review_list, name="review_list"),
    path("reviews/<int:review_id>/", review_detail, name="review_detail"),
    path("reviews/<int:review_id>/pack.pdf", review_pdf, name="review_pdf"),
]
