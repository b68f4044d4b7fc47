"""A county for publishing: the assessment tests' world (dept-a and dept-b in the approval category, a hall
window serving dept-a, service SVC-1) with a quality office covering the whole county, and helpers that make
rated cases for any department through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import OrgUnit, UnitCategory, User
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from tests import factories
from tests.assessment.conftest import APPLICANT, at, world  # noqa: F401

_minutes = itertools.count()


@dataclass
class Desk:
    """Everything needed to receive, decide and have rated a case of one department's service."""

    department: OrgUnit
    service: str
    window: OrgUnit
    officer: User
    head: User


@pytest.fixture
def county_world(world):  # noqa: F811
    """The world with the county's quality office (publishes for the region) and a desk per department."""
    world.office = factories.staff("office", world.region, [Role.QUALITY_OFFICER])
    world.desk_a = Desk(world.dept_a, "SVC-1", world.window, world.window_officer, world.head_a)
    world.desk_b = desk(world, "dept-b", existing=world.dept_b)
    return world


def desk(county, code: str, *, category: str = "approval", existing: OrgUnit | None = None) -> Desk:
    """A department of `category` (made if need be) with its head, a published service, a hall window
    serving it and a window officer."""
    department = existing or factories.unit(code, UnitKind.DEPARTMENT, county.region)
    group, _created = UnitCategory.objects.get_or_create(
        code=category, defaults={"name_zh": f"{category}类", "name_en": f"{category.title()} category"}
    )
    OrgUnit.objects.filter(pk=department.pk).update(category=group)
    department.refresh_from_db()
    head = factories.staff(f"head-{code}", department, [Role.DEPARTMENT_HEAD])
    service = f"SVC-{code.upper()}"
    with clock.frozen(at("2025-06-02")):
        factories.published_service(county, service, f"{code}事项", unit=department)
    window = factories.unit(f"window-{code}", UnitKind.WINDOW, county.hall, serving_unit=department)
    officer = factories.staff(f"officer-{code}", window, [Role.WINDOW_OFFICER])
    return Desk(department, service, window, officer, head)


def decided(desk: Desk, day: str, *, late: bool = False, applicant: cases.Applicant = APPLICANT) -> Case:
    """A case received at the desk's window at 9:xx on `day` and approved the same day, or 15 days later
    (past the promised 5 working days) when `late`."""
    start = at(day, 9) + dt.timedelta(minutes=next(_minutes) % 400)
    with clock.frozen(start):
        case = cases.case_intake(
            actor=desk.officer,
            service_code=desk.service,
            channel="hall",
            applicant=applicant,
            submitted_positions=[1, 2],
            window=desk.window,
        )
        case = cases.case_transition(actor=desk.head, case=case, transition="accept")
    with clock.frozen(start + dt.timedelta(days=15 if late else 0, minutes=30)):
        return cases.case_transition(actor=desk.head, case=case, transition="approve")


def rated(desk: Desk, day: str, levels: list[int], *, text: str = "") -> list[Evaluation]:
    """One case per level, decided on `day` and rated at completion the next day by its applicant."""
    found = []
    rated_on = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    for level in levels:
        case = decided(desk, day)
        with clock.frozen(at(rated_on.isoformat(), 11) + dt.timedelta(minutes=next(_minutes) % 300)):
            found.append(
                ev.evaluation_submit(
                    case=case,
                    stage="completion",
                    channel="link",
                    rating=ev.Rating(level, {}, ["slow"] if level <= 3 else [], text if level <= 2 else ""),
                    as_applicant=True,
                )
            )
    return found
