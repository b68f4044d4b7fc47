"""Assessment runs: facts as of a cut-off > indicators > scores, ranks and grades per peer group > an
immutable snapshot. The same scheme version, period and cut-off always give the same run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit, unit_filter
from civicpulse.assessment import counts, digests, scoring, stored
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.enums import Grade, RunStatus, SchemeStatus, Subject
from civicpulse.assessment.facts import expected_days_before, period_bounds, period_kind_of, unit_resolver
from civicpulse.assessment.models import (
    Adjustment,
    Calibration,
    ReviewRequest,
    Run,
    RunSubject,
    RunValue,
    Scheme,
    SchemeItem,
    SchemeVersion,
)
from civicpulse.assessment.transitions import TRANSITIONS
from civicpulse.cases.services import holds_role
from civicpulse.core import clock, collector
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

Progress = Callable[[int, int], None]


def rule_from(data: Mapping[str, Any]) -> scoring.Rule:
    kind = data.get("kind")
    if kind == "linear":
        return scoring.Linear(floor=float(data["floor"]), target=float(data["target"]))
    if kind == "bands":
        return scoring.Bands(bands=tuple((float(t), float(s)) for t, s in data["bands"]))
    if kind == "percentile":
        return scoring.Percentile()
    raise ValueError(f"unknown rule {kind!r}")


@dataclass(frozen=True)
class ItemInput:
    group: str
    indicator: str
    weight: float
    rule: dict[str, Any]
    min_sample: int | None = None


def _tables(items: list[ItemInput]) -> tuple[dict[str, scoring.WeightTable], list[str]]:
    """One weight table per peer group, and every problem with them in words (the editor shows them live)."""
    problems: list[str] = []
    rows: dict[str, list[scoring.WeightItem]] = defaultdict(list)
    for item in items:
        indicator = lib.INDICATORS.get(item.indicator)
        if indicator is None:
            problems.append(str(_("Unknown indicator %(code)s.") % {"code": item.indicator}))
            continue
        try:
            rule = rule_from(item.rule)
        except (KeyError, TypeError, ValueError) as error:
            problems.append(f"{item.group} / {item.indicator}: {error}")
            continue
        rows[item.group].append(
            scoring.WeightItem(
                indicator=item.indicator,
                weight=item.weight,
                rule=rule,
                direction=indicator.direction,  # type: ignore[arg-type]
                min_sample=item.min_sample if item.min_sample is not None else indicator.min_sample,
            )
        )
    tables = {group: scoring.WeightTable(tuple(group_rows)) for group, group_rows in sorted(rows.items())}
    for group, table in tables.items():
        problems += [f"{group}: {p}" for p in scoring.validate_weights(table)]
    return tables, problems


def _stored_items(version: SchemeVersion) -> list[ItemInput]:
    return [
        ItemInput(group=i.group, indicator=i.indicator, weight=i.weight, rule=i.rule, min_sample=i.min_sample)
        for i in SchemeItem.objects.filter(version=version).order_by("group", "indicator")
    ]


def _invalid(problems: list[str]) -> ValidationFailed:
    return ValidationFailed(
        _("The weight tables are not valid."), code="invalid_weights", detail={"problems": problems}
    )


def weight_tables(version: SchemeVersion) -> dict[str, scoring.WeightTable]:
    """A version's tables, checked as the scheme editor checks them."""
    tables, problems = _tables(_stored_items(version))
    if problems:
        raise _invalid(problems)
    return tables


def _digest(
    version: SchemeVersion,
    period: str,
    cutoff: dt.datetime,
    counted: counts.RunCounts,
    members: list[_Member],
    adjustments: Mapping[int, list[scoring.Adjustment]],
) -> str:
    """A fingerprint of everything the run read: equal digests, equal inputs. The inputs are the counts
    per subject the database returned (every number is computed from them alone, each subject's by its
    multiset digest: digests.py) and the references."""
    digest = hashlib.sha256()
    head = {
        "format": digests.FORMAT,
        "version": version.pk,
        "period": period,
        "cutoff": cutoff.isoformat(),
        "members": [(m.id, m.group, m.probation) for m in members],
        "adjustments": {str(k): [asdict(a) for a in v] for k, v in sorted(adjustments.items())},
        "expected_days": counted.expected_days,
        "channel_rates": asdict(counted.channel_rates),
    }
    digest.update(json.dumps(head, sort_keys=True).encode())
    # One update of every line: the same bytes as a line at a time, without a call per subject and source.
    digest.update("".join(f"{line}\n" for line in counted.fingerprint()).encode())
    return digest.hexdigest()


def _measure(
    counted: counts.RunCounts, subject_ids: list[int], samples: Mapping[str, int]
) -> dict[int, dict[str, lib.IndicatorValue]]:
    """Every indicator of one weight table for each subject; the scheme's minimum sample replaces the
    library's default, so "insufficient data" means the same thing in the value and in the score."""
    references = {
        "expected_days": counted.expected_days,
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": counts.wait_target_minutes(),
    }
    measured: dict[int, dict[str, lib.IndicatorValue]] = {subject_id: {} for subject_id in subject_ids}
    for code, min_sample in sorted(samples.items()):
        indicator = lib.INDICATORS[code]
        found = counted.by_subject[indicator.source]
        none = lib.COUNTS_OF[indicator.source]()
        measure = lib.measurer(
            code, references[indicator.needs] if indicator.needs else None, min_sample=min_sample
        )
        for subject_id in subject_ids:
            measured[subject_id][code] = measure(found.get(subject_id, none))
    return measured


@dataclass(frozen=True)
class _Member:
    """One assessed subject of a run: a unit or a person, in its peer group."""

    id: int
    group: str
    probation: bool


def _members(version: SchemeVersion, groups: list[str]) -> list[_Member]:
    """Units of the tables' categories, or staff holding the tables' roles. A person holding two assessed
    roles is assessed once, in the role listed first in Role (the front-line role before the managing one)."""
    if version.scheme.subject == Subject.UNIT:
        return [
            _Member(id=pk, group=code, probation=False)
            for pk, code in OrgUnit.objects.filter(category__code__in=groups, is_active=True)
            .order_by("pk")
            .values_list("pk", "category__code")
        ]
    order = {role: i for i, role in enumerate(Role.values)}
    first: dict[int, str] = {}
    for user_id, role in (
        RoleAssignment.objects.filter(
            role__in=groups, user__is_active=True, user__kind=UserKind.STAFF, unit__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", "role")
    ):
        if user_id not in first or order[role] < order[first[user_id]]:
            first[user_id] = role
    probation = set(User.objects.filter(pk__in=list(first), on_probation=True).values_list("pk", flat=True))
    return [_Member(id=pk, group=first[pk], probation=pk in probation) for pk in sorted(first)]


def adjustments_counted(
    version: SchemeVersion, start: dt.date, end: dt.date, cutoff: dt.datetime
) -> QuerySet[Adjustment]:
    """The bonus and penalty items a run of `version` counts: those of the period recorded, and not
    withdrawn, by the cut-off, whose code the version's catalogue scores."""
    codes = [item["code"] for item in version.adjustment_items or []]
    return (
        Adjustment.objects.filter(
            scheme_id=version.scheme_id,
            occurred_on__gte=start,
            occurred_on__lte=end,
            recorded_at__lte=cutoff,
            code__in=codes,
        )
        .exclude(withdrawn_at__lte=cutoff)
        .order_by("pk")
    )


def _adjustments(
    version: SchemeVersion, start: dt.date, end: dt.date, cutoff: dt.datetime
) -> dict[int, list[scoring.Adjustment]]:
    """The counted items per subject, at the points of this version's catalogue."""
    points = {item["code"]: float(item["points"]) for item in version.adjustment_items or []}
    found: dict[int, list[scoring.Adjustment]] = defaultdict(list)
    for entry in adjustments_counted(version, start, end, cutoff):
        subject_id = entry.unit_id if version.scheme.subject == Subject.UNIT else entry.staff_id
        if subject_id is None:
            continue
        found[subject_id].append(
            scoring.Adjustment(
                code=f"{entry.code}#{entry.pk}", points=points[entry.code], reason=entry.reason
            )
        )
    return found


def _identity(unit_id: int | None) -> int | None:
    return unit_id


_VALUE_FIELDS = (
    "subject",
    "indicator",
    "value",
    "raw",
    "scored",
    "n",
    "numerator",
    "low",
    "high",
    "insufficient",
    "weight",
    "effective_weight",
    "points",
    "funnel",
)


def _insert_values(rows: Iterable[tuple[Any, ...]]) -> None:
    _insert_rows(RunValue, _VALUE_FIELDS, rows)


def _value_rows(
    scores: Sequence[scoring.SubjectScore],
    pks: Mapping[int, int],
    measured: Mapping[int, Mapping[str, lib.IndicatorValue]],
    funnels: Mapping[str, Mapping[int, str]],
) -> Iterator[tuple[Any, ...]]:
    """The RunValue rows of scored subjects, in _VALUE_FIELDS order."""
    for score in scores:
        pk, values = pks[score.id], measured[score.id]
        for p in score.indicators:
            v = values[p.indicator]
            funnel = funnels.get(p.indicator)
            yield (
                pk,
                p.indicator,
                v.value,
                v.raw,
                p.scored_value,
                p.n,
                float(v.numerator),
                v.low,
                v.high,
                p.insufficient,
                p.weight,
                p.effective_weight,
                p.points,
                funnel.get(score.id, "") if funnel is not None else "",
            )


_SUBJECT_FIELDS = (
    "run",
    "group",
    "unit",
    "staff",
    "probation",
    "coverage",
    "base",
    "bonus",
    "penalty",
    "final",
    "rank",
    "grade",
    "computed_grade",
    "incentive",
)


def _insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows by COPY (PostgreSQL) or multi-row INSERTs (SQLite): a province's run writes tens of thousands of
    values, and building a model instance for each, or a round trip per row, costs more than the database
    takes to store them. The table's constraints still check every row. 1,000 rows of 14 fields bind
    14,000 parameters, under SQLite's 32,766."""
    meta, quote = model._meta, connection.ops.quote_name
    column = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: psycopg would spend longer splitting a 14,000-parameter statement than storing it.
            # Binary: the server then parses no numbers from text, a third of the COPY's time.
            types = [str(meta.get_field(name).db_type(connection)).split("(")[0] for name in fields]
            sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
            with cursor.cursor.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        pending = iter(rows)
        while batch := list(islice(pending, 14_000 // len(fields))):
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([marks] * len(batch))}",  # noqa: S608
                [value for row in batch for value in row],
            )


@transaction.atomic
@collector.paused()
def run_compute(
    *,
    actor: User | None,
    version: SchemeVersion,
    period: str,
    cutoff: dt.datetime | None = None,
    progress: Progress | None = None,
) -> Run:
    """Compute and store one run of a published scheme version for a period."""
    if version.status != SchemeStatus.PUBLISHED:
        raise Conflict(_("Only a published scheme version is run."), code="scheme_not_published")
    try:
        start, end = period_bounds(period)
    except ValueError:
        raise ValidationFailed(
            _("Give the period as 2026-10, 2026-Q3 or 2026."), code="invalid_period"
        ) from None
    if period_kind_of(period) != version.period_kind:
        raise ValidationFailed(
            _("This scheme is run by %(kind)s.") % {"kind": version.get_period_kind_display()},
            code="wrong_period_kind",
        )
    cutoff = cutoff or clock.now()
    tables = weight_tables(version)
    members = _members(version, list(tables))
    by_units = version.scheme.subject == Subject.UNIT
    # Units answer for their sections and windows; people for what they did wherever it was.
    resolve = unit_resolver(m.id for m in members) if by_units else _identity
    counted = counts.count(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=resolve,
        by_staff=not by_units,
        members=[m.id for m in members],
    )
    kept_expected = stored.expected_days(start, cutoff) if by_units else None
    counted.expected_days = (
        kept_expected if kept_expected is not None else expected_days_before(start, cutoff)
    )
    adjustments = _adjustments(version, start, end, cutoff)
    number = (Run.objects.filter(version=version, period=period).aggregate(n=Max("number"))["n"] or 0) + 1
    run = Run.objects.create(
        version=version,
        period=period,
        period_start=start,
        period_end=end,
        cutoff=cutoff,
        digest=_digest(version, period, cutoff, counted, members, adjustments),
        number=number,
        created_by=actor,
        created_at=clock.now(),
    )
    bands = scoring.GradeBands(**version.bands) if version.bands else scoring.DEFAULT_BANDS
    coefficients = version.coefficients or dict(scoring.DEFAULT_COEFFICIENTS)
    caps = scoring.BonusCaps(bonus_cap=version.bonus_cap, penalty_cap=version.penalty_cap)
    quota = float(version.quota)
    approved = float(version.quota_approved) if version.quota_approved is not None else None
    scored: list[
        tuple[list[scoring.SubjectScore], dict[int, dict[str, lib.IndicatorValue]], dict[str, Any]]
    ] = []
    subject_rows: list[tuple[Any, ...]] = []
    done = 0
    for group, table in sorted(tables.items()):
        group_members = [m for m in members if m.group == group]
        ids = [m.id for m in group_members]
        measured = _measure(counted, ids, {i.indicator: i.min_sample for i in table.items})
        subjects = [
            scoring.Subject(
                id=m.id,
                group=group,
                probation=m.probation,
                values=measured[m.id],
            )
            for m in group_members
        ]
        scores = scoring.score_group(
            subjects,
            table,
            redistribute=version.redistribute,  # type: ignore[arg-type]
            ranking=version.ranking,  # type: ignore[arg-type]
            caps=caps,
            adjustments=adjustments,
        )
        grades = scoring.assign_grades(scores, bands, quota=quota, quota_approved=approved)
        funnels = {
            item.indicator: scoring.funnel_outliers(
                [
                    (i, int(measured[i][item.indicator].numerator), measured[i][item.indicator].n)
                    for i in ids
                    if measured[i][item.indicator].n > 0
                ]
            )
            for item in table.items
            if lib.INDICATORS[item.indicator].kind == "rate"
        }
        subject_rows.extend(
            (
                run.pk,
                group,
                score.id if by_units else None,
                None if by_units else score.id,
                score.probation,
                score.coverage,
                score.base,
                score.bonus,
                score.penalty,
                score.final,
                score.rank,
                str(grades[score.id]) if grades.get(score.id) is not None else "",
                "",
                scoring.incentive(grades.get(score.id), coefficients),
            )
            for score in scores
        )
        scored.append((scores, measured, funnels))
        done += len(scores)
        if progress is not None and done < len(members):
            progress(done, len(members))
    # Every group's subjects in one COPY (or a few INSERTs), then one query for their keys, then every value
    # in one COPY: a statement and a query per group cost more than the rows.
    _insert_rows(RunSubject, _SUBJECT_FIELDS, subject_rows)
    pks = dict(RunSubject.objects.filter(run=run).values_list("unit_id" if by_units else "staff_id", "pk"))
    _insert_values(
        row for scores, measured, funnels in scored for row in _value_rows(scores, pks, measured, funnels)
    )
    # The last step once every row is written.
    if progress is not None:
        progress(done, len(members))
    audit_record(
        actor=actor,
        action="assessment.run.computed",
        target=run,
        data={"subjects": done},
    )
    return run


# --- authoring: drafts, weight tables, review and publishing ----------------------------------------------


def _covered(actor: User, perm: Perm, subject: RunSubject) -> bool:
    """Whether the actor holds `perm` over the assessed unit, or over the assessed person's unit."""
    if subject.unit is not None:
        return has_perm_on_unit(actor, perm, subject.unit)
    return subject.staff is not None and has_perm_on_unit(actor, perm, subject.staff.org_unit)


def _subject_code(subject: RunSubject) -> str:
    if subject.unit is not None:
        return subject.unit.code
    return (subject.staff.employee_number or subject.staff.username) if subject.staff is not None else ""


def _covers_run(actor: User, perm: Perm, run: Run) -> bool:
    """Whether the actor holds `perm` over every unit and person of the run (a run-wide act)."""
    scope = unit_filter(actor, perm, "unit") | unit_filter(actor, perm, "staff__org_unit")
    return not RunSubject.objects.filter(run=run).exclude(scope).exists()


def _require(actor: User, perm: Perm) -> None:
    if not has_perm(actor, perm):
        raise Forbidden(_("You do not have access to this."), code="forbidden")


@transaction.atomic
def scheme_version_draft(*, actor: User, scheme: Scheme) -> SchemeVersion:
    """A new draft, copying the latest version's settings and weight tables (or empty for a new scheme)."""
    _require(actor, Perm.ASSESSMENT_EDIT)
    if scheme.versions.filter(status__in=[SchemeStatus.DRAFT, SchemeStatus.IN_REVIEW]).exists():
        raise Conflict(_("This scheme already has a version being prepared."), code="draft_exists")
    latest = scheme.versions.order_by("-number").first()
    fields = {}
    if latest is not None:
        fields = {
            name: getattr(latest, name)
            for name in (
                "period_kind",
                "ranking",
                "redistribute",
                "quota",
                "quota_approved",
                "quota_approval",
                "bands",
                "coefficients",
                "bonus_cap",
                "penalty_cap",
                "adjustment_items",
            )
        }
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=(latest.number + 1) if latest else 1,
        author=actor,
        created_at=clock.now(),
        **fields,
    )
    if latest is not None:
        _store_items(version, _stored_items(latest))
    audit_record(actor=actor, action="assessment.scheme.drafted", target=version)
    return version


def scheme_items_check(items: list[ItemInput]) -> list[str]:
    """Every problem with a set of weight tables, in words (the editor shows them live)."""
    return _tables(items)[1]


def _store_items(version: SchemeVersion, items: list[ItemInput]) -> None:
    SchemeItem.objects.bulk_create(
        SchemeItem(
            version=version,
            group=i.group,
            indicator=i.indicator,
            weight=i.weight,
            rule=i.rule,
            min_sample=i.min_sample if i.min_sample is not None else lib.INDICATORS[i.indicator].min_sample,
        )
        for i in items
    )


@transaction.atomic
def scheme_items_set(*, actor: User, version: SchemeVersion, items: list[ItemInput]) -> SchemeVersion:
    """Replace a draft's weight tables; refused, with every problem listed, unless each table is valid."""
    _require(actor, Perm.ASSESSMENT_EDIT)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != SchemeStatus.DRAFT:
        raise Conflict(_("Only a draft is edited."), code="not_a_draft")
    problems = scheme_items_check(items)
    if problems:
        raise _invalid(problems)
    SchemeItem.objects.filter(version=version).delete()
    _store_items(version, items)
    audit_record(actor=actor, action="assessment.scheme.edited", target=version, data={"items": len(items)})
    return version


@transaction.atomic
def scheme_version_transition(*, actor: User, version: SchemeVersion, transition: str) -> SchemeVersion:
    rule = TRANSITIONS.get(transition)
    if rule is None:
        raise ValidationFailed(
            _("Unknown action %(action)s.") % {"action": transition}, code="unknown_transition"
        )
    _require(actor, rule.perm)
    version = SchemeVersion.objects.select_for_update().select_related("scheme").get(pk=version.pk)
    if version.status != rule.source:
        raise Conflict(
            _("Cannot %(action)s a scheme version that is %(status)s.")
            % {"action": str(rule.label).lower(), "status": SchemeStatus(version.status).label},
            code="transition_not_allowed",
        )
    if transition in ("submit", "approve"):
        weight_tables(version)  # raises with the problems when a table is invalid
        problems = adjustment_items_check(
            version.adjustment_items, bonus_cap=version.bonus_cap, penalty_cap=version.penalty_cap
        )
        if problems:
            raise ValidationFailed(
                _("The bonus and penalty items are not valid."),
                code="invalid_adjustment_items",
                detail={"problems": problems},
            )
        if not version.items.exists():
            raise ValidationFailed(_("A scheme needs at least one weight table."), code="no_weights")
    if transition == "approve":
        if version.author_id == actor.pk:
            raise Forbidden(_("The author of a scheme version cannot approve it."), code="approver_is_author")
        SchemeVersion.objects.filter(scheme=version.scheme, status=SchemeStatus.PUBLISHED).update(
            status=SchemeStatus.RETIRED
        )
        version.approver = actor
        version.published_at = clock.now()
    version.status = rule.target
    version.save()
    audit_record(actor=actor, action=f"assessment.scheme.{transition}", target=version)
    return version


@transaction.atomic
def run_finalize(*, actor: User, run: Run) -> Run:
    """Lock a run: its grades and incentives go to payroll; a correction is a new run, never an edit."""
    _require(actor, Perm.ASSESSMENT_APPROVE)
    run = Run.objects.select_for_update().get(pk=run.pk)
    if not _covers_run(actor, Perm.ASSESSMENT_APPROVE, run):
        raise Forbidden(
            _("Finalizing a run needs the right over every unit and person in it."), code="run_not_covered"
        )
    if run.status != RunStatus.COMPUTED:
        raise Conflict(_("This run is already finalized."), code="run_finalized")
    run.status = RunStatus.FINALIZED
    run.finalized_by = actor
    run.finalized_at = clock.now()
    run.save(update_fields=["status", "finalized_by", "finalized_at"])
    audit_record(actor=actor, action="assessment.run.finalized", target=run)
    return run


def run_export_rows(*, run: Run, user: User) -> list[list[str]]:
    """The payroll export: one row per subject the user may see, with its grade and incentive coefficient."""
    from civicpulse.assessment.permissions import subject_scope

    header = [
        str(_("peer group")),
        str(_("code")),
        str(_("name")),
        str(_("score")),
        str(_("rank")),
        str(_("grade")),
        str(_("incentive coefficient")),
    ]
    rows = [header]
    for subject in (
        run.subjects.filter(subject_scope(user))
        .select_related("unit", "staff")
        .order_by("group", "rank", "unit__code", "staff__employee_number")
    ):
        # A unit by its code and name; a person by employee number and name, as payroll knows them.
        if subject.unit is not None:
            code, name = subject.unit.code, subject.unit.name_zh
        else:
            assert subject.staff is not None
            code, name = subject.staff.employee_number or "", subject.staff.display_name
        rows.append(
            [
                subject.group,
                code,
                name,
                f"{subject.final:.2f}" if subject.final is not None else "",
                str(subject.rank or ""),
                str(Grade(subject.grade).label) if subject.grade else "",
                f"{subject.incentive:.2f}",
            ]
        )
    return rows


# --- routine runs ------------------------------------------------------------------------------------------


def previous_period(kind: str, today: dt.date) -> str:
    """The last whole period of a kind before `today`: the month, quarter or year just ended."""
    if kind == "month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return f"{last:%Y-%m}"
    if kind == "quarter":
        quarter = (today.month - 1) // 3  # the current quarter's index 0..3; the previous one ends before it
        year = today.year if quarter else today.year - 1
        return f"{year}-Q{quarter or 4}"
    return str(today.year - 1)


def routine_runs(*, today: dt.date | None = None) -> list[Run]:
    """Run each published scheme for the period just ended, once, from the Nth working day of the month
    after it (setting ROUTINE_RUN_WORKING_DAY, default 3: late records have settled by then). Idempotent:
    a period that already has a run is left alone; manual re-runs are new run versions."""
    from civicpulse.core.calendars import official_cn_calendar
    from civicpulse.core.workdays import add_working_days

    today = today or clock.today()
    calendar = official_cn_calendar()
    first = today.replace(day=1)
    nth = int(str(settings.CIVICPULSE["ROUTINE_RUN_WORKING_DAY"]))
    start_day = add_working_days(calendar, first - dt.timedelta(days=1), nth)
    if today < start_day:
        return []
    done = []
    for version in SchemeVersion.objects.filter(status=SchemeStatus.PUBLISHED).select_related("scheme"):
        period = previous_period(version.period_kind, today)
        period_end = period_bounds(period)[1]
        # A quarter or year is run in the month right after it ends, not in every later month.
        if (period_end + dt.timedelta(days=1)).replace(day=1) != first:
            continue
        if Run.objects.filter(version=version, period=period).exists():
            continue
        done.append(run_compute(actor=None, version=version, period=period))
    return done


# --- review requests ---------------------------------------------------------------------------------------


def review_is_theirs(actor: User, subject: RunSubject) -> bool:
    """The assessed person, or the head of the assessed unit, may ask for a review of the result."""
    return subject.staff_id == actor.pk or (
        subject.unit is not None
        and has_perm_on_unit(actor, Perm.ASSESSMENT_VIEW, subject.unit)
        and holds_role(actor, frozenset({Role.DEPARTMENT_HEAD}), [subject.unit])
    )


def review_open_until(run: Run) -> dt.datetime | None:
    """Until when a review of a finalized run may be asked for; None before finalizing."""
    if run.status != RunStatus.FINALIZED or run.finalized_at is None:
        return None
    return run.finalized_at + dt.timedelta(days=int(str(settings.CIVICPULSE["REVIEW_REQUEST_DAYS"])))


@transaction.atomic
def review_request(*, actor: User, subject: RunSubject, reason: str) -> ReviewRequest:
    """The head of an assessed unit (or the assessed person) asks for a review of a finalized result."""
    subject = RunSubject.objects.select_related("run", "unit").get(pk=subject.pk)
    run = subject.run
    if not review_is_theirs(actor, subject):
        raise NotFound()
    if run.status != RunStatus.FINALIZED or run.finalized_at is None:
        raise Conflict(_("Only a finalized result is reviewed."), code="run_not_finalized")
    days = int(str(settings.CIVICPULSE["REVIEW_REQUEST_DAYS"]))
    if clock.now() > run.finalized_at + dt.timedelta(days=days):
        raise Conflict(
            _("A review is asked for within %(days)s days of the result being finalized.") % {"days": days},
            code="review_too_late",
        )
    if not reason.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    if ReviewRequest.objects.filter(subject=subject, status="pending").exists():
        raise Conflict(_("A review of this result is already pending."), code="review_pending")
    request = ReviewRequest.objects.create(
        subject=subject,
        requested_by=actor,
        reason=reason.strip(),
        requested_at=clock.now(),
        answer_due=clock.today() + dt.timedelta(days=int(str(settings.CIVICPULSE["REVIEW_ANSWER_DAYS"]))),
    )
    audit_record(
        actor=actor, action="assessment.review.requested", target=run, data={"reason": request.reason}
    )
    return request


@transaction.atomic
def review_answer(*, actor: User, request: ReviewRequest, correct: bool, answer: str) -> ReviewRequest:
    """The committee answers with a reason; a correction recomputes the period as a new run version that
    replaces the old one (which stays, never edited)."""
    _require(actor, Perm.ASSESSMENT_APPROVE)
    request = (
        ReviewRequest.objects.select_for_update(of=("self",))
        .select_related("subject__run__version", "subject__unit", "subject__staff__org_unit")
        .get(pk=request.pk)
    )
    if not _covered(actor, Perm.ASSESSMENT_APPROVE, request.subject):
        raise NotFound()
    if request.status != "pending":
        raise Conflict(_("This review request has been answered."), code="review_answered")
    if request.requested_by_id == actor.pk:
        raise Forbidden(_("Nobody answers their own review request."), code="answer_own_request")
    if not answer.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    old = request.subject.run
    if correct:
        correction = run_compute(actor=actor, version=old.version, period=old.period)
        correction.supersedes = old
        correction.save(update_fields=["supersedes"])
        request.correction = correction
    request.status = "corrected" if correct else "rejected"
    request.answered_by = actor
    request.answered_at = clock.now()
    request.answer = answer.strip()
    request.save()
    audit_record(
        actor=actor,
        action=f"assessment.review.{request.status}",
        target=old,
        data={"reason": request.answer},
    )
    return request


# --- bonus and penalty items -------------------------------------------------------------------------------


_ITEM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def adjustment_items_check(items: Any, *, bonus_cap: float, penalty_cap: float) -> list[str]:
    """Every problem with a version's catalogue of bonus and penalty items, in words."""
    if not isinstance(items, list):
        return [str(_("The bonus and penalty items must be a list."))]
    problems: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            problems.append(str(_("Each bonus or penalty item needs a code, names and points.")))
            continue
        code = str(item.get("code", "")).strip()
        if not code or not str(item.get("name_zh", "")).strip() or not str(item.get("name_en", "")).strip():
            problems.append(str(_("Each bonus or penalty item needs a code, names and points.")))
            continue
        if not _ITEM_CODE.match(code):
            problems.append(str(_("%(code)s: a code is letters, digits, - and _ only.") % {"code": code}))
        if code in seen:
            problems.append(str(_("The item %(code)s is listed twice.") % {"code": code}))
        seen.add(code)
        raw = item.get("points")
        try:
            # True is an int to Python, not a number of points.
            points = (
                float(raw)
                if isinstance(raw, int | float | str) and not isinstance(raw, bool)
                else float("nan")
            )
        except ValueError:
            points = float("nan")
        if not (points == points and points != 0):  # NaN or zero
            problems.append(
                str(
                    _("%(code)s: give the points, above 0 for a bonus, below 0 for a penalty.")
                    % {"code": code}
                )
            )
        elif points > bonus_cap or -points > penalty_cap:
            problems.append(
                str(_("%(code)s: %(points)s points exceed the cap.") % {"code": code, "points": points})
            )
    return problems


@transaction.atomic
def scheme_adjustment_items_set(*, actor: User, version: SchemeVersion, items: Any) -> SchemeVersion:
    """Replace a draft's catalogue of bonus and penalty items; refused with every problem listed."""
    _require(actor, Perm.ASSESSMENT_EDIT)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != SchemeStatus.DRAFT:
        raise Conflict(_("Only a draft is edited."), code="not_a_draft")
    problems = adjustment_items_check(items, bonus_cap=version.bonus_cap, penalty_cap=version.penalty_cap)
    if problems:
        raise ValidationFailed(
            _("The bonus and penalty items are not valid."),
            code="invalid_adjustment_items",
            detail={"problems": problems},
        )
    version.adjustment_items = [
        {
            "code": str(i["code"]).strip(),
            "name_zh": str(i["name_zh"]).strip(),
            "name_en": str(i["name_en"]).strip(),
            "points": float(i["points"]),
        }
        for i in items
    ]
    version.save(update_fields=["adjustment_items"])
    audit_record(
        actor=actor,
        action="assessment.scheme.adjustments_edited",
        target=version,
        data={"items": len(version.adjustment_items)},
    )
    return version


def _subject_unit(unit: OrgUnit | None, staff: User | None) -> OrgUnit:
    if (unit is None) == (staff is None):
        raise ValidationFailed(_("Name either a unit or a person."), code="unit_or_person")
    if unit is not None:
        return unit
    assert staff is not None
    if staff.org_unit is None or staff.kind != UserKind.STAFF:
        raise NotFound()
    return staff.org_unit


def _assessed_by(version: SchemeVersion, unit: OrgUnit | None, staff: User | None) -> bool:
    groups = set(SchemeItem.objects.filter(version=version).values_list("group", flat=True))
    if unit is not None:
        return unit.category is not None and unit.category.code in groups
    return staff is not None and RoleAssignment.objects.filter(user=staff, role__in=groups).exists()


@transaction.atomic
def adjustment_record(
    *,
    actor: User,
    scheme: Scheme,
    code: str,
    occurred_on: dt.date,
    reason: str,
    evidence: str = "",
    unit: OrgUnit | None = None,
    staff: User | None = None,
) -> Adjustment:
    """Record a bonus or penalty item (a commendation, verified misconduct) for a unit or person the actor
    covers; it counts in the runs of its period computed after it is recorded."""
    where = _subject_unit(unit, staff)
    if not has_perm_on_unit(actor, Perm.ASSESSMENT_EDIT, where):
        raise NotFound()
    subject_kind = Subject.UNIT if unit is not None else Subject.STAFF
    if scheme.subject != subject_kind:
        raise ValidationFailed(
            _("This scheme assesses %(subject)s.") % {"subject": Subject(scheme.subject).label},
            code="wrong_subject",
        )
    version = scheme.versions.filter(status=SchemeStatus.PUBLISHED).first()
    codes = {item["code"] for item in (version.adjustment_items if version else [])}
    if version is not None and not _assessed_by(version, unit, staff):
        raise ValidationFailed(
            _("This scheme does not assess that unit or person (its category or role has no weight table)."),
            code="not_assessed",
        )
    if code not in codes:
        raise ValidationFailed(
            _("The published scheme has no bonus or penalty item %(code)s.") % {"code": code},
            code="unknown_item",
        )
    if not reason.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    if occurred_on > clock.today():
        raise ValidationFailed(_("The date cannot be in the future."), code="date_in_future")
    entry = Adjustment.objects.create(
        scheme=scheme,
        code=code,
        unit=unit,
        staff=staff,
        occurred_on=occurred_on,
        reason=reason.strip(),
        evidence=evidence.strip(),
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="assessment.adjustment.recorded",
        target=entry,
        unit=where,
        data={"code": code, "occurred_on": occurred_on.isoformat(), "reason": entry.reason},
    )
    return entry


@transaction.atomic
def adjustment_withdraw(*, actor: User, adjustment: Adjustment, reason: str) -> Adjustment:
    """Withdraw an item recorded in error; runs already computed keep it, later runs leave it out."""
    entry = (
        Adjustment.objects.select_for_update(of=("self",))
        .select_related("unit", "staff")
        .get(pk=adjustment.pk)
    )
    where = _subject_unit(entry.unit, entry.staff)
    if not has_perm_on_unit(actor, Perm.ASSESSMENT_EDIT, where):
        raise NotFound()
    if entry.withdrawn_at is not None:
        raise Conflict(_("This item is already withdrawn."), code="already_withdrawn")
    if not reason.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    entry.withdrawn_by = actor
    entry.withdrawn_at = clock.now()
    entry.withdrawal_reason = reason.strip()
    entry.save(update_fields=["withdrawn_by", "withdrawn_at", "withdrawal_reason"])
    audit_record(
        actor=actor,
        action="assessment.adjustment.withdrawn",
        target=entry,
        unit=where,
        data={"reason": entry.withdrawal_reason},
    )
    return entry


# --- calibration -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    subject_id: int
    grade: str
    reason: str


@transaction.atomic
def run_calibrate(*, actor: User, run: Run, moves: list[Move]) -> Run:
    """The assessment committee moves grades of a computed run, each with a written reason, all or nothing,
    and never above the outstanding quota of the peer group. Finalizing locks the grades."""
    _require(actor, Perm.ASSESSMENT_APPROVE)
    run = Run.objects.select_for_update().select_related("version").get(pk=run.pk)
    if run.status != RunStatus.COMPUTED:
        raise Conflict(_("A finalized run is not calibrated."), code="run_finalized")
    if not moves:
        raise ValidationFailed(_("Move at least one grade."), code="no_moves")
    subjects = {
        s.pk: s
        for s in RunSubject.objects.select_for_update(of=("self",))
        .select_related("unit", "staff__org_unit")
        .filter(run=run)
    }
    groups: dict[str, list[Move]] = defaultdict(list)
    for move in moves:
        subject = subjects.get(move.subject_id)
        if subject is None or not _covered(actor, Perm.ASSESSMENT_APPROVE, subject):
            raise NotFound()
        groups[subject.group].append(move)
    version = run.version
    coefficients = version.coefficients or dict(scoring.DEFAULT_COEFFICIENTS)
    approved = float(version.quota_approved) if version.quota_approved is not None else None
    for group, group_moves in sorted(groups.items()):
        members = [s for s in subjects.values() if s.group == group]
        try:
            result = scoring.calibrate(
                {s.pk: (scoring.Grade(s.grade) if s.grade else None) for s in members},
                [(m.subject_id, m.grade, m.reason) for m in group_moves],
                float(version.quota),
                quota_approved=approved,
            )
        except ValueError as error:
            raise ValidationFailed(
                _("These moves are not allowed: %(error)s") % {"error": error}, code="invalid_moves"
            ) from None
        for move in group_moves:
            subject = subjects[move.subject_id]
            Calibration.objects.create(
                subject=subject,
                from_grade=subject.grade,
                to_grade=move.grade,
                reason=move.reason.strip(),
                moved_by=actor,
                moved_at=clock.now(),
            )
            if not subject.computed_grade:
                subject.computed_grade = subject.grade
            new = result[subject.pk]
            subject.grade = str(new) if new is not None else ""
            subject.incentive = scoring.incentive(new, coefficients)
            subject.save(update_fields=["grade", "computed_grade", "incentive"])
    audit_record(
        actor=actor,
        action="assessment.run.calibrated",
        target=run,
        # Who was moved by the codes people know them by (a unit's code, a person's employee number).
        data={
            "moves": [
                {
                    "subject": _subject_code(subjects[m.subject_id]),
                    "grade": m.grade,
                    "reason": m.reason.strip(),
                }
                for m in moves
            ]
        },
    )
    return run
