"""Pages for citizens and the public: the service guide (办事指南) catalogue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import User
from civicpulse.accounts.selectors import departments_with_services, org_unit_by_code
from civicpulse.cases import queue
from civicpulse.cases import selectors as case_selectors
from civicpulse.cases import services as case_services
from civicpulse.cases.permissions import access_case
from civicpulse.catalogue import selectors
from civicpulse.catalogue.enums import Channels, PowerKind
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.evaluations.views import rating_forms
from civicpulse.rectification.enums import Satisfaction
from civicpulse.rectification.views import citizen_orders


def home(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    unit_code = request.GET.get("unit", "")
    power_kind = request.GET.get("power_kind", "")
    channel = request.GET.get("channel", "")
    unit = None
    if unit_code:
        try:
            unit = org_unit_by_code(code=unit_code)
        except NotFound:
            unit_code = ""
    versions = selectors.published_version_list(
        q=q,
        unit=unit,
        power_kind=power_kind if power_kind in PowerKind.values else "",
        channel=channel if channel in Channels.values else "",
    )
    page = Paginator(versions, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "unit_code": unit_code,
        "power_kind": power_kind,
        "channel": channel,
        "units": departments_with_services() if not request.headers.get("HX-Request") else [],
        "power_kinds": PowerKind.choices,
        "channels": Channels.choices,
    }
    template = (
        "portal/partials/service_results.html" if request.headers.get("HX-Request") else "portal/home.html"
    )
    return render(request, template, context)


def service_guide(request: HttpRequest, code: str) -> HttpResponse:
    try:
        version = selectors.published_version_get(code=code)
    except NotFound:
        raise Http404 from None
    return render(request, "portal/service_guide.html", {"version": version, "service": version.service})


def track(request: HttpRequest) -> HttpResponse:
    """Follow a case with its number and verification code (POST, so the code stays out of URLs and logs)."""
    context: dict[str, object] = {"number": "", "error": ""}
    if request.method == "POST":
        number = request.POST.get("number", "").strip()[:20]
        code = request.POST.get("code", "").strip()[:12]
        context["number"] = number
        try:
            context["summary"] = case_selectors.case_track_summary(
                case=case_selectors.case_track(number=number, code=code)
            )
        except NotFound:
            context["error"] = _("No case matches this number and verification code.")
    return render(request, "portal/track.html", context)


def hall_board(request: HttpRequest, code: str) -> HttpResponse:
    """The hall screen: tickets now called, refreshed by htmx every few seconds (no reload, no internet)."""
    try:
        hall = org_unit_by_code(code=code)
    except NotFound:
        raise Http404 from None
    context = {"hall": hall, "tickets": queue.hall_board(hall=hall)}
    if request.headers.get("HX-Request"):
        return render(request, "portal/partials/hall_board.html", context)
    return render(request, "portal/hall_board.html", context)


def _citizen(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.CITIZEN:
        raise Http404
    return user


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """Apply online: the applicant's details and one upload per material, all accepted or none."""
    citizen = _citizen(request)
    try:
        version = selectors.published_version_get(code=code)
    except NotFound:
        raise Http404 from None
    if version.channels == Channels.HALL:
        raise Http404
    context: dict[str, object] = {
        "version": version,
        "service": version.service,
        "error": None,
        "form": {"name": citizen.full_name, "phone": citizen.phone},
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("name", "id_number", "phone", "email")}
        context["form"] = form
        uploads: dict[int, UploadedFile] = {}
        for material in version.materials.all():
            upload = request.FILES.get(f"material-{material.position}")
            if isinstance(upload, UploadedFile):
                uploads[material.position] = upload
        try:
            case = case_services.case_apply_online(
                actor=citizen,
                service_code=code,
                uploads=uploads,
                applicant=case_services.Applicant(
                    name=form["name"], id_number=form["id_number"], phone=form["phone"], email=form["email"]
                ),
            )
        except DomainError as error:
            context["error"] = error
        else:
            return redirect("portal:my_case", number=case.number)
    return render(request, "portal/apply.html", context)


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    citizen = _citizen(request)
    return render(request, "portal/my_cases.html", {"cases": case_selectors.case_list(user=citizen)})


@login_required
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    citizen = _citizen(request)
    try:
        case = access_case(citizen, number)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "portal/track.html",
        {
            "summary": case_selectors.case_track_summary(case=case),
            "own_case": True,
            "rating_forms": rating_forms(case=case, user=citizen),
            "orders_to_rate": citizen_orders(case=case, user=citizen),
            "satisfactions": Satisfaction.choices,
        },
    )
