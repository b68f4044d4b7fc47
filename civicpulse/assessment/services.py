"""Assessment runs: facts as of a cut-off > indicators > scores, ranks and grades per peer group > an
immutable snapshot. The same scheme version, period and cut-off always give the same run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm, has_perm_on_unit
from civicpulse.assessment import indicators as lib
from civicpulse.assessment import scoring
from civicpulse.assessment.enums import Grade, RunStatus, SchemeStatus, Subject
from civicpulse.assessment.facts import Facts, load, period_bounds, period_kind_of, unit_resolver
from civicpulse.assessment.models import (
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
from civicpulse.core import clock
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


def _digest(version: SchemeVersion, period: str, cutoff: dt.datetime, facts: Facts) -> str:
    """A fingerprint of everything the run read: equal digests, equal inputs."""
    payload = {
        "version": version.pk,
        "period": period,
        "cutoff": cutoff.isoformat(),
        **{
            name: sorted(json.dumps(asdict(f), sort_keys=True) for f in getattr(facts, name))
            for name in ("cases", "evaluations", "interactions", "rectifications", "tickets", "history")
        },
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


_SOURCES = ("cases", "evaluations", "interactions", "rectifications", "tickets")


@dataclass(frozen=True)
class _Inputs:
    """The run's facts grouped by assessed unit, and what the adjusted indicators compare against."""

    by_unit: dict[str, dict[int, list[Any]]]
    extras: dict[str, Any]

    @classmethod
    def of(cls, facts: Facts) -> _Inputs:
        by_unit: dict[str, dict[int, list[Any]]] = {source: defaultdict(list) for source in _SOURCES}
        for source in _SOURCES:
            for fact in getattr(facts, source):
                by_unit[source][fact.unit_id].append(fact)
        extras = {
            "expected_days": lib.expected_days(facts.history),
            "channel_rates": lib.channel_good_rates(facts.evaluations),
            "wait_target_minutes": float(str(settings.CIVICPULSE["WAIT_TARGET_MINUTES"])),
        }
        return cls(by_unit=by_unit, extras=extras)


def _measure(
    inputs: _Inputs, unit_ids: list[int], samples: Mapping[str, int]
) -> dict[int, dict[str, lib.IndicatorValue]]:
    """Every indicator of one weight table for each unit; the scheme's minimum sample replaces the library's
    default, so "insufficient data" means the same thing in the value and in the score."""
    measured: dict[int, dict[str, lib.IndicatorValue]] = {}
    for unit_id in unit_ids:
        measured[unit_id] = {}
        for code, min_sample in sorted(samples.items()):
            indicator = lib.INDICATORS[code]
            rows = inputs.by_unit[indicator.source].get(unit_id, [])
            args = (rows, inputs.extras[indicator.needs]) if indicator.needs else (rows,)
            measured[unit_id][code] = indicator.compute(*args, min_sample=min_sample)
    return measured


@transaction.atomic
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
    if version.scheme.subject != Subject.UNIT:
        raise Conflict(_("Staff schemes are not run yet."), code="subject_not_supported")
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
    units = list(
        OrgUnit.objects.filter(category__code__in=list(tables), is_active=True)
        .select_related("category")
        .order_by("pk")
    )
    facts = load(start=start, end=end, cutoff=cutoff, resolve=unit_resolver(u.pk for u in units))
    inputs = _Inputs.of(facts)
    number = (Run.objects.filter(version=version, period=period).aggregate(n=Max("number"))["n"] or 0) + 1
    run = Run.objects.create(
        version=version,
        period=period,
        period_start=start,
        period_end=end,
        cutoff=cutoff,
        digest=_digest(version, period, cutoff, facts),
        number=number,
        created_by=actor,
        created_at=clock.now(),
    )
    bands = scoring.GradeBands(**version.bands) if version.bands else scoring.DEFAULT_BANDS
    coefficients = version.coefficients or dict(scoring.DEFAULT_COEFFICIENTS)
    caps = scoring.BonusCaps(bonus_cap=version.bonus_cap, penalty_cap=version.penalty_cap)
    quota = float(version.quota)
    approved = float(version.quota_approved) if version.quota_approved is not None else None
    done = 0
    for group, table in sorted(tables.items()):
        members = [u for u in units if u.category is not None and u.category.code == group]
        measured = _measure(inputs, [u.pk for u in members], {i.indicator: i.min_sample for i in table.items})
        subjects = [
            scoring.Subject(
                id=u.pk,
                group=group,
                probation=False,
                values={
                    code: scoring.Measured(
                        value=v.value,
                        n=v.n,
                        successes=int(v.numerator) if lib.INDICATORS[code].kind == "rate" else None,
                        insufficient=v.insufficient,
                    )
                    for code, v in measured[u.pk].items()
                    if any(item.indicator == code for item in table.items)
                },
            )
            for u in members
        ]
        scores = scoring.score_group(
            subjects,
            table,
            redistribute=version.redistribute,  # type: ignore[arg-type]
            ranking=version.ranking,  # type: ignore[arg-type]
            caps=caps,
        )
        grades = scoring.assign_grades(scores, bands, quota=quota, quota_approved=approved)
        funnels = {
            item.indicator: scoring.funnel_outliers(
                [
                    (u.pk, int(measured[u.pk][item.indicator].numerator), measured[u.pk][item.indicator].n)
                    for u in members
                    if measured[u.pk][item.indicator].n > 0
                ]
            )
            for item in table.items
            if lib.INDICATORS[item.indicator].kind == "rate"
        }
        for score in scores:
            grade = grades.get(score.id)
            row = RunSubject.objects.create(
                run=run,
                group=group,
                unit_id=score.id,
                probation=score.probation,
                coverage=score.coverage,
                base=score.base,
                bonus=score.bonus,
                penalty=score.penalty,
                final=score.final,
                rank=score.rank,
                grade=str(grade) if grade is not None else "",
                incentive=scoring.incentive(grade, coefficients),
            )
            RunValue.objects.bulk_create(
                RunValue(
                    subject=row,
                    indicator=p.indicator,
                    value=measured[score.id][p.indicator].value,
                    raw=measured[score.id][p.indicator].raw,
                    scored=p.scored_value,
                    n=p.n,
                    numerator=float(measured[score.id][p.indicator].numerator),
                    low=measured[score.id][p.indicator].low,
                    high=measured[score.id][p.indicator].high,
                    insufficient=p.insufficient,
                    weight=p.weight,
                    effective_weight=p.effective_weight,
                    points=p.points,
                    funnel=funnels.get(p.indicator, {}).get(score.id, ""),
                    record_ids=list(measured[score.id][p.indicator].record_ids),
                )
                for p in score.indicators
            )
            done += 1
            if progress is not None:
                progress(done, len(units))
    audit_record(
        actor=actor,
        action="assessment.run.computed",
        target=run,
        data={"subjects": done},
    )
    return run


# --- authoring: drafts, weight tables, review and publishing ----------------------------------------------


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
    if run.status != RunStatus.COMPUTED:
        raise Conflict(_("This run is already finalized."), code="run_finalized")
    run.status = RunStatus.FINALIZED
    run.finalized_by = actor
    run.finalized_at = clock.now()
    run.save(update_fields=["status", "finalized_by", "finalized_at"])
    audit_record(actor=actor, action="assessment.run.finalized", target=run)
    return run


def run_export_rows(*, run: Run) -> list[list[str]]:
    """The payroll export: one row per subject with its grade and incentive coefficient."""
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
    for subject in run.subjects.select_related("unit").order_by("group", "rank", "unit__code"):
        unit = subject.unit
        rows.append(
            [
                subject.group,
                unit.code if unit else "",
                unit.name_zh if unit else "",
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
    for version in SchemeVersion.objects.filter(status=SchemeStatus.PUBLISHED, scheme__subject=Subject.UNIT):
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


@transaction.atomic
def review_request(*, actor: User, subject: RunSubject, reason: str) -> ReviewRequest:
    """The head of an assessed unit (or the assessed person) asks for a review of a finalized result."""
    subject = RunSubject.objects.select_related("run", "unit").get(pk=subject.pk)
    run = subject.run
    own = subject.staff_id == actor.pk or (
        subject.unit is not None
        and has_perm_on_unit(actor, Perm.ASSESSMENT_VIEW, subject.unit)
        and holds_role(actor, frozenset({Role.DEPARTMENT_HEAD}), [subject.unit])
    )
    if not own:
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
        ReviewRequest.objects.select_for_update().select_related("subject__run__version").get(pk=request.pk)
    )
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
