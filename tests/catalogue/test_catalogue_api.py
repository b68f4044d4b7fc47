"""The catalogue through its HTTP API: authoring, the version life cycle and its rules."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.core.models import AuditEvent
from tests import factories

BASE = "/api/v1/catalogue/manage/services"


def send(client, method: str, path: str, body: dict | None = None, **headers):
    return getattr(client, method)(
        path, data=json.dumps(body or {}), content_type="application/json", **headers
    )


GOOD_VERSION = {
    "service_mode": "promised",
    "statutory_limit_days": 20,
    "promised_limit_days": 8,
    "channels": "both",
    "legal_basis": "《行政许可法》",
    "steps": [
        {
            "key": "intake",
            "name_zh": "受理",
            "name_en": "Intake",
            "responsible_unit_code": "dept-a",
            "responsible_role": "window_officer",
            "budget_days": 1,
        },
        {
            "key": "review",
            "name_zh": "审查",
            "name_en": "Review",
            "responsible_unit_code": "dept-a-1",
            "responsible_role": "approver",
            "budget_days": 5,
            "pause_allowed": True,
        },
        {
            "key": "decide",
            "name_zh": "决定",
            "name_en": "Decision",
            "responsible_unit_code": "dept-a",
            "responsible_role": "department_head",
            "budget_days": 2,
        },
    ],
    "materials": [
        {"name_zh": "申请书", "name_en": "Application form"},
        {"name_zh": "身份证", "name_en": "ID card", "form": "original_and_copy"},
    ],
}


@pytest.fixture
def authored(county, client_for):
    editor = client_for(county.quality_a)
    created = send(
        editor,
        "post",
        BASE,
        {
            "code": "LIC-9",
            "name_zh": "食品经营许可",
            "name_en": "Food business licence",
            "power_kind": "licensing",
            "responsible_unit_code": "dept-a",
            "process_owner_id": county.owner_a.pk,
        },
    )
    assert created.status_code == 201, created.content
    draft = send(editor, "post", f"{BASE}/LIC-9/versions")
    assert draft.status_code == 201 and draft.json()["number"] == 1
    edited = send(editor, "patch", f"{BASE}/LIC-9/versions/1", GOOD_VERSION)
    assert edited.status_code == 200, edited.content
    return editor


def test_a_draft_goes_through_review_to_publication(county, client_for, authored):
    assert send(authored, "post", f"{BASE}/LIC-9/versions/1/submit").json()["status"] == "in_review"
    published = send(client_for(county.head_a), "post", f"{BASE}/LIC-9/versions/1/approve")
    assert published.status_code == 200
    body = published.json()
    assert body["status"] == "published" and [s["key"] for s in body["steps"]] == [
        "intake",
        "review",
        "decide",
    ]
    public = client_for(None).get("/api/v1/catalogue/services/LIC-9").json()
    assert public["version"]["promised_limit_days"] == 8
    assert len(public["version"]["materials"]) == 2


def test_the_author_can_never_approve_their_own_version(county, client_for, authored):
    send(authored, "post", f"{BASE}/LIC-9/versions/1/submit")
    head = client_for(county.head_a)
    # The head wrote this one: their approval is refused even though they hold the approve right.
    version = ProcedureVersion.objects.get(service__code="LIC-9", number=1)
    ProcedureVersion.objects.filter(pk=version.pk).update(author=county.head_a)
    refused = send(head, "post", f"{BASE}/LIC-9/versions/1/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "approver_is_author"
    assert ProcedureVersion.objects.get(pk=version.pk).status == "in_review"


def test_the_database_refuses_an_approver_who_is_the_author(county):
    _, version = factories.published_service(county)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersion.objects.filter(pk=version.pk).update(approver=version.author)


def test_linter_errors_block_submission_and_are_listed(county, client_for, authored):
    broken = dict(GOOD_VERSION, promised_limit_days=2)
    send(authored, "patch", f"{BASE}/LIC-9/versions/1", broken)
    refused = send(authored, "post", f"{BASE}/LIC-9/versions/1/submit")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "lint_errors"
    assert {f["rule"] for f in body["detail"]} == {"version.budget_above_promised"}
    assert ProcedureVersion.objects.get(service__code="LIC-9").status == "draft"


def test_a_published_version_is_immutable(county, client_for):
    factories.published_service(county, "SVC-1")
    refused = send(client_for(county.head_a), "patch", f"{BASE}/SVC-1/versions/1", {"promised_limit_days": 1})
    assert refused.status_code == 409 and refused.json()["code"] == "version_not_editable"
    assert ProcedureVersion.objects.get(service__code="SVC-1").promised_limit_days == 5


def test_publishing_a_new_version_retires_the_old_one(county, client_for):
    factories.published_service(county, "SVC-1")
    editor, approver = client_for(county.quality_a), client_for(county.head_a)
    assert send(editor, "post", f"{BASE}/SVC-1/versions").status_code == 201
    send(
        editor,
        "patch",
        f"{BASE}/SVC-1/versions/2",
        {"promised_limit_days": 6, "change_note": "longer review"},
    )
    send(editor, "post", f"{BASE}/SVC-1/versions/2/submit")
    assert send(approver, "post", f"{BASE}/SVC-1/versions/2/approve").status_code == 200
    statuses = dict(ProcedureVersion.objects.filter(service__code="SVC-1").values_list("number", "status"))
    assert statuses == {1: "retired", 2: "published"}
    assert client_for(None).get("/api/v1/catalogue/services/SVC-1").json()["version"]["number"] == 2


def test_the_database_allows_one_published_version_per_service(county):
    service, _ = factories.published_service(county)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersion.objects.create(
            service=service,
            number=9,
            status="published",
            service_mode="promised",
            statutory_limit_days=5,
            promised_limit_days=5,
            channels="both",
            author=county.quality_a,
            approver=county.head_a,
            created_at=service.created_at,
            published_at=service.created_at,
        )


def test_only_one_open_draft_at_a_time(county, client_for):
    factories.published_service(county, "SVC-1")
    editor = client_for(county.quality_a)
    assert send(editor, "post", f"{BASE}/SVC-1/versions").status_code == 201
    second = send(editor, "post", f"{BASE}/SVC-1/versions")
    assert second.status_code == 409 and second.json()["code"] == "open_version_exists"


def test_sending_back_needs_a_reason(county, client_for, authored):
    send(authored, "post", f"{BASE}/LIC-9/versions/1/submit")
    head = client_for(county.head_a)
    assert send(head, "post", f"{BASE}/LIC-9/versions/1/reject").json()["code"] == "reason_required"
    back = send(head, "post", f"{BASE}/LIC-9/versions/1/reject", {"reason": "材料清单不全"})
    assert back.status_code == 200 and back.json()["status"] == "draft"


@pytest.mark.parametrize("action", ["approve", "retire", "reject"])
def test_transitions_not_in_the_table_are_refused(county, client_for, authored, action):
    refused = send(client_for(county.head_a), "post", f"{BASE}/LIC-9/versions/1/{action}", {"reason": "x"})
    assert refused.status_code == 409 and refused.json()["code"] == "transition_not_allowed"


def test_an_unknown_action_is_refused(county, client_for, authored):
    refused = send(authored, "post", f"{BASE}/LIC-9/versions/1/explode")
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_transition"


def test_bad_input_gets_a_clear_error_and_writes_nothing(county, client_for):
    editor = client_for(county.quality_a)
    before = (Service.objects.count(), AuditEvent.objects.count())
    for body, code in [
        (
            {
                "code": "X",
                "name_zh": "x",
                "name_en": "x",
                "power_kind": "magic",
                "responsible_unit_code": "dept-a",
            },
            "invalid_choice",
        ),
        (
            {
                "code": "X",
                "name_zh": "x",
                "name_en": "x",
                "power_kind": "licensing",
                "responsible_unit_code": "nowhere",
            },
            "unknown_unit",
        ),
        (
            {
                "code": "bad code!",
                "name_zh": "x",
                "name_en": "x",
                "power_kind": "licensing",
                "responsible_unit_code": "dept-a",
            },
            "service_code_format",
        ),
        (
            {
                "code": "X",
                "name_zh": "x",
                "name_en": "x",
                "power_kind": "licensing",
                "responsible_unit_code": "dept-a",
                "process_owner_id": county.head_b.pk,
            },
            "owner_outside_unit",
        ),
        ({"code": "X"}, "invalid_request"),
    ]:
        # The administrator sees every unit, so an owner from another unit is a plain validation error.
        response = send(
            client_for(county.admin) if code == "owner_outside_unit" else editor, "post", BASE, body
        )
        assert response.status_code == 422, (body, response.content)
        assert response.json()["code"] == code
        assert response.json()["message"]
    # For someone who cannot see the other unit, its staff look as missing as a made-up id.
    outside = send(editor, "post", BASE, {**body_of_owner(county.head_b.pk)})
    made_up = send(editor, "post", BASE, {**body_of_owner(999999)})
    assert outside.status_code == made_up.status_code == 404 and outside.json() == made_up.json()
    assert (Service.objects.count(), AuditEvent.objects.count()) == before


def body_of_owner(owner_id: int) -> dict:
    return {
        "code": "X",
        "name_zh": "x",
        "name_en": "x",
        "power_kind": "licensing",
        "responsible_unit_code": "dept-a",
        "process_owner_id": owner_id,
    }


def test_a_citizen_learns_nothing_about_units_or_staff(county, client_for):
    citizen = client_for(county.citizen)
    for body in (
        body_of_owner(county.owner_a.pk),
        body_of_owner(999999),
        {**body_of_owner(1), "responsible_unit_code": "ghost"},
    ):
        response = send(citizen, "post", BASE, body)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_someone_who_edited_a_draft_cannot_approve_it(county, client_for, authored):
    head = client_for(county.head_a)
    assert send(head, "patch", f"{BASE}/LIC-9/versions/1", {"change_note": "tightened"}).status_code == 200
    send(authored, "post", f"{BASE}/LIC-9/versions/1/submit")
    refused = send(head, "post", f"{BASE}/LIC-9/versions/1/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "approver_is_author"
    assert send(client_for(county.leader), "post", f"{BASE}/LIC-9/versions/1/approve").status_code == 200


def test_a_bad_step_list_leaves_the_draft_as_it_was(county, client_for, authored):
    steps = [dict(GOOD_VERSION["steps"][0], responsible_unit_code="ghost")]
    refused = send(authored, "patch", f"{BASE}/LIC-9/versions/1", {"promised_limit_days": 3, "steps": steps})
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_unit"
    version = ProcedureVersion.objects.get(service__code="LIC-9")
    assert version.promised_limit_days == 8 and version.steps.count() == 3


def test_errors_are_translated_for_chinese_readers(county, client_for):
    factories.published_service(county, "SVC-1")
    response = send(
        client_for(county.head_a, language="zh-hans"),
        "patch",
        f"{BASE}/SVC-1/versions/1",
        {"promised_limit_days": 1},
    )
    assert response.json()["code"] == "version_not_editable"
    assert "草稿" in response.json()["message"]


def test_every_write_leaves_an_audit_event(county, client_for, authored):
    send(authored, "post", f"{BASE}/LIC-9/versions/1/submit")
    send(client_for(county.head_a), "post", f"{BASE}/LIC-9/versions/1/approve")
    service = Service.objects.get(code="LIC-9")
    actions = list(
        AuditEvent.objects.filter(target_type="catalogue.service", target_id=str(service.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("catalogue.service.created", "quality_a"),
        ("catalogue.version.created", "quality_a"),
        ("catalogue.version.changed", "quality_a"),
        ("catalogue.version.submitted", "quality_a"),
        ("catalogue.version.approved", "head_a"),
    ]


def test_public_list_filters_and_paginates(county, client_for):
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    factories.published_service(county, "SVC-2", "失业保险金申领")
    factories.published_service(county, "SVC-3", "建设工程规划许可", unit=county.dept_b)
    anon = client_for(None)
    assert anon.get("/api/v1/catalogue/services").json()["count"] == 3
    assert [i["code"] for i in anon.get("/api/v1/catalogue/services?q=失业").json()["items"]] == ["SVC-2"]
    assert [i["code"] for i in anon.get("/api/v1/catalogue/services?unit=dept-b").json()["items"]] == [
        "SVC-3"
    ]
    assert anon.get("/api/v1/catalogue/services?limit=1&offset=1").json()["items"][0]["code"] == "SVC-2"
    assert anon.get("/api/v1/catalogue/services/NOPE").status_code == 404


def test_public_list_runs_a_fixed_number_of_queries(county, client_for, django_assert_max_num_queries):
    for i in range(6):
        factories.published_service(county, f"SVC-{i}", f"事项{i}")
    anon = client_for(None)
    with django_assert_max_num_queries(3):
        assert len(anon.get("/api/v1/catalogue/services").json()["items"]) == 6


def test_lint_endpoint_reports_findings_in_scope(county, client_for):
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    report = client_for(county.head_a).get("/api/v1/catalogue/lint").json()
    assert report["errors"] == 0
    Service.objects.filter(code="SVC-1").update(process_owner=None)
    report = client_for(county.head_a).get("/api/v1/catalogue/lint").json()
    assert report["errors"] == 1 and report["findings"][0]["rule"] == "service.no_owner"


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"name_zh": None}, "name_required"),
        ({"name_en": "   "}, "name_required"),
        ({"power_kind": None}, "invalid_choice"),
        ({"responsible_unit_code": None}, "unknown_unit"),
    ],
)
def test_a_service_patch_with_nulls_or_blanks_is_refused_cleanly(county, client_for, patch, code):
    factories.published_service(county, "SVC-1")
    response = send(client_for(county.head_a), "patch", f"{BASE}/SVC-1", patch)
    assert response.status_code == 422 and response.json()["code"] == code
    assert Service.objects.get(code="SVC-1").name_zh == "个体工商户设立登记"
