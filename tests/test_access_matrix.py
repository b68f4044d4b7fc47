"""Every API operation and staff page, against every role: who gets in, who is refused.

A role is refused with 401 (API, anonymous), a redirect to sign in (pages, anonymous), 403 (a list the
user has no right to at all) or 404 (an object outside the user's scope, indistinguishable from missing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction

from civicpulse.assessment import services as assessment
from civicpulse.assessment.models import Scheme, SchemeVersion
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.catalogue import services as cat
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations.models import Evaluation
from tests import factories

ROLES = [
    "anonymous",
    "citizen",
    "admin",
    "head_a",
    "quality_a",
    "approver_a",
    "head_b",
    "window_officer",
    "supervisor",
    "leader",
]


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    path: str
    allowed: frozenset[str]
    body: dict | None = None
    page: bool = False
    # For writes: did the change happen? Checked before the savepoint is rolled back.
    effect: Callable[[], bool] | None = None


EVERYONE = frozenset(ROLES)
DRAFT_VIEWERS = frozenset({"admin", "head_a", "quality_a", "supervisor", "leader"})
EDITORS_A = frozenset({"admin", "head_a", "quality_a"})
APPROVERS_A = frozenset({"admin", "head_a", "leader"})
ORG_VIEWERS_A = frozenset({"admin", "head_a", "quality_a", "supervisor", "leader"})
ALL_STAFF = frozenset(ROLES) - {"anonymous", "citizen"}
CASE_VIEWERS = frozenset({"admin", "head_a", "quality_a", "window_officer", "supervisor", "leader"})
AUDITORS = frozenset({"admin", "head_a", "quality_a", "head_b", "supervisor", "leader"})
# The test case's intake was at window-1 of the hall: its rating belongs to the window's subtree.
WINDOW_VIEWERS = frozenset({"admin", "window_officer", "supervisor", "leader"})
ASSESSMENT_READERS = frozenset({"admin", "head_a", "quality_a", "head_b", "supervisor", "leader"})
ASSESSMENT_EDITORS = frozenset({"admin", "quality_a"})


def version_of(code: str, number: int):
    return ProcedureVersion.objects.filter(service__code=code, number=number)


def operations(ids: dict[str, int]) -> list[Op]:
    draft = "/api/v1/catalogue/manage/services/SVC-1/versions/2"
    scheme_draft = f"/staff/assessment/schemes/versions/{ids['scheme_version']}/"
    return [
        Op("public list", "GET", "/api/v1/catalogue/services", EVERYONE),
        Op("public detail", "GET", "/api/v1/catalogue/services/SVC-1", EVERYONE),
        Op("calendar add-days", "GET", "/api/v1/calendar/add-days?start=2025-09-30&n=5", EVERYONE),
        Op("calendar between", "GET", "/api/v1/calendar/between?start=2025-09-30&end=2025-10-14", EVERYONE),
        Op("lint", "GET", "/api/v1/catalogue/lint", DRAFT_VIEWERS | {"head_b"}),
        Op("staff service list", "GET", "/api/v1/catalogue/manage/services", DRAFT_VIEWERS | {"head_b"}),
        Op("draft detail", "GET", draft, DRAFT_VIEWERS),
        Op(
            "draft edit",
            "PATCH",
            draft,
            EDITORS_A,
            {"change_note": "x"},
            effect=lambda: version_of("SVC-1", 2).filter(change_note="x").exists(),
        ),
        Op(
            "service edit",
            "PATCH",
            "/api/v1/catalogue/manage/services/SVC-1",
            EDITORS_A,
            {"name_en": "Renamed"},
            effect=lambda: Service.objects.filter(code="SVC-1", name_en="Renamed").exists(),
        ),
        Op(
            "service create",
            "POST",
            "/api/v1/catalogue/manage/services",
            EDITORS_A,
            {
                "code": "NEW-1",
                "name_zh": "新事项",
                "name_en": "New",
                "power_kind": "licensing",
                "responsible_unit_code": "dept-a",
            },
            effect=lambda: Service.objects.filter(code="NEW-1").exists(),
        ),
        Op(
            "new draft of other service",
            "POST",
            "/api/v1/catalogue/manage/services/SVC-2/versions",
            EDITORS_A,
            effect=lambda: version_of("SVC-2", 2).exists(),
        ),
        Op(
            "retire",
            "POST",
            "/api/v1/catalogue/manage/services/SVC-2/versions/1/retire",
            APPROVERS_A,
            effect=lambda: version_of("SVC-2", 1).filter(status="retired").exists(),
        ),
        Op("unit list", "GET", "/api/v1/org/units", ALL_STAFF),
        Op("unit detail", "GET", f"/api/v1/org/units/{ids['dept_a']}", ORG_VIEWERS_A),
        Op("staff list", "GET", "/api/v1/org/staff", ALL_STAFF),
        Op("staff detail", "GET", f"/api/v1/org/staff/{ids['owner_a']}", ORG_VIEWERS_A | {"approver_a"}),
        Op("audit list", "GET", "/api/v1/audit", AUDITORS),
        Op("case list", "GET", "/api/v1/cases", EVERYONE - {"anonymous"}),
        Op("case detail", "GET", f"/api/v1/cases/{ids['case']}", CASE_VIEWERS),
        Op(
            "case accept",
            "POST",
            f"/api/v1/cases/{ids['case']}/accept",
            frozenset({"head_a", "window_officer"}),
            effect=lambda: Case.objects.filter(number=ids["case"], status="in_progress").exists(),
        ),
        Op(
            "case intake",
            "POST",
            "/api/v1/cases",
            frozenset({"window_officer"}),
            {
                "service_code": "SVC-1",
                "channel": "hall",
                "window_code": "window-1",
                "applicant": {"name": "张三", "id_number": "110101199003071234", "phone": "13812345678"},
            },
            effect=lambda: Case.objects.count() == 2,
        ),
        Op("evaluation list", "GET", "/api/v1/evaluations", ALL_STAFF),
        Op("evaluation detail", "GET", f"/api/v1/evaluations/{ids['evaluation']}", WINDOW_VIEWERS),
        Op(
            "evaluator identity",
            "POST",
            f"/api/v1/evaluations/{ids['evaluation']}/identity",
            frozenset({"supervisor"}),
            effect=lambda: AuditEvent.objects.filter(
                action="evaluations.evaluation.identity_viewed"
            ).exists(),
        ),
        Op(
            "rate someone else's case",
            "POST",
            "/api/v1/evaluate",
            frozenset(),
            {"case_number": ids["case"], "stage": "acceptance", "level": 5},
            effect=lambda: Evaluation.objects.count() == 2,
        ),
        Op("evaluation page", "GET", f"/staff/evaluations/{ids['evaluation']}/", WINDOW_VIEWERS, page=True),
        Op("evaluation list page", "GET", "/staff/evaluations/", ALL_STAFF, page=True),
        Op("assessment runs", "GET", "/api/v1/assessment/runs", ASSESSMENT_READERS),
        Op("indicator library", "GET", "/api/v1/assessment/indicators", ALL_STAFF | {"citizen"}),
        Op("assessment run list page", "GET", "/staff/assessment/", ASSESSMENT_READERS, page=True),
        Op("scheme list page", "GET", "/staff/assessment/schemes/", ASSESSMENT_READERS, page=True),
        Op("bonus and penalty items", "GET", "/api/v1/assessment/adjustments", ALL_STAFF),
        Op("bonus and penalty page", "GET", "/staff/assessment/adjustments/", ALL_STAFF, page=True),
        Op("review requests page", "GET", "/staff/assessment/reviews/", ASSESSMENT_READERS, page=True),
        Op("scheme editor page", "GET", scheme_draft, ASSESSMENT_READERS, page=True),
        Op("scheme live check", "POST", f"{scheme_draft}check/", ASSESSMENT_EDITORS, page=True),
        Op("scheme weight tables", "POST", f"{scheme_draft}items/", ASSESSMENT_EDITORS, page=True),
        Op("scheme settings", "POST", f"{scheme_draft}settings/", ASSESSMENT_EDITORS, page=True),
        Op(
            "scheme bonus and penalty items",
            "POST",
            f"{scheme_draft}adjustment-items/",
            ASSESSMENT_EDITORS,
            page=True,
        ),
        Op(
            "scheme submit",
            "POST",
            f"{scheme_draft}transitions/submit/",
            ASSESSMENT_EDITORS,
            page=True,
            effect=lambda: SchemeVersion.objects.filter(scheme__code="depts", status="in_review").exists(),
        ),
        Op(
            "new scheme draft",
            "POST",
            "/staff/assessment/schemes/staff/drafts/",
            ASSESSMENT_EDITORS,
            page=True,
            effect=lambda: SchemeVersion.objects.filter(scheme__code="staff").exists(),
        ),
        Op("portal home", "GET", "/", EVERYONE, page=True),
        Op("case tracking page", "GET", "/track/", EVERYONE, page=True),
        Op("hall screen", "GET", "/halls/hall/board/", EVERYONE, page=True),
        Op("staff desk", "GET", "/staff/desk/", ALL_STAFF, page=True),
        Op("inbox", "GET", "/inbox/", EVERYONE - {"anonymous"}, page=True),
        Op("desk case page", "GET", f"/staff/cases/{ids['case']}/", CASE_VIEWERS, page=True),
        Op(
            "desk accept",
            "POST",
            f"/staff/cases/{ids['case']}/accept/",
            frozenset({"head_a", "window_officer"}),
            page=True,
            effect=lambda: Case.objects.filter(number=ids["case"], status="in_progress").exists(),
        ),
        Op("service guide", "GET", "/services/SVC-1/", EVERYONE, page=True),
        Op("staff catalogue", "GET", "/staff/catalogue/", DRAFT_VIEWERS | {"head_b"}, page=True),
        Op("staff lint", "GET", "/staff/catalogue/lint/", DRAFT_VIEWERS | {"head_b"}, page=True),
        Op("staff service", "GET", "/staff/catalogue/SVC-1/", DRAFT_VIEWERS, page=True),
        Op("staff draft", "GET", "/staff/catalogue/SVC-1/versions/2/", DRAFT_VIEWERS, page=True),
        Op(
            "staff submit",
            "POST",
            "/staff/catalogue/SVC-1/versions/2/submit/",
            EDITORS_A,
            page=True,
            effect=lambda: version_of("SVC-1", 2).filter(status="in_review").exists(),
        ),
        Op("organisation", "GET", "/staff/organisation/", ALL_STAFF, page=True),
        Op("unit page", "GET", f"/staff/organisation/{ids['dept_a']}/", ORG_VIEWERS_A, page=True),
        Op("audit page", "GET", "/staff/audit/", AUDITORS, page=True),
        Op("back office", "GET", "/admin/catalogue/service/", frozenset({"admin"}), page=True),
    ]


@pytest.fixture
def world(county: factories.County):
    factories.published_service(county, "SVC-1")
    factories.published_service(county, "SVC-2", "失业保险金申领")
    svc = Service.objects.get(code="SVC-1")
    cat.version_create(actor=county.quality_a, service=svc)
    cases.case_intake(
        actor=county.window_officer,
        service_code="SVC-1",
        channel="hall",
        window=county.window,
        applicant=cases.Applicant(name="李四", id_number="110101199003071234", phone="13812345678"),
        submitted_positions=[1],
    )
    from civicpulse.evaluations import services as ev

    ev.evaluation_submit(
        case=Case.objects.get(),
        stage="intake",
        channel="pad",
        rating=ev.Rating(level=5, dimensions={}, tags=[]),
        as_applicant=True,
    )
    depts = Scheme.objects.create(code="depts", name_zh="部门考核", name_en="Departments", subject="unit")
    Scheme.objects.create(code="staff", name_zh="人员考核", name_en="Staff", subject="staff")
    scheme_draft = assessment.scheme_version_draft(actor=county.quality_a, scheme=depts)
    assessment.scheme_items_set(
        actor=county.quality_a,
        version=scheme_draft,
        items=[assessment.ItemInput("approval", "good_review_rate", 100, {"kind": "percentile"}, 1)],
    )
    county.admin.is_staff = county.admin.is_superuser = True
    county.admin.save()
    return county


def _status(client, op: Op) -> int:
    kwargs = {}
    if op.method != "GET" and not op.page:
        kwargs = {"data": json.dumps(op.body or {}), "content_type": "application/json"}
    response = getattr(client, op.method.lower())(op.path, **kwargs)
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_admits_exactly_the_roles_that_may_use_it(world, client_for, role):
    ids = {
        "dept_a": world.dept_a.pk,
        "owner_a": world.owner_a.pk,
        "case": Case.objects.get().number,
        "evaluation": Evaluation.objects.get().pk,
        "scheme_version": SchemeVersion.objects.get(scheme__code="depts").pk,
    }
    user = None if role == "anonymous" else getattr(world, role)
    failures = []
    for op in operations(ids):
        # Each operation runs in a savepoint so one role's write does not change the next operation's world.
        sid = transaction.savepoint()
        status = _status(client_for(user), op)
        happened = op.effect() if op.effect is not None else None
        transaction.savepoint_rollback(sid)
        if happened is not None and happened != (role in op.allowed):
            failures.append(f"{op.name}: {role} {'changed' if happened else 'did not change'} the data")
        if role in op.allowed:
            ok = status in (200, 201) or (op.page and op.method == "POST" and status == 302)
        elif role == "anonymous":
            ok = status == 401 if not op.page else status == 302
        elif op.path.startswith("/admin/"):
            ok = status == 302
        else:
            ok = status in (403, 404)
        if not ok:
            failures.append(f"{op.name}: {role} got {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_an_object_outside_scope_looks_exactly_like_a_missing_one(world, client_for):
    client = client_for(world.head_b)
    outside = client.get("/api/v1/catalogue/manage/services/SVC-1/versions/2")
    missing = client.get("/api/v1/catalogue/manage/services/NOPE/versions/2")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
