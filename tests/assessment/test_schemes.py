"""Scheme authoring through the API: live validation, review, publishing by someone else; runs, the lock
and the payroll export."""

from __future__ import annotations

import json

import pytest

from civicpulse.assessment.models import Run, Scheme, SchemeVersion
from civicpulse.core.models import AuditEvent
from tests.assessment.conftest import at, case_decided

GOOD_TABLE = {
    "items": [
        {
            "group": "approval",
            "indicator": "on_time_completion_rate",
            "weight": 60,
            "rule": {"kind": "linear", "floor": 0.5, "target": 1.0},
            "min_sample": 1,
        },
        {
            "group": "approval",
            "indicator": "good_review_rate",
            "weight": 40,
            "rule": {"kind": "bands", "bands": [[0.95, 1.0], [0.9, 0.8]]},
            "min_sample": 1,
        },
    ]
}


def call(client, method: str, path: str, body=None):
    return getattr(client, method)(
        f"/api/v1/assessment{path}",
        json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


@pytest.fixture
def scheme(db):
    return Scheme.objects.create(
        code="windows", name_zh="窗口部门", name_en="Window departments", subject="unit"
    )


def test_the_editor_checks_the_tables_live_and_refuses_an_invalid_one(world, scheme, client_for):
    quality = client_for(world.quality_a)
    draft = call(quality, "post", "/schemes/windows/versions")
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    version = draft.json()["id"]
    bad = {"items": [{**GOOD_TABLE["items"][0], "weight": 70}, GOOD_TABLE["items"][1]]}
    problems = call(quality, "post", f"/versions/{version}/check", bad).json()["problems"]
    assert len(problems) == 1 and "approval" in problems[0] and "100" in problems[0]
    refused = call(quality, "put", f"/versions/{version}/items", bad)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_weights"
    assert (
        call(
            quality,
            "put",
            f"/versions/{version}/items",
            {"items": [{**GOOD_TABLE["items"][0], "indicator": "no_such_thing"}]},
        ).status_code
        == 422
    )
    saved = call(quality, "put", f"/versions/{version}/items", GOOD_TABLE)
    assert saved.status_code == 200 and [i["weight"] for i in saved.json()["items"]] == [40.0, 60.0]
    assert call(quality, "post", f"/versions/{version}/check", GOOD_TABLE).json() == {"problems": []}


def test_a_version_is_published_by_a_leader_who_did_not_write_it(world, scheme, client_for):
    quality = client_for(world.quality_a)
    version = call(quality, "post", "/schemes/windows/versions").json()["id"]
    assert call(quality, "post", f"/versions/{version}/submit").status_code == 422  # no weight table yet
    call(quality, "put", f"/versions/{version}/items", GOOD_TABLE)
    assert call(quality, "post", f"/versions/{version}/submit").json()["status"] == "in_review"
    assert call(quality, "post", f"/versions/{version}/approve").status_code == 403  # quality cannot approve
    assert call(client_for(world.approver_a), "post", f"/versions/{version}/approve").status_code == 403
    assert call(quality, "put", f"/versions/{version}/items", GOOD_TABLE).status_code == 409  # not a draft
    published = call(client_for(world.leader), "post", f"/versions/{version}/approve")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert SchemeVersion.objects.get(pk=version).approver == world.leader
    # The next draft copies the tables; publishing it retires the first.
    second = call(quality, "post", "/schemes/windows/versions").json()
    assert second["number"] == 2 and len(second["items"]) == 2
    call(quality, "post", f"/versions/{second['id']}/submit")
    call(client_for(world.leader), "post", f"/versions/{second['id']}/approve")
    assert SchemeVersion.objects.get(pk=version).status == "retired"
    assert AuditEvent.objects.filter(action="assessment.scheme.approve").count() == 2


def test_the_author_cannot_approve_their_own_version(world, scheme, client_for):
    leader = client_for(world.leader)
    world.leader.role_assignments.create(role="quality_officer", unit=world.region)
    version = call(leader, "post", "/schemes/windows/versions").json()["id"]
    call(leader, "put", f"/versions/{version}/items", GOOD_TABLE)
    call(leader, "post", f"/versions/{version}/submit")
    refused = call(leader, "post", f"/versions/{version}/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "approver_is_author"


def test_a_run_is_computed_finalized_once_and_exported_for_payroll(world, client_for):
    case_decided(world, "2025-11-03", "2025-11-05")
    quality = client_for(world.quality_a)
    created = call(
        quality,
        "post",
        "/runs",
        {"scheme": "depts", "period": "2025-11", "cutoff": at("2025-12-03").isoformat()},
    )
    assert created.status_code == 201 and created.json()["status"] == "computed"
    assert len(created.json()["digest"]) == 64 and created.json()["digest_format"] == 2
    run = created.json()["id"]
    assert call(quality, "post", f"/runs/{run}/finalize").status_code == 403  # leaders lock runs
    leader = client_for(world.leader)
    assert call(leader, "post", f"/runs/{run}/finalize").json()["status"] == "finalized"
    assert call(leader, "post", f"/runs/{run}/finalize").status_code == 409
    export = leader.get(f"/api/v1/assessment/runs/{run}/export.csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert export["Content-Type"].startswith("text/csv") and len(lines) == 3  # header, dept-a, dept-b
    assert any(line.startswith("approval,dept-a,") for line in lines)
    assert client_for(world.approver_a).get(f"/api/v1/assessment/runs/{run}/export.csv").status_code == 403
    xlsx = leader.get(f"/api/v1/assessment/runs/{run}/export.xlsx")
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "dept-a" in strings and "approval" in strings and sheet.count("<row ") == 3
    assert Run.objects.get(pk=run).finalized_by == world.leader


def test_the_indicator_library_is_listed_in_both_languages(world, client_for):
    indicators = client_for(world.quality_a).get("/api/v1/assessment/indicators").json()
    codes = {i["code"] for i in indicators}
    assert {"good_review_rate", "on_time_completion_rate", "speed_adjusted", "p90_wait"} <= codes
    assert all(i["name_zh"] and i["name_en"] for i in indicators)


def test_a_head_asks_for_a_review_within_ten_days_and_a_correction_is_a_new_run(world, client_for):
    from civicpulse.assessment.models import ReviewRequest, RunSubject
    from civicpulse.core import clock

    case_decided(world, "2025-11-03", "2025-11-05")
    with clock.frozen(at("2025-12-03")):
        run = call(
            client_for(world.quality_a), "post", "/runs", {"scheme": "depts", "period": "2025-11"}
        ).json()
    subject = RunSubject.objects.get(run_id=run["id"], unit=world.dept_a)
    path = f"/runs/{run['id']}/subjects/{subject.pk}/review-requests"
    head = client_for(world.head_a)
    early = call(head, "post", path, {"reason": "A case was counted twice."})
    assert early.status_code == 409 and early.json()["code"] == "run_not_finalized"
    with clock.frozen(at("2025-12-04")):
        call(client_for(world.leader), "post", f"/runs/{run['id']}/finalize")
    assert call(client_for(world.head_b), "post", path, {"reason": "Not mine."}).status_code == 404
    with clock.frozen(at("2025-12-15")):
        late = call(head, "post", path, {"reason": "Too late."})
        assert late.status_code == 409 and late.json()["code"] == "review_too_late"
    with clock.frozen(at("2025-12-10")):
        asked = call(head, "post", path, {"reason": "A case was counted twice."})
        assert asked.status_code == 201 and asked.json()["answer_due"] == "2025-12-20"
        assert call(head, "post", path, {"reason": "Again."}).json()["code"] == "review_pending"
        review = asked.json()["id"]
        assert [r["id"] for r in call(client_for(world.leader), "get", "/review-requests").json()] == [review]
        refused = call(head, "post", f"/review-requests/{review}/answer", {"correct": True, "answer": "x"})
        assert refused.status_code == 403
        answered = call(
            client_for(world.leader),
            "post",
            f"/review-requests/{review}/answer",
            {"correct": True, "answer": "Recomputed with the corrected record."},
        )
    assert answered.status_code == 200 and answered.json()["status"] == "corrected"
    correction = Run.objects.get(pk=answered.json()["correction"])
    assert correction.supersedes_id == run["id"] and correction.number == 2
    assert Run.objects.get(pk=run["id"]).status == "finalized"  # the old run stays as it was
    assert ReviewRequest.objects.get().answered_by == world.leader
