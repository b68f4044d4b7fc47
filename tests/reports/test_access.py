"""Every reports operation against every role: who gets in, who is refused (401 or a redirect to sign in
when anonymous, 403 for a list or a request the user has no right to, 404 for a report outside their
units, indistinguishable from a missing one)."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.reports.models import Report
from tests.reports.conftest import AFTER

pytestmark = pytest.mark.django_db

VIEWERS = {"admin", "head_a", "quality_a", "head_b", "supervisor", "leader"}
DEPT_A_VIEWERS = {"admin", "head_a", "quality_a", "supervisor", "leader"}
GENERATORS = {"admin", "quality_a"}
ROLES = ["anonymous", "citizen", "admin", "head_a", "quality_a", "approver_a", "head_b", "window_officer"]
ROLES += ["supervisor", "leader"]


def expected(role: str, allowed: set[str], ok: int, refused: int, anonymous: int) -> int:
    if role == "anonymous":
        return anonymous
    return ok if role in allowed else refused


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_against_every_role(reports, client_for, role):
    client = client_for(None if role == "anonymous" else getattr(reports, role))
    pk = reports.reports["dept_a"].pk
    checks = [
        ("GET", "/api/v1/reports", expected(role, VIEWERS, 200, 403, 401)),
        ("GET", f"/api/v1/reports/{pk}", expected(role, DEPT_A_VIEWERS, 200, 404, 401)),
        ("GET", f"/api/v1/reports/{pk}/pdf", expected(role, DEPT_A_VIEWERS, 200, 404, 401)),
        ("GET", f"/api/v1/reports/{pk}/xlsx", expected(role, DEPT_A_VIEWERS, 200, 404, 401)),
        ("GET", "/staff/reports/", expected(role, VIEWERS, 200, 404, 302)),
        ("GET", f"/staff/reports/{pk}/", expected(role, DEPT_A_VIEWERS, 200, 404, 302)),
        ("GET", f"/staff/reports/{pk}/report.pdf", expected(role, DEPT_A_VIEWERS, 200, 404, 302)),
    ]
    for method, path, status in checks:
        assert client.generic(method, path).status_code == status, (method, path)
    before = Report.objects.count()
    with clock.frozen(AFTER):
        response = client.post(
            "/api/v1/reports", {"unit": "dept-a", "month": "2025-11"}, content_type="application/json"
        )
    assert response.status_code == expected(role, GENERATORS, 201, 403, 401)
    assert Report.objects.count() == before + (role in GENERATORS)
