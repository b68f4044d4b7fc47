"""The API of self-assessment: CAF 2020 self-assessments (scores per sub-criterion, completion, comparison)
and ISO 18091 diagnostics (lights per indicator, completion, a unit's history).

Mounted at /api/v1/quality/self-assessments. Reads need `Perm.QUALITY_VIEW` over the assessed unit, writes
`Perm.QUALITY_MANAGE`; one object out of the caller's units answers 404, like a missing one.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from pydantic import StrictInt

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, require_perm
from civicpulse.catalogue.schemas import ErrorOut, UnitRef
from civicpulse.core.errors import NotFound
from civicpulse.quality import self_assessment as sa
from civicpulse.quality.models.self_assessment import CafAssessment, CafScore, Diagnostic, DiagnosticRating
from civicpulse.quality.reference import ISO18091_INDICATOR_NAMES_CONFIRMED, caf_band

router = Router(auth=django_auth)
ERRORS: dict[int | tuple[int, ...], Any] = {(401, 403, 404, 409, 422): ErrorOut}


# --- schemas ----------------------------------------------------------------------------------------------


class CafAssessmentIn(Schema):
    unit: str = Field(..., max_length=40, description="The code of the unit assessed")
    title: str = Field(..., max_length=200)
    period: str = Field(..., max_length=40, description="What the self-assessment covers, e.g. 2025")


class CafAssessmentOut(Schema):
    id: int
    unit: UnitRef
    title: str
    period: str
    status: str
    created_by: str
    created_at: dt.datetime
    completed_by: str | None
    completed_at: dt.datetime | None
    scored: int = Field(..., description="How many of the 28 sub-criteria have a score")


class BandOut(Schema):
    low: int
    high: int
    label_en: str
    label_zh: str


class CafScoreIn(Schema):
    # Strict: 50.0 and "50" are refused, not read as 50 (a score is a whole number, see reference.caf_band).
    score: StrictInt
    strengths: str = Field("", max_length=sa.TEXT_LIMIT)
    areas_for_improvement: str = Field("", max_length=sa.TEXT_LIMIT)
    actions: str = Field("", max_length=sa.TEXT_LIMIT)


class CafScoreOut(Schema):
    sub_criterion: str
    criterion: str
    kind: str = Field(..., description="enabler or result: the panel the score is read on")
    score: int
    band: BandOut
    strengths: str
    areas_for_improvement: str
    actions: str
    updated_at: dt.datetime


class CriterionOut(Schema):
    number: str
    kind: str
    name_en: str
    name_zh: str
    score: float | None = Field(..., description="Mean of its sub-criteria, one decimal; null until all")


class CafTotalsOut(Schema):
    enablers: float | None
    enablers_max: int
    enablers_mean: float | None
    results: float | None
    results_max: int
    results_mean: float | None
    overall: float | None
    overall_max: int
    overall_mean: float | None


class CafAssessmentDetailOut(CafAssessmentOut):
    scores: list[CafScoreOut]
    criteria: list[CriterionOut]
    totals: CafTotalsOut
    missing: list[str]


class MovementOut(Schema):
    key: str
    before: float | None
    after: float | None
    delta: float | None
    direction: str = Field(..., description="improved, declined or unchanged; empty if a side has no score")


class CafComparisonOut(Schema):
    unit: UnitRef
    before: CafAssessmentOut
    after: CafAssessmentOut
    improved: int
    declined: int
    unchanged: int
    sub_criteria: list[MovementOut]
    criteria: list[MovementOut]
    totals: list[MovementOut]
    movers: list[MovementOut]


class DiagnosticIn(Schema):
    unit: str = Field(..., max_length=40, description="The code of the unit assessed")
    title: str = Field(..., max_length=200)
    assessed_on: dt.date


class DiagnosticOut(Schema):
    id: int
    unit: UnitRef
    title: str
    assessed_on: dt.date
    status: str
    created_by: str
    created_at: dt.datetime
    completed_by: str | None
    completed_at: dt.datetime | None
    rated: int = Field(..., description="How many of the 39 indicators have a light")


class DiagnosticRatingIn(Schema):
    light: str = Field(..., max_length=10, description="red, yellow or green")
    evidence: str = Field(..., max_length=sa.TEXT_LIMIT)
    note: str = Field("", max_length=sa.TEXT_LIMIT)


class DiagnosticRatingOut(Schema):
    indicator: str
    quadrant: str
    light: str
    evidence: str
    note: str
    rated_at: dt.datetime


class LightCountsOut(Schema):
    quadrant: str = Field(..., description='A quadrant code, or "all"')
    red: int
    yellow: int
    green: int
    unrated: int


class DiagnosticDetailOut(DiagnosticOut):
    ratings: list[DiagnosticRatingOut]
    counts: list[LightCountsOut]
    missing: list[str]
    names_confirmed: bool = Field(
        ..., description="False while the indicator names are not checked against ISO 18091:2019 Annex A"
    )


class HistoryDiagnosticOut(Schema):
    id: int
    title: str
    assessed_on: dt.date
    counts: list[LightCountsOut]


class IndicatorLightsOut(Schema):
    indicator: str
    quadrant: str
    lights: list[str | None] = Field(..., description="Its light in each diagnostic, oldest first")


class DiagnosticHistoryOut(Schema):
    unit: UnitRef
    diagnostics: list[HistoryDiagnosticOut]
    indicators: list[IndicatorLightsOut]
    names_confirmed: bool


# --- shaping ----------------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound()
    return unit


def _unit_out(unit: OrgUnit) -> dict[str, str]:
    return {"code": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en}


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def _caf_out(assessment: CafAssessment, scored: int | None = None) -> dict[str, Any]:
    if scored is None:
        scored = getattr(assessment, "scored", None)
    return {
        "id": assessment.pk,
        "unit": _unit_out(assessment.unit),
        "title": assessment.title,
        "period": assessment.period,
        "status": assessment.status,
        "created_by": assessment.created_by.display_name,
        "created_at": assessment.created_at,
        "completed_by": _name(assessment.completed_by),
        "completed_at": assessment.completed_at,
        "scored": scored if scored is not None else assessment.scores.count(),
    }


def _score_out(row: CafScore) -> dict[str, Any]:
    kind = sa.caf_kind(row.sub_criterion)
    band = caf_band(kind, row.score)
    return {
        "sub_criterion": row.sub_criterion,
        "criterion": sa.SUBCRITERIA[row.sub_criterion].criterion,
        "kind": kind,
        "score": row.score,
        "band": {"low": band.low, "high": band.high, "label_en": band.label_en, "label_zh": band.label_zh},
        "strengths": row.strengths,
        "areas_for_improvement": row.areas_for_improvement,
        "actions": row.actions,
        "updated_at": row.updated_at,
    }


def _caf_detail(assessment: CafAssessment) -> dict[str, Any]:
    sheet = sa.caf_sheet(assessment=assessment)
    totals = sheet.totals
    return {
        **_caf_out(assessment, sheet.scored),
        "scores": [_score_out(line.score) for block in sheet.criteria for line in block.lines if line.score],
        "criteria": [
            {
                "number": block.criterion.number,
                "kind": block.criterion.kind,
                "name_en": block.criterion.name_en,
                "name_zh": block.criterion.name_zh,
                "score": block.score,
            }
            for block in sheet.criteria
        ],
        "totals": {
            "enablers": totals.enablers,
            "enablers_max": totals.enablers_max,
            "enablers_mean": totals.enablers_mean,
            "results": totals.results,
            "results_max": totals.results_max,
            "results_mean": totals.results_mean,
            "overall": totals.overall,
            "overall_max": totals.overall_max,
            "overall_mean": totals.overall_mean,
        },
        "missing": sheet.missing,
    }


def _movement_out(m: sa.Movement) -> dict[str, Any]:
    return {"key": m.key, "before": m.before, "after": m.after, "delta": m.delta, "direction": m.direction}


def _diagnostic_out(diagnostic: Diagnostic, rated: int | None = None) -> dict[str, Any]:
    if rated is None:
        rated = getattr(diagnostic, "rated", None)
    return {
        "id": diagnostic.pk,
        "unit": _unit_out(diagnostic.unit),
        "title": diagnostic.title,
        "assessed_on": diagnostic.assessed_on,
        "status": diagnostic.status,
        "created_by": diagnostic.created_by.display_name,
        "created_at": diagnostic.created_at,
        "completed_by": _name(diagnostic.completed_by),
        "completed_at": diagnostic.completed_at,
        "rated": rated if rated is not None else diagnostic.ratings.count(),
    }


def _counts_out(counts: dict[str, sa.LightCounts]) -> list[dict[str, Any]]:
    return [
        {"quadrant": q, "red": c.red, "yellow": c.yellow, "green": c.green, "unrated": c.unrated}
        for q, c in counts.items()
    ]


def _rating_out(row: DiagnosticRating) -> dict[str, Any]:
    return {
        "indicator": row.indicator,
        "quadrant": sa.INDICATORS[row.indicator].quadrant,
        "light": row.light,
        "evidence": row.evidence,
        "note": row.note,
        "rated_at": row.rated_at,
    }


def _diagnostic_detail(diagnostic: Diagnostic) -> dict[str, Any]:
    sheet = sa.diagnostic_sheet(diagnostic=diagnostic)
    counts = {block.code: block.counts for block in sheet.quadrants}
    counts["all"] = sheet.counts
    return {
        **_diagnostic_out(diagnostic, sheet.counts.rated),
        "ratings": [_rating_out(line.rating) for q in sheet.quadrants for line in q.lines if line.rating],
        "counts": _counts_out(counts),
        "missing": sheet.missing,
        "names_confirmed": ISO18091_INDICATOR_NAMES_CONFIRMED,
    }


# --- CAF 2020 ---------------------------------------------------------------------------------------------


@router.get("/caf", response={200: list[CafAssessmentOut], **ERRORS}, summary="CAF self-assessments")
def caf_list(request: HttpRequest, unit: str = "", status: str = "") -> Any:
    require_perm(request.user, Perm.QUALITY_VIEW)
    rows = sa.caf_list(user=request.user, status=status)
    if unit:
        rows = rows.filter(unit__code=unit)
    return [_caf_out(row) for row in rows.select_related("completed_by")[:500]]


@router.post("/caf", response={201: CafAssessmentOut, **ERRORS}, summary="Start a CAF self-assessment")
def caf_create(request: HttpRequest, payload: CafAssessmentIn) -> Status[dict[str, Any]]:
    assessment = sa.caf_create(
        actor=_user(request), unit=_unit(payload.unit), title=payload.title, period=payload.period
    )
    return Status(201, _caf_out(assessment, 0))


@router.get(
    "/caf/compare",
    response={200: CafComparisonOut, **ERRORS},
    summary="Compare two completed CAF self-assessments of one unit (b against a)",
)
def caf_compare(request: HttpRequest, a: int, b: int) -> dict[str, Any]:
    result = sa.caf_compare(user=request.user, before_id=a, after_id=b)
    comparison = result.comparison
    return {
        "unit": _unit_out(result.after.unit),
        "before": _caf_out(result.before),
        "after": _caf_out(result.after),
        **comparison.counts(),
        "sub_criteria": [_movement_out(m) for m in comparison.sub_criteria],
        "criteria": [_movement_out(m) for m in comparison.criteria],
        "totals": [_movement_out(m) for m in comparison.totals],
        "movers": [_movement_out(m) for m in comparison.movers],
    }


@router.get(
    "/caf/{assessment_id}",
    response={200: CafAssessmentDetailOut, **ERRORS},
    summary="One CAF self-assessment with its scores, criterion scores and totals",
)
def caf_detail(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _caf_detail(sa.access_caf(request.user, assessment_id))


@router.put(
    "/caf/{assessment_id}/scores/{sub_criterion}",
    response={200: CafScoreOut, **ERRORS},
    summary="Score one sub-criterion with its strengths, areas for improvement and actions",
)
def caf_score(
    request: HttpRequest, assessment_id: int, sub_criterion: str, payload: CafScoreIn
) -> dict[str, Any]:
    row = sa.caf_score_set(
        actor=_user(request),
        assessment=sa.access_caf(request.user, assessment_id),
        sub_criterion=sub_criterion,
        score=payload.score,
        strengths=payload.strengths,
        areas_for_improvement=payload.areas_for_improvement,
        actions=payload.actions,
    )
    return _score_out(row)


@router.post(
    "/caf/{assessment_id}/complete",
    response={200: CafAssessmentDetailOut, **ERRORS},
    summary="Complete (lock) a CAF self-assessment once all 28 sub-criteria are scored",
)
def caf_complete(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    assessment = sa.caf_complete(actor=_user(request), assessment=sa.access_caf(request.user, assessment_id))
    return _caf_detail(sa.access_caf(request.user, assessment.pk))


# --- ISO 18091 --------------------------------------------------------------------------------------------


@router.get("/diagnostics", response={200: list[DiagnosticOut], **ERRORS}, summary="ISO 18091 diagnostics")
def diagnostic_list(request: HttpRequest, unit: str = "", status: str = "") -> Any:
    require_perm(request.user, Perm.QUALITY_VIEW)
    rows = sa.diagnostic_list(user=request.user, status=status)
    if unit:
        rows = rows.filter(unit__code=unit)
    return [_diagnostic_out(row) for row in rows.select_related("completed_by")[:500]]


@router.post("/diagnostics", response={201: DiagnosticOut, **ERRORS}, summary="Start an ISO 18091 diagnostic")
def diagnostic_create(request: HttpRequest, payload: DiagnosticIn) -> Status[dict[str, Any]]:
    diagnostic = sa.diagnostic_create(
        actor=_user(request), unit=_unit(payload.unit), title=payload.title, assessed_on=payload.assessed_on
    )
    return Status(201, _diagnostic_out(diagnostic, 0))


@router.get(
    "/diagnostics/history",
    response={200: DiagnosticHistoryOut, **ERRORS},
    summary="A unit's completed diagnostics: counts per quadrant and each indicator's lights over time",
)
def diagnostic_history(request: HttpRequest, unit: str) -> dict[str, Any]:
    history = sa.diagnostic_history(user=request.user, unit=sa.access_unit(request.user, unit))
    return {
        "unit": _unit_out(history.unit),
        "diagnostics": [
            {
                "id": d.pk,
                "title": d.title,
                "assessed_on": d.assessed_on,
                "counts": _counts_out(counts),
            }
            for d, counts in zip(history.diagnostics, history.counts, strict=True)
        ],
        "indicators": [
            {"indicator": code, "quadrant": sa.INDICATORS[code].quadrant, "lights": lights}
            for code, lights in history.lights.items()
        ],
        "names_confirmed": ISO18091_INDICATOR_NAMES_CONFIRMED,
    }


@router.get(
    "/diagnostics/{diagnostic_id}",
    response={200: DiagnosticDetailOut, **ERRORS},
    summary="One ISO 18091 diagnostic with its lights and counts per quadrant",
)
def diagnostic_detail(request: HttpRequest, diagnostic_id: int) -> dict[str, Any]:
    return _diagnostic_detail(sa.access_diagnostic(request.user, diagnostic_id))


@router.put(
    "/diagnostics/{diagnostic_id}/ratings/{indicator}",
    response={200: DiagnosticRatingOut, **ERRORS},
    summary="Set one indicator's light with its evidence",
)
def diagnostic_rate(
    request: HttpRequest, diagnostic_id: int, indicator: str, payload: DiagnosticRatingIn
) -> dict[str, Any]:
    row = sa.diagnostic_rate(
        actor=_user(request),
        diagnostic=sa.access_diagnostic(request.user, diagnostic_id),
        indicator=indicator,
        light=payload.light,
        evidence=payload.evidence,
        note=payload.note,
    )
    return _rating_out(row)


@router.post(
    "/diagnostics/{diagnostic_id}/complete",
    response={200: DiagnosticDetailOut, **ERRORS},
    summary="Complete (lock) a diagnostic once all 39 indicators are rated",
)
def diagnostic_complete(request: HttpRequest, diagnostic_id: int) -> dict[str, Any]:
    diagnostic = sa.diagnostic_complete(
        actor=_user(request), diagnostic=sa.access_diagnostic(request.user, diagnostic_id)
    )
    return _diagnostic_detail(sa.access_diagnostic(request.user, diagnostic.pk))
