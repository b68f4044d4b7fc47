"""Assessment pages for staff: the run list, a run's ranking per peer group with funnel plots, one
subject's breakdown with the records behind every number, and "my assessment"."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.assessment import charts, selectors, services
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.enums import Grade, RunStatus
from civicpulse.assessment.models import (
    Adjustment,
    Calibration,
    ReviewRequest,
    RunSubject,
    RunValue,
    Scheme,
    SchemeItem,
    SchemeVersion,
)
from civicpulse.assessment.permissions import access_run, access_run_subject, subject_scope
from civicpulse.cases.models import Case, Ticket
from civicpulse.core import clock
from civicpulse.core.errors import DomainError, NotFound, ValidationFailed
from civicpulse.evaluations.enums import Level
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification.models import RectificationOrder

# The breakdown lists at most this many records per indicator; the count says how many there are.
DRILL_DOWN_LIMIT = 200


def _staff(request: HttpRequest, perm: Perm | None = Perm.ASSESSMENT_VIEW) -> User:
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF:
        raise Http404
    if perm is not None and not has_perm(user, perm):
        raise Http404
    return user


def _english() -> bool:
    return (get_language() or "").startswith("en")


def indicator_name(code: str) -> str:
    indicator = lib.INDICATORS.get(code)
    if indicator is None:
        return code
    return indicator.name_en if _english() else indicator.name_zh


def format_value(code: str, value: float | None) -> str:
    if value is None:
        return "–"
    indicator = lib.INDICATORS.get(code)
    if indicator is not None and indicator.unit == "%":
        return f"{value * 100:.1f} %"
    if indicator is not None and indicator.unit == "minutes":
        return f"{value:.1f} " + _("min")
    return f"{value:.3f}"


def format_interval(code: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{format_value(code, low)} – {format_value(code, high)}"


def format_score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def subject_label(subject: RunSubject) -> str:
    if subject.unit is not None:
        return subject.unit.name_en if _english() and subject.unit.name_en else subject.unit.name_zh
    assert subject.staff is not None
    return subject.staff.display_name


def group_label(group: str, categories: dict[str, Any]) -> str:
    category = categories.get(group)
    if category is not None:
        return str(category.name_en if _english() and category.name_en else category.name_zh)
    if group in Role.values:
        return str(Role(group).label)
    return group


def funnel_text(position: str) -> str:
    texts = {
        "high3": _("above the 3σ limit"),
        "high2": _("above the 2σ limit"),
        "in": _("within the limits"),
        "low2": _("below the 2σ limit"),
        "low3": _("below the 3σ limit"),
    }
    return texts.get(position, "")


@dataclass
class Cell:
    value: str
    n: int | None
    interval: str
    insufficient: bool


@dataclass
class Row:
    subject: RunSubject
    label: str
    final: str
    base: str
    coverage: str
    cells: list[Cell]


@dataclass
class Group:
    code: str
    label: str
    columns: list[str]
    ranked: list[Row] = field(default_factory=list)
    unranked: list[Row] = field(default_factory=list)
    funnels: list[str] = field(default_factory=list)


def _row(subject: RunSubject, codes: list[str]) -> Row:
    values = {v.indicator: v for v in subject.values.all()}
    cells = []
    for code in codes:
        v = values.get(code)
        if v is None:
            cells.append(Cell("–", None, "", True))
        else:
            cells.append(
                Cell(format_value(code, v.value), v.n, format_interval(code, v.low, v.high), v.insufficient)
            )
    return Row(
        subject=subject,
        label=subject_label(subject),
        final=format_score(subject.final),
        base=format_score(subject.base),
        coverage=f"{subject.coverage * 100:.0f} %",
        cells=cells,
    )


def _groups(
    subjects: list[RunSubject], items: dict[str, list[SchemeItem]], pooled: dict[Any, Any]
) -> list[Group]:
    by_group: dict[str, list[RunSubject]] = defaultdict(list)
    for subject in subjects:
        by_group[subject.group].append(subject)
    categories = selectors.group_names(groups=by_group)
    groups = []
    for code in sorted(by_group):
        members = by_group[code]
        codes = [item.indicator for item in items.get(code, [])] or sorted(
            {v.indicator for s in members for v in s.values.all()}
        )
        group = Group(
            code=code, label=group_label(code, categories), columns=[indicator_name(c) for c in codes]
        )
        ranked = sorted((s for s in members if s.rank is not None), key=lambda s: (s.rank, subject_label(s)))
        group.ranked = [_row(s, codes) for s in ranked]
        group.unranked = [
            _row(s, codes) for s in sorted((s for s in members if s.rank is None), key=subject_label)
        ]
        for indicator in codes:
            if lib.INDICATORS.get(indicator) is None or lib.INDICATORS[indicator].kind != "rate":
                continue
            points = [
                (subject_label(s), int(v.numerator), v.n)
                for s in members
                for v in s.values.all()
                if v.indicator == indicator and v.n > 0
            ]
            successes, total = pooled.get((code, indicator), (0, 0))
            group.funnels.append(
                mark_safe(  # funnel_svg escapes every label and title it writes
                    charts.funnel_svg(
                        points,
                        title=f"{group.label}: {indicator_name(indicator)}",
                        pooled=successes / total if total else None,
                    )
                )
            )
        groups.append(group)
    return groups


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    runs = selectors.run_list(user=user)
    return render(request, "assessment/run_list.html", {"runs": runs})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    user = _staff(request, None)
    try:
        run = access_run(user, run_id)
    except NotFound:
        raise Http404 from None
    subjects = selectors.run_subjects(user=user, run=run)
    groups = _groups(subjects, selectors.scheme_items(run=run), selectors.pooled_counts(run=run))
    visible = {s.pk for s in subjects}
    calibrations = [
        c
        for c in Calibration.objects.filter(subject__run=run).select_related(
            "subject__unit", "subject__staff", "moved_by"
        )
        if c.subject_id in visible
    ]
    return render(
        request,
        "assessment/run_detail.html",
        {
            "run": run,
            "groups": groups,
            "calibrations": [(c, subject_label(c.subject)) for c in calibrations],
            "can_calibrate": run.status == RunStatus.COMPUTED and has_perm(user, Perm.ASSESSMENT_APPROVE),
            "subject_heading": _("Unit") if run.version.scheme.subject == "unit" else _("Staff member"),
        },
    )


@dataclass
class Record:
    label: str
    url: str = ""
    detail: str = ""


def _record(source: str, obj: object) -> Record:
    if isinstance(obj, Case):
        return Record(obj.number, reverse("cases:case_detail", args=[obj.number]))
    if isinstance(obj, Evaluation):
        level = Level(obj.level).label if obj.level in Level.values else str(obj.level)
        return Record(f"#{obj.pk}", "", f"{level} · {obj.get_channel_display()}")
    if isinstance(obj, RectificationOrder):
        return Record(
            f"#{obj.pk}", reverse("rectification:order_detail", args=[obj.pk]), obj.evaluation.case.number
        )
    if isinstance(obj, Ticket):
        return Record(obj.label, "", obj.day.isoformat())
    return Record(str(getattr(obj, "pk", "")))


@dataclass
class Line:
    value: RunValue
    name: str
    unit: str
    shown: str
    scored: str
    interval: str
    funnel: str
    records: list[Record]
    counted: int
    changed: bool
    more: int


def _subject_adjustments(subject: RunSubject) -> list[dict[str, Any]]:
    """The bonus and penalty items the run counted for the subject, with the points its version gives."""
    run = subject.run
    points = {i["code"]: i for i in run.version.adjustment_items or []}
    entries = services.adjustments_counted(run.version, run.period_start, run.period_end, run.cutoff).filter(
        **({"unit_id": subject.unit_id} if subject.unit_id else {"staff_id": subject.staff_id})
    )
    return [
        {
            "entry": e,
            "name": points[e.code]["name_en"] if _english() else points[e.code]["name_zh"],
            "points": float(points[e.code]["points"]),
        }
        for e in entries.order_by("occurred_on", "pk")
    ]


@login_required
def subject_detail(request: HttpRequest, run_id: int, subject_id: int) -> HttpResponse:
    user = _staff(request, None)
    try:
        subject = access_run_subject(user, run_id, subject_id)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    if request.method == "POST":
        try:
            services.review_request(actor=user, subject=subject, reason=request.POST.get("reason", "")[:4000])
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Your request for a review is sent to the assessment committee."))
            return redirect("assessment:subject_detail", run_id=subject.run_id, subject_id=subject.pk)
    values = list(subject.values.order_by("-weight", "indicator"))
    behind = selectors.values_behind(subject)
    ids = {code: value.record_ids for code, value in behind.items()}
    wanted: dict[str, set[int]] = defaultdict(set)
    for v in values:
        source = lib.INDICATORS[v.indicator].source if v.indicator in lib.INDICATORS else ""
        wanted[source].update(ids.get(v.indicator, ())[:DRILL_DOWN_LIMIT])
    loaded = {source: selectors.records_behind(source=source, ids=ids) for source, ids in wanted.items()}
    lines = []
    for v in values:
        indicator = lib.INDICATORS.get(v.indicator)
        source = indicator.source if indicator else ""
        found = loaded.get(source, {})
        record_ids = ids.get(v.indicator, ())
        records = [_record(source, found[i]) for i in record_ids[:DRILL_DOWN_LIMIT] if i in found]
        lines.append(
            Line(
                value=v,
                name=indicator_name(v.indicator),
                unit=indicator.unit if indicator else "",
                shown=format_value(v.indicator, v.value),
                scored=format_value(v.indicator, v.scored),
                interval=format_interval(v.indicator, v.low, v.high),
                funnel=funnel_text(v.funnel),
                records=records,
                counted=len(record_ids),
                # Only a record changed in a way the cut-off cannot hide (a deleted one, say) shows here.
                changed=v.indicator in behind and behind[v.indicator].n != v.n,
                more=max(0, len(record_ids) - DRILL_DOWN_LIMIT),
            )
        )
    open_until = services.review_open_until(subject.run)
    may_ask = (
        open_until is not None
        and clock.now() <= open_until
        and services.review_is_theirs(user, subject)
        and not subject.review_requests.filter(status="pending").exists()
    )
    return render(
        request,
        "assessment/subject_detail.html",
        {
            "reviews": list(subject.review_requests.select_related("answered_by").order_by("requested_at")),
            "may_ask": may_ask,
            "open_until": open_until,
            "adjustments": _subject_adjustments(subject),
            "error": error,
            "run": subject.run,
            "subject": subject,
            "label": subject_label(subject),
            "group": group_label(subject.group, selectors.group_names(groups=[subject.group])),
            "final": format_score(subject.final),
            "base": format_score(subject.base),
            "coverage": f"{subject.coverage * 100:.0f} %",
            "lines": lines,
            "can_list_runs": has_perm(user, Perm.ASSESSMENT_VIEW),
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user = _staff(request, None)
    subjects = selectors.my_subjects(user=user)
    rows = [
        {
            "subject": s,
            "label": subject_label(s),
            "final": format_score(s.final),
            "base": format_score(s.base),
        }
        for s in subjects
    ]
    return render(
        request,
        "assessment/mine.html",
        {"rows": rows, "can_list_runs": has_perm(user, Perm.ASSESSMENT_VIEW)},
    )


# --- the committee: calibration, bonus and penalty items ----------------------------------------------------


@dataclass
class CalibrationRow:
    subject: RunSubject
    label: str
    final: str
    # What the form showed or the user chose (kept when the moves are refused).
    chosen: str
    reason: str


@login_required
def calibrate(request: HttpRequest, run_id: int) -> HttpResponse:
    """The committee moves grades of a computed run (all moves at once, each with a reason)."""
    user = _staff(request, Perm.ASSESSMENT_APPROVE)
    try:
        run = access_run(user, run_id)
    except NotFound:
        raise Http404 from None
    if run.status != RunStatus.COMPUTED:
        messages.info(request, _("A finalized run is not calibrated."))
        return redirect("assessment:run_detail", run_id=run.pk)
    error: DomainError | None = None
    if request.method == "POST":
        moves = []
        # Only the rows the user may see: a grade outside their units cannot even be named.
        for subject in selectors.run_subjects(user=user, run=run):
            if not subject.grade:
                continue
            grade = request.POST.get(f"grade-{subject.pk}", subject.grade)
            if grade != subject.grade:
                moves.append(
                    services.Move(
                        subject_id=subject.pk,
                        grade=grade,
                        reason=request.POST.get(f"reason-{subject.pk}", "")[:4000],
                    )
                )
        try:
            services.run_calibrate(actor=user, run=run, moves=moves)
        except DomainError as exc:
            error = exc
        else:
            return redirect("assessment:run_detail", run_id=run.pk)
    subjects = selectors.run_subjects(user=user, run=run)
    groups: dict[str, list[CalibrationRow]] = defaultdict(list)
    for s in sorted(subjects, key=lambda s: (s.group, s.rank or 0)):
        if s.grade:
            groups[s.group].append(
                CalibrationRow(
                    s,
                    subject_label(s),
                    format_score(s.final),
                    chosen=request.POST.get(f"grade-{s.pk}", s.grade),
                    reason=request.POST.get(f"reason-{s.pk}", ""),
                )
            )
    names = selectors.group_names(groups=groups)
    return render(
        request,
        "assessment/calibrate.html",
        {
            "run": run,
            "groups": [(group_label(code, names), rows) for code, rows in sorted(groups.items())],
            "grades": Grade.choices,
            "quota": f"{float(run.version.quota) * 100:.0f} %",
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
def adjustments(request: HttpRequest) -> HttpResponse:
    """Bonus and penalty items: those the user may see (their own, at least), and a form to record one."""
    user = _staff(request, None)
    error: DomainError | None = None
    if request.method == "POST":
        if not has_perm(user, Perm.ASSESSMENT_EDIT):
            raise Http404
        post = request.POST
        try:
            scheme = Scheme.objects.filter(code=post.get("scheme", "")).first()
            if scheme is None:
                raise ValidationFailed(_("Choose a scheme."), code="scheme_required")
            who = post.get("who", "").strip()
            unit = OrgUnit.objects.filter(code=who).first() if scheme.subject == "unit" else None
            staff = (
                User.objects.filter(employee_number=who).first()
                if scheme.subject == "staff" and who
                else None
            )
            if unit is None and staff is None:
                raise ValidationFailed(
                    _("No unit code or employee number %(who)s.") % {"who": who}, code="unknown_subject"
                )
            try:
                occurred_on = dt.date.fromisoformat(post.get("occurred_on", ""))
            except ValueError:
                raise ValidationFailed(_("Give the date as YYYY-MM-DD."), code="invalid_date") from None
            services.adjustment_record(
                actor=user,
                scheme=scheme,
                code=post.get("code", ""),
                occurred_on=occurred_on,
                reason=post.get("reason", "")[:4000],
                evidence=post.get("evidence", "")[:200],
                unit=unit,
                staff=staff,
            )
        except NotFound:
            # The same answer as for a code that does not exist: codes outside one's units are not probed.
            error = ValidationFailed(
                _("No unit code or employee number %(who)s.") % {"who": post.get("who", "").strip()},
                code="unknown_subject",
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("assessment:adjustments")
    rows = (
        Adjustment.objects.filter(subject_scope(user))
        .select_related("scheme", "unit", "staff", "recorded_by")
        .order_by("-occurred_on", "-pk")[:300]
    )
    items: dict[str, str] = {}
    for version in SchemeVersion.objects.filter(status="published").select_related("scheme"):
        for item in version.adjustment_items or []:
            name = item["name_en"] if _english() else item["name_zh"]
            items[f"{version.scheme.code}:{item['code']}"] = f"{name} ({item['points']:+g})"
    return render(
        request,
        "assessment/adjustments.html",
        {
            "rows": [
                {
                    "entry": a,
                    "item": items.get(f"{a.scheme.code}:{a.code}", a.code),
                    "who": a.unit.code if a.unit else (a.staff.display_name if a.staff else ""),
                }
                for a in rows
            ],
            "schemes": Scheme.objects.filter(versions__status="published").distinct().order_by("code"),
            "items": sorted(items.items()),
            "can_record": has_perm(user, Perm.ASSESSMENT_EDIT),
            "can_list_runs": has_perm(user, Perm.ASSESSMENT_VIEW),
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
            "today": clock.today().isoformat(),
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def adjustment_withdraw(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    user = _staff(request, Perm.ASSESSMENT_EDIT)
    entry = Adjustment.objects.filter(subject_scope(user), pk=adjustment_id).first()
    if entry is None:
        raise Http404
    try:
        services.adjustment_withdraw(
            actor=user, adjustment=entry, reason=request.POST.get("reason", "")[:4000]
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("assessment:adjustments")


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    """The committee's queue: review requests waiting for an answer, oldest due first, and recent answers;
    readers of results see the requests about the rows they may see, the committee answers."""
    user = _staff(request)
    can_answer = has_perm(user, Perm.ASSESSMENT_APPROVE)
    error: DomainError | None = None
    if request.method == "POST":
        if not can_answer:
            raise Http404
        raw = request.POST.get("request", "")
        review = (
            ReviewRequest.objects.filter(subject_scope(user, "subject"), pk=int(raw)).first()
            if raw.isascii() and raw.isdecimal()
            else None
        )
        if review is None:
            raise Http404
        try:
            services.review_answer(
                actor=user,
                request=review,
                correct=request.POST.get("decision") == "correct",
                answer=request.POST.get("answer", "")[:4000],
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("assessment:reviews")
    queue = ReviewRequest.objects.filter(subject_scope(user, "subject")).select_related(
        "subject__run__version__scheme", "subject__unit", "subject__staff", "requested_by", "answered_by"
    )
    pending = list(queue.filter(status="pending").order_by("answer_due", "pk"))
    answered = list(queue.exclude(status="pending").order_by("-answered_at")[:50])
    return render(
        request,
        "assessment/reviews.html",
        {
            "pending": [(r, subject_label(r.subject)) for r in pending],
            "answered": [(r, subject_label(r.subject)) for r in answered],
            "error": error,
            "today": clock.today(),
            "can_answer": can_answer,
        },
        status=422 if error else 200,
    )
