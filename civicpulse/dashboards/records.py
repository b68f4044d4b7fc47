"""The drill-down: the records behind a dashboard figure, a page at a time, read from the raw tables with the
same scope and filters as the cells, and with personal data masked (no applicant or evaluator appears)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import User
from civicpulse.cases.enums import CaseStatus, Channel, PauseKind, TicketStatus
from civicpulse.cases.models import Case, CasePause, Ticket
from civicpulse.core.errors import DomainError
from civicpulse.core.masking import mask_name
from civicpulse.dashboards.figures import MEASURES
from civicpulse.dashboards.rollup import _aware_day_end, _has_tag, month_end
from civicpulse.dashboards.selectors import Filters, Reader
from civicpulse.evaluations.enums import EvaluationStatus, Grade
from civicpulse.evaluations.models import Evaluation

PAGE = 50


class UnknownMeasure(DomainError):
    status = 400
    code = "unknown_measure"


@dataclass
class Listing:
    measure: str
    name: str
    part: str  # "all": the records the figure is over; "hits": those counted in its numerator
    source: str
    headers: list[str]
    rows: list[list[Any]]
    total: int
    hits: int | None
    page: int
    pages: int


def _span(filters: Filters, month: dt.date | None) -> tuple[dt.date, dt.date]:
    if month is not None and filters.start <= month <= filters.end:
        return month, month_end(month)
    return filters.start, month_end(filters.end)


def _windows_of(reader: Reader) -> list[int]:
    return [pk for pk in reader.ids if reader.tree.kinds.get(pk) == UnitKind.WINDOW]


def _cases(reader: Reader, start: dt.date, end: dt.date) -> QuerySet[Case]:
    f = reader.filters
    qs = Case.objects.filter(intake_date__gte=start, intake_date__lte=end)
    if not reader.root:
        # The window's side only where the scope has windows: an OR over two columns reads every case.
        windows = _windows_of(reader)
        scope = Q(responsible_unit_id__in=reader.ids)
        qs = qs.filter(scope | Q(window_id__in=windows, channel=Channel.HALL) if windows else scope)
    if f.service_id is not None:
        qs = qs.filter(service_id=f.service_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    return qs


def _evaluations(reader: Reader, start: dt.date, end: dt.date) -> QuerySet[Evaluation]:
    f = reader.filters
    qs = Evaluation.objects.filter(
        submitted_at__gte=_aware_day_end(start - dt.timedelta(days=1)), submitted_at__lt=_aware_day_end(end)
    )
    if not reader.root:
        qs = qs.filter(
            Q(unit_id__in=reader.ids) | Q(window_id__in=reader.ids) | Q(unit__serving_unit_id__in=reader.ids)
        )
    if f.service_id is not None:
        qs = qs.filter(service_id=f.service_id)
    if f.channel == Channel.HALL:
        qs = qs.filter(Q(case__isnull=True) | Q(case__channel=Channel.HALL))
    elif f.channel:
        qs = qs.filter(case__channel=f.channel)
    return qs


def _tickets(reader: Reader, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(day__gte=start, day__lte=end, window__isnull=False, called_at__isnull=False)
    qs = qs.exclude(status=TicketStatus.NO_SHOW)
    if not reader.root:
        qs = qs.filter(Q(window_id__in=reader.ids) | Q(window__serving_unit_id__in=reader.ids))
    if reader.filters.service_id is not None or reader.filters.channel == Channel.ONLINE:
        return qs.none()
    return qs


_DECIDED = Q(decided_at__isnull=False, working_days__isnull=False)
_REFUSED = Q(
    accepted_at__isnull=False, decided_at__isnull=True, status__in=[CaseStatus.REFUSED, CaseStatus.CLOSED]
)
_ENDED = Q(decided_at__isnull=False) | _REFUSED | Q(status=CaseStatus.WITHDRAWN, closed_at__isnull=False)
_COMPLETED = Q(decided_at__isnull=False) | _REFUSED

# measure -> (records it is over, those in its numerator); None: every record is a hit (a mean).
CASE_PARTS: dict[str, tuple[Q, Q | None]] = {
    "on_time_completion_rate": (_DECIDED, Q(working_days__lte=F("limit_days"))),
    "speed": (_DECIDED & Q(limit_days__gt=0), None),
    "speed_adjusted": (_DECIDED & Q(limit_days__gt=0), None),
    "run_at_most_once_rate": (_ENDED, Q(n_visits__lte=1)),
    "zero_visit_rate": (_ENDED, Q(n_visits=0)),
    "digital_take_up": (_COMPLETED, ~Q(channel=Channel.HALL)),
    "refusal_rate": (Q(), _REFUSED),
    "supplements_per_case": (Q(), Q(has_supplement=True)),
    "visits_per_case": (_ENDED, None),
    "active_evaluation_rate": (Q(), Q(has_rating=True)),
}
_VALID = Q(status=EvaluationStatus.VALID)
RATING_PARTS: dict[str, tuple[Q, Q | None]] = {
    "good_review_rate": (_VALID, Q(grade=Grade.GOOD)),
    "bad_review_rate": (_VALID, Q(grade=Grade.BAD)),
    # The attitude tag is matched in SQL below: SQLite has no JSON containment lookup.
    "attitude_bad_rate": (_VALID, Q(grade=Grade.BAD)),
    "attitude_rating": (_VALID & Q(dimensions__has_key="attitude"), None),
}


def _case_rows(
    reader: Reader, measure: str, part: str, span: tuple[dt.date, dt.date], page: int
) -> tuple[list[str], list[list[Any]], int, int | None]:
    over, numerator = CASE_PARTS[measure]
    supplement = CasePause.objects.filter(case=OuterRef("pk"), kind=PauseKind.SUPPLEMENT)
    rated = Evaluation.objects.filter(
        case=OuterRef("pk"), evaluator_key="applicant", status=EvaluationStatus.VALID
    )
    base = (
        _cases(reader, *span)
        .annotate(
            n_visits=Count("visits", distinct=True),
            has_supplement=Exists(supplement),
            has_rating=Exists(rated),
        )
        .filter(over)
    )
    qs = base.filter(numerator) if part == "hits" and numerator is not None else base
    hits = base.filter(numerator).count() if numerator is not None else None
    headers = [
        _("Case"),
        _("Service"),
        _("Applicant"),
        _("Channel"),
        _("Received"),
        _("Status"),
        _("Working days"),
        _("Promised limit"),
        _("Visits"),
    ]
    qs = qs.select_related("service").order_by("intake_date", "number")
    rows: list[list[Any]] = [
        [
            c.number,
            c.service.code,
            mask_name(c.applicant_name),
            c.get_channel_display(),
            c.intake_date,
            c.get_status_display(),
            c.working_days if c.working_days is not None else "",
            c.limit_days,
            c.n_visits,
        ]
        for c in qs[(page - 1) * PAGE : page * PAGE]
    ]
    return [str(h) for h in headers], rows, qs.count(), hits


def _rating_rows(
    reader: Reader, measure: str, part: str, span: tuple[dt.date, dt.date], page: int
) -> tuple[list[str], list[list[Any]], int, int | None]:
    over, numerator = RATING_PARTS.get(measure, (_VALID, None))
    base = _evaluations(reader, *span).filter(over)
    if measure == "attitude_bad_rate":
        # The fragment is the rollup's own, with no value from the request in it.
        base = base.extra(where=[_has_tag('"evaluations_evaluation"."tags"', "attitude")])  # noqa: S610
    qs = base.filter(numerator) if part == "hits" and numerator is not None else base
    hits = base.filter(numerator).count() if numerator is not None else None
    headers = [
        _("Submitted"),
        _("Service"),
        _("Stage"),
        _("Rating channel"),
        _("Level"),
        _("Review"),
        _("Reasons"),
    ]
    qs = qs.select_related("service").order_by("submitted_at", "pk")
    rows: list[list[Any]] = [
        [
            e.submitted_at,
            e.service.code,
            e.get_stage_display(),
            e.get_channel_display(),
            e.level,
            e.get_grade_display(),
            ", ".join(e.tags or []),
        ]
        for e in qs[(page - 1) * PAGE : page * PAGE]
    ]
    return [str(h) for h in headers], rows, qs.count(), hits


def _ticket_rows(
    reader: Reader, span: tuple[dt.date, dt.date], page: int
) -> tuple[list[str], list[list[Any]], int]:
    qs = _tickets(reader, *span).select_related("window", "line").order_by("day", "issued_at", "pk")
    headers = [_("Day"), _("Ticket"), _("Window"), _("Issued"), _("Called"), _("Wait (minutes)")]
    zh = (get_language() or "").startswith("zh")
    rows: list[list[Any]] = [
        [
            t.day,
            f"{t.line.prefix}{t.sequence:03d}",
            (t.window.name_zh if zh else t.window.name_en) if t.window else "",
            t.issued_at,
            t.called_at,
            f"{(t.called_at - t.issued_at).total_seconds() / 60:.1f}" if t.called_at else "",
        ]
        for t in qs[(page - 1) * PAGE : page * PAGE]
    ]
    return [str(h) for h in headers], rows, qs.count()


def listing(
    *, user: User, filters: Filters, measure: str, part: str, month: dt.date | None, page: int
) -> Listing:
    """One page of the records behind `measure` for the filters (one month of them if `month` is given);
    `part` "hits" keeps those counted in its numerator. The scope was checked when the filters were."""
    if measure not in MEASURES:
        raise UnknownMeasure(_("There is no such figure."))
    reader = Reader(filters)
    span = _span(filters, month)
    source = MEASURES[measure].source
    hits: int | None = None
    if source == "cases":
        headers, rows, total, hits = _case_rows(reader, measure, part, span, page)
    elif source == "ratings":
        headers, rows, total, hits = _rating_rows(reader, measure, part, span, page)
    else:
        headers, rows, total = _ticket_rows(reader, span, page)
    pages = max(1, -(-total // PAGE))
    return Listing(
        measure=measure,
        name=str(MEASURES[measure].name),
        part=part if part == "hits" else "all",
        source=source,
        headers=headers,
        rows=rows,
        total=total,
        hits=hits,
        page=min(page, pages),
        pages=pages,
    )
