"""Assessment pages through the Django client: who sees which rows, the ranking, funnels and breakdown."""

from __future__ import annotations

import pytest

from civicpulse.assessment.models import RunSubject
from civicpulse.assessment.services import run_compute
from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from tests.assessment.conftest import APPLICANT, at, case_decided


@pytest.fixture
def world(world):
    """The shared county, with two November cases (one on time, one late), a rating and a run."""
    decided = [
        case_decided(world, "2025-11-03", "2025-11-05"),
        case_decided(world, "2025-11-04", "2025-11-20"),
    ]
    with clock.frozen(at("2025-11-06")):
        ev.evaluation_submit(
            case=decided[0],
            stage="completion",
            channel="link",
            rating=ev.Rating(5, {}, []),
            as_applicant=True,
        )
    with clock.frozen(at("2025-12-03", 11)):
        world.run = run_compute(actor=None, version=world.version, period="2025-11", cutoff=at("2025-12-03"))
    world.cases = decided
    world.subject_a = RunSubject.objects.get(run=world.run, unit=world.dept_a)
    world.subject_b = RunSubject.objects.get(run=world.run, unit=world.dept_b)
    return world


def run_url(world) -> str:
    return f"/staff/assessment/runs/{world.run.pk}/"


def subject_url(world, subject) -> str:
    return f"/staff/assessment/runs/{world.run.pk}/subjects/{subject.pk}/"


def test_an_overseer_sees_the_run_list_with_its_digest_and_subjects(world, client_for):
    page = client_for(world.leader).get("/staff/assessment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Departments" in html and "2025-11" in html and world.run.digest[:12] in html
    assert world.run.digest not in html.replace(f'title="{world.run.digest}"', "")
    assert page.context["runs"][0].visible == 2


def test_the_run_page_ranks_the_group_and_lists_insufficient_units_at_the_end(world, client_for):
    page = client_for(world.supervisor).get(run_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    (group,) = page.context["groups"]
    assert group.label == "Approval departments"
    assert [row.label for row in group.ranked] == ["dept-a unit"]
    assert [row.label for row in group.unranked] == ["dept-b unit"]
    assert "50.0 %" in html and "n = 2" in html and "insufficient data" in html
    assert f'title="{world.run.digest}"' in html and "format 2" in html
    assert "Insufficient data: not ranked" in html
    # One funnel per rate indicator of the group, as inline SVG.
    assert len(group.funnels) == 2 and html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 2


def test_staff_without_a_right_to_assessments_get_404(world, client_for):
    client = client_for(world.window_officer)
    assert client.get("/staff/assessment/").status_code == 404
    assert client.get(run_url(world)).status_code == 404
    assert client.get(subject_url(world, world.subject_a)).status_code == 404
    assert client_for(world.leader).get("/staff/assessment/runs/999999/").status_code == 404


def test_a_head_sees_only_their_own_department_in_a_run(world, client_for):
    client = client_for(world.head_b)
    assert client.get(subject_url(world, world.subject_a)).status_code == 404
    page = client.get(run_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert "dept-b unit" in html and "dept-a unit" not in html
    assert client.get(subject_url(world, world.subject_b)).status_code == 200
    # A subject of one run cannot be reached through another run's id.
    assert (
        client.get(f"/staff/assessment/runs/{world.run.pk + 1}/subjects/{world.subject_b.pk}/").status_code
        == 404
    )


def test_a_department_head_sees_my_assessment(world, client_for):
    page = client_for(world.head_a).get("/staff/assessment/mine/")
    assert page.status_code == 200
    assert [row["subject"].pk for row in page.context["rows"]] == [world.subject_a.pk]
    assert "dept-a unit" in page.content.decode() and "dept-b unit" not in page.content.decode()
    # A newer run of the same scheme replaces the older rows.
    with clock.frozen(at("2025-12-05")):
        newer = run_compute(actor=None, version=world.run.version, period="2025-11", cutoff=at("2025-12-03"))
    page = client_for(world.head_a).get("/staff/assessment/mine/")
    assert [row["subject"].run_id for row in page.context["rows"]] == [newer.pk]


def test_the_breakdown_shows_points_and_links_to_the_records_without_applicant_names(world, client_for):
    page = client_for(world.leader).get(subject_url(world, world.subject_a))
    assert page.status_code == 200
    html = page.content.decode()
    lines = {line.value.indicator: line for line in page.context["lines"]}
    assert lines["good_review_rate"].value.points == pytest.approx(40.0)
    assert "40.00" in html and "0.00" in html
    for case in world.cases:
        assert f'href="/staff/cases/{case.number}/"' in html
    (evaluation,) = lines["good_review_rate"].records
    assert evaluation.url == "" and "very satisfied" in evaluation.detail
    assert "王小明" not in html and "小明" not in html and APPLICANT.phone not in html


def test_the_breakdown_warns_when_the_records_no_longer_give_the_count_the_run_stored(world, client_for):
    from civicpulse.evaluations.models import Evaluation

    url = subject_url(world, world.subject_a)
    assert (
        "records as they stand today give a different count"
        not in client_for(world.leader).get(url).content.decode()
    )
    # A deletion is the one change reading as of the cut-off cannot undo.
    Evaluation.objects.filter(unit=world.dept_a).delete()
    page = client_for(world.leader).get(url)
    lines = {line.value.indicator: line for line in page.context["lines"]}
    assert lines["good_review_rate"].changed and lines["good_review_rate"].counted == 0
    assert not lines["on_time_completion_rate"].changed
    assert "records as they stand today give a different count" in page.content.decode()


def test_the_run_page_needs_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries):
    for day in ("2025-11-10", "2025-11-11", "2025-11-12"):
        case_decided(world, day, "2025-11-14")
    with clock.frozen(at("2025-12-04")):
        run = run_compute(actor=None, version=world.run.version, period="2025-11", cutoff=at("2025-12-04"))
    client = client_for(world.leader)
    with django_assert_max_num_queries(12):
        assert client.get(f"/staff/assessment/runs/{run.pk}/").status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_head_asks_for_a_review_on_the_page_and_the_committee_answers_it(world, client_for, language):
    from civicpulse.assessment.models import ReviewRequest
    from civicpulse.assessment.services import run_finalize

    with clock.frozen(at("2025-12-04")):
        run_finalize(actor=world.leader, run=world.run)
    subject = RunSubject.objects.get(run=world.run, unit=world.dept_a)
    url = f"/staff/assessment/runs/{world.run.pk}/subjects/{subject.pk}/"
    head = client_for(world.head_a, language)
    with clock.frozen(at("2025-12-08")):
        page = head.get(url).content.decode()
        assert 'name="reason"' in page
        # Another department's head cannot even see the row.
        assert client_for(world.head_b).post(url, {"reason": "x"}).status_code == 404
        assert head.post(url, {"reason": " "}).status_code == 200  # shown again with the error
        assert not ReviewRequest.objects.exists()
        assert head.post(url, {"reason": "一件办件被重复计算"}).status_code == 302
        again = head.get(url).content.decode()
        assert "一件办件被重复计算" in again and 'name="reason"' not in again  # one pending at a time
        # The committee's queue: a leader answers; the head may read it but not answer.
        leader = client_for(world.leader, language)
        queue = leader.get("/staff/assessment/reviews/").content.decode()
        review = ReviewRequest.objects.get()
        assert "一件办件被重复计算" in queue and f'value="{review.pk}"' in queue
        assert (
            head.post("/staff/assessment/reviews/", {"request": review.pk, "answer": "x"}).status_code == 404
        )
        kept = leader.post(
            "/staff/assessment/reviews/",
            {"request": review.pk, "decision": "reject", "answer": "经核查未重复计算"},
        )
        assert kept.status_code == 302
    review.refresh_from_db()
    assert review.status == "rejected" and review.answered_by == world.leader
    with clock.frozen(at("2025-12-09")):
        assert "经核查未重复计算" in head.get(url).content.decode()
    with clock.frozen(at("2025-12-20")):  # past the 10 days: no form
        assert 'name="reason"' not in head.get(url).content.decode()


def test_a_leader_of_one_department_cannot_move_answer_or_export_another(world, client_for):
    """Approving acts are scoped like everything else: to the units the role covers."""
    import json

    from civicpulse.accounts import services as org
    from civicpulse.accounts.enums import Role
    from civicpulse.assessment.models import ReviewRequest
    from civicpulse.assessment.services import review_request, run_finalize
    from tests import factories

    local = factories.staff("leader_b", world.dept_b, [])
    org.role_assign(actor=None, user=local, role=Role.LEADER, unit=world.dept_b)
    dept_a = RunSubject.objects.get(run=world.run, unit=world.dept_a)
    client = client_for(local)
    move = {"moves": [{"subject": dept_a.pk, "grade": "basic", "reason": "x"}]}
    calibrate = client.post(
        f"/api/v1/assessment/runs/{world.run.pk}/calibrate", json.dumps(move), content_type="application/json"
    )
    assert calibrate.status_code == 404
    page = client.post(
        f"/staff/assessment/runs/{world.run.pk}/calibrate/",
        {f"grade-{dept_a.pk}": "basic", f"reason-{dept_a.pk}": "x"},
    )
    assert page.status_code == 422  # nothing it may move was named
    dept_a.refresh_from_db()
    assert not dept_a.computed_grade
    finalize = client.post(f"/api/v1/assessment/runs/{world.run.pk}/finalize")
    assert finalize.status_code == 403
    export = client.get(f"/api/v1/assessment/runs/{world.run.pk}/export.csv").content.decode("utf-8-sig")
    assert world.dept_a.code not in export and world.dept_b.code in export
    with clock.frozen(at("2025-12-04")):
        run_finalize(actor=world.leader, run=world.run)
        request = review_request(actor=world.head_a, subject=dept_a, reason="重复计算")
        answer = client.post(
            "/staff/assessment/reviews/", {"request": request.pk, "decision": "reject", "answer": "x"}
        )
        assert answer.status_code == 404
        assert client.post("/staff/assessment/reviews/", {"request": "²", "answer": "x"}).status_code == 404
    assert ReviewRequest.objects.get().status == "pending"
