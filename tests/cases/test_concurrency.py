"""Two people acting on one case at the same moment: one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.core.errors import Conflict
from civicpulse.core.models import AuditEvent
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_on_one_case_let_exactly_one_through():
    county = factories.county()
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    factories.published_service(county, "SVC-1")
    case = cases.case_intake(
        actor=county.window_officer,
        service_code="SVC-1",
        channel="hall",
        window=county.window,
        applicant=cases.Applicant(name="赵六", id_number="110101199003071234", phone="13812345678"),
        submitted_positions=[1, 2],
    )
    case = cases.case_transition(actor=county.head_a, case=case, transition="accept")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(name: str, who) -> None:
        try:
            start.wait(timeout=10)
            cases.case_transition(actor=who, case=case, transition=name, reason="依法不予批准")
            outcomes.append(name)
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("approve", county.head_a)),
        threading.Thread(target=decide, args=("deny", county.approver_a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) in (["approve", "transition_not_allowed"], ["deny", "transition_not_allowed"])
    final = Case.objects.get(pk=case.pk)
    winner = next(o for o in outcomes if o != "transition_not_allowed")
    assert final.decision == ("approved" if winner == "approve" else "denied")
    decided = AuditEvent.objects.filter(
        target_id=str(case.pk), action__in=["cases.case.approved", "cases.case.denied"]
    )
    assert decided.count() == 1


@pytest.mark.django_db(transaction=True)
def test_kiosks_drawing_at_once_never_share_a_number_and_windows_never_share_a_person():
    from civicpulse.accounts.enums import UnitKind
    from civicpulse.cases import queue
    from civicpulse.cases.models import QueueLine, Ticket

    county = factories.county()
    second_window = factories.unit("window-2", UnitKind.WINDOW, county.hall, serving_unit=county.dept_a)
    second_officer = factories.staff("officer2", second_window, [Role.WINDOW_OFFICER])
    line = QueueLine.objects.create(hall=county.hall, prefix="A", name_zh="综合", name_en="General")
    line.windows.add(county.window, second_window)

    def draw() -> None:
        try:
            for _ in range(5):
                queue.ticket_issue(hall=county.hall, prefix="A")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(Ticket.objects.values_list("sequence", flat=True)) == list(range(1, 21))

    called: list[int] = []

    def call(actor, window) -> None:
        try:
            called.append(queue.ticket_call_next(actor=actor, window=window).pk)
        finally:
            connections.close_all()

    callers = [
        threading.Thread(target=call, args=(county.window_officer, county.window)),
        threading.Thread(target=call, args=(second_officer, second_window)),
    ]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=60)
    assert len(called) == 2 and len(set(called)) == 2
