"""The records behind an assessment, reduced to the plain facts of the indicator library, as of a cut-off.

Everything is read as it stood at the data cut-off, from timestamps (accepted, decided, contacted, reviewed,
appeal decided, answered and rated in the audit trail...), never from today's state: re-running a period with
the same cut-off reads the same facts even after later changes, which is what makes a run reproducible.
Periods are cohorts: the cases received, the ratings given, the orders opened and the tickets issued within
the period.

Rows are read as plain tuples, filtered by joins on the period (never by long lists of ids, which SQLite
caps), and the working days of a decided case are the ones stored at its decision: nothing re-runs a
calendar. The audit trail is read only for what no column holds: who handled a case, for staff schemes, and
the first answer and last callback of a rectification order (a reopened order overwrites both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, Q, QuerySet, Sum
from django.db.models.functions import Cast
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
from civicpulse.cases.enums import CaseStatus, Channel
from civicpulse.cases.models import Case, Ticket, Visit
from civicpulse.catalogue.enums import ServiceMode
from civicpulse.core.models import AuditEvent
from civicpulse.core.workdays import local_date
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


class UnitResolver:
    """Maps any unit to the assessed unit answerable for it: itself, its nearest assessed ancestor (a section
    answers through its department), or for a window the department it serves."""

    def __init__(self, subject_ids: Iterable[int]) -> None:
        self.subjects = set(subject_ids)
        self.rows = {
            pk: (path, kind, serving)
            # Unordered: the units' default order (by path) is a sort of the whole tree a dict does not need.
            for pk, path, kind, serving in OrgUnit.objects.order_by().values_list(
                "pk", "path", "kind", "serving_unit_id"
            )
        }
        self.cache: dict[int, int | None] = {}
        self.nearest: dict[str, int | None] = {"/": None}

    def __call__(self, unit_id: int | None) -> int | None:
        if unit_id is None or unit_id not in self.rows:
            return None
        if unit_id in self.cache:
            return self.cache[unit_id]
        path, kind, serving = self.rows[unit_id]
        if kind == UnitKind.WINDOW and serving is not None and serving in self.subjects:
            found: int | None = serving
        else:
            found = self._nearest(path)
        self.cache[unit_id] = found
        return found

    def _nearest(self, path: str) -> int | None:
        """The last unit of a materialised path ("/1/4/9/") that is a subject, else None; remembered per
        path, so a tree's units are resolved once each, a unit from its parent's answer."""
        if path in self.nearest:
            return self.nearest[path]
        parent, _slash, last = path.rstrip("/").rpartition("/")
        found = int(last) if int(last) in self.subjects else self._nearest(parent + "/")
        self.nearest[path] = found
        return found

    def key(self) -> str:
        """A fingerprint of what the mapping is computed from, the subjects and every unit's path, kind and
        the unit it serves: equal keys, equal mappings, equal folds. Counts kept folded by one mapping
        (stored.py) serve a run whose resolver has the same key. (Resolving every unit to hash the mapping
        itself cost a routine run more than reading its counts.)"""
        text = repr((sorted(self.subjects), sorted(self.rows.items())))
        return hashlib.sha256(text.encode()).hexdigest()


def unit_resolver(subject_ids: Iterable[int]) -> UnitResolver:
    return UnitResolver(subject_ids)


@dataclass
class Facts:
    cases: list[CaseFact] = field(default_factory=list)
    evaluations: list[EvaluationFact] = field(default_factory=list)
    interactions: list[InteractionFact] = field(default_factory=list)
    rectifications: list[RectificationFact] = field(default_factory=list)
    tickets: list[TicketFact] = field(default_factory=list)
    # Mean working days per service over the cases of the year before the period decided by the cut-off,
    # for the case-mix adjusted speed.
    expected_days: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Narrowing:
    """Conditions on each source's rows that keep at least every record of one subject."""

    cases: Q = field(default_factory=Q)
    evaluations: Q = field(default_factory=Q)
    orders: Q = field(default_factory=Q)
    tickets: Q = field(default_factory=Q)


def _aware_day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, timezone.get_default_timezone())


_STAGE_OF = {
    "cases.case.accepted": "acceptance",
    "cases.case.refused": "acceptance",
    "cases.case.approved": "completion",
    "cases.case.denied": "completion",
}


def _handlers(ids: set[int], cases: QuerySet[Case], cutoff: dt.datetime) -> dict[int, dict[str, int | None]]:
    """Per case, from the audit trail as of the cut-off: who last accepted (or refused) it ("acceptance"),
    who last decided it ("completion"), and everyone who accepted, refused, passed it on (the section's
    approvers) or decided it ("by-<id>"). A key is there only for what happened. Only staff schemes need
    it."""
    found: dict[int, dict[str, int | None]] = defaultdict(dict)
    for target, action, actor in (
        AuditEvent.objects.filter(
            target_type="cases.case",
            # The period's cases by a subquery: the (target type, target id) index, no list of ids.
            target_id__in=cases.annotate(key=Cast("pk", CharField())).values("key"),
            action__in=[*_STAGE_OF, "cases.case.advanced"],
            occurred_at__lte=cutoff,
        )
        .order_by("occurred_at", "pk")
        .values_list("target_id", "action", "actor_id")
        .iterator(chunk_size=20_000)
    ):
        case_id = int(target)
        if case_id not in ids:
            continue
        handled = found[case_id]
        # Everyone who did any of it handled the case; a stage is served by the last to act on it.
        handled[f"by-{actor}"] = actor
        if action != "cases.case.advanced":
            handled[_STAGE_OF[action]] = actor
    return found


def _by(cutoff: dt.datetime, name: str) -> ExpressionWrapper:
    """Whether the moment `name` is set and at or before the cut-off (NULL, read as no, when unset)."""
    return ExpressionWrapper(Q(**{f"{name}__lte": cutoff}), output_field=BooleanField())


def _evaluation_status(
    status: str,
    review: str,
    exclusion: str,
    reviewed: bool | None,
    evaluation_id: int,
    cutoff: dt.datetime,
    appeals: dict[int, dt.datetime | None],
) -> str:
    """The evaluation's status as it stood at the cut-off (`reviewed`: its review was made by then):
    valid, quarantined or excluded."""
    result = "valid"
    if review or status == "quarantined" or exclusion == "fraud":
        # It was flagged when submitted; the review decides from the moment it was made.
        result = ("valid" if review == "cleared" else "excluded") if reviewed else "quarantined"
    if result == "valid" and exclusion == "appeal":
        decided = appeals.get(evaluation_id)
        if decided is not None and decided <= cutoff:
            result = "excluded"
    return result


def expected_days_before(start: dt.date, cutoff: dt.datetime) -> dict[str, float]:
    """Mean working days per service over the cases received in the 365 days before `start` and decided by
    the cut-off: what the case-mix adjusted speed expects of a case."""
    history = (
        Case.objects.filter(
            intake_date__gte=start - dt.timedelta(days=365),
            intake_date__lt=start,
            decided_at__lte=cutoff,
            working_days__isnull=False,
        )
        .values("service__code")
        .annotate(total=Sum("working_days"), n=Count("pk"))
        .order_by("service__code")
    )
    return {row["service__code"]: row["total"] / row["n"] for row in history}


_EVALUATION_FIELDS = ("pk", "status", "review", "exclusion", "reviewed_by_cutoff")


def load(
    *,
    start: dt.date,
    end: dt.date,
    cutoff: dt.datetime,
    resolve: Callable[[int | None], int | None],
    with_staff: bool = False,
    only: Narrowing | None = None,
) -> Facts:
    """The facts of the period as of the cut-off; `with_staff` adds who handled each record (staff
    schemes), which costs a read of the period's audit trail. `only` narrows every read to the records
    that may concern one subject (the drill-down); the caller keeps the facts that do."""
    only = only or Narrowing()
    facts = Facts()
    tz = timezone.get_default_timezone()
    since = _aware_day_end(start - dt.timedelta(days=1))
    in_period = {"intake_date__gte": start, "intake_date__lte": end, "intake_at__lte": cutoff}
    # Moments compared with the cut-off are compared by the database: a million timestamps are not
    # parsed into datetimes to answer yes or no.
    period_cases = Case.objects.filter(**in_period).filter(only.cases)
    case_rows = list(
        period_cases.annotate(
            accepted_by_cutoff=_by(cutoff, "accepted_at"),
            decided_by_cutoff=_by(cutoff, "decided_at"),
            closed_by_cutoff=_by(cutoff, "closed_at"),
            never_decided=ExpressionWrapper(Q(decided_at__isnull=True), output_field=BooleanField()),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "responsible_unit_id",
            "window_id",
            "intake_officer_id",
            "service__code",
            "channel",
            "version__service_mode",
            "version__statutory_limit_days",
            "limit_days",
            "status",
            "accepted_by_cutoff",
            "decided_by_cutoff",
            "closed_by_cutoff",
            "never_decided",
            "working_days",
        )
    )
    case_ids = {row[0] for row in case_rows}
    handlers = _handlers(case_ids, period_cases, cutoff) if with_staff else {}
    visits = dict(
        Visit.objects.filter(at__lte=cutoff, case__in=period_cases.values("pk"))
        .values("case_id")
        .annotate(n=Count("pk"))
        .values_list("case_id", "n")
        .order_by()
    )
    # (stage reached, who served it) per case, for the interactions below.
    stages: dict[int, list[tuple[str, int | None, int | None]]] = {}
    for (
        pk,
        unit_id,
        window_id,
        officer_id,
        service_code,
        channel,
        mode,
        statutory,
        limit,
        status,
        accepted,
        decided,
        closed,
        never_decided,
        working_days,
    ) in case_rows:
        # NULL (the moment is unset) compares as unknown: read it as no.
        accepted, decided, closed = bool(accepted), bool(decided), bool(closed)
        # A refusal stamps the acceptance time and is never decided; it may be closed later, so it is known
        # by having no decision at all, not by today's status alone.
        refused = accepted and bool(never_decided) and status in (CaseStatus.REFUSED, CaseStatus.CLOSED)
        withdrawn = status == CaseStatus.WITHDRAWN and closed
        handled = handlers.get(pk, {})
        hall = channel == Channel.HALL
        reached: list[tuple[str, int | None, int | None]] = [
            ("intake", window_id if hall else unit_id, officer_id if hall else None)
        ]
        if accepted:
            reached.append(("acceptance", unit_id, handled.get("acceptance")))
        if decided:
            reached.append(("completion", unit_id, handled.get("completion")))
        stages[pk] = reached
        unit = resolve(unit_id)
        if unit is None:
            continue
        # Everyone who handled it: the intake officer, whoever accepted, passed it on or decided it.
        staff = {i for i in (officer_id, *handled.values()) if i is not None}
        facts.cases.append(
            CaseFact(
                case_id=pk,
                unit_id=unit,
                service_code=service_code,
                channel="hall" if hall else "online",
                immediate=mode == ServiceMode.IMMEDIATE,
                completed=decided or refused,
                withdrawn=withdrawn and not (decided or refused),
                working_days=working_days if decided else None,
                promised_days=limit,
                statutory_days=statutory,
                visits=visits.get(pk, 0),
                staff_ids=tuple(sorted(staff)),
            )
        )

    facts.expected_days = expected_days_before(start, cutoff)

    upheld = dict(
        Appeal.objects.filter(status="upheld", decided_at__isnull=False).values_list(
            "order__evaluation_id", "decided_at"
        )
    )
    status_at: dict[int, str] = {}
    for pk, status, review, exclusion, reviewed_at, unit_id, staff_id, channel, grade in (
        Evaluation.objects.filter(submitted_at__gte=since, submitted_at__lt=_aware_day_end(end))
        .filter(only.evaluations, submitted_at__lte=cutoff)
        .annotate(reviewed_by_cutoff=_by(cutoff, "reviewed_at"))
        .order_by("pk")
        .values_list(*_EVALUATION_FIELDS, "unit_id", "staff_id", "channel", "grade")
    ):
        status_at[pk] = _evaluation_status(status, review, exclusion, reviewed_at, pk, cutoff, upheld)
        unit = resolve(unit_id)
        if unit is None:
            continue
        facts.evaluations.append(
            EvaluationFact(
                evaluation_id=pk,
                unit_id=unit,
                staff_id=staff_id,
                channel=channel,
                grade=grade,
                status=status_at[pk],
            )
        )

    # Interactions: each reached stage of the period's cases, rated or not (by the applicant, by the cut-off).
    rated: set[tuple[int, str]] = set()
    for pk, status, review, exclusion, reviewed_at, case_id, stage in (
        Evaluation.objects.filter(
            evaluator_key="applicant",
            submitted_at__lte=cutoff,
            case__in=period_cases.values("pk"),
        )
        .annotate(reviewed_by_cutoff=_by(cutoff, "reviewed_at"))
        .order_by()
        .values_list(*_EVALUATION_FIELDS, "case_id", "stage")
    ):
        now_status = status_at.get(pk) or _evaluation_status(
            status, review, exclusion, reviewed_at, pk, cutoff, upheld
        )
        if counts_as_rated(now_status):
            rated.add((case_id, stage))
    for pk in sorted(stages):
        for stage, served, staff_id in stages[pk]:
            unit = resolve(served)
            if unit is None:
                continue
            facts.interactions.append(
                InteractionFact(
                    case_id=pk,
                    unit_id=unit,
                    staff_id=staff_id,
                    stage=stage,
                    rated=(pk, stage) in rated,
                )
            )

    today = local_date(cutoff, tz)
    orders = list(
        RectificationOrder.objects.filter(opened_on__gte=start, opened_on__lte=end, opened_at__lte=cutoff)
        .filter(only.orders)
        .annotate(evaluation_reviewed=_by(cutoff, "evaluation__reviewed_at"))
        .order_by("pk")
        .values_list(
            "pk",
            "unit_id",
            "contacted_at",
            "contact_due",
            "rectify_due",
            "evaluation__staff_id",
            "evaluation_id",
            "evaluation__status",
            "evaluation__review",
            "evaluation__exclusion",
            "evaluation_reviewed",
        )
    )
    # A reopened order is answered and rated again, and its columns keep only the latest: the first answer
    # and the callback in force at the cut-off come from the audit trail.
    answered: dict[int, dt.datetime] = {}
    callbacks: dict[int, str] = {}
    order_ids = {row[0] for row in orders}
    for target, action, at, data in (
        AuditEvent.objects.filter(
            target_type="rectification.rectificationorder",
            action__in=["rectification.order.answered", "rectification.order.rated"],
            occurred_at__gte=since,
            occurred_at__lte=cutoff,
        )
        .order_by("occurred_at", "pk")
        .values_list("target_id", "action", "occurred_at", "data")
    ):
        order_id = int(target)
        if order_id not in order_ids:
            continue
        if action == "rectification.order.answered":
            answered.setdefault(order_id, at)
        else:
            callbacks[order_id] = str((data or {}).get("satisfaction", ""))
    for pk, unit_id, contacted_at, contact_due, rectify_due, staff_id, *evaluation in orders:
        unit = resolve(unit_id)
        if unit is None:
            continue
        # An order opened in the period may be about a rating given before it.
        e_pk, e_status, e_review, e_exclusion, e_reviewed_at = evaluation
        status = status_at.get(e_pk) or _evaluation_status(
            e_status, e_review, e_exclusion, e_reviewed_at, e_pk, cutoff, upheld
        )
        first_answer = answered.get(pk)
        facts.rectifications.append(
            RectificationFact(
                order_id=pk,
                unit_id=unit,
                review_excluded=status == "excluded",
                contacted_on_time=(local_date(contacted_at, tz) <= contact_due)
                if contacted_at is not None and contacted_at <= cutoff
                else (False if today > contact_due else None),
                rectified_on_time=(local_date(first_answer, tz) <= rectify_due)
                if first_answer is not None
                else (False if today > rectify_due else None),
                callback=callbacks.get(pk, ""),
                staff_ids=(staff_id,) if staff_id else (),
            )
        )

    for pk, window_id, officer_id, issued_at, called_at, status in (
        Ticket.objects.filter(day__gte=start, day__lte=end, issued_at__lte=cutoff, window__isnull=False)
        .filter(only.tickets)
        .order_by("pk")
        .values_list("pk", "window_id", "officer_id", "issued_at", "called_at", "status")
    ):
        unit = resolve(window_id)
        if unit is None:
            continue
        called = called_at is not None and called_at <= cutoff and status != "no_show"
        wait = (called_at - issued_at).total_seconds() / 60 if called and called_at is not None else None
        facts.tickets.append(
            TicketFact(
                ticket_id=pk,
                unit_id=unit,
                wait_minutes=wait,
                staff_ids=(officer_id,) if called and officer_id else (),
            )
        )
    return facts
