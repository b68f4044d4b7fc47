"""A county with an approval category (departments A and B), one service and a published scheme."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, UnitCategory
from civicpulse.assessment.models import Scheme, SchemeItem, SchemeVersion
from civicpulse.cases import services as cases
from civicpulse.core import clock
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICANT = cases.Applicant(name="王小明", id_number="110101199003071234", phone="13811112222")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    category = UnitCategory.objects.create(
        code="approval", name_zh="审批部门", name_en="Approval departments"
    )
    OrgUnit.objects.filter(pk__in=[county.dept_a.pk, county.dept_b.pk]).update(category=category)
    with clock.frozen(at("2025-06-02")):
        factories.published_service(county, "SVC-1")
    scheme = Scheme.objects.create(code="depts", name_zh="部门考核", name_en="Departments", subject="unit")
    # Scheme authoring (editor, review, publishing) is not built yet: the version is set up directly.
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=1,
        status="published",
        author=county.quality_a,
        approver=county.leader,
        created_at=clock.now(),
        ranking="raw",
    )
    for code, weight, rule in (
        ("on_time_completion_rate", 60, {"kind": "linear", "floor": 0.5, "target": 1.0}),
        ("good_review_rate", 40, {"kind": "linear", "floor": 0.5, "target": 1.0}),
    ):
        SchemeItem.objects.create(
            version=version, group="approval", indicator=code, weight=weight, rule=rule, min_sample=1
        )
    county.version = version
    return county


def case_accepted(world, intake: str) -> cases.Case:
    with clock.frozen(at(intake)):
        case = cases.case_intake(
            actor=world.window_officer,
            service_code="SVC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )
        return cases.case_transition(actor=world.head_a, case=case, transition="accept")


def case_decided(world, intake: str, decided: str) -> cases.Case:
    case = case_accepted(world, intake)
    with clock.frozen(at(decided)):
        return cases.case_transition(actor=world.approver_a, case=case, transition="approve")
