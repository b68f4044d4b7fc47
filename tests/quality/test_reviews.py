"""The management review: its pack is built from live data by the assessment engine, so its numbers agree
with an assessment run of the same period; outputs are followed up at the next review; the pack is a page
and a PDF."""

from __future__ import annotations

import datetime as dt

import pytest

from civicpulse.assessment.models import RunValue
from civicpulse.assessment.services import run_compute
from civicpulse.core import clock
from civicpulse.core.errors import Forbidden, ValidationFailed
from civicpulse.evaluations import services as ev
from civicpulse.quality import reviews
from tests.quality.conftest import at, case_accepted, case_decided

pytestmark = pytest.mark.django_db


@pytest.fixture
def november(world):
    """November 2025 at dept-a: four cases, three decided (one late), two rated (one good, one bad)."""
    on_time = case_decided(world, "2025-11-03", "2025-11-05")
    late = case_decided(world, "2025-11-04", "2025-11-20")
    case_decided(world, "2025-11-06", "2025-11-07")
    case_accepted(world, "2025-11-25")
    with clock.frozen(at("2025-11-21")):
        for case, level in ((on_time, 5), (late, 1)):
            ev.evaluation_submit(
                case=case,
                stage="completion",
                channel="link",
                rating=ev.Rating(level, {}, ["slow"] if level <= 2 else []),
                as_applicant=True,
            )
    return world


def test_the_pack_agrees_with_the_assessment_run_of_the_same_period(november, client_for):
    w = november
    cutoff = at("2025-12-03")
    with clock.frozen(cutoff):
        run = run_compute(actor=None, version=w.version, period="2025-11", cutoff=cutoff)
        review = reviews.review_create(
            actor=w.admin,
            unit=w.region,
            title="Q4 review",
            period_start=dt.date(2025, 11, 1),
            period_end=dt.date(2025, 11, 30),
        )
        built = reviews.pack(review, english=True, cutoff=cutoff)
    figures = {f.code: f for f in [*built.satisfaction, *built.process]}
    for code in ("good_review_rate", "on_time_completion_rate"):
        values = RunValue.objects.filter(subject__run=run, indicator=code)
        n = sum(v.n for v in values)
        hits = sum(v.numerator for v in values)
        # The departments answer for every record of the county: their run values add up to the pack's.
        assert figures[code].n == n and figures[code].value == pytest.approx(hits / n), code
    assert (figures["good_review_rate"].value, figures["on_time_completion_rate"].value) == (
        0.5,
        pytest.approx(2 / 3),
    )


def test_actions_of_a_review_are_the_first_input_of_the_next(november):
    w = november
    with clock.frozen(at("2025-12-05")):
        first = reviews.review_create(
            actor=w.admin,
            unit=w.region,
            title="November",
            period_start=dt.date(2025, 11, 1),
            period_end=dt.date(2025, 11, 30),
        )
        with pytest.raises(ValidationFailed):
            reviews.review_output_add(actor=w.admin, review=first, kind="action", text="Cut waits.")
        action = reviews.review_output_add(
            actor=w.admin,
            review=first,
            kind="action",
            text="Cut waits.",
            owner=w.head_a,
            due_on=dt.date(2026, 1, 31),
        )
        reviews.review_output_add(
            actor=w.admin, review=first, kind="decision", text="Keep the 20-minute target."
        )
        with pytest.raises(ValidationFailed):
            reviews.review_hold(
                actor=w.admin, review=first, held_on=dt.date(2025, 11, 20), chair=w.leader, attendees=""
            )
        reviews.review_hold(
            actor=w.admin,
            review=first,
            held_on=dt.date(2025, 12, 5),
            chair=w.leader,
            attendees="Leader, heads",
        )
        second = reviews.review_create(
            actor=w.admin,
            unit=w.region,
            title="December",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
        )
        assert [o.text for o in reviews.pack(second, english=True).previous_outputs] == ["Cut waits."]
        with pytest.raises(Forbidden):
            reviews.review_output_done(actor=w.head_b, output=action)
        reviews.review_output_done(actor=w.head_a, output=action)
    assert reviews.pack(second, english=True).previous_outputs[0].status == "done"


def test_only_the_quality_office_over_the_organisation_plans_its_review(november):
    with pytest.raises(Forbidden):
        reviews.review_create(
            actor=november.quality_a,
            unit=november.region,
            title="x",
            period_start=dt.date(2025, 11, 1),
            period_end=dt.date(2025, 11, 30),
        )


@pytest.mark.parametrize(("language", "heading"), [("en", "Process performance"), ("zh-hans", "过程绩效")])
def test_the_pack_is_a_page_and_a_pdf(november, client_for, language, heading):
    w = november
    with clock.frozen(at("2025-12-05")):
        review = reviews.review_create(
            actor=w.admin,
            unit=w.region,
            title="November review",
            period_start=dt.date(2025, 11, 1),
            period_end=dt.date(2025, 11, 30),
        )
        client = client_for(w.admin, language)
        page = client.get(f"/staff/quality/reviews/{review.pk}/")
        assert (
            page.status_code == 200 and heading in page.content.decode() and "<svg" in page.content.decode()
        )
        pdf = client.get(f"/staff/quality/reviews/{review.pk}/pack.pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert client_for(w.head_b, language).get(f"/staff/quality/reviews/{review.pk}/").status_code == 404


def test_reviews_through_the_api(november, client_for):
    import json

    office = client_for(november.admin)
    with clock.frozen(at("2025-12-05")):
        body = {
            "unit": "county",
            "title": "November",
            "period_start": "2025-11-01",
            "period_end": "2025-11-30",
        }
        created = office.post("/api/v1/quality/reviews", json.dumps(body), content_type="application/json")
        assert created.status_code == 201, created.content
        review_id = created.json()["id"]
        action = {"kind": "action", "text": "Cut waits.", "owner": "head_a", "due_on": "2026-01-31"}
        assert (
            office.post(
                f"/api/v1/quality/reviews/{review_id}/outputs",
                json.dumps(action),
                content_type="application/json",
            ).status_code
            == 201
        )
        pack = office.get(f"/api/v1/quality/reviews/{review_id}").json()
    good = next(f for f in pack["satisfaction"] if f["code"] == "good_review_rate")
    assert (good["value"], good["n"]) == (0.5, 2) and pack["outputs"][0]["owner"] == "Head_A"
    backwards = {**body, "period_start": "2025-12-01"}
    refused = office.post("/api/v1/quality/reviews", json.dumps(backwards), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_period"
    assert client_for(november.head_b).get(f"/api/v1/quality/reviews/{review_id}").status_code == 404


def test_the_pack_reads_actions_as_they_stood_at_the_end_of_the_period(november):
    from civicpulse.quality import services as quality

    w = november
    with clock.frozen(at("2025-11-10")):
        nc = quality.nc_raise(
            actor=w.quality_a,
            title="Form outdated",
            description="Old form.",
            source="manual",
            severity="major",
            unit=w.dept_a,
        )
        action = quality.action_add(
            actor=w.quality_a,
            nc=nc,
            kind="correction",
            description="Replace.",
            owner=w.head_a,
            working_days=5,
        )
    with clock.frozen(at("2025-12-02")):  # done, but after November ended
        quality.action_complete(actor=w.head_a, action=action, result="Replaced.")
        review = reviews.review_create(
            actor=w.admin,
            unit=w.region,
            title="November",
            period_start=dt.date(2025, 11, 1),
            period_end=dt.date(2025, 11, 30),
        )
        built = reviews.pack(review, english=True)
    assert (built.nonconformities["actions_overdue"], built.nonconformities["actions_done"]) == (1, 0)
    assert [n.number for n in built.improvement] == [nc.number]  # major and open
