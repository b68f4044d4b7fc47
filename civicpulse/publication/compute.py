"""A period's figures as of a cut-off, measured by the assessment engine, and the examples it could show.

Departments are counted as an assessment run counts units: `assessment.counts.count` with the resolver of
the published departments (a department answers for its sections and the hall windows that serve it),
then `indicators.from_counts` with the run's references. Services are measured as `quality.measure`
measures one service: the facts of the service's own records (`assessment.facts.load`), reduced by the
library's `tally`; one read covers every service of the organisation, split by service afterwards, which
gives each service exactly the facts a read narrowed to it would. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q
from django.utils import timezone

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import count, wait_target_minutes
from civicpulse.assessment.facts import (
    Narrowing,
    _aware_day_end,
    expected_days_before,
    load,
    period_bounds,
    period_kind_of,
    unit_resolver,
)
from civicpulse.catalogue.models import Service
from civicpulse.core.workdays import local_date
from civicpulse.evaluations.enums import EvaluationStatus
from civicpulse.evaluations.models import Evaluation
from civicpulse.publication import anonymise as anon
from civicpulse.publication.disclosure import Figure
from civicpulse.publication.enums import SubjectKind
from civicpulse.publication.indicators import CODES, RANKED_BY
from civicpulse.publication.ranking import Candidate, rank_within_groups
from civicpulse.rectification.enums import Satisfaction
from civicpulse.rectification.models import RectificationOrder

# A service's figures come from its cases and its ratings; other sources belong to units, not services.
SERVICE_SOURCES = ("cases", "evaluations")
COMPLAINT_CHARS = 240
ANSWER_CHARS = 600


@dataclass(frozen=True, kw_only=True)
class Subject:
    """A department or a service with its figures, and the names it had when measured."""

    kind: str
    id: int
    code: str
    name_zh: str
    name_en: str
    category_code: str = ""
    category_name_zh: str = ""
    category_name_en: str = ""
    department_code: str = ""
    department_name_zh: str = ""
    department_name_en: str = ""
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Example:
    order_id: int
    month: dt.date
    service_code: str
    service_name_zh: str
    service_name_en: str
    department_code: str
    department_name_zh: str
    department_name_en: str
    tags: list[dict[str, str]]
    complaint: str
    outcome: str
    answer: str
    satisfaction: str


@dataclass(frozen=True, kw_only=True)
class Computed:
    label: str
    kind: str
    start: dt.date
    end: dt.date
    cutoff: dt.datetime
    departments: list[Subject]
    services: list[Subject]
    examples: list[Example]


def bounds(label: str) -> tuple[str, dt.date, dt.date]:
    """(kind, first day, last day) of "2026-05", "2026-Q2" or "2026"; ValueError for anything else."""
    normal = label.strip().upper()
    start, end = period_bounds(normal)
    return period_kind_of(normal), start, end


def complete_periods(today: dt.date, *, months: int = 12, quarters: int = 4, years: int = 2) -> list[str]:
    """The latest complete months, quarters and years before `today`, newest first within each kind."""
    found: list[str] = []
    year, month = today.year, today.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        found.append(f"{year}-{month:02d}")
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(quarters):
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        found.append(f"{year}-Q{quarter}")
    found += [str(today.year - i) for i in range(1, years + 1)]
    return found


def _min_sample(code: str, override: int | None) -> int:
    return lib.INDICATORS[code].min_sample if override is None else override


def _figure(code: str, value: lib.IndicatorValue, rank: int | None = None) -> Figure:
    return Figure(
        indicator=code,
        kind=lib.INDICATORS[code].kind,
        value=value.value,
        low=value.low,
        high=value.high,
        n=value.n,
        numerator=float(value.numerator),
        raw=value.raw,
        insufficient=value.insufficient,
        rank=rank,
    )


def departments_in(scope: OrgUnit) -> list[OrgUnit]:
    """The units published as departments: active units of an assessment category in the scope."""
    return list(
        OrgUnit.objects.filter(path__startswith=scope.path, is_active=True, category__isnull=False)
        .select_related("category")
        .order_by("category__code", "code")
    )


def _departments(
    units: list[OrgUnit], start: dt.date, end: dt.date, cutoff: dt.datetime, min_sample: int | None
) -> list[Subject]:
    counted = count(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=unit_resolver(u.pk for u in units),
        by_staff=False,
        members=[],
    )
    references: dict[str, Any] = {
        "expected_days": expected_days_before(start, cutoff),
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": wait_target_minutes(),
    }
    subjects = []
    for unit in units:
        figures = {}
        for code in CODES:
            indicator = lib.INDICATORS[code]
            found = counted.by_subject[indicator.source].get(unit.pk) or lib.COUNTS_OF[indicator.source]()
            reference = references[indicator.needs] if indicator.needs else None
            figures[code] = _figure(
                code, lib.from_counts(code, found, reference, min_sample=_min_sample(code, min_sample))
            )
        assert unit.category is not None
        subjects.append(
            Subject(
                kind=SubjectKind.DEPARTMENT,
                id=unit.pk,
                code=unit.code,
                name_zh=unit.name_zh,
                name_en=unit.name_en,
                category_code=unit.category.code,
                category_name_zh=unit.category.name_zh,
                category_name_en=unit.category.name_en,
                figures=figures,
            )
        )
    return subjects


def rank(departments: list[Subject], *, threshold: int) -> list[Subject]:
    """The departments with the rank of their good-review rate within their category. A unit whose
    sample the public may not see is not ranked, whatever the minimum sample."""
    ranks = rank_within_groups(
        Candidate(
            id=d.id,
            group=d.category_code,
            successes=int(d.figures[RANKED_BY].numerator),
            n=d.figures[RANKED_BY].n,
            insufficient=d.figures[RANKED_BY].insufficient or d.figures[RANKED_BY].n < threshold,
        )
        for d in departments
    )
    return [
        replace(d, figures={**d.figures, RANKED_BY: replace(d.figures[RANKED_BY], rank=ranks.get(d.id))})
        for d in departments
    ]


def _same_id(pk: int | None) -> int | None:
    return pk


def _services(
    scope: OrgUnit,
    units: list[OrgUnit],
    start: dt.date,
    end: dt.date,
    cutoff: dt.datetime,
    min_sample: int | None,
) -> list[Subject]:
    in_scope = Q(service__responsible_unit__path__startswith=scope.path)
    facts = load(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=_same_id,
        only=Narrowing(cases=in_scope, evaluations=in_scope, orders=Q(pk__in=[]), tickets=Q(pk__in=[])),
    )
    # The same evaluations `load` read, by service: its facts name the unit, not the service.
    service_of = dict(
        Evaluation.objects.filter(
            in_scope,
            submitted_at__gte=_aware_day_end(start - dt.timedelta(days=1)),
            submitted_at__lt=_aware_day_end(end),
            submitted_at__lte=cutoff,
        ).values_list("pk", "service_id")
    )
    cases: dict[str, list[lib.CaseFact]] = defaultdict(list)
    for case in facts.cases:
        cases[case.service_code].append(case)
    ratings: dict[int, list[lib.EvaluationFact]] = defaultdict(list)
    for rating in facts.evaluations:
        ratings[service_of[rating.evaluation_id]].append(rating)
    services = list(
        Service.objects.filter(responsible_unit__path__startswith=scope.path)
        .select_related("responsible_unit")
        .order_by("code")
    )
    resolve = unit_resolver(u.pk for u in units)
    departments = {u.pk: u for u in units}
    subjects = []
    for service in services:
        own: dict[str, list[Any]] = {
            "cases": cases.get(service.code, []),
            "evaluations": ratings.get(service.pk, []),
        }
        if not own["cases"] and not own["evaluations"]:
            continue
        references: dict[str, Any] = {
            "expected_days": facts.expected_days,
            "channel_rates": lib.channel_good_rates(own["evaluations"]),
            "wait_target_minutes": wait_target_minutes(),
        }
        figures = {}
        for code in CODES:
            indicator = lib.INDICATORS[code]
            if indicator.source not in SERVICE_SOURCES:
                continue
            reference = references[indicator.needs] if indicator.needs else None
            counts = lib.tally(indicator.source, own[indicator.source])
            figures[code] = _figure(
                code, lib.from_counts(code, counts, reference, min_sample=_min_sample(code, min_sample))
            )
        department_id = resolve(service.responsible_unit_id)
        department = departments[department_id] if department_id is not None else service.responsible_unit
        subjects.append(
            Subject(
                kind=SubjectKind.SERVICE,
                id=service.pk,
                code=service.code,
                name_zh=service.name_zh,
                name_en=service.name_en,
                department_code=department.code,
                department_name_zh=department.name_zh,
                department_name_en=department.name_en,
                figures=figures,
            )
        )
    return subjects


_SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


def _staff_names(unit: OrgUnit) -> set[str]:
    """Everyone working in the department or at a window serving it: names a complaint may mention."""
    return set(
        User.objects.filter(kind=UserKind.STAFF)
        .filter(Q(org_unit__path__startswith=unit.path) | Q(org_unit__serving_unit=unit))
        .exclude(full_name="")
        .values_list("full_name", flat=True)
    )


def example_candidates(
    units: list[OrgUnit], start: dt.date, end: dt.date, cutoff: dt.datetime, limit: int
) -> list[Example]:
    """Rectified bad reviews of the period whose citizen rated the rectification satisfied or basically
    satisfied by the cut-off, oldest first, anonymised: at most `limit`."""
    resolve = unit_resolver(u.pk for u in units)
    departments = {u.pk: u for u in units}
    orders = (
        RectificationOrder.objects.filter(
            opened_on__gte=start,
            opened_on__lte=end,
            opened_at__lte=cutoff,
            answered_at__lte=cutoff,
            rated_at__lte=cutoff,
            satisfaction__in=_SATISFIED,
        )
        .exclude(answer="")
        .exclude(evaluation__status=EvaluationStatus.EXCLUDED)
        .select_related(
            "evaluation__service",
            "evaluation__template",
            "evaluation__case",
            "evaluation__staff",
            "evaluation__evaluator",
        )
        .order_by("opened_at", "pk")
    )
    found: list[Example] = []
    staff_names: dict[int, set[str]] = {}
    for order in orders.iterator(chunk_size=200):
        department_id = resolve(order.unit_id)
        if department_id is None:
            continue
        if len(found) >= limit:
            break
        department = departments[department_id]
        if department_id not in staff_names:
            staff_names[department_id] = _staff_names(department)
        evaluation = order.evaluation
        case = evaluation.case
        names = {case.applicant_name, *staff_names[department_id]}
        names |= {u.full_name for u in (evaluation.staff, evaluation.evaluator) if u is not None}
        known = [
            case.number,
            case.applicant_id_number,
            case.applicant_phone,
            case.applicant_email,
            evaluation.evaluator_phone,
        ]
        tags = {t.get("key"): t for t in evaluation.template.reason_tags or []}
        found.append(
            Example(
                order_id=order.pk,
                month=order.opened_on.replace(day=1),
                service_code=evaluation.service.code,
                service_name_zh=evaluation.service.name_zh,
                service_name_en=evaluation.service.name_en,
                department_code=department.code,
                department_name_zh=department.name_zh,
                department_name_en=department.name_en,
                tags=[
                    {
                        "key": key,
                        "name_zh": str(tags.get(key, {}).get("name_zh", key)),
                        "name_en": str(tags.get(key, {}).get("name_en", key)),
                    }
                    for key in evaluation.tags or []
                ],
                complaint=anon.gist(
                    anon.anonymise(evaluation.text, names=names, known=known), COMPLAINT_CHARS
                ),
                outcome=order.outcome,
                answer=anon.gist(anon.anonymise(order.answer, names=names, known=known), ANSWER_CHARS),
                satisfaction=order.satisfaction,
            )
        )
    return found


def computed(
    *,
    scope: OrgUnit,
    label: str,
    cutoff: dt.datetime,
    min_sample: int | None,
    threshold: int,
    examples: int,
) -> Computed:
    """Every figure and example candidate of the period `label` for the scope's subtree, as of `cutoff`."""
    kind, start, end = bounds(label)
    units = departments_in(scope)
    departments = rank(_departments(units, start, end, cutoff, min_sample), threshold=threshold)
    return Computed(
        label=period_label(kind, start),
        kind=kind,
        start=start,
        end=end,
        cutoff=cutoff,
        departments=departments,
        services=_services(scope, units, start, end, cutoff, min_sample),
        examples=example_candidates(units, start, end, cutoff, examples),
    )


def period_label(kind: str, start: dt.date) -> str:
    if kind == "month":
        return f"{start:%Y-%m}"
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def today_at(moment: dt.datetime) -> dt.date:
    return local_date(moment, timezone.get_default_timezone())
