"""The quality office's pages: the workspace, a nonconformity worked through its forms, the document
register and the reading list, in both languages and scoped to the units a role covers."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.quality import services as quality
from civicpulse.quality.models import Nonconformity
from tests.quality.conftest import APPLICANT, at, case_decided

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(world) -> Nonconformity:
    for day in ("2025-11-03", "2025-11-04", "2025-11-05"):
        case = case_decided(world, day, "2025-11-07")
        with clock.frozen(at("2025-11-08")):
            ev.evaluation_submit(
                case=case,
                stage="completion",
                channel="link",
                rating=ev.Rating(1, {}, ["slow"]),
                as_applicant=True,
            )
    with clock.frozen(at("2025-11-10", 7)):
        quality.quality_scan()
    return Nonconformity.objects.get()


@pytest.mark.parametrize(("language", "heading"), [("en", "Quality workspace"), ("zh-hans", "质量工作台")])
def test_the_workspace_counts_open_nonconformities_and_lists_the_oldest(
    world, raised, client_for, language, heading
):
    with clock.frozen(at("2025-11-12")):
        page = client_for(world.quality_a, language).get("/staff/quality/")
    html = page.content.decode()
    assert page.status_code == 200 and heading in html and raised.number in html
    assert (
        dict(page.context["severities"])[str(Nonconformity(severity=raised.severity).get_severity_display())]
        == 1
    )


def test_a_nonconformity_is_worked_through_its_page(world, raised, client_for):
    office = client_for(world.quality_a)
    url = f"/staff/quality/nonconformities/{raised.number}/"
    with clock.frozen(at("2025-11-11")):
        page = office.get(url)
        html = page.content.decode()
        assert page.status_code == 200 and "Effectiveness check" in html
        # The records behind it are case numbers: never the applicant's name.
        assert APPLICANT.name not in html and len(page.context["records"]) == 3
        analysed = office.post(
            url,
            {
                "do": "analyse",
                "containment": "Called the three citizens back.",
                "why1": "Materials list unclear",
                "why2": "List not updated",
                "cause_category": "materials",
                "root_cause": "The materials list was never reviewed.",
                "owner": "head_a",
            },
        )
        assert analysed.status_code == 302
        refused = office.post(
            url,
            {
                "do": "action",
                "kind": "corrective",
                "description": "Rewrite.",
                "owner": "nobody",
                "working_days": "5",
            },
        )
        assert refused.status_code == 200 and "user name" in refused.content.decode()
        office.post(
            url,
            {
                "do": "action",
                "kind": "corrective",
                "description": "Rewrite the list.",
                "owner": "head_a",
                "working_days": "5",
            },
        )
    raised.refresh_from_db()
    assert (raised.status, raised.owner, raised.actions.count()) == ("actions", world.head_a, 1)
    action = raised.actions.get()
    with clock.frozen(at("2025-11-13")):
        done = client_for(world.head_a).post(
            url, {"do": "done", "action": str(action.pk), "result": "List rewritten."}
        )
    assert done.status_code == 302
    raised.refresh_from_db()
    assert raised.status == "verifying"
    timeline = client_for(world.quality_a).get(url).content.decode()
    assert (
        "recorded the containment and root cause" in timeline and "completed a corrective action" in timeline
    )


def test_nonconformities_of_another_department_are_not_found(world, raised, client_for):
    assert client_for(world.head_b).get(f"/staff/quality/nonconformities/{raised.number}/").status_code == 404
    assert client_for(world.window_officer).get("/staff/quality/").status_code == 404
    assert client_for(world.head_a).get(f"/staff/quality/nonconformities/{raised.number}/").status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_documents_are_approved_on_their_page_and_read_from_the_reading_list(world, client_for, language):
    with clock.frozen(at("2025-11-03")):
        draft = quality.document_create(
            actor=world.quality_a,
            code="WI-02",
            title_zh="审批作业指导书",
            title_en="Approval work instruction",
            kind="work_instruction",
            owner_unit=world.dept_a,
            roles=["approver"],
            body="Check the file against the procedure.",
        )
        quality.document_version_submit(actor=world.quality_a, version=draft)
        head = client_for(world.head_a, language)
        assert (
            head.post("/staff/quality/documents/WI-02/", {"do": "approve", "version": "1"}).status_code == 302
        )
        register = client_for(world.quality_a, language).get("/staff/quality/documents/")
        assert register.status_code == 200 and "WI-02" in register.content.decode()
        reader = client_for(world.approver_a, language)
        assert "WI-02" in reader.get("/staff/quality/documents/mine/").content.decode()
        draft.refresh_from_db()
        assert reader.post("/staff/quality/documents/mine/", {"version": str(draft.pk)}).status_code == 302
        assert "WI-02" not in reader.get("/staff/quality/documents/mine/").content.decode()
        detail = client_for(world.quality_a, language).get("/staff/quality/documents/WI-02/").content.decode()
    assert ("1 acknowledged, 0 not yet." if language == "en" else "1 人已确认，0 人未确认。") in detail
    # The timeline tells who approved it.
    assert ("approved version 1 of WI-02" if language == "en" else "批准了 WI-02 第 1 版") in detail
