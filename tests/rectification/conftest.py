"""A county with one published service, and bad reviews made the real way: a case taken in at a hall window
and rated on the window pad (the window unit served; the department that staffs it answers)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import RectificationOrder
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Test staff all have the phone 13812345678 (factories): the applicant must not look like one of them.
APPLICANT = cases.Applicant(name="王小明", id_number="110101199003071234", phone="13811112222")
BAD = ev.Rating(level=1, dimensions={}, tags=["attitude"], text="The officer was rude to me.")
# Monday 3 November 2025: contact by Tuesday the 4th, rectify by Monday the 10th, appeal by Thursday the 6th.
MONDAY = "2025-11-03"


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    with clock.frozen(at("2025-06-02")):
        factories.published_service(county, "SVC-1")
    return county


@pytest.fixture
def reviewer(world):
    """Works in department B, supervises the whole county: outside the window's and department A's line."""
    return factories.staff("reviewer_b", world.dept_b, [Role.SUPERVISOR], covers=world.region)


def hall_case(world, day: str = MONDAY, hour: int = 10, service: str = "SVC-1") -> Case:
    with clock.frozen(at(day, hour)):
        return cases.case_intake(
            actor=world.window_officer,
            service_code=service,
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )


def online_bad_review(world, level: int = 2, tag: str = "system") -> Evaluation:
    """A citizen's own online case, rated badly on the portal the day it was filed."""
    with clock.frozen(at(MONDAY)):
        case = cases.case_intake(
            actor=world.citizen,
            service_code="SVC-1",
            channel="online",
            applicant=cases.Applicant("市民", "110101199003071234", "13900009999"),
            submitted_positions=[1, 2],
        )
        return ev.evaluation_submit(
            case=case,
            stage="intake",
            channel="portal",
            rating=ev.Rating(level, {}, [tag]),
            evaluator=world.citizen,
        )


def rate(case: Case, day: str = MONDAY, hour: int = 10, rating: ev.Rating = BAD) -> Evaluation:
    with clock.frozen(at(day, hour)):
        return ev.evaluation_submit(
            case=case, stage="intake", channel="pad", rating=rating, as_applicant=True
        )


def bad_review(world, day: str = MONDAY, hour: int = 10, service: str = "SVC-1") -> RectificationOrder:
    evaluation = rate(hall_case(world, day, hour, service), day, hour)
    return RectificationOrder.objects.get(evaluation=evaluation)


def step(actor, order, transition: str, day: str = MONDAY, hour: int = 15, **details) -> RectificationOrder:
    with clock.frozen(at(day, hour)):
        return rect.order_transition(
            actor=actor, order=order, transition=transition, details=rect.Details(**details)
        )


def to_verified(world, order, finding: str = "valid", day: str = MONDAY) -> RectificationOrder:
    step(world.window_officer, order, "contact", day, call_notes="Called; the citizen waited 40 minutes.")
    return step(world.head_a, order, "verify", day, finding=finding)


def to_answered(world, order, day: str = MONDAY) -> RectificationOrder:
    to_verified(world, order, day=day)
    step(world.window_officer, order, "act", day, outcome="fixed_at_once", outcome_notes="Apologised.")
    return step(world.window_officer, order, "answer", day, answer="We apologised and fixed the queue.")


@pytest.fixture(autouse=True)
def _english():
    """Service-level tests read the English messages; pages pick their language from the client."""
    from django.utils import translation

    with translation.override("en"):
        yield
