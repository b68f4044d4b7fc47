"""Self-assessment: CAF 2020 with classical scoring, and the ISO 18091 diagnostic (domain.md §8).

Three layers in one module, in this order:

- pure functions (no ORM, no clock): the band of a score, criterion scores, totals, the comparison of two
  assessments, light counts per quadrant and the lights of each indicator over time;
- selectors: reads scoped by `unit_filter(user, Perm.QUALITY_VIEW, ...)`, and the `access_*` loaders that
  answer NotFound for missing and forbidden alike;
- services: one transaction per use case, `Perm.QUALITY_MANAGE` checked again on the assessed unit, one
  audit event per change. A completed assessment is locked: the next self-assessment is a new one.

Rounding. Sub-criteria are scored in whole points; a criterion's score is the mean of its sub-criteria,
kept to one decimal and rounded half up (四舍五入, as a reader checks it by hand), in Decimal so that 62.25
gives 62.3 and not the 62.2 of Python's round-half-even. One decimal because criteria have 2 to 6
sub-criteria: one point on one sub-criterion moves a mean by 0.17 to 0.5, which whole numbers would hide
and a second decimal would not make more meaningful. Totals add the criterion scores as shown (so the page
adds up on paper); each criterion weighs the same, whatever its number of sub-criteria, as in CAF. A
criterion has no score until all its sub-criteria have one: a partial mean would read as a finished one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit, unit_filter
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.quality.models.self_assessment import (
    CafAssessment,
    CafScore,
    Diagnostic,
    DiagnosticRating,
    Light,
    SelfAssessmentStatus,
)
from civicpulse.quality.reference import (
    CAF_CRITERIA,
    CAF_SUBCRITERIA,
    ISO18091_INDICATORS,
    ISO18091_QUADRANTS,
    TRAFFIC_LIGHTS,
    CafCriterion,
    CafSubCriterion,
    Iso18091Indicator,
    ScoreBand,
    caf_band,
)

# --- the reference, indexed -----------------------------------------------------------------------------

CRITERIA: Mapping[str, CafCriterion] = {c.number: c for c in CAF_CRITERIA}
SUBCRITERIA: Mapping[str, CafSubCriterion] = {s.number: s for s in CAF_SUBCRITERIA}
SUBCRITERIA_OF: Mapping[str, tuple[str, ...]] = {
    c.number: tuple(s.number for s in CAF_SUBCRITERIA if s.criterion == c.number) for c in CAF_CRITERIA
}
ENABLER_CRITERIA = tuple(c.number for c in CAF_CRITERIA if c.kind == "enabler")
RESULT_CRITERIA = tuple(c.number for c in CAF_CRITERIA if c.kind == "result")
INDICATORS: Mapping[str, Iso18091Indicator] = {i.code: i for i in ISO18091_INDICATORS}
QUADRANTS = tuple(code for code, _en, _zh in ISO18091_QUADRANTS)

# The comparison lists this many of the largest sub-criterion changes (and any tied with the last).
MOVERS = 5
TEXT_LIMIT = 4000

_TENTH = Decimal("0.1")


# --- pure functions: CAF ----------------------------------------------------------------------------------


def caf_kind(sub_criterion: str) -> str:
    """ "enabler" or "result": which classical panel scores this sub-criterion (KeyError if unknown)."""
    return CRITERIA[SUBCRITERIA[sub_criterion].criterion].kind


def caf_score_band(sub_criterion: str, score: object) -> ScoreBand:
    """The band of the sub-criterion's panel that `score` falls in. ValueError for an unknown
    sub-criterion and for anything but a whole number 0..100 of an integer type (50.5, "50", True...)."""
    if sub_criterion not in SUBCRITERIA:
        raise ValueError(f"unknown CAF sub-criterion {sub_criterion!r}")
    return caf_band(caf_kind(sub_criterion), score)  # type: ignore[arg-type]


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _criterion_decimals(scores: Mapping[str, int]) -> dict[str, Decimal | None]:
    means: dict[str, Decimal | None] = {}
    for criterion, numbers in SUBCRITERIA_OF.items():
        if all(number in scores for number in numbers):
            means[criterion] = _one_decimal(Decimal(sum(scores[n] for n in numbers)) / len(numbers))
        else:
            means[criterion] = None
    return means


def criterion_scores(scores: Mapping[str, int]) -> dict[str, float | None]:
    """Criterion number -> the mean of its sub-criteria's scores, one decimal, half up; None until all of
    its sub-criteria are scored. `scores` maps sub-criterion numbers to whole-point scores."""
    return {k: None if v is None else float(v) for k, v in _criterion_decimals(scores).items()}


@dataclass(frozen=True)
class CafTotals:
    """Sums of criterion scores (out of 500, 400 and 900) and their means on the 0-100 scale; None until
    every criterion of the group has a score."""

    enablers: float | None
    results: float | None
    overall: float | None
    enablers_mean: float | None
    results_mean: float | None
    overall_mean: float | None

    enablers_max = 100 * len(ENABLER_CRITERIA)
    results_max = 100 * len(RESULT_CRITERIA)
    overall_max = 100 * len(CAF_CRITERIA)


def _sum_and_mean(
    means: Mapping[str, Decimal | None], criteria: Sequence[str]
) -> tuple[Decimal | None, Decimal | None]:
    values = [means[c] for c in criteria]
    if any(v is None for v in values):
        return None, None
    total = sum((v for v in values if v is not None), Decimal(0))
    return total, _one_decimal(total / len(values))


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _totals_decimals(scores: Mapping[str, int]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    means = _criterion_decimals(scores)
    return {
        "enablers": _sum_and_mean(means, ENABLER_CRITERIA),
        "results": _sum_and_mean(means, RESULT_CRITERIA),
        "overall": _sum_and_mean(means, tuple(CRITERIA)),
    }


def caf_totals(scores: Mapping[str, int]) -> CafTotals:
    """The enablers' total (criteria 1-5), the results' total (6-9) and the overall total (1-9)."""
    found = _totals_decimals(scores)
    return CafTotals(
        enablers=_as_float(found["enablers"][0]),
        results=_as_float(found["results"][0]),
        overall=_as_float(found["overall"][0]),
        enablers_mean=_as_float(found["enablers"][1]),
        results_mean=_as_float(found["results"][1]),
        overall_mean=_as_float(found["overall"][1]),
    )


IMPROVED, DECLINED, UNCHANGED = "improved", "declined", "unchanged"
_TOTALS = ("enablers", "results", "overall")


@dataclass(frozen=True)
class Movement:
    """One line of a comparison: a sub-criterion, a criterion or a total, before and after."""

    key: str
    before: float | None
    after: float | None
    delta: float | None
    direction: str  # improved, declined, unchanged; "" when either side has no score

    @property
    def size(self) -> float:
        return abs(self.delta) if self.delta is not None else 0.0


def _movement(key: str, before: Decimal | int | None, after: Decimal | int | None) -> Movement:
    if before is None or after is None:
        return Movement(key, _number(before), _number(after), None, "")
    delta = Decimal(after) - Decimal(before)
    direction = IMPROVED if delta > 0 else DECLINED if delta < 0 else UNCHANGED
    return Movement(key, _number(before), _number(after), float(delta), direction)


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class CafComparison:
    sub_criteria: list[Movement]
    criteria: list[Movement]
    totals: list[Movement]  # enablers, results, overall: the sums of criterion scores
    movers: list[Movement]  # the largest sub-criterion changes, largest first

    def counts(self) -> dict[str, int]:
        """How many sub-criteria improved, declined and stayed."""
        found = {IMPROVED: 0, DECLINED: 0, UNCHANGED: 0}
        for row in self.sub_criteria:
            if row.direction:
                found[row.direction] += 1
        return found


def caf_compare_scores(
    before: Mapping[str, int], after: Mapping[str, int], *, movers: int = MOVERS
) -> CafComparison:
    """Every sub-criterion, criterion and total of `after` against `before` (delta = after - before).

    The movers are the sub-criteria with the largest changes either way, at most `movers` of them plus any
    tied with the last one (a cut between equal changes would pick one arbitrarily); unchanged ones never.
    Ties are listed in the model's order.
    """
    subs = [_movement(n, before.get(n), after.get(n)) for n in SUBCRITERIA]
    means_before, means_after = _criterion_decimals(before), _criterion_decimals(after)
    criteria = [_movement(c, means_before[c], means_after[c]) for c in CRITERIA]
    totals_before, totals_after = _totals_decimals(before), _totals_decimals(after)
    totals = [_movement(k, totals_before[k][0], totals_after[k][0]) for k in _TOTALS]
    moved = sorted((m for m in subs if m.size > 0), key=lambda m: -m.size)  # stable: model order on ties
    if len(moved) > movers > 0:
        cut = moved[movers - 1].size
        moved = [m for m in moved if m.size >= cut]
    elif movers <= 0:
        moved = []
    return CafComparison(sub_criteria=subs, criteria=criteria, totals=totals, movers=moved)


# --- pure functions: ISO 18091 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LightCounts:
    red: int = 0
    yellow: int = 0
    green: int = 0
    unrated: int = 0

    @property
    def rated(self) -> int:
        return self.red + self.yellow + self.green


def light_counts(lights: Mapping[str, str]) -> dict[str, LightCounts]:
    """Quadrant code -> its counts of red, yellow and green indicators (and unrated ones), plus "all" for
    the whole diagnostic. `lights` maps indicator codes to lights; unknown codes are ignored."""
    tally = {q: dict.fromkeys((*TRAFFIC_LIGHTS, "unrated"), 0) for q in (*QUADRANTS, "all")}
    for indicator in ISO18091_INDICATORS:
        light = lights.get(indicator.code)
        key = light if light in TRAFFIC_LIGHTS else "unrated"
        tally[indicator.quadrant][key] += 1
        tally["all"][key] += 1
    return {q: LightCounts(**counts) for q, counts in tally.items()}


def indicator_lights(history: Sequence[Mapping[str, str]]) -> dict[str, list[str | None]]:
    """Indicator code -> its light in each diagnostic of `history` (oldest first), None where unrated."""
    return {i.code: [lights.get(i.code) for lights in history] for i in ISO18091_INDICATORS}


# --- selectors --------------------------------------------------------------------------------------------


def _scope(user: User | AnonymousUser | None) -> Q:
    return unit_filter(user, Perm.QUALITY_VIEW, "unit")


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def caf_list(
    *, user: User | AnonymousUser | None, unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[CafAssessment]:
    """CAF self-assessments of the units the user reads the quality system of, newest first, each with
    the number of its scored sub-criteria (`scored`)."""
    rows = CafAssessment.objects.filter(_scope(user)).select_related("unit", "created_by")
    if unit is not None:
        rows = rows.filter(unit=unit)
    if status in SelfAssessmentStatus.values:
        rows = rows.filter(status=status)
    return rows.annotate(scored=Count("scores")).order_by("-created_at", "-pk")


def access_caf(user: User | AnonymousUser | None, assessment_id: Any) -> CafAssessment:
    """One CAF self-assessment; NotFound whether it is missing or outside the user's units."""
    found = (
        CafAssessment.objects.filter(_scope(user), pk=_pk(assessment_id))
        .select_related("unit", "created_by", "completed_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def caf_score_map(assessment: CafAssessment) -> dict[str, int]:
    return dict(assessment.scores.values_list("sub_criterion", "score"))


@dataclass(frozen=True)
class SubCriterionLine:
    sub: CafSubCriterion
    kind: str
    score: CafScore | None
    band: ScoreBand | None


@dataclass(frozen=True)
class CriterionBlock:
    criterion: CafCriterion
    score: float | None
    lines: list[SubCriterionLine]


@dataclass(frozen=True)
class CafSheet:
    """A CAF self-assessment laid out as the model is: criteria, their sub-criteria, scores and totals."""

    assessment: CafAssessment
    criteria: list[CriterionBlock]
    totals: CafTotals
    missing: list[str]

    @property
    def scored(self) -> int:
        return len(SUBCRITERIA) - len(self.missing)


def caf_sheet(*, assessment: CafAssessment) -> CafSheet:
    scores = {s.sub_criterion: s for s in assessment.scores.select_related("updated_by")}
    values = {number: s.score for number, s in scores.items()}
    means = criterion_scores(values)
    blocks = []
    for criterion in CAF_CRITERIA:
        lines = []
        for number in SUBCRITERIA_OF[criterion.number]:
            score = scores.get(number)
            lines.append(
                SubCriterionLine(
                    sub=SUBCRITERIA[number],
                    kind=criterion.kind,
                    score=score,
                    band=caf_band(criterion.kind, score.score) if score is not None else None,
                )
            )
        blocks.append(CriterionBlock(criterion=criterion, score=means[criterion.number], lines=lines))
    return CafSheet(
        assessment=assessment,
        criteria=blocks,
        totals=caf_totals(values),
        missing=[n for n in SUBCRITERIA if n not in scores],
    )


@dataclass(frozen=True)
class CafComparisonResult:
    before: CafAssessment
    after: CafAssessment
    comparison: CafComparison


def caf_compare(
    *, user: User | AnonymousUser | None, before_id: Any, after_id: Any, movers: int = MOVERS
) -> CafComparisonResult:
    """Two completed self-assessments of one unit compared, `after` against `before`."""
    before, after = access_caf(user, before_id), access_caf(user, after_id)
    if before.pk == after.pk:
        raise ValidationFailed(_("Choose two different self-assessments."), code="same_assessment")
    if before.unit_id != after.unit_id:
        raise ValidationFailed(
            _("Only self-assessments of the same unit are compared."), code="different_units"
        )
    if not (before.is_completed and after.is_completed):
        raise Conflict(_("Only completed self-assessments are compared."), code="not_completed")
    return CafComparisonResult(
        before=before,
        after=after,
        comparison=caf_compare_scores(caf_score_map(before), caf_score_map(after), movers=movers),
    )


def caf_timeline(assessment: CafAssessment) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(target_type=CafAssessment._meta.label_lower, target_id=str(assessment.pk))
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )


def diagnostic_list(
    *, user: User | AnonymousUser | None, unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[Diagnostic]:
    """ISO 18091 diagnostics of the units the user reads the quality system of, latest first, each with
    the number of its rated indicators (`rated`)."""
    rows = Diagnostic.objects.filter(_scope(user)).select_related("unit", "created_by")
    if unit is not None:
        rows = rows.filter(unit=unit)
    if status in SelfAssessmentStatus.values:
        rows = rows.filter(status=status)
    return rows.annotate(rated=Count("ratings")).order_by("-assessed_on", "-pk")


def access_diagnostic(user: User | AnonymousUser | None, diagnostic_id: Any) -> Diagnostic:
    """One ISO 18091 diagnostic; NotFound whether it is missing or outside the user's units."""
    found = (
        Diagnostic.objects.filter(_scope(user), pk=_pk(diagnostic_id))
        .select_related("unit", "created_by", "completed_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def access_unit(user: User | AnonymousUser | None, code: str) -> OrgUnit:
    """A unit whose quality system the user reads, by code; NotFound otherwise."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not has_perm_on_unit(user, Perm.QUALITY_VIEW, unit):
        raise NotFound()
    return unit


@dataclass(frozen=True)
class IndicatorLine:
    indicator: Iso18091Indicator
    rating: DiagnosticRating | None


@dataclass(frozen=True)
class QuadrantBlock:
    code: str
    name_en: str
    name_zh: str
    counts: LightCounts
    lines: list[IndicatorLine]


@dataclass(frozen=True)
class DiagnosticSheet:
    diagnostic: Diagnostic
    quadrants: list[QuadrantBlock]
    counts: LightCounts
    missing: list[str]


def diagnostic_sheet(*, diagnostic: Diagnostic) -> DiagnosticSheet:
    ratings = {r.indicator: r for r in diagnostic.ratings.select_related("rated_by")}
    counts = light_counts({code: r.light for code, r in ratings.items()})
    quadrants = [
        QuadrantBlock(
            code=code,
            name_en=name_en,
            name_zh=name_zh,
            counts=counts[code],
            lines=[
                IndicatorLine(indicator=i, rating=ratings.get(i.code))
                for i in ISO18091_INDICATORS
                if i.quadrant == code
            ],
        )
        for code, name_en, name_zh in ISO18091_QUADRANTS
    ]
    return DiagnosticSheet(
        diagnostic=diagnostic,
        quadrants=quadrants,
        counts=counts["all"],
        missing=[code for code in INDICATORS if code not in ratings],
    )


def diagnostic_timeline(diagnostic: Diagnostic) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(target_type=Diagnostic._meta.label_lower, target_id=str(diagnostic.pk))
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )


@dataclass(frozen=True)
class DiagnosticHistory:
    """The completed diagnostics of one unit, oldest first, with their counts and each indicator's lights."""

    unit: OrgUnit
    diagnostics: list[Diagnostic]
    counts: list[dict[str, LightCounts]]  # per diagnostic: quadrant code (and "all") -> counts
    lights: dict[str, list[str | None]]  # indicator code -> its light in each diagnostic


def diagnostic_history(*, user: User | AnonymousUser | None, unit: OrgUnit) -> DiagnosticHistory:
    if not has_perm_on_unit(user, Perm.QUALITY_VIEW, unit):
        raise NotFound()
    diagnostics = list(
        Diagnostic.objects.filter(unit=unit, status=SelfAssessmentStatus.COMPLETED).order_by(
            "assessed_on", "pk"
        )
    )
    by_diagnostic: dict[int, dict[str, str]] = {d.pk: {} for d in diagnostics}
    for diagnostic_id, indicator, light in DiagnosticRating.objects.filter(
        diagnostic__in=[d.pk for d in diagnostics]
    ).values_list("diagnostic_id", "indicator", "light"):
        by_diagnostic[diagnostic_id][indicator] = light
    history = [by_diagnostic[d.pk] for d in diagnostics]
    return DiagnosticHistory(
        unit=unit,
        diagnostics=diagnostics,
        counts=[light_counts(lights) for lights in history],
        lights=indicator_lights(history),
    )


# --- services ---------------------------------------------------------------------------------------------


def _require_manage(actor: User, unit: OrgUnit) -> None:
    if not has_perm_on_unit(actor, Perm.QUALITY_MANAGE, unit):
        raise Forbidden(_("You do not have access to this."), code="forbidden")


def _text(value: str | None, what: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("%(what)s is required.") % {"what": what}, code="required")
    if len(value) > limit:
        raise ValidationFailed(
            _("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit},
            code="too_long",
        )
    return value


def _locked_caf(assessment: CafAssessment) -> CafAssessment:
    return CafAssessment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=assessment.pk)


def _refuse_if_completed(record: CafAssessment | Diagnostic) -> None:
    if not record.is_completed:
        return
    if isinstance(record, Diagnostic):
        raise Conflict(_("A completed diagnostic is not changed: start a new one."), code="completed")
    raise Conflict(_("A completed self-assessment is not changed: start a new one."), code="completed")


@transaction.atomic
def caf_create(*, actor: User, unit: OrgUnit, title: str, period: str) -> CafAssessment:
    """A new CAF self-assessment of `unit`, as a draft with no scores."""
    _require_manage(actor, unit)
    assessment = CafAssessment.objects.create(
        unit=unit,
        title=_text(title, _("The title"), 200),
        period=_text(period, _("The period"), 40),
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="quality.caf.created",
        target=assessment,
        unit=unit,
        data={"period": assessment.period},
    )
    return assessment


@transaction.atomic
def caf_score_set(
    *,
    actor: User,
    assessment: CafAssessment,
    sub_criterion: str,
    score: int,
    strengths: str = "",
    areas_for_improvement: str = "",
    actions: str = "",
) -> CafScore:
    """Score one sub-criterion on its panel (enablers on panel 1, results on panel 2) with its strengths,
    areas for improvement and actions; scoring it again replaces the earlier score and texts."""
    assessment = _locked_caf(assessment)
    _require_manage(actor, assessment.unit)
    _refuse_if_completed(assessment)
    if sub_criterion not in SUBCRITERIA:
        raise ValidationFailed(_("Choose a CAF 2020 sub-criterion."), code="unknown_sub_criterion")
    try:
        caf_score_band(sub_criterion, score)
    except ValueError:
        raise ValidationFailed(
            _("A CAF score is a whole number from 0 to 100."), code="invalid_score"
        ) from None
    fields = {
        "score": int(score),
        "strengths": _text(strengths, _("The strengths"), TEXT_LIMIT, required=False),
        "areas_for_improvement": _text(
            areas_for_improvement, _("The areas for improvement"), TEXT_LIMIT, required=False
        ),
        "actions": _text(actions, _("The improvement actions"), TEXT_LIMIT, required=False),
    }
    existing = assessment.scores.filter(sub_criterion=sub_criterion).first()
    if existing is not None and all(getattr(existing, k) == v for k, v in fields.items()):
        return existing  # nothing changed: no write, no event
    row, _created = CafScore.objects.update_or_create(
        assessment=assessment,
        sub_criterion=sub_criterion,
        defaults={**fields, "updated_by": actor, "updated_at": clock.now()},
    )
    audit_record(
        actor=actor,
        action="quality.caf.scored",
        target=assessment,
        unit=assessment.unit,
        data={"sub_criterion": sub_criterion, "score": row.score},
    )
    return row


@transaction.atomic
def caf_complete(*, actor: User, assessment: CafAssessment) -> CafAssessment:
    """Lock the self-assessment once every one of the 28 sub-criteria has a score."""
    assessment = _locked_caf(assessment)
    _require_manage(actor, assessment.unit)
    _refuse_if_completed(assessment)
    scored = set(assessment.scores.values_list("sub_criterion", flat=True))
    missing = [n for n in SUBCRITERIA if n not in scored]
    if missing:
        raise Conflict(
            _("Score every sub-criterion first: %(missing)s.") % {"missing": ", ".join(missing)},
            code="caf_incomplete",
            detail={"missing": missing},
        )
    assessment.status = SelfAssessmentStatus.COMPLETED
    assessment.completed_by = actor
    assessment.completed_at = clock.now()
    assessment.save(update_fields=["status", "completed_by", "completed_at"])
    audit_record(actor=actor, action="quality.caf.completed", target=assessment, unit=assessment.unit)
    return assessment


def _locked_diagnostic(diagnostic: Diagnostic) -> Diagnostic:
    return Diagnostic.objects.select_for_update(of=("self",)).select_related("unit").get(pk=diagnostic.pk)


@transaction.atomic
def diagnostic_create(*, actor: User, unit: OrgUnit, title: str, assessed_on: dt.date) -> Diagnostic:
    """A new ISO 18091 diagnostic of `unit`, as a draft with no lights."""
    _require_manage(actor, unit)
    if not isinstance(assessed_on, dt.date):
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), code="invalid_date")
    diagnostic = Diagnostic.objects.create(
        unit=unit,
        title=_text(title, _("The title"), 200),
        assessed_on=assessed_on,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="quality.diagnostic.created",
        target=diagnostic,
        unit=unit,
        data={"assessed_on": assessed_on.isoformat()},
    )
    return diagnostic


@transaction.atomic
def diagnostic_rate(
    *, actor: User, diagnostic: Diagnostic, indicator: str, light: str, evidence: str, note: str = ""
) -> DiagnosticRating:
    """Set one indicator's light with the evidence it rests on (required for every light); rating it again
    replaces the earlier light."""
    diagnostic = _locked_diagnostic(diagnostic)
    _require_manage(actor, diagnostic.unit)
    _refuse_if_completed(diagnostic)
    if indicator not in INDICATORS:
        raise ValidationFailed(_("Choose an ISO 18091 indicator."), code="unknown_indicator")
    if light not in Light.values:
        raise ValidationFailed(_("Choose red, yellow or green."), code="invalid_light")
    fields = {
        "light": light,
        "evidence": _text(evidence, _("The evidence"), TEXT_LIMIT),
        "note": _text(note, _("The note"), TEXT_LIMIT, required=False),
    }
    existing = diagnostic.ratings.filter(indicator=indicator).first()
    if existing is not None and all(getattr(existing, k) == v for k, v in fields.items()):
        return existing
    row, _created = DiagnosticRating.objects.update_or_create(
        diagnostic=diagnostic,
        indicator=indicator,
        defaults={**fields, "rated_by": actor, "rated_at": clock.now()},
    )
    audit_record(
        actor=actor,
        action="quality.diagnostic.rated",
        target=diagnostic,
        unit=diagnostic.unit,
        data={"indicator": indicator, "light": light},
    )
    return row


@transaction.atomic
def diagnostic_complete(*, actor: User, diagnostic: Diagnostic) -> Diagnostic:
    """Lock the diagnostic once all 39 indicators have a light; it then joins the unit's history."""
    diagnostic = _locked_diagnostic(diagnostic)
    _require_manage(actor, diagnostic.unit)
    _refuse_if_completed(diagnostic)
    rated = set(diagnostic.ratings.values_list("indicator", flat=True))
    missing = [code for code in INDICATORS if code not in rated]
    if missing:
        raise Conflict(
            _("Rate every indicator first: %(missing)s.") % {"missing": ", ".join(missing)},
            code="diagnostic_incomplete",
            detail={"missing": missing},
        )
    diagnostic.status = SelfAssessmentStatus.COMPLETED
    diagnostic.completed_by = actor
    diagnostic.completed_at = clock.now()
    diagnostic.save(update_fields=["status", "completed_by", "completed_at"])
    audit_record(actor=actor, action="quality.diagnostic.completed", target=diagnostic, unit=diagnostic.unit)
    return diagnostic


def managed_units(*, user: User | AnonymousUser | None) -> list[OrgUnit]:
    """The active units the user may start a self-assessment of (for the forms' unit pickers)."""
    q = unit_filter(user, Perm.QUALITY_MANAGE, "")
    return list(OrgUnit.objects.filter(q, is_active=True).order_by("path"))


def units_of(rows: Iterable[CafAssessment | Diagnostic]) -> list[OrgUnit]:
    """The distinct units of `rows`, in tree order."""
    seen: dict[int, OrgUnit] = {}
    for row in rows:
        seen.setdefault(row.unit_id, row.unit)
    return sorted(seen.values(), key=lambda u: u.path)
