"""The exchange records: which evaluations changed in a window, and each one as it stood at the cut-off.

Why the audit trail: every write to an evaluation, its rectification order or an appeal goes through a
service that appends one audit event in the same transaction, and events are never updated. The rows do
not say enough on their own: a supervisor's reopening or the deadline scan's overdue marks leave no time
on the order, and a second cycle of an order overwrites the times of the first. So the events are both the
change log (an indexed range on `occurred_at` finds what changed in a window) and the history from which
the mutable fields are projected as of the cut-off. Fields that never change after the record is written
(the rating, the case, the unit, the order's deadlines) are read from the rows.

Because a window's records depend only on append-only events up to its cut-off and on rows that do not
change, exporting the same window again gives the same records, whatever happened since.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations.models import Evaluation
from civicpulse.evaluations.services import APPLICANT
from civicpulse.exchange.enums import Validity
from civicpulse.exchange.schema import SCHEMA_VERSION
from civicpulse.rectification.enums import AppealStatus, Finding, OrderStatus
from civicpulse.rectification.models import Appeal, RectificationOrder
from civicpulse.rectification.transitions import TRANSITIONS

EVALUATION = "evaluations.evaluation"
ORDER = "rectification.rectificationorder"
APPEAL = "rectification.appeal"
CHUNK = 500

VALIDITY_EFFECTS: dict[str, str] = {
    "evaluations.evaluation.submitted": Validity.VALID,
    "evaluations.evaluation.quarantined": Validity.QUARANTINED,
    "evaluations.evaluation.cleared": Validity.VALID,
    "evaluations.evaluation.confirmed": Validity.EXCLUDED_FRAUD,
    "evaluations.evaluation.excluded": Validity.EXCLUDED_APPEAL,
}


def _status_effects() -> dict[str, str]:
    """Each order step's audit action and the status it leaves, read from the order's transition table."""
    effects: dict[str, str] = {"rectification.order.opened": OrderStatus.OPEN}
    for rule in TRANSITIONS.values():
        kind = "appeal" if rule.by in ("appellant", "reviewer") else "order"
        effects[f"rectification.{kind}.{rule.past}"] = rule.target
    return effects


STATUS_EFFECTS = _status_effects()
FLAG_EFFECTS = {
    "rectification.order.contact_overdue": "contact_overdue",
    "rectification.order.rectify_overdue": "rectify_overdue",
}
# Every audit action that alters a field of a record.
CHANGES = frozenset(VALIDITY_EFFECTS) | frozenset(STATUS_EFFECTS) | frozenset(FLAG_EFFECTS)
# Audit actions on the same objects that alter nothing exported (a test checks that every registered
# action of these objects is in one of the two sets, so a new one cannot be forgotten silently).
NOT_CHANGES = frozenset({"evaluations.evaluation.identity_viewed"})


@dataclass(frozen=True)
class Event:
    action: str
    at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderState:
    status: str = OrderStatus.OPEN
    contacted_at: dt.datetime | None = None
    contact_overdue: bool = False
    finding: str | None = None
    outcome: str | None = None
    ledger_due: str | None = None
    rectified_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    rectify_overdue: bool = False
    satisfaction: str | None = None
    callback_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    appeal_kind: str | None = None
    appeal_status: str | None = None
    appeal_filed_at: dt.datetime | None = None
    appeal_decided_at: dt.datetime | None = None


@dataclass
class State:
    """A record's mutable part as of a moment; `validity` None: the evaluation did not exist yet."""

    validity: str | None = None
    updated_at: dt.datetime | None = None
    order: OrderState | None = None


def _order_step(order: OrderState, action: str, event: Event) -> None:
    """The fields each step writes on the order row (rectification.services._apply), from its event."""
    at, data = event.at, event.data
    step = action.removeprefix("rectification.")
    if step == "order.contacted":
        order.contacted_at = at
    elif step == "order.verified":
        order.finding = data.get("finding") or None
    elif step == "order.acted":
        order.outcome = data.get("outcome") or None
        order.ledger_due = data.get("ledger_due") or None
        order.rectified_at = at
    elif step == "order.answered":
        order.answered_at = at
    elif step == "order.rated":
        order.satisfaction = data.get("satisfaction") or None
        order.callback_at = at
    elif step == "order.escalated":
        order.escalated_at = at
    elif step in ("order.closed", "order.closed_by_supervisor"):
        order.closed_at = at
    elif step == "order.closed_after_appeal":
        order.answered_at = order.closed_at = at
    elif step == "order.reopened":
        order.finding = Finding.VALID
        order.satisfaction = None
    elif step == "appeal.filed":
        order.appeal_kind = data.get("appeal_kind") or None
        order.appeal_status = AppealStatus.PENDING
        order.appeal_filed_at, order.appeal_decided_at = at, None
    elif step in ("appeal.upheld", "appeal.rejected"):
        order.appeal_status = step.removeprefix("appeal.")
        order.appeal_decided_at = at
        if step == "appeal.rejected":
            order.finding = Finding.VALID


def project(events: Iterable[Event]) -> State:
    """Replay one record's events (oldest first, all up to the cut-off) into its state. Pure."""
    state = State()
    for event in events:
        action = event.action
        if action not in CHANGES:
            continue
        if state.updated_at is None or event.at > state.updated_at:
            state.updated_at = event.at
        if action in VALIDITY_EFFECTS:
            state.validity = VALIDITY_EFFECTS[action]
        elif action == "rectification.order.opened":
            state.order = OrderState()
        elif state.order is None:
            continue  # a step before the order's opening: the services never write one
        elif action in FLAG_EFFECTS:
            setattr(state.order, FLAG_EFFECTS[action], True)
        else:
            state.order.status = STATUS_EFFECTS[action]
            _order_step(state.order, action, event)
    return state


def stamp(moment: dt.datetime | None) -> str | None:
    """RFC 3339 in the installation's time zone, whole seconds: 2025-11-03T10:00:00+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def record_scope(unit: OrgUnit) -> Q:
    """Evaluations served in the unit's subtree, and at the hall windows its departments staff."""
    return Q(unit__path__startswith=unit.path) | Q(unit__serving_unit__path__startswith=unit.path)


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def changed_ids(*, unit: OrgUnit, since: dt.datetime | None, until: dt.datetime) -> list[int]:
    """Ids of the evaluations in the unit's scope with a change in (since, until], ascending."""
    events = AuditEvent.objects.filter(occurred_at__lte=until, action__in=sorted(CHANGES))
    if since is not None:
        events = events.filter(occurred_at__gt=since)
    targets: dict[str, set[int]] = {EVALUATION: set(), ORDER: set(), APPEAL: set()}
    for target_type, target_id in events.order_by().values_list("target_type", "target_id").distinct():
        if target_type in targets:
            targets[target_type].add(int(target_id))
    ids = set(targets[EVALUATION])
    for chunk in _chunks(sorted(targets[ORDER])):
        ids.update(RectificationOrder.objects.filter(pk__in=chunk).values_list("evaluation_id", flat=True))
    for chunk in _chunks(sorted(targets[APPEAL])):
        ids.update(Appeal.objects.filter(pk__in=chunk).values_list("order__evaluation_id", flat=True))
    scoped: list[int] = []
    for chunk in _chunks(sorted(ids)):
        scoped.extend(
            Evaluation.objects.filter(record_scope(unit), pk__in=chunk).values_list("pk", flat=True)
        )
    return sorted(scoped)


def _history(ids: Sequence[int], until: dt.datetime) -> tuple[dict[int, list[Event]], dict[int, Any]]:
    """Each evaluation's events up to the cut-off, and its order row (if one exists now)."""
    orders = {o.evaluation_id: o for o in RectificationOrder.objects.filter(evaluation_id__in=ids)}
    owner_of_order = {order.pk: evaluation_id for evaluation_id, order in orders.items()}
    owner_of_appeal = dict(
        Appeal.objects.filter(order__evaluation_id__in=ids).values_list("pk", "order__evaluation_id")
    )
    owners = {
        EVALUATION: {pk: pk for pk in ids},
        ORDER: owner_of_order,
        APPEAL: owner_of_appeal,
    }
    targets = Q(pk__in=[])
    for target_type, owner in owners.items():
        if owner:
            targets |= Q(target_type=target_type, target_id__in=[str(pk) for pk in owner])
    history: dict[int, list[Event]] = defaultdict(list)
    rows = (
        AuditEvent.objects.filter(targets, occurred_at__lte=until, action__in=sorted(CHANGES))
        .order_by("occurred_at", "pk")
        .values_list("target_type", "target_id", "action", "occurred_at", "data")
    )
    for target_type, target_id, action, occurred_at, data in rows:
        history[owners[target_type][int(target_id)]].append(Event(action, occurred_at, data or {}))
    return history, orders


_ORDER_FIELDS = (
    "order_id",
    "order_status",
    "order_opened_at",
    "contact_due",
    "contacted_at",
    "contact_overdue",
    "rectify_due",
    "finding",
    "outcome",
    "ledger_due",
    "rectified_at",
    "answered_at",
    "rectify_overdue",
    "callback_satisfaction",
    "callback_at",
    "escalated_at",
    "closed_at",
    "appeal_kind",
    "appeal_status",
    "appeal_filed_at",
    "appeal_decided_at",
)


def _order_fields(row: RectificationOrder | None, state: OrderState | None) -> dict[str, Any]:
    if row is None or state is None:
        return dict.fromkeys(_ORDER_FIELDS)
    return {
        "order_id": row.pk,
        "order_status": state.status,
        "order_opened_at": stamp(row.opened_at),
        "contact_due": row.contact_due.isoformat(),
        "contacted_at": stamp(state.contacted_at),
        "contact_overdue": state.contact_overdue,
        "rectify_due": row.rectify_due.isoformat(),
        "finding": state.finding,
        "outcome": state.outcome,
        "ledger_due": state.ledger_due,
        "rectified_at": stamp(state.rectified_at),
        "answered_at": stamp(state.answered_at),
        "rectify_overdue": state.rectify_overdue,
        "callback_satisfaction": state.satisfaction,
        "callback_at": stamp(state.callback_at),
        "escalated_at": stamp(state.escalated_at),
        "closed_at": stamp(state.closed_at),
        "appeal_kind": state.appeal_kind,
        "appeal_status": state.appeal_status,
        "appeal_filed_at": stamp(state.appeal_filed_at),
        "appeal_decided_at": stamp(state.appeal_decided_at),
    }


def record(
    evaluation: Evaluation, order: RectificationOrder | None, state: State, *, until: dt.datetime, source: str
) -> dict[str, Any]:
    """One record. Nothing of the citizen: no name, phone, account, device, address or comment text."""
    unit = evaluation.unit
    department = unit.serving_unit if unit.kind == UnitKind.WINDOW and unit.serving_unit_id else unit
    assert department is not None
    staff = evaluation.staff
    return {
        "schema_version": SCHEMA_VERSION,
        "record_id": f"{source}:evaluation:{evaluation.pk}",
        "source": source,
        "as_of": stamp(until),
        "updated_at": stamp(state.updated_at),
        "case_number": evaluation.case.number,
        "service_code": evaluation.service.code,
        "service_version": evaluation.case.version.number,
        "department_code": department.code,
        "unit_code": unit.code,
        "window_code": evaluation.window.code if evaluation.window is not None else None,
        "channel": evaluation.channel,
        "stage": evaluation.stage,
        "staff_number": (staff.employee_number or None) if staff is not None else None,
        "staff_account": staff.username if staff is not None else None,
        "by_applicant": evaluation.evaluator_key == APPLICANT,
        "level": evaluation.level,
        "grade": evaluation.grade,
        "template_kind": evaluation.template.kind,
        "template_version": evaluation.template.version,
        "dimensions": {str(key): int(value) for key, value in sorted(evaluation.dimensions.items())},
        "tags": sorted(str(tag) for tag in evaluation.tags),
        "has_comment": bool(evaluation.text.strip()),
        "submitted_at": stamp(evaluation.submitted_at),
        "validity": state.validity,
        **_order_fields(order, state.order),
    }


def records_of(ids: Sequence[int], *, until: dt.datetime, source: str) -> Iterator[dict[str, Any]]:
    """The records of these evaluations (ascending ids) as of the cut-off."""
    history, orders = _history(ids, until)
    evaluations = (
        Evaluation.objects.filter(pk__in=ids)
        .select_related("case__version", "service", "unit__serving_unit", "window", "staff", "template")
        .order_by("pk")
    )
    for evaluation in evaluations:
        state = project(history.get(evaluation.pk, []))
        if state.validity is None:
            continue  # submitted after the cut-off
        yield record(evaluation, orders.get(evaluation.pk), state, until=until, source=source)


def export_records(
    *,
    unit: OrgUnit,
    since: dt.datetime | None,
    until: dt.datetime,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every record of the unit's scope created or changed in (since, until], by ascending id."""
    ids = changed_ids(unit=unit, since=since, until=until)
    done = 0
    if progress is not None:
        progress(0, len(ids))
    for chunk in _chunks(ids):
        yield from records_of(chunk, until=until, source=source)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
