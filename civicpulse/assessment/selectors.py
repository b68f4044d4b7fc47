"""Reads of assessment runs, scoped to what the user may see (civicpulse.assessment.permissions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import BigIntegerField, Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, RoleAssignment, UnitCategory, User
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import wait_target_minutes
from civicpulse.assessment.facts import Narrowing, load, unit_resolver
from civicpulse.assessment.models import Run, RunSubject, RunValue, SchemeItem
from civicpulse.assessment.permissions import subject_scope
from civicpulse.cases.models import Case, Ticket
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification.models import RectificationOrder


def run_list(*, user: User) -> QuerySet[Run]:
    """Runs with at least one row the user may see, newest period first, with that count of rows."""
    return (
        Run.objects.select_related("version__scheme")
        .annotate(visible=Count("subjects", filter=subject_scope(user, "subjects")))
        .filter(visible__gt=0)
        .order_by("-period", "version__scheme__code", "-number")
    )


def _with_values(queryset: QuerySet[RunSubject]) -> QuerySet[RunSubject]:
    return queryset.select_related("unit", "staff", "run__version__scheme").prefetch_related(
        Prefetch("values", queryset=RunValue.objects.order_by("indicator"))
    )


def run_subjects(*, user: User, run: Run) -> list[RunSubject]:
    """The rows of `run` the user may see, with their indicator values."""
    return list(_with_values(RunSubject.objects.filter(subject_scope(user), run=run)))


def scheme_items(*, run: Run) -> dict[str, list[SchemeItem]]:
    """The weight table of the run's scheme version per peer group, heaviest indicator first."""
    items: dict[str, list[SchemeItem]] = defaultdict(list)
    for item in SchemeItem.objects.filter(version_id=run.version_id).order_by(
        "group", "-weight", "indicator"
    ):
        items[item.group].append(item)
    return dict(items)


def pooled_counts(*, run: Run) -> dict[tuple[str, str], tuple[float, int]]:
    """(successes, n) per (peer group, rate indicator) over the whole group: the funnel's reference rate.

    Unscoped on purpose: a head sees their own units against the group's rate, which is an aggregate and
    names no other unit.
    """
    rates = [code for code, indicator in lib.INDICATORS.items() if indicator.kind == "rate"]
    rows = (
        RunValue.objects.filter(subject__run=run, indicator__in=rates, n__gt=0)
        .values("subject__group", "indicator")
        .annotate(successes=Sum("numerator"), total=Sum("n"))
        .order_by()
    )
    return {(r["subject__group"], r["indicator"]): (r["successes"], r["total"]) for r in rows}


def group_names(*, groups: Iterable[str]) -> dict[str, UnitCategory]:
    """Unit categories by code, for naming peer groups of unit schemes."""
    return {c.code: c for c in UnitCategory.objects.filter(code__in=set(groups))}


def _same_id(pk: int | None) -> int | None:
    return pk


_HANDLING = [
    "cases.case.accepted",
    "cases.case.refused",
    "cases.case.advanced",
    "cases.case.approved",
    "cases.case.denied",
]


def values_behind(subject: RunSubject) -> dict[str, lib.IndicatorValue]:
    """Each indicator of a run's row recomputed from its records, as of the run's cut-off, with the ids
    of those records: the drill-down. Runs store counts, not ids; reading one subject's records again is
    cheap, and reads the same records the run counted (its `n` shows any difference)."""
    run = subject.run
    unit_id, person = subject.unit_id, subject.staff_id
    resolve: Callable[[int | None], int | None] = _same_id
    if unit_id is not None:
        resolve = unit_resolver(run.subjects.exclude(unit=None).values_list("unit_id", flat=True))
        units = [pk for pk in OrgUnit.objects.values_list("pk", flat=True) if resolve(pk) == unit_id]
        only = Narrowing(
            cases=Q(responsible_unit_id__in=units) | Q(window_id__in=units),
            evaluations=Q(unit_id__in=units),
            orders=Q(unit_id__in=units),
            tickets=Q(window_id__in=units),
        )
    else:
        handled = (
            AuditEvent.objects.filter(target_type="cases.case", actor_id=person, action__in=_HANDLING)
            .annotate(case_pk=Cast("target_id", BigIntegerField()))
            .values("case_pk")
        )
        only = Narrowing(
            cases=Q(intake_officer_id=person) | Q(pk__in=handled),
            evaluations=Q(staff_id=person),
            orders=Q(evaluation__staff_id=person),
            tickets=Q(officer_id=person),
        )

    def ours(fact: Any) -> bool:
        return fact.unit_id == unit_id if unit_id is not None else person in fact.staff_ids

    facts = load(
        start=run.period_start,
        end=run.period_end,
        cutoff=run.cutoff,
        resolve=resolve,
        with_staff=unit_id is None,
        only=only,
    )
    references: dict[str, Any] = {
        "expected_days": facts.expected_days,
        # Which evaluations count does not depend on the reference rates, only the value does.
        "channel_rates": lib.ChannelRates(overall=0.0),
        "wait_target_minutes": wait_target_minutes(),
    }
    found: dict[str, lib.IndicatorValue] = {}
    for code in subject.values.values_list("indicator", flat=True):
        indicator = lib.INDICATORS.get(code)
        if indicator is None:
            continue
        rows = [fact for fact in getattr(facts, indicator.source) if ours(fact)]
        args = (rows, references[indicator.needs]) if indicator.needs else (rows,)
        found[code] = indicator.compute(*args)
    return found


def records_behind(*, source: str, ids: Iterable[int]) -> dict[int, object]:
    """The records an indicator counted, by id, with only what the drill-down shows (no applicant data)."""
    wanted = set(ids)
    if not wanted:
        return {}
    if source in ("cases", "interactions"):  # interactions are counted per case
        return {c.pk: c for c in Case.objects.filter(pk__in=wanted).only("id", "number")}
    if source == "evaluations":
        return {e.pk: e for e in Evaluation.objects.filter(pk__in=wanted).only("id", "level", "channel")}
    if source == "rectifications":
        return {
            o.pk: o
            for o in RectificationOrder.objects.filter(pk__in=wanted)
            .select_related("evaluation__case")
            .only("id", "status", "evaluation__id", "evaluation__case__id", "evaluation__case__number")
        }
    if source == "tickets":
        return {
            t.pk: t
            for t in Ticket.objects.filter(pk__in=wanted)
            .select_related("line")
            .only("id", "sequence", "day", "line__id", "line__prefix")
        }
    return {}


def my_subjects(*, user: User) -> list[RunSubject]:
    """The user's own rows and those of the units they head, from the latest run of each scheme."""
    headed = sorted(
        set(
            RoleAssignment.objects.filter(
                user=user, role=Role.DEPARTMENT_HEAD, unit__is_active=True
            ).values_list("unit__path", flat=True)
        )
    )
    mine = RunSubject.objects.filter(staff=user)
    for path in headed:
        mine |= RunSubject.objects.filter(unit__path__startswith=path)
    latest: dict[int, int] = {}
    for run_id, scheme_id in (
        Run.objects.filter(subjects__in=mine)
        .order_by("version__scheme_id", "-period", "-number")
        .values_list("id", "version__scheme_id")
        .distinct()
    ):
        latest.setdefault(scheme_id, run_id)
    return list(
        _with_values(mine.filter(run_id__in=latest.values())).order_by(
            "run__version__scheme__code", "group", "rank"
        )
    )
