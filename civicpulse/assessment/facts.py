"""The records behind an assessment, reduced to the plain facts of the indicator library, as of a cut-off.

Everything is read as it stood at the data cut-off, from timestamps (decided, contacted, reviewed, appeal
decided...), never from today's state: re-running a period with the same cut-off reads the same facts
even after later changes, which is what makes a run reproducible. Periods are cohorts: the cases received,
the ratings given, the orders opened and the tickets issued within the period.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.assessment.indicators import (
    CaseFact,
    EvaluationFact,
    InteractionFact,
    RectificationFact,
    TicketFact,
    counts_as_rated,
)
from civicpulse.cases import clocks
from civicpulse.cases.enums import CaseStatus, Channel
from civicpulse.cases.models import Case, CasePause, Ticket, Visit
from civicpulse.catalogue.enums import ServiceMode
from civicpulse.core.calendars import calendar_from_snapshot
from civicpulse.core.models import AuditEvent
from civicpulse.core.workdays import WorkingCalendar, local_date
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification.models import Appeal, RectificationOrder

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """ "2026-10" (a month), "2026-Q3" (a quarter) or "2026" (a year): its first and last day."""
    if m := _MONTH.match(label):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(label)
        first = dt.date(year, month, 1)
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if m := _QUARTER.match(label):
        year, quarter = int(m[1]), int(m[2])
        first = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        nxt = dt.date(year + last_month // 12, last_month % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if m := _YEAR.match(label):
        year = int(m[1])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    raise ValueError(label)


def period_kind_of(label: str) -> str:
    if _MONTH.match(label):
        return "month"
    if _QUARTER.match(label):
        return "quarter"
    return "year"


def unit_resolver(subject_ids: Iterable[int]) -> Callable[[int | None], int | None]:
    """Maps any unit to the assessed unit answerable for it: itself, its nearest assessed ancestor (a section
    answers through its department), or for a window the department it serves."""
    subjects = set(subject_ids)
    rows = {
        pk: (path, kind, serving)
        for pk, path, kind, serving in OrgUnit.objects.values_list("pk", "path", "kind", "serving_unit_id")
    }
    cache: dict[int, int | None] = {}

    def resolve(unit_id: int | None) -> int | None:
        if unit_id is None or unit_id not in rows:
            return None
        if unit_id in cache:
            return cache[unit_id]
        path, kind, serving = rows[unit_id]
        found: int | None = None
        if kind == UnitKind.WINDOW and serving is not None and serving in subjects:
            found = serving
        else:
            for ancestor in reversed([int(p) for p in path.strip("/").split("/") if p]):
                if ancestor in subjects:
                    found = ancestor
                    break
        cache[unit_id] = found
        return found

    return resolve


@dataclass
class Facts:
    cases: list[CaseFact] = field(default_factory=list)
    evaluations: list[EvaluationFact] = field(default_factory=list)
    interactions: list[InteractionFact] = field(default_factory=list)
    rectifications: list[RectificationFact] = field(default_factory=list)
    tickets: list[TicketFact] = field(default_factory=list)
    # Completed cases of the year before the period: the expected working days per service.
    history: list[CaseFact] = field(default_factory=list)


def _aware_day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, timezone.get_default_timezone())


def _handlers(ids: list[int], cutoff: dt.datetime) -> dict[int, dict[str, int | None]]:
    """Per case, from the audit trail as of the cut-off: who accepted (or refused) it ("acceptance"), who
    decided it ("completion"), and each person who passed it on between ("advanced-<id>": the section's
    approvers). A key is there only for what happened."""
    found: dict[int, dict[str, int | None]] = defaultdict(dict)
    stages = {
        "cases.case.accepted": "acceptance",
        "cases.case.refused": "acceptance",
        "cases.case.approved": "completion",
        "cases.case.denied": "completion",
    }
    for target, action, actor in (
        AuditEvent.objects.filter(
            target_type="cases.case",
            target_id__in=[str(i) for i in ids],
            action__in=[*stages, "cases.case.advanced"],
            occurred_at__lte=cutoff,
        )
        .order_by("occurred_at", "pk")
        .values_list("target_id", "action", "actor_id")
    ):
        handled = found[int(target)]
        if action == "cases.case.advanced":
            handled[f"advanced-{actor}"] = actor
        else:
            handled[stages[action]] = actor
    return found


def _case_facts(
    cases: list[Case],
    cutoff: dt.datetime,
    resolve: Callable[[int | None], int | None],
    handlers: dict[int, dict[str, int | None]] | None = None,
) -> list[CaseFact]:
    tz = timezone.get_default_timezone()
    ids = [c.pk for c in cases]
    pauses: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for p in CasePause.objects.filter(case_id__in=ids, started_at__lte=cutoff).order_by(
        "case_id", "started_at"
    ):
        ended = local_date(p.ended_at, tz) if p.ended_at is not None and p.ended_at <= cutoff else None
        pauses[p.case_id].append((local_date(p.started_at, tz), ended))
    visits = dict(
        Visit.objects.filter(case_id__in=ids, at__lte=cutoff)
        .values("case_id")
        .annotate(n=Count("pk"))
        .values_list("case_id", "n")
    )
    calendars: dict[str, WorkingCalendar] = {}
    facts = []
    for case in cases:
        unit = resolve(case.responsible_unit_id)
        if unit is None:
            continue
        decided = case.decided_at is not None and case.decided_at <= cutoff
        refused = case.status == CaseStatus.REFUSED
        withdrawn = (
            case.status == CaseStatus.WITHDRAWN and case.closed_at is not None and case.closed_at <= cutoff
        )
        working_days = None
        if decided:
            assert case.decided_at is not None
            # Cases taken in under the same calendar share its snapshot: build each calendar once.
            key = json.dumps(case.calendar, sort_keys=True)
            if key not in calendars:
                calendars[key] = calendar_from_snapshot(case.calendar)
            calendar = calendars[key]
            clock = clocks.Clock(
                case.intake_date, case.limit_days, [p for p in pauses[case.pk] if p[1] is not None]
            )
            working_days = clocks.used_days(calendar, clock, local_date(case.decided_at, tz))
        handled = (handlers or {}).get(case.pk, {})
        # Everyone who handled it: the intake officer, whoever accepted, passed it on or decided it.
        staff = (case.intake_officer_id, *handled.values())
        facts.append(
            CaseFact(
                case_id=case.pk,
                unit_id=unit,
                service_code=case.service.code,
                channel="hall" if case.channel == Channel.HALL else "online",
                immediate=case.version.service_mode == ServiceMode.IMMEDIATE,
                completed=decided or refused,
                withdrawn=withdrawn and not (decided or refused),
                working_days=working_days,
                promised_days=case.limit_days,
                statutory_days=case.version.statutory_limit_days,
                visits=visits.get(case.pk, 0),
                staff_ids=tuple(sorted({i for i in staff if i is not None})),
            )
        )
    return facts


def _evaluation_status(
    evaluation: Evaluation, cutoff: dt.datetime, appeals: dict[int, dt.datetime | None]
) -> tuple[str, str]:
    """The evaluation's (status, exclusion) as it stood at the cut-off."""
    status, exclusion = "valid", ""
    if evaluation.review or evaluation.status == "quarantined" or evaluation.exclusion == "fraud":
        # It was flagged when submitted; the review decides from the moment it was made.
        if evaluation.reviewed_at is not None and evaluation.reviewed_at <= cutoff:
            status, exclusion = ("valid", "") if evaluation.review == "cleared" else ("excluded", "fraud")
        else:
            status = "quarantined"
    if status == "valid" and evaluation.exclusion == "appeal":
        decided = appeals.get(evaluation.pk)
        if decided is not None and decided <= cutoff:
            status, exclusion = "excluded", "appeal"
    return status, exclusion


def load(
    *, start: dt.date, end: dt.date, cutoff: dt.datetime, resolve: Callable[[int | None], int | None]
) -> Facts:
    facts = Facts()
    cases = list(
        Case.objects.filter(intake_date__gte=start, intake_date__lte=end, intake_at__lte=cutoff)
        .select_related("service", "version")
        .order_by("pk")
    )
    handlers = _handlers([c.pk for c in cases], cutoff)
    facts.cases = _case_facts(cases, cutoff, resolve, handlers)
    history = list(
        Case.objects.filter(
            intake_date__gte=start - dt.timedelta(days=365), intake_date__lt=start, decided_at__lte=cutoff
        )
        .select_related("service", "version")
        .order_by("pk")
    )
    facts.history = [f for f in _case_facts(history, cutoff, resolve) if f.timed]

    upheld = dict(
        Appeal.objects.filter(status="upheld", decided_at__isnull=False).values_list(
            "order__evaluation_id", "decided_at"
        )
    )
    evaluations = list(
        Evaluation.objects.filter(
            submitted_at__gte=_aware_day_end(start - dt.timedelta(days=1)),
            submitted_at__lt=_aware_day_end(end),
            submitted_at__lte=cutoff,
        ).order_by("pk")
    )
    status_at: dict[int, tuple[str, str]] = {}
    for e in evaluations:
        status_at[e.pk] = _evaluation_status(e, cutoff, upheld)
        unit = resolve(e.unit_id)
        if unit is None:
            continue
        status, _exclusion = status_at[e.pk]
        facts.evaluations.append(
            EvaluationFact(
                evaluation_id=e.pk,
                unit_id=unit,
                staff_id=e.staff_id,
                channel=e.channel,
                grade=e.grade,
                status=status,
            )
        )

    # Interactions: each reached stage of the period's cases, rated or not (by the applicant, by the cut-off).
    ids = [c.pk for c in cases]
    rated: dict[tuple[int, str], bool] = {}
    for e in Evaluation.objects.filter(case_id__in=ids, evaluator_key="applicant", submitted_at__lte=cutoff):
        status, exclusion = status_at.get(e.pk) or _evaluation_status(e, cutoff, upheld)
        rated[(e.case_id, e.stage)] = rated.get((e.case_id, e.stage), False) or counts_as_rated(
            status, exclusion
        )
    for case in cases:
        handled = handlers.get(case.pk, {})
        stages = [("intake", case.intake_officer_id if case.channel == Channel.HALL else None)]
        if "acceptance" in handled:
            stages.append(("acceptance", handled["acceptance"]))
        if case.decided_at is not None and case.decided_at <= cutoff:
            stages.append(("completion", handled.get("completion")))
        for stage, staff_id in stages:
            served = (
                case.window_id
                if stage == "intake" and case.channel == Channel.HALL
                else case.responsible_unit_id
            )
            unit = resolve(served)
            if unit is None:
                continue
            facts.interactions.append(
                InteractionFact(
                    case_id=case.pk,
                    unit_id=unit,
                    staff_id=staff_id,
                    stage=stage,
                    rated=rated.get((case.pk, stage), False),
                )
            )

    tz = timezone.get_default_timezone()
    today = local_date(cutoff, tz)
    for order in (
        RectificationOrder.objects.filter(opened_on__gte=start, opened_on__lte=end, opened_at__lte=cutoff)
        .select_related("evaluation")
        .order_by("pk")
    ):
        unit = resolve(order.unit_id)
        if unit is None:
            continue
        contacted = order.contacted_at is not None and order.contacted_at <= cutoff
        answered = order.answered_at is not None and order.answered_at <= cutoff
        # An order opened in the period may be about a rating given before it.
        status, _exclusion = status_at.get(order.evaluation_id) or _evaluation_status(
            order.evaluation, cutoff, upheld
        )
        facts.rectifications.append(
            RectificationFact(
                order_id=order.pk,
                unit_id=unit,
                review_excluded=status == "excluded",
                contacted_on_time=(local_date(order.contacted_at, tz) <= order.contact_due)  # type: ignore[arg-type]
                if contacted
                else (False if today > order.contact_due else None),
                rectified_on_time=(local_date(order.answered_at, tz) <= order.rectify_due)  # type: ignore[arg-type]
                if answered
                else (False if today > order.rectify_due else None),
                callback=order.satisfaction
                if order.rated_at is not None and order.rated_at <= cutoff
                else "",
                staff_ids=(order.evaluation.staff_id,) if order.evaluation.staff_id else (),
            )
        )

    for ticket in Ticket.objects.filter(
        day__gte=start, day__lte=end, issued_at__lte=cutoff, window__isnull=False
    ).order_by("pk"):
        unit = resolve(ticket.window_id)
        if unit is None:
            continue
        called = ticket.called_at is not None and ticket.called_at <= cutoff and ticket.status != "no_show"
        wait = (ticket.called_at - ticket.issued_at).total_seconds() / 60 if called else None  # type: ignore[operator]
        facts.tickets.append(
            TicketFact(
                ticket_id=ticket.pk,
                unit_id=unit,
                wait_minutes=wait,
                staff_ids=(ticket.officer_id,) if called and ticket.officer_id else (),
            )
        )
    return facts
