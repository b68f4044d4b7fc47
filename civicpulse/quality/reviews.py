"""Management review (ISO 9001 9.3): the writes of a review and the pack of inputs built from live data.

The pack's figures are counted by the assessment engine (civicpulse.assessment.counts) over the review's
organisation and period, as a run would count them, so a number in the pack and the same number in an
assessment agree. 9.3.2 lists the inputs: (a) status of actions from previous reviews; (b) changes in
issues; (c) performance: satisfaction and feedback, objectives met, process performance, nonconformities
and corrective actions, monitoring results, audit results, external providers; (d) resources;
(e) actions on risks; (f) improvement opportunities.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import RunCounts, count, wait_target_minutes
from civicpulse.assessment.facts import expected_days_before, unit_resolver
from civicpulse.assessment.models import Run, RunSubject
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.workdays import local_date
from civicpulse.quality.enums import ActionStatus, NcStatus, Severity
from civicpulse.quality.models import Action, ManagementReview, Nonconformity, ReviewOutput
from civicpulse.quality.models.reviews import OutputKind, OutputStatus, ReviewStatus

SATISFACTION = (
    "good_review_rate",
    "bad_review_rate",
    "active_evaluation_rate",
    "contact_on_time_rate",
    "rectification_rate",
    "rectification_satisfaction_rate",
)
PROCESS = (
    "on_time_completion_rate",
    "speed",
    "speed_adjusted",
    "run_at_most_once_rate",
    "zero_visit_rate",
    "digital_take_up",
    "immediate_share",
    "mean_wait",
    "p90_wait",
    "wait_within_target_rate",
)


def _forbidden() -> Forbidden:
    return Forbidden(_("You do not have access to this."), code="forbidden")


def _require(actor: User, unit: OrgUnit) -> None:
    if not has_perm_on_unit(actor, Perm.QUALITY_MANAGE, unit):
        raise _forbidden()


@transaction.atomic
def review_create(
    *, actor: User, unit: OrgUnit, title: str, period_start: dt.date, period_end: dt.date
) -> ManagementReview:
    _require(actor, unit)
    if period_start > period_end:
        raise ValidationFailed(_("The period must start before it ends."), code="invalid_period")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("The title is required."), code="required")
    review = ManagementReview.objects.create(
        unit=unit,
        title=title[:200],
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        unit=review.unit,
        actor=actor,
        action="quality.review.created",
        target=review,
        data={"title": review.title},
    )
    return review


def _editable(actor: User, review: ManagementReview) -> ManagementReview:
    review = ManagementReview.objects.select_for_update(of=("self",)).select_related("unit").get(pk=review.pk)
    _require(actor, review.unit)
    return review


@transaction.atomic
def review_inputs_set(
    *, actor: User, review: ManagementReview, issues: str, resources: str, risks: str
) -> ManagementReview:
    review = _editable(actor, review)
    if review.status == ReviewStatus.HELD:
        raise Conflict(_("A review that was held is not changed."), code="review_held")
    review.issues, review.resources, review.risks = issues.strip(), resources.strip(), risks.strip()
    review.save(update_fields=["issues", "resources", "risks"])
    audit_record(unit=review.unit, actor=actor, action="quality.review.inputs", target=review, data={})
    return review


@transaction.atomic
def review_output_add(
    *,
    actor: User,
    review: ManagementReview,
    kind: str,
    text: str,
    owner: User | None = None,
    due_on: dt.date | None = None,
) -> ReviewOutput:
    review = _editable(actor, review)
    if kind not in OutputKind.values:
        raise ValidationFailed(_("Choose a decision or an action."), code="invalid_kind")
    if not (text or "").strip():
        raise ValidationFailed(_("The text is required."), code="required")
    if kind == OutputKind.ACTION and (owner is None or due_on is None):
        raise ValidationFailed(_("An action needs an owner and a due date."), code="action_incomplete")
    output = ReviewOutput.objects.create(
        review=review, kind=kind, text=text.strip(), owner=owner, due_on=due_on, created_at=clock.now()
    )
    audit_record(
        unit=review.unit,
        actor=actor,
        action="quality.review.output",
        target=review,
        data={"output_kind": kind},
    )
    return output


@transaction.atomic
def review_output_done(*, actor: User, output: ReviewOutput) -> ReviewOutput:
    output = (
        ReviewOutput.objects.select_for_update(of=("self",)).select_related("review__unit").get(pk=output.pk)
    )
    if actor.pk != output.owner_id and not has_perm_on_unit(actor, Perm.QUALITY_MANAGE, output.review.unit):
        raise _forbidden()
    if output.status != OutputStatus.OPEN:
        raise Conflict(_("This output is already done."), code="output_done")
    output.status, output.done_at = OutputStatus.DONE, clock.now()
    output.save(update_fields=["status", "done_at"])
    audit_record(
        unit=output.review.unit,
        actor=actor,
        action="quality.review.output_done",
        target=output.review,
        data={},
    )
    return output


@transaction.atomic
def review_hold(
    *, actor: User, review: ManagementReview, held_on: dt.date, chair: User, attendees: str
) -> ManagementReview:
    review = _editable(actor, review)
    if review.status == ReviewStatus.HELD:
        raise Conflict(_("This review was already held."), code="review_held")
    if held_on < review.period_end:
        raise ValidationFailed(_("A review is held after the period it reviews."), code="held_too_early")
    if held_on > local_date(clock.now(), timezone.get_default_timezone()):
        raise ValidationFailed(_("A review is recorded as held once it was."), code="held_in_future")
    review.status, review.held_on, review.chair = ReviewStatus.HELD, held_on, chair
    review.attendees = attendees.strip()
    review.save(update_fields=["status", "held_on", "chair", "attendees"])
    audit_record(
        unit=review.unit,
        actor=actor,
        action="quality.review.held",
        target=review,
        data={"held_on": held_on.isoformat()},
    )
    return review


# --- the pack -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    code: str
    name: str
    unit: str
    value: float | None
    n: int
    low: float | None
    high: float | None
    insufficient: bool

    @property
    def shown(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value * 100:.1f}%" if self.unit == "%" else f"{self.value:.2f}"


@dataclass(frozen=True)
class Pack:
    review: ManagementReview
    previous_outputs: list[ReviewOutput]
    satisfaction: list[Figure]
    process: list[Figure]
    objectives: list[dict[str, Any]]
    nonconformities: dict[str, Any]
    audits: list[dict[str, Any]]
    improvement: list[Nonconformity]
    trend: list[tuple[str, Figure]] = field(default_factory=list)


def _figures(
    counted: RunCounts, subject: int, codes: tuple[str, ...], english: bool, references: dict[str, Any]
) -> list[Figure]:
    found = []
    for code in codes:
        indicator = lib.INDICATORS[code]
        counts = counted.by_subject[indicator.source].get(subject) or lib.COUNTS_OF[indicator.source]()
        value = lib.from_counts(code, counts, references[indicator.needs] if indicator.needs else None)
        found.append(
            Figure(
                code=code,
                name=indicator.name_en if english else indicator.name_zh,
                unit=indicator.unit,
                value=value.value,
                n=value.n,
                low=value.low,
                high=value.high,
                insufficient=value.insufficient,
            )
        )
    return found


def measured(
    unit: OrgUnit, start: dt.date, end: dt.date, cutoff: dt.datetime
) -> tuple[RunCounts, dict[str, Any]]:
    """The engine's counts of everything the organisation answers for, over a span, and the references."""
    counted = count(
        start=start, end=end, cutoff=cutoff, resolve=unit_resolver([unit.pk]), by_staff=False, members=[]
    )
    references = {
        "expected_days": expected_days_before(start, cutoff),
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": wait_target_minutes(),
    }
    return counted, references


def _months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    spans, first = [], start.replace(day=1)
    while first <= end:
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        spans.append((max(first, start), min(nxt - dt.timedelta(days=1), end)))
        first = nxt
    return spans


def pack(review: ManagementReview, *, english: bool, cutoff: dt.datetime | None = None) -> Pack:
    """The inputs of the review, from the data as it stands (or as of `cutoff`)."""
    if cutoff is None:
        # A review that was held keeps the figures it was shown: the data as it stood at the end of that
        # day, not as it stands today (ISO 9001 9.3.3: retained as evidence).
        cutoff = (
            dt.datetime.combine(
                review.held_on + dt.timedelta(days=1), dt.time.min, timezone.get_default_timezone()
            )
            if review.status == ReviewStatus.HELD and review.held_on is not None
            else clock.now()
        )
    unit, start, end = review.unit, review.period_start, review.period_end
    counted, references = measured(unit, start, end, cutoff)
    trend = []
    for first, last in _months(start, end)[-12:]:
        month_counts, month_refs = measured(unit, first, last, cutoff)
        trend.append(
            (f"{first:%Y-%m}", _figures(month_counts, unit.pk, ("good_review_rate",), english, month_refs)[0])
        )
    earlier = ReviewOutput.objects.filter(
        review__unit=unit, review__period_end__lt=start, kind=OutputKind.ACTION
    ).select_related("review", "owner")
    tz = timezone.get_default_timezone()
    previous = []
    for output in earlier:
        # As the review saw it: an action done after its cut-off was still open then.
        done = output.done_at is not None and output.done_at <= cutoff
        if not done or (output.done_at is not None and local_date(output.done_at, tz) >= start):
            output.done_by_cutoff = done  # type: ignore[attr-defined]
            previous.append(output)
    return Pack(
        review=review,
        previous_outputs=previous,
        satisfaction=_figures(counted, unit.pk, SATISFACTION, english, references),
        process=_figures(counted, unit.pk, PROCESS, english, references),
        objectives=_objectives(unit, start, end),
        nonconformities=_nonconformities(unit, start, end),
        audits=_audits(unit, start, end),
        improvement=list(
            Nonconformity.objects.filter(
                _subtree(unit), raised_at__lte=cutoff, severity__in=[Severity.MAJOR, Severity.CRITICAL]
            )
            .exclude(closed_at__lte=cutoff)
            .exclude(status=NcStatus.CANCELLED)
            .order_by("raised_at")[:20]
        ),
        trend=trend,
    )


def _subtree(unit: OrgUnit) -> Q:
    """Nonconformities of the organisation: of its units (windows through the department they serve) and
    of the services its units are responsible for."""
    return (
        Q(unit__path__startswith=unit.path)
        | Q(unit__serving_unit__path__startswith=unit.path)
        | Q(unit__isnull=True, service__responsible_unit__path__startswith=unit.path)
    )


def _objectives(unit: OrgUnit, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """How far the assessment's objectives were met: for each scheme's latest run inside the period, the
    grades of the organisation's units."""
    found = []
    runs = Run.objects.filter(period_start__gte=start, period_end__lte=end).select_related("version__scheme")
    latest: dict[int, Run] = {}
    for run in runs.order_by("period_end", "number"):
        latest[run.version.scheme_id] = run
    for run in latest.values():
        grades = Counter(
            RunSubject.objects.filter(run=run)
            .filter(**{"unit__path__startswith": unit.path})
            .exclude(grade="")
            .values_list("grade", flat=True)
        )
        found.append({"run": run, "grades": dict(sorted(grades.items())), "graded": sum(grades.values())})
    return found


def _nonconformities(unit: OrgUnit, start: dt.date, end: dt.date) -> dict[str, Any]:
    ours = Nonconformity.objects.filter(_subtree(unit))
    raised = ours.filter(raised_at__date__gte=start, raised_at__date__lte=end)
    checked = ours.filter(checked_at__date__gte=start, checked_at__date__lte=end)
    actions = Action.objects.filter(nonconformity__in=ours.values("pk"))
    return {
        "raised": raised.count(),
        "by_source": dict(raised.values_list("source").annotate(n=Count("pk")).values_list("source", "n")),
        "closed": ours.filter(
            status=NcStatus.CLOSED, closed_at__date__gte=start, closed_at__date__lte=end
        ).count(),
        "open_at_end": ours.filter(raised_at__date__lte=end)
        .exclude(closed_at__date__lte=end)
        .exclude(status=NcStatus.CANCELLED)
        .count(),
        "checked": checked.count(),
        "effective": checked.filter(effective=True).count(),
        "actions_done": actions.filter(
            status=ActionStatus.DONE, done_at__date__gte=start, done_at__date__lte=end
        ).count(),
        # Due before the period ended and not done by its end (whatever became of them since).
        "actions_overdue": actions.filter(due_on__lt=end)
        .exclude(status=ActionStatus.CANCELLED)
        .filter(Q(done_at__isnull=True) | Q(done_at__date__gt=end))
        .count(),
    }


def _audits(unit: OrgUnit, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Internal audits reported in the period, with their findings by kind."""
    from civicpulse.quality.models import internal_audits

    model = getattr(internal_audits, "InternalAudit", None)
    if model is None:
        return []
    found = []
    # The audits of the organisation's own units or services, not every audit of the installation.
    audits = model.objects.filter(
        Q(scope_units__path__startswith=unit.path)
        | Q(scope_services__responsible_unit__path__startswith=unit.path),
        reported_at__date__gte=start,
        reported_at__date__lte=end,
    ).distinct()
    for audit in audits.order_by("reported_at"):
        kinds = Counter(audit.findings.values_list("kind", flat=True))
        found.append({"audit": audit, "findings": dict(sorted(kinds.items()))})
    return found
