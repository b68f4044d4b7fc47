"""Self-assessment: CAF 2020 scored on the classical panels (whole points 0-100, 28 sub-criteria before it
is completed, criterion means to one decimal half up, comparison of two completed ones) and the ISO 18091
diagnostic (39 indicators, a light with evidence each, a unit's history). Scoped like the rest of the
quality system: the quality office of a unit writes, those who oversee it read, nobody else sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from civicpulse.core.audit import is_registered
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.quality import self_assessment as sa
from civicpulse.quality.models.self_assessment import CafScore, DiagnosticRating
from civicpulse.quality.reference import CAF_SUBCRITERIA, ISO18091_INDICATORS

pytestmark = pytest.mark.django_db

API = "/api/v1/quality/self-assessments"
ALL_SUBS = [s.number for s in CAF_SUBCRITERIA]
ALL_INDICATORS = [i.code for i in ISO18091_INDICATORS]

# Worked by hand. Criterion 1: (60+62+63+64)/4 = 62.25 -> 62.3 (half up; Python's round gives 62.2).
# 2: 190/4 = 47.5. 3: 212/3 = 70.67 -> 70.7. 4: 211/6 = 35.17 -> 35.2. 5: 1/3 = 0.33 -> 0.3.
# 6: 55.5. 7: 90.5. 8: 100.0. 9: 33.5.
# Enablers 62.3+47.5+70.7+35.2+0.3 = 216.0 (mean 43.2); results 55.5+90.5+100+33.5 = 279.5 (mean
# 69.875 -> 69.9); overall 495.5 (mean 55.06 -> 55.1).
BEFORE = {
    "1.1": 60, "1.2": 62, "1.3": 63, "1.4": 64,
    "2.1": 40, "2.2": 45, "2.3": 50, "2.4": 55,
    "3.1": 70, "3.2": 71, "3.3": 71,
    "4.1": 10, "4.2": 20, "4.3": 30, "4.4": 40, "4.5": 50, "4.6": 61,
    "5.1": 0, "5.2": 0, "5.3": 1,
    "6.1": 55, "6.2": 56,
    "7.1": 90, "7.2": 91,
    "8.1": 100, "8.2": 100,
    "9.1": 33, "9.2": 34,
}  # fmt: skip
# Seven sub-criteria move: 1.1 +10, 2.1 +1, 3.1 +5, 4.6 -20, 5.1 +10, 8.1 -5, 9.2 +3.
AFTER = BEFORE | {"1.1": 70, "2.1": 41, "3.1": 75, "4.6": 41, "5.1": 10, "8.1": 95, "9.2": 37}


def _caf(world, *, unit=None, actor=None, title="2025 CAF self-assessment", period="2025"):
    return sa.caf_create(
        actor=actor or world.quality_a, unit=unit or world.dept_a, title=title, period=period
    )


def _scored(world, scores, *, actor=None, **kwargs):
    assessment = _caf(world, actor=actor, **kwargs)
    for number, score in scores.items():
        sa.caf_score_set(
            actor=actor or world.quality_a, assessment=assessment, sub_criterion=number, score=score
        )
    return assessment


def _completed(world, scores, **kwargs):
    assessment = _scored(world, scores, **kwargs)
    return sa.caf_complete(actor=kwargs.get("actor") or world.quality_a, assessment=assessment)


# --- CAF: the panels ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "enabler", "result"),
    [
        (0, "No evidence", "No results measured"),
        (10, "No evidence", "No results measured"),
        (11, "Plan", "Negative trends"),
        (30, "Plan", "Negative trends"),
        (31, "Do", "Flat trends"),
        (50, "Do", "Flat trends"),
        (51, "Check", "Improving trends"),
        (70, "Check", "Improving trends"),
        (71, "Act", "Substantial progress"),
        (90, "Act", "Substantial progress"),
        (91, "PDCA", "Excellent and sustainable"),
        (100, "PDCA", "Excellent and sustainable"),
    ],
)
def test_enablers_are_read_on_panel_1_and_results_on_panel_2_at_every_band_edge(score, enabler, result):
    assert sa.caf_score_band("5.3", score).label_en == enabler
    assert sa.caf_score_band("6.1", score).label_en == result


def test_scores_at_the_band_edges_are_stored_and_shown_with_their_band(world, client_for):
    assessment = _caf(world)
    for number, score in (("1.1", 0), ("1.2", 10), ("1.3", 11), ("1.4", 100), ("9.1", 90), ("9.2", 91)):
        sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion=number, score=score)
    body = client_for(world.quality_a).get(f"{API}/caf/{assessment.pk}").json()
    shown = {s["sub_criterion"]: (s["score"], s["kind"], s["band"]["label_en"]) for s in body["scores"]}
    assert shown == {
        "1.1": (0, "enabler", "No evidence"),
        "1.2": (10, "enabler", "No evidence"),
        "1.3": (11, "enabler", "Plan"),
        "1.4": (100, "enabler", "PDCA"),
        "9.1": (90, "result", "Substantial progress"),
        "9.2": (91, "result", "Excellent and sustainable"),
    }
    # Criterion 1 is complete: (0 + 10 + 11 + 100) / 4 = 30.25 -> 30.3; criterion 2 has no score yet.
    criteria = {c["number"]: c["score"] for c in body["criteria"]}
    assert criteria["1"] == 30.3 and criteria["9"] == 90.5 and criteria["2"] is None
    assert body["scored"] == 6 and len(body["missing"]) == 22


@pytest.mark.parametrize("bad", [101, -1, 50.5, 50.0, "50", True, None])
def test_a_score_that_is_not_a_whole_number_from_0_to_100_is_refused(world, bad):
    assessment = _caf(world)
    with pytest.raises(ValidationFailed) as refused:
        sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion="1.1", score=bad)
    assert refused.value.code == "invalid_score"
    assert not CafScore.objects.exists()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (101, "invalid_score"),
        (-1, "invalid_score"),
        (50.5, "invalid_request"),
        (50.0, "invalid_request"),
        ("50", "invalid_request"),
        (True, "invalid_request"),
        (None, "invalid_request"),
    ],
)
def test_the_api_refuses_scores_out_of_range_or_of_the_wrong_type(world, client_for, bad, code):
    assessment = _caf(world)
    answer = client_for(world.quality_a).put(
        f"{API}/caf/{assessment.pk}/scores/1.1", {"score": bad}, content_type="application/json"
    )
    assert (answer.status_code, answer.json()["code"]) == (422, code)
    assert not CafScore.objects.exists()


@pytest.mark.parametrize("bad", ["101", "-1", "50.5", "", "fifty"])
def test_the_page_refuses_a_score_typed_wrong_and_keeps_what_was_typed(world, client_for, bad):
    assessment = _caf(world)
    page = client_for(world.quality_a).post(
        f"/staff/quality/caf/{assessment.pk}/scores/1.1/", {"score": bad, "strengths": "Clear mission"}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "A CAF score is a whole number from 0 to 100." in html and "Clear mission" in html
    assert not CafScore.objects.exists()


def test_the_database_itself_keeps_scores_in_0_to_100_once_per_known_sub_criterion(world):
    assessment = _caf(world)
    fields = {"assessment": assessment, "updated_by": world.quality_a, "updated_at": assessment.created_at}
    for sub_criterion, score in (("1.1", 101), ("1.9", 50)):
        with pytest.raises(IntegrityError), transaction.atomic():
            CafScore.objects.create(sub_criterion=sub_criterion, score=score, **fields)
    CafScore.objects.create(sub_criterion="1.1", score=100, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CafScore.objects.create(sub_criterion="1.1", score=0, **fields)
    diagnostic = _diagnostic(world)
    rating = {
        "diagnostic": diagnostic,
        "indicator": "1.1",
        "rated_by": world.quality_a,
        "rated_at": assessment.created_at,
    }
    for light, evidence in (("green", ""), ("blue", "Report")):
        with pytest.raises(IntegrityError), transaction.atomic():
            DiagnosticRating.objects.create(light=light, evidence=evidence, **rating)


def test_an_unknown_sub_criterion_is_refused(world):
    assessment = _caf(world)
    with pytest.raises(ValidationFailed) as refused:
        sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion="10.1", score=50)
    assert refused.value.code == "unknown_sub_criterion"


def test_scoring_again_replaces_the_score_and_texts_and_an_unchanged_save_writes_nothing(world):
    assessment = _caf(world)
    kwargs = {"actor": world.quality_a, "assessment": assessment, "sub_criterion": "2.3"}
    sa.caf_score_set(**kwargs, score=40, strengths="Annual plan published")
    row = sa.caf_score_set(
        **kwargs,
        score=55,
        strengths="Annual plan published",
        areas_for_improvement="No mid-year review",
        actions="Add a July review",
    )
    assert (row.score, row.areas_for_improvement, row.actions) == (
        55,
        "No mid-year review",
        "Add a July review",
    )
    assert CafScore.objects.count() == 1
    sa.caf_score_set(
        **kwargs,
        score=55,
        strengths="Annual plan published",
        areas_for_improvement="No mid-year review",
        actions="Add a July review",
    )
    events = AuditEvent.objects.filter(action="quality.caf.scored").order_by("pk")
    assert [e.data for e in events] == [
        {"sub_criterion": "2.3", "score": 40},
        {"sub_criterion": "2.3", "score": 55},
    ]


# --- CAF: criterion scores and totals -----------------------------------------------------------------------


def test_a_criterion_score_is_the_mean_of_its_sub_criteria_to_one_decimal_half_up():
    assert list(BEFORE) == ALL_SUBS  # the worked example scores all 28, in the model's order
    assert sa.criterion_scores(BEFORE) == {
        "1": 62.3,
        "2": 47.5,
        "3": 70.7,
        "4": 35.2,
        "5": 0.3,
        "6": 55.5,
        "7": 90.5,
        "8": 100.0,
        "9": 33.5,
    }


def test_totals_add_the_criterion_scores_and_their_means_are_on_the_0_to_100_scale():
    totals = sa.caf_totals(BEFORE)
    assert (totals.enablers, totals.enablers_mean, totals.enablers_max) == (216.0, 43.2, 500)
    assert (totals.results, totals.results_mean, totals.results_max) == (279.5, 69.9, 400)
    assert (totals.overall, totals.overall_mean, totals.overall_max) == (495.5, 55.1, 900)


def test_a_criterion_with_a_sub_criterion_missing_has_no_score_and_no_total_counts_it():
    partial = {k: v for k, v in BEFORE.items() if k != "4.6"}
    assert sa.criterion_scores(partial)["4"] is None
    totals = sa.caf_totals(partial)
    assert totals.enablers is None and totals.overall is None
    assert (totals.results, totals.results_mean) == (279.5, 69.9)


def test_the_api_shows_the_criterion_scores_and_totals_worked_by_hand(world, client_for):
    assessment = _scored(world, BEFORE)
    body = client_for(world.leader).get(f"{API}/caf/{assessment.pk}").json()
    assert [c["score"] for c in body["criteria"]] == [62.3, 47.5, 70.7, 35.2, 0.3, 55.5, 90.5, 100.0, 33.5]
    assert body["totals"] == {
        "enablers": 216.0,
        "enablers_max": 500,
        "enablers_mean": 43.2,
        "results": 279.5,
        "results_max": 400,
        "results_mean": 69.9,
        "overall": 495.5,
        "overall_max": 900,
        "overall_mean": 55.1,
    }
    assert body["missing"] == [] and body["scored"] == 28


# --- CAF: completion and the lock ---------------------------------------------------------------------------


def test_completion_is_refused_until_all_28_sub_criteria_are_scored(world, client_for):
    assessment = _scored(world, {k: v for k, v in BEFORE.items() if k not in ("4.6", "9.2")})
    with pytest.raises(Conflict) as refused:
        sa.caf_complete(actor=world.quality_a, assessment=assessment)
    assert refused.value.code == "caf_incomplete" and refused.value.detail == {"missing": ["4.6", "9.2"]}
    sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion="4.6", score=61)
    answer = client_for(world.quality_a).post(f"{API}/caf/{assessment.pk}/complete")
    assert answer.status_code == 409 and answer.json()["detail"] == {"missing": ["9.2"]}
    sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion="9.2", score=34)
    answer = client_for(world.quality_a).post(f"{API}/caf/{assessment.pk}/complete")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "completed" and body["completed_by"] == world.quality_a.display_name
    assert body["totals"]["overall"] == 495.5


def test_a_completed_assessment_refuses_every_change(world, client_for):
    assessment = _completed(world, BEFORE)
    with pytest.raises(Conflict) as refused:
        sa.caf_score_set(actor=world.quality_a, assessment=assessment, sub_criterion="1.1", score=99)
    assert refused.value.code == "completed"
    with pytest.raises(Conflict):
        sa.caf_complete(actor=world.quality_a, assessment=assessment)
    client = client_for(world.quality_a)
    answer = client.put(
        f"{API}/caf/{assessment.pk}/scores/1.1", {"score": 99}, content_type="application/json"
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "completed")
    page = client.get(f"/staff/quality/caf/{assessment.pk}/").content.decode()
    assert 'name="score"' not in page and "completed and locked" in page
    assert client.post(f"/staff/quality/caf/{assessment.pk}/scores/1.1/", {"score": "99"}).status_code == 409
    assert CafScore.objects.get(assessment=assessment, sub_criterion="1.1").score == 60
    # The next self-assessment is a new one.
    assert _caf(world, title="2026 CAF self-assessment").pk != assessment.pk


def test_every_write_is_audited_with_a_registered_action(world):
    assessment = _completed(world, BEFORE)
    diagnostic = _rated(world, lambda code: "green")
    sa.diagnostic_complete(actor=world.quality_a, diagnostic=diagnostic)
    ours = AuditEvent.objects.filter(action__startswith="quality.")
    actions = list(ours.values_list("action", flat=True))
    assert actions.count("quality.caf.created") == 1 and actions.count("quality.caf.scored") == 28
    assert actions.count("quality.caf.completed") == 1 and actions.count("quality.diagnostic.rated") == 39
    assert {"quality.diagnostic.created", "quality.diagnostic.completed"} <= set(actions)
    assert all(is_registered(a) for a in actions)
    assert set(ours.values_list("unit", flat=True)) == {world.dept_a.pk}
    assert (
        AuditEvent.objects.filter(target_id=str(assessment.pk), target_type="quality.cafassessment").count()
        == 30
    )


# --- CAF: comparison ----------------------------------------------------------------------------------------


def test_the_comparison_gives_every_delta_worked_by_hand():
    comparison = sa.caf_compare_scores(BEFORE, AFTER)
    subs = {m.key: (m.delta, m.direction) for m in comparison.sub_criteria}
    assert subs["1.1"] == (10.0, "improved") and subs["4.6"] == (-20.0, "declined")
    assert subs["6.1"] == (0.0, "unchanged")
    assert comparison.counts() == {"improved": 5, "declined": 2, "unchanged": 21}
    # Criterion 1: 259/4 = 64.75 -> 64.8 against 62.3; 4: 191/6 = 31.83 -> 31.8 against 35.2;
    # 5: 11/3 = 3.67 -> 3.7 against 0.3; 2: 191/4 = 47.75 -> 47.8 against 47.5.
    criteria = {m.key: (m.before, m.after, m.delta, m.direction) for m in comparison.criteria}
    assert criteria == {
        "1": (62.3, 64.8, 2.5, "improved"),
        "2": (47.5, 47.8, 0.3, "improved"),
        "3": (70.7, 72.3, 1.6, "improved"),
        "4": (35.2, 31.8, -3.4, "declined"),
        "5": (0.3, 3.7, 3.4, "improved"),
        "6": (55.5, 55.5, 0.0, "unchanged"),
        "7": (90.5, 90.5, 0.0, "unchanged"),
        "8": (100.0, 97.5, -2.5, "declined"),
        "9": (33.5, 35.0, 1.5, "improved"),
    }
    # Enablers 220.4 (was 216.0), results 278.5 (was 279.5), overall 498.9 (was 495.5).
    totals = {m.key: (m.before, m.after, m.delta) for m in comparison.totals}
    assert totals == {
        "enablers": (216.0, 220.4, 4.4),
        "results": (279.5, 278.5, -1.0),
        "overall": (495.5, 498.9, 3.4),
    }


def test_the_biggest_movers_come_largest_first_either_way_and_ties_at_the_cut_are_kept():
    movers = sa.caf_compare_scores(BEFORE, AFTER).movers
    # |-20| 4.6, |+10| 1.1 and 5.1 (model order), |+5| 3.1 and |-5| 8.1; 9.2 (+3) and 2.1 (+1) are smaller.
    assert [(m.key, m.delta) for m in movers] == [
        ("4.6", -20.0),
        ("1.1", 10.0),
        ("5.1", 10.0),
        ("3.1", 5.0),
        ("8.1", -5.0),
    ]
    # Asked for four, the fifth ties with the fourth: both are listed.
    assert [m.key for m in sa.caf_compare_scores(BEFORE, AFTER, movers=4).movers] == [
        "4.6",
        "1.1",
        "5.1",
        "3.1",
        "8.1",
    ]
    assert [m.key for m in sa.caf_compare_scores(BEFORE, AFTER, movers=2).movers] == ["4.6", "1.1", "5.1"]
    assert sa.caf_compare_scores(BEFORE, BEFORE).movers == []


def test_two_completed_assessments_of_one_unit_are_compared_through_the_api(world, client_for):
    before = _completed(world, BEFORE, title="2024")
    after = _completed(world, AFTER, title="2025")
    body = client_for(world.head_a).get(f"{API}/caf/compare?a={before.pk}&b={after.pk}").json()
    assert (body["before"]["id"], body["after"]["id"], body["unit"]["code"]) == (
        before.pk,
        after.pk,
        "dept-a",
    )
    assert (body["improved"], body["declined"], body["unchanged"]) == (5, 2, 21)
    assert [(m["key"], m["delta"]) for m in body["totals"]] == [
        ("enablers", 4.4),
        ("results", -1.0),
        ("overall", 3.4),
    ]
    assert [m["key"] for m in body["movers"]] == ["4.6", "1.1", "5.1", "3.1", "8.1"]
    criterion_4 = next(m for m in body["criteria"] if m["key"] == "4")
    assert criterion_4 == {"key": "4", "before": 35.2, "after": 31.8, "delta": -3.4, "direction": "declined"}


def test_only_two_different_completed_assessments_of_the_same_unit_are_compared(world, client_for):
    done_a = _completed(world, BEFORE, title="2024")
    draft_a = _scored(world, BEFORE, title="2025 draft")
    done_b = _completed(world, AFTER, unit=world.dept_b, actor=world.admin, title="Dept B 2025")
    for first, second, error, code in (
        (done_a, draft_a, Conflict, "not_completed"),
        (done_a, done_b, ValidationFailed, "different_units"),
        (done_a, done_a, ValidationFailed, "same_assessment"),
    ):
        with pytest.raises(error) as refused:
            sa.caf_compare(user=world.admin, before_id=first.pk, after_id=second.pk)
        assert refused.value.code == code
    client = client_for(world.admin)
    assert client.get(f"{API}/caf/compare?a={done_a.pk}&b={draft_a.pk}").status_code == 409
    assert client.get(f"{API}/caf/compare?a={done_a.pk}&b={done_b.pk}").status_code == 422
    # The quality officer of dept-a cannot see dept-b's at all.
    assert (
        client_for(world.quality_a).get(f"{API}/caf/compare?a={done_a.pk}&b={done_b.pk}").status_code == 404
    )


def test_the_comparison_page_lists_totals_criteria_and_the_biggest_movers(world, client_for):
    before = _completed(world, BEFORE, title="CAF 2024")
    after = _completed(world, AFTER, title="CAF 2025")
    client = client_for(world.quality_a)
    detail = client.get(f"/staff/quality/caf/{after.pk}/").content.decode()
    assert f"?a={before.pk}&amp;b={after.pk}" in detail  # the earlier one is "before"
    page = client.get(f"/staff/quality/caf/compare/?a={before.pk}&b={after.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("216.0", "220.4", "+4.4", "-1.0", "-3.4", "+2.5", "▲ improved", "▼ declined", "<svg"):
        assert text in html, text
    assert client.get("/staff/quality/caf/compare/").status_code == 200  # the form to pick two
    assert client.get(f"/staff/quality/caf/compare/?a={before.pk}&b={before.pk}").status_code == 422


# --- CAF: who -----------------------------------------------------------------------------------------------


def test_the_quality_officer_of_one_department_cannot_start_or_touch_anothers(world, client_for):
    with pytest.raises(Forbidden):
        _caf(world, unit=world.dept_b)
    with pytest.raises(Forbidden):
        _caf(world, unit=world.region)  # the county is above the department's quality office
    theirs = _caf(world, unit=world.dept_b, actor=world.admin)
    with pytest.raises(NotFound):
        sa.access_caf(world.quality_a, theirs.pk)
    client = client_for(world.quality_a)
    body = {"unit": "dept-b", "title": "B", "period": "2025"}
    assert client.post(f"{API}/caf", body, content_type="application/json").status_code == 403
    assert client.get(f"{API}/caf/{theirs.pk}").status_code == 404
    put = client.put(f"{API}/caf/{theirs.pk}/scores/1.1", {"score": 50}, content_type="application/json")
    assert put.status_code == 404
    assert client.post(f"{API}/caf/{theirs.pk}/complete").status_code == 404
    assert client.get(f"/staff/quality/caf/{theirs.pk}/").status_code == 404
    assert client.post(f"/staff/quality/caf/{theirs.pk}/scores/1.1/", {"score": "50"}).status_code == 404
    assert [row["id"] for row in client.get(f"{API}/caf").json()] == []
    assert not CafScore.objects.exists()


def test_heads_and_leaders_read_but_only_the_quality_office_writes(world, client_for):
    ours = _caf(world)
    theirs = _caf(world, unit=world.dept_b, actor=world.admin)
    for reader in (world.head_a, world.leader, world.supervisor):
        client = client_for(reader)
        assert client.get(f"{API}/caf/{ours.pk}").status_code == 200
        put = client.put(f"{API}/caf/{ours.pk}/scores/1.1", {"score": 50}, content_type="application/json")
        assert (put.status_code, put.json()["code"]) == (403, "forbidden")
        page = client.get(f"/staff/quality/caf/{ours.pk}/").content.decode()
        assert 'name="score"' not in page
    assert client_for(world.head_b).get(f"{API}/caf/{ours.pk}").status_code == 404
    assert [r["id"] for r in client_for(world.head_a).get(f"{API}/caf").json()] == [ours.pk]
    assert {r["id"] for r in client_for(world.leader).get(f"{API}/caf").json()} == {ours.pk, theirs.pk}
    # No quality rights anywhere: the list is refused outright, a page is not found, a guest must sign in.
    assert client_for(world.window_officer).get(f"{API}/caf").status_code == 403
    assert client_for(world.window_officer).get("/staff/quality/caf/").status_code == 404
    assert client_for(None).get(f"{API}/caf").status_code == 401
    assert client_for(None).get("/staff/quality/caf/").status_code == 302


def test_the_quality_office_starts_scores_and_completes_through_the_api(world, client_for):
    client = client_for(world.quality_a)
    created = client.post(
        f"{API}/caf",
        {"unit": "dept-a", "title": "CAF 2025", "period": "2025"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assessment_id = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["scored"] == 0
    score = client.put(
        f"{API}/caf/{assessment_id}/scores/3.2",
        {
            "score": 71,
            "strengths": "Training plan",
            "areas_for_improvement": "No follow-up",
            "actions": "Survey",
        },
        content_type="application/json",
    )
    assert score.status_code == 200
    assert score.json()["band"]["label_en"] == "Act" and score.json()["band"]["label_zh"] == "处置"
    assert (
        client.put(
            f"{API}/caf/{assessment_id}/scores/3.2",
            {"score": 71, "strengths": "x" * 4001},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert client.get(f"{API}/caf?unit=dept-a").json()[0]["scored"] == 1


def test_the_api_list_needs_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries):
    for year in range(2020, 2026):
        _scored(world, {"1.1": 50, "6.1": 60}, title=f"CAF {year}")
    client = client_for(world.leader)
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{API}/caf").json()) == 6
    with django_assert_max_num_queries(10):
        assert client.get("/staff/quality/caf/").status_code == 200


# --- CAF: pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "criterion", "band", "sub"),
    [
        ("en", "Leadership", "Check", "Manage finances"),
        ("zh-hans", "领导力", "检查", "管理财务"),
    ],
)
def test_the_caf_pages_read_in_both_languages(world, client_for, language, criterion, band, sub):
    assessment = _scored(world, {"1.1": 60, "1.2": 62, "1.3": 63, "1.4": 64})
    client = client_for(world.quality_a, language)
    listing = client.get("/staff/quality/caf/")
    assert listing.status_code == 200 and "2025 CAF self-assessment" in listing.content.decode()
    page = client.get(f"/staff/quality/caf/{assessment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert criterion in html and band in html and sub in html
    assert html.count('name="score"') == 28 and "<svg" in html and "62.3" in html
    assert "quality.caf.scored" in html  # the timeline


def test_the_quality_office_scores_on_the_page_and_with_htmx_the_criterion_is_swapped(world, client_for):
    client = client_for(world.quality_a)
    created = client.post("/staff/quality/caf/", {"unit": "dept-a", "title": "CAF 2025", "period": "2025"})
    assert created.status_code == 302
    assessment = sa.caf_list(user=world.quality_a).get()
    url = f"/staff/quality/caf/{assessment.pk}/scores/1.1/"
    saved = client.post(url, {"score": "71", "strengths": "Mission on the wall"})
    assert saved.status_code == 302 and saved["Location"].endswith(f"/caf/{assessment.pk}/#sc-1.1")
    partial = client.post(url, {"score": "91", "strengths": "Reviewed yearly"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200 and 'id="criterion-1"' in html and 'id="criterion-2"' not in html
    assert 'id="caf-totals" hx-swap-oob="true"' in html and "PDCA" in html
    error = client.post(url, {"score": "101"}, HTTP_HX_REQUEST="true")
    assert error.status_code == 200 and 'role="alert"' in error.content.decode()
    assert CafScore.objects.get().score == 91
    refused = client.post(f"/staff/quality/caf/{assessment.pk}/complete/", follow=True)
    assert "Score every sub-criterion first" in refused.content.decode()
    assert (
        client.post("/staff/quality/caf/", {"unit": "dept-b", "title": "B", "period": "2025"}).status_code
        == 403
    )


# --- ISO 18091 ----------------------------------------------------------------------------------------------


def _diagnostic(world, *, unit=None, actor=None, on="2025-03-01", title="Diagnostic"):
    return sa.diagnostic_create(
        actor=actor or world.quality_a,
        unit=unit or world.dept_a,
        title=title,
        assessed_on=dt.date.fromisoformat(on),
    )


def _rated(world, light_of, *, actor=None, skip=(), **kwargs):
    diagnostic = _diagnostic(world, actor=actor, **kwargs)
    for code in ALL_INDICATORS:
        if code not in skip:
            sa.diagnostic_rate(
                actor=actor or world.quality_a,
                diagnostic=diagnostic,
                indicator=code,
                light=light_of(code),
                evidence=f"Minutes of the {code} review",
            )
    return diagnostic


def _first_light(code: str) -> str:
    """Quadrant 1: 1.1-1.4 red, 1.5-1.8 yellow, 1.9-1.12 green; quadrant 2 red; 3 yellow; 4 green."""
    quadrant, n = (int(part) for part in code.split("."))
    if quadrant == 1:
        return "red" if n <= 4 else "yellow" if n <= 8 else "green"
    return {2: "red", 3: "yellow", 4: "green"}[quadrant]


def _second_light(code: str) -> str:
    return {"1.1": "green", "2.1": "yellow", "3.1": "green"}.get(code) or _first_light(code)


def test_every_light_needs_its_evidence_and_lights_and_indicators_come_from_the_standard(world):
    diagnostic = _diagnostic(world)
    for indicator, light, evidence, code in (
        ("1.1", "green", "  ", "required"),
        ("1.1", "blue", "Audit report", "invalid_light"),
        ("5.1", "red", "Audit report", "unknown_indicator"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            sa.diagnostic_rate(
                actor=world.quality_a,
                diagnostic=diagnostic,
                indicator=indicator,
                light=light,
                evidence=evidence,
            )
        assert refused.value.code == code
    assert not DiagnosticRating.objects.exists()


def test_completion_is_refused_until_all_39_indicators_are_rated(world, client_for):
    diagnostic = _rated(world, _first_light, skip=("1.12", "4.7"))
    with pytest.raises(Conflict) as refused:
        sa.diagnostic_complete(actor=world.quality_a, diagnostic=diagnostic)
    assert refused.value.detail == {"missing": ["1.12", "4.7"]}
    client = client_for(world.quality_a)
    for code, light in (("1.12", "green"), ("4.7", "green")):
        put = client.put(
            f"{API}/diagnostics/{diagnostic.pk}/ratings/{code}",
            {"light": light, "evidence": "Site visit"},
            content_type="application/json",
        )
        assert put.status_code == 200 and put.json()["quadrant"] == code[0]
    done = client.post(f"{API}/diagnostics/{diagnostic.pk}/complete")
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed" and body["rated"] == 39 and body["names_confirmed"] is False
    counts = {c["quadrant"]: (c["red"], c["yellow"], c["green"], c["unrated"]) for c in body["counts"]}
    assert counts == {
        "1": (4, 4, 4, 0),
        "2": (8, 0, 0, 0),
        "3": (0, 12, 0, 0),
        "4": (0, 0, 7, 0),
        "all": (12, 16, 11, 0),
    }
    put = client.put(
        f"{API}/diagnostics/{diagnostic.pk}/ratings/1.1",
        {"light": "green", "evidence": "x"},
        content_type="application/json",
    )
    assert (put.status_code, put.json()["code"]) == (409, "completed")


def test_the_history_counts_lights_per_quadrant_and_follows_each_indicator_oldest_first(world, client_for):
    # Entered out of order: the history reads by the day assessed.
    second = _rated(world, _second_light, on="2025-09-01", title="Autumn")
    first = _rated(world, _first_light, on="2025-03-01", title="Spring")
    for diagnostic in (first, second):
        sa.diagnostic_complete(actor=world.quality_a, diagnostic=diagnostic)
    _rated(world, _second_light, on="2025-12-01", title="Draft", skip=("1.1",))  # not completed: not history
    _rated(world, _first_light, unit=world.dept_b, actor=world.admin, title="Dept B")
    history = sa.diagnostic_history(user=world.quality_a, unit=world.dept_a)
    assert [d.title for d in history.diagnostics] == ["Spring", "Autumn"]
    assert [c["all"] for c in history.counts] == [
        sa.LightCounts(12, 16, 11, 0),
        sa.LightCounts(10, 16, 13, 0),
    ]
    # Autumn: 1.1 turned green, 2.1 yellow, 3.1 green.
    assert history.counts[1]["1"] == sa.LightCounts(red=3, yellow=4, green=5)
    assert history.counts[1]["2"] == sa.LightCounts(red=7, yellow=1, green=0)
    assert history.counts[1]["3"] == sa.LightCounts(red=0, yellow=11, green=1)
    assert history.lights["1.1"] == ["red", "green"] and history.lights["2.1"] == ["red", "yellow"]
    assert history.lights["4.7"] == ["green", "green"]
    body = client_for(world.leader).get(f"{API}/diagnostics/history?unit=dept-a").json()
    assert [d["title"] for d in body["diagnostics"]] == ["Spring", "Autumn"]
    autumn = {c["quadrant"]: (c["red"], c["yellow"], c["green"]) for c in body["diagnostics"][1]["counts"]}
    assert autumn["all"] == (10, 16, 13) and autumn["4"] == (0, 0, 7)
    lights = {i["indicator"]: i["lights"] for i in body["indicators"]}
    assert lights["3.1"] == ["yellow", "green"] and len(lights) == 39
    assert client_for(world.quality_a).get(f"{API}/diagnostics/history?unit=dept-b").status_code == 404
    assert client_for(world.quality_a).get(f"{API}/diagnostics/history?unit=nowhere").status_code == 404


def test_the_quality_officer_of_one_department_cannot_see_or_rate_anothers_diagnostic(world, client_for):
    theirs = _diagnostic(world, unit=world.dept_b, actor=world.admin)
    with pytest.raises(Forbidden):
        _diagnostic(world, unit=world.dept_b)
    client = client_for(world.quality_a)
    assert client.get(f"{API}/diagnostics/{theirs.pk}").status_code == 404
    put = client.put(
        f"{API}/diagnostics/{theirs.pk}/ratings/1.1",
        {"light": "red", "evidence": "x"},
        content_type="application/json",
    )
    assert put.status_code == 404
    assert client.get(f"/staff/quality/diagnostics/{theirs.pk}/").status_code == 404
    assert client.get("/staff/quality/diagnostics/history/dept-b/").status_code == 404
    body = {"unit": "dept-b", "title": "B", "assessed_on": "2025-03-01"}
    assert client.post(f"{API}/diagnostics", body, content_type="application/json").status_code == 403
    ours = _diagnostic(world)
    head = client_for(world.head_a).put(
        f"{API}/diagnostics/{ours.pk}/ratings/1.1",
        {"light": "red", "evidence": "x"},
        content_type="application/json",
    )
    assert head.status_code == 403
    assert [d["id"] for d in client.get(f"{API}/diagnostics").json()] == [ours.pk]


@pytest.mark.parametrize(
    ("language", "quadrant", "indicator"),
    [("en", "Sustainable economic development", "Transparent"), ("zh-hans", "可持续经济发展", "公开透明")],
)
def test_the_diagnostic_pages_read_in_both_languages_with_the_caveat(
    world, client_for, language, quadrant, indicator
):
    diagnostic = _rated(world, _first_light)
    sa.diagnostic_complete(actor=world.quality_a, diagnostic=diagnostic)
    draft = _diagnostic(world, title="Next round", on="2026-03-01")
    client = client_for(world.quality_a, language)
    listing = client.get("/staff/quality/diagnostics/").content.decode()
    assert "Next round" in listing and 'role="note"' in listing
    page = client.get(f"/staff/quality/diagnostics/{draft.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and quadrant in html and indicator in html and 'role="note"' in html
    assert html.count('name="evidence"') == 39 and 'value="yellow"' in html
    done = client.get(f"/staff/quality/diagnostics/{diagnostic.pk}/").content.decode()
    assert (
        'name="evidence"' not in done and "Minutes of the 1.8 review" in done and "sa-light sa-yellow" in done
    )
    history = client.get("/staff/quality/diagnostics/history/dept-a/")
    html = history.content.decode()
    assert history.status_code == 200 and "<svg" in html and "2025-03-01" in html and indicator in html
    if language == "en":
        assert "check them against your organisation's copy of the standard" in html


def test_the_quality_office_rates_on_the_page_and_evidence_is_required(world, client_for):
    client = client_for(world.quality_a)
    created = client.post(
        "/staff/quality/diagnostics/", {"unit": "dept-a", "title": "Spring", "assessed_on": "2025-03-01"}
    )
    assert created.status_code == 302
    diagnostic = sa.diagnostic_list(user=world.quality_a).get()
    url = f"/staff/quality/diagnostics/{diagnostic.pk}/ratings/1.8/"
    missing = client.post(url, {"light": "green", "evidence": " "})
    assert missing.status_code == 422 and 'role="alert"' in missing.content.decode()
    saved = client.post(url, {"light": "green", "evidence": "Budget published online"})
    assert saved.status_code == 302 and saved["Location"].endswith("#ind-1.8")
    partial = client.post(
        url, {"light": "yellow", "evidence": "Only partly published"}, HTTP_HX_REQUEST="true"
    )
    html = partial.content.decode()
    assert 'id="quadrant-1"' in html and 'id="diagnostic-counts" hx-swap-oob="true"' in html
    assert DiagnosticRating.objects.get().light == "yellow"
    bad_date = client.post(
        "/staff/quality/diagnostics/", {"unit": "dept-a", "title": "x", "assessed_on": "03/01"}
    )
    assert bad_date.status_code == 422
