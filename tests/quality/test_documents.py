"""Controlled documents: versions approved by someone other than their author, review dates, the register
beside the catalogue's procedures, and acknowledgement by the staff a document binds."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, transaction

from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import Notification
from civicpulse.quality import selectors
from civicpulse.quality import services as quality
from civicpulse.quality.models import DocumentVersion
from tests.quality.conftest import at

pytestmark = pytest.mark.django_db


def _document(world, **overrides):
    fields = {
        "actor": world.quality_a,
        "code": "WI-01",
        "title_zh": "窗口受理作业指导书",
        "title_en": "Window intake work instruction",
        "kind": "work_instruction",
        "owner_unit": world.region,
        "roles": ["window_officer"],
        "body": "1. Greet the applicant. 2. Check the materials against the list.",
    }
    fields.update(overrides)
    if fields["owner_unit"] == world.region:
        fields["actor"] = world.admin  # the county's documents are kept above dept-a's quality office
    with clock.frozen(at("2025-11-03")):
        return quality.document_create(**fields)


def test_a_version_takes_effect_only_when_someone_else_approves_it(world):
    draft = _document(world, owner_unit=world.dept_a)
    with clock.frozen(at("2025-11-04")):
        quality.document_version_submit(actor=world.quality_a, version=draft)
        with pytest.raises(Forbidden) as refused:
            quality.document_version_approve(actor=world.quality_a, version=draft)
        assert refused.value.code == "approver_is_author"
        effective = quality.document_version_approve(actor=world.head_a, version=draft)
    assert (effective.status, effective.approver, effective.effective_on) == (
        "effective",
        world.head_a,
        dt.date(2025, 11, 4),
    )
    assert effective.review_due == dt.date(2026, 11, 4)  # twelve months later


def test_the_database_refuses_an_author_approving_their_own_version(world):
    draft = _document(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.filter(pk=draft.pk).update(approver=world.admin)


def test_a_new_version_supersedes_the_effective_one_when_approved(world):
    first = _document(world, owner_unit=world.dept_a)
    with clock.frozen(at("2025-11-04")):
        quality.document_version_submit(actor=world.quality_a, version=first)
        quality.document_version_approve(actor=world.head_a, version=first)
        second = quality.document_version_draft(
            actor=world.quality_a,
            document=first.document,
            body="1. Greet. 2. Check. 3. Receipt.",
            change_reason="Receipt step added.",
        )
        with pytest.raises(Conflict):  # one version in preparation at a time
            quality.document_version_draft(
                actor=world.quality_a, document=first.document, body="x", change_reason="y"
            )
        quality.document_version_submit(actor=world.quality_a, version=second)
        for other_day in (dt.date(2025, 11, 1), dt.date(2025, 11, 10)):
            with pytest.raises(ValidationFailed):  # in force the day it is approved, neither before nor after
                quality.document_version_approve(actor=world.head_a, version=second, effective_on=other_day)
        quality.document_version_approve(actor=world.head_a, version=second)
    statuses = dict(first.document.versions.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "effective"}


def test_the_staff_it_binds_are_asked_to_acknowledge_and_the_office_sees_who_has_not(world):
    from civicpulse.accounts.enums import Role
    from tests import factories

    second_officer = factories.staff("window_officer_2", world.window, [Role.WINDOW_OFFICER])
    draft = _document(world)
    with clock.frozen(at("2025-11-04")):
        quality.document_version_submit(actor=world.admin, version=draft)
        with pytest.raises(Forbidden):  # dept-a's head does not cover a region-wide document
            quality.document_version_approve(actor=world.head_a, version=draft)
        version = quality.document_version_approve(actor=world.leader, version=draft)
    assert set(
        Notification.objects.filter(code="quality.document.to_acknowledge").values_list(
            "recipient", flat=True
        )
    ) == {
        world.window_officer.pk,
        second_officer.pk,
    }
    with clock.frozen(at("2025-11-05")):
        quality.document_acknowledge(actor=world.window_officer, version=version)
        quality.document_acknowledge(actor=world.window_officer, version=version)  # once is enough
        with pytest.raises(Forbidden):
            quality.document_acknowledge(actor=world.head_a, version=version)
    found = selectors.acknowledgements(version)
    assert [u for u, _at in found.done] == [world.window_officer] and found.missing == [second_officer]
    assert selectors.my_documents(user=second_officer) == [version]
    assert selectors.my_documents(user=world.window_officer) == []


def test_the_register_lists_documents_and_procedures_and_flags_overdue_reviews(world):
    draft = _document(world, owner_unit=world.dept_a)
    with clock.frozen(at("2025-11-04")):
        quality.document_version_submit(actor=world.quality_a, version=draft)
        quality.document_version_approve(actor=world.head_a, version=draft)
    rows = {
        r.code: r
        for r in selectors.document_register(user=world.quality_a, today=dt.date(2026, 11, 5), english=True)
    }
    assert rows["WI-01"].review_overdue and rows["WI-01"].review_due == dt.date(2026, 11, 4)
    # The catalogue's published procedure, published on 2025-06-02: its review fell due a year later.
    assert rows["SVC-1"].kind == "procedure" and rows["SVC-1"].review_overdue
    assert "WI-01" not in {
        r.code
        for r in selectors.document_register(user=world.head_b, today=dt.date(2026, 11, 5), english=True)
    }


def test_documents_through_the_api(world, client_for):
    office = client_for(world.quality_a)
    body = {
        "code": "POL-01",
        "title_zh": "服务质量方针",
        "title_en": "Service quality policy",
        "kind": "policy",
        "owner_unit": "dept-a",
        "roles": ["approver"],
        "body": "We answer every citizen within the promised limit.",
    }
    with clock.frozen(at("2025-11-03")):
        created = office.post("/api/v1/quality/documents", json.dumps(body), content_type="application/json")
        assert created.status_code == 201, created.content
        assert office.post("/api/v1/quality/documents/POL-01/versions/1/submit").status_code == 200
        refused = office.post(
            "/api/v1/quality/documents/POL-01/versions/1/approve", "{}", content_type="application/json"
        )
        assert refused.status_code == 403 and refused.json()["code"] == "approver_is_author"
        head = client_for(world.head_a)
        approved = head.post(
            "/api/v1/quality/documents/POL-01/versions/1/approve", "{}", content_type="application/json"
        )
        assert approved.status_code == 200 and approved.json()["status"] == "effective"
        assert (
            client_for(world.approver_a)
            .post("/api/v1/quality/documents/POL-01/versions/1/acknowledge")
            .status_code
            == 200
        )
    seen = office.get("/api/v1/quality/documents/POL-01/versions/1/acknowledgements").json()
    assert seen == {"version": 1, "acknowledged": ["approver_a"], "missing": []}
    assert client_for(world.head_b).get("/api/v1/quality/documents/POL-01").status_code == 404
    assert client_for(world.window_officer).get("/api/v1/quality/documents").status_code == 403
    bad = office.post(
        "/api/v1/quality/documents",
        json.dumps({**body, "code": "X", "kind": "memo"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_kind"


def test_a_draft_sent_back_is_corrected_by_its_author_and_a_document_is_withdrawn_not_deleted(world):
    draft = _document(world, owner_unit=world.dept_a)
    with clock.frozen(at("2025-11-04")):
        quality.document_version_submit(actor=world.quality_a, version=draft)
        quality.document_version_return(actor=world.head_a, version=draft, reason="Add the receipt step.")
        with pytest.raises(Forbidden):
            quality.document_version_edit(actor=world.head_a, version=draft, body="x", change_reason="y")
        edited = quality.document_version_edit(
            actor=world.quality_a,
            version=draft,
            body="1. Greet. 2. Check. 3. Receipt.",
            change_reason="Receipt step.",
        )
        quality.document_version_submit(actor=world.quality_a, version=edited)
        with pytest.raises(Conflict):  # in review: no longer edited
            quality.document_version_edit(actor=world.quality_a, version=edited, body="z", change_reason="z")
        quality.document_version_approve(actor=world.head_a, version=edited)
        with pytest.raises(Forbidden):
            quality.document_withdraw(actor=world.head_b, document=edited.document, reason="Obsolete.")
        quality.document_withdraw(
            actor=world.head_a, document=edited.document, reason="Replaced by the new guide."
        )
    assert list(edited.document.versions.values_list("status", flat=True)) == ["withdrawn"]
