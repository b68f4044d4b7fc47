"""The staff desk: my cases by urgency, one case with its actions (htmx), and the unit's load."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.cases import selectors, services
from civicpulse.cases.enums import CaseStatus, Channel, PauseKind, SlaState, VisitKind
from civicpulse.cases.models import Case
from civicpulse.cases.permissions import access_case
from civicpulse.catalogue.enums import Channels
from civicpulse.catalogue.selectors import published_version_list
from civicpulse.core.audit import render_event
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed


def _staff(request: HttpRequest) -> User:
    if not has_perm(request.user, Perm.CASE_VIEW):
        raise Http404
    assert isinstance(request.user, User)
    return request.user


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    status = request.GET.get("status", "")
    sla = request.GET.get("sla", "")
    mine = request.GET.get("mine", "1") == "1"
    cases = selectors.case_list(
        user=user,
        status=status if status in CaseStatus.values else "",
        sla_state=sla if sla in SlaState.values else "",
        mine=mine,
    )
    page = Paginator(cases, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/desk.html",
        {
            "page": page,
            "status": status,
            "sla": sla,
            "mine": mine,
            "statuses": CaseStatus.choices,
            "sla_states": SlaState.choices,
            "load": selectors.unit_load(user=user),
            "can_intake": selectors.officer_windows(user=user).exists(),
        },
    )


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The window officer receives an application: service, applicant, the materials handed in, a receipt."""
    user = _staff(request)
    windows = list(selectors.officer_windows(user=user))
    if not windows:
        raise Http404
    services_offered = published_version_list(channel=Channels.HALL)
    code = request.POST.get("service") or request.GET.get("service", "")
    version = next((v for v in services_offered if v.service.code == code), None)
    context: dict[str, object] = {
        "windows": windows,
        "services_offered": services_offered,
        "version": version,
        "materials": list(version.materials.all()) if version else [],
        "form": {},
        "handed_in": set(),
        "error": None,
    }
    if request.method == "POST" and version is not None:
        form = {k: request.POST.get(k, "").strip() for k in ("name", "id_number", "phone", "email", "window")}
        handed_in = {int(v) for v in request.POST.getlist("material") if v.isdigit()}
        context.update(form=form, handed_in=handed_in)
        window = next((w for w in windows if w.code == form["window"]), None)
        try:
            case = services.case_intake(
                actor=user,
                service_code=version.service.code,
                channel=Channel.HALL,
                applicant=services.Applicant(
                    name=form["name"], id_number=form["id_number"], phone=form["phone"], email=form["email"]
                ),
                submitted_positions=sorted(handed_in),
                window=window,
            )
        except DomainError as error:
            context["error"] = error
        else:
            return render(
                request,
                "cases/receipt.html",
                {
                    "case": case,
                    "code": getattr(case, "verification_code", ""),
                    "missing": [m for m in case.materials.all() if m.required and not m.submitted],
                    "rating_qr": _rating_qr(case),
                },
            )
    partial = request.headers.get("HX-Request") and request.method == "GET"
    template = "cases/partials/intake_form.html" if partial else "cases/intake.html"
    return render(request, template, context)


def _rating_qr(case: Case) -> str:
    """A one-time link to rate this visit, as an inline SVG QR code for the printed receipt (一次一评)."""
    import segno

    from civicpulse.evaluations.services import link_issue, link_url

    _link, token = link_issue(case=case, stage="intake")
    return str(segno.make(link_url(token), error="m").svg_inline(scale=3, dark="#111", omitsize=False))


def _case_context(request: HttpRequest, number: str) -> dict[str, object]:
    try:
        case = access_case(request.user, number)
    except NotFound:
        raise Http404 from None
    return {
        "case": case,
        "actions": selectors.allowed_transitions(user=request.user, case=case),
        "extras": selectors.desk_extras(user=request.user, case=case),
        "materials": list(case.materials.prefetch_related("files")),
        "visits": list(case.visits.all()),
        "timeline": [(e, render_event(e)) for e in selectors.case_timeline(case=case)],
        "pause_kinds": [(k, label) for k, label in PauseKind.choices if k != PauseKind.SUPPLEMENT],
        "visit_kinds": [(k, label) for k, label in VisitKind.choices if k != VisitKind.INTAKE],
    }


@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    _staff(request)
    return render(request, "cases/case_detail.html", _case_context(request, number))


def _do(user: User, case: Case, action: str, post: QueryDict) -> None:
    if action == "reassign":
        chosen = post.get("assignee", "")
        assignee = User.objects.filter(pk=int(chosen) if chosen.isdigit() else 0)
        if not assignee.exists():
            raise ValidationFailed(_("Choose the new assignee."), code="assignee_required")
        services.case_reassign(actor=user, case=case, assignee=assignee.get())
    elif action == "settle":
        services.case_settle_on_the_spot(
            actor=user, case=case, approve=post.get("approve", "1") == "1", reason=post.get("reason", "")
        )
    elif action == "visit":
        if case.window is None:
            raise ValidationFailed(_("Only a case taken in at a window records visits."), code="no_window")
        services.visit_record(actor=user, case=case, kind=post.get("kind", ""), window=case.window)
    else:
        services.case_transition(
            actor=user,
            case=case,
            transition=action,
            reason=post.get("reason", ""),
            missing=[int(v) for v in post.getlist("missing") if v.isdigit()],
            pause_kind=post.get("pause_kind", PauseKind.EXPERT_REVIEW),
        )


@login_required
@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = _staff(request)
    error: DomainError | None = None
    try:
        _do(user, access_case(user, number), action, request.POST)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    context = _case_context(request, number)
    context["error"] = error
    return render(request, "cases/partials/case_panel.html", context)


@login_required
def case_file(request: HttpRequest, number: str, file_id: int) -> FileResponse:
    """An uploaded document, for staff who may see the case; every opening is written to the audit log."""
    user = _staff(request)
    try:
        upload = services.case_file_open(user=user, number=number, file_id=file_id)
    except NotFound:
        raise Http404 from None
    inline = upload.content_type in ("application/pdf", "image/jpeg", "image/png")
    response = FileResponse(
        upload.file.open("rb"),
        content_type=upload.content_type,
        as_attachment=not inline,
        filename=upload.original_name,
    )
    # The file came from a citizen: never let the browser run it as part of this site.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
