"""Rectification of bad reviews (domain.md §5): opening an order, the order's state machine, appeals and the
deadline scan.

One transaction per use case; the order row is locked (SELECT ... FOR UPDATE, or SQLite's write lock) and
its status re-read before any change, so of two concurrent actions one wins and the other gets a Conflict.
Call notes, answers and explanations may hold personal data: they stay on the order and never go into the
audit log or a notification.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.accounts.selectors import staff_covering
from civicpulse.cases.services import holds_role
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.calendars import calendar_code_for_unit_code, calendar_from_snapshot, calendar_snapshot
from civicpulse.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from civicpulse.core.notify import notify
from civicpulse.core.workdays import local_date
from civicpulse.evaluations.enums import EvaluationStatus, Grade
from civicpulse.evaluations.models import Evaluation
from civicpulse.evaluations.services import evaluation_exclude
from civicpulse.rectification import deadlines
from civicpulse.rectification.enums import (
    RECTIFY_PENDING,
    AppealKind,
    AppealStatus,
    Finding,
    OrderStatus,
    Outcome,
    Satisfaction,
)
from civicpulse.rectification.models import Appeal, RectificationOrder
from civicpulse.rectification.permissions import ORDER_RELATED, order_units
from civicpulse.rectification.transitions import TRANSITIONS, Transition, allows


@dataclass(frozen=True)
class Details:
    """What the person taking a step writes down; each step reads the fields it needs."""

    call_notes: str = ""
    finding: str = ""
    verification_notes: str = ""
    outcome: str = ""
    outcome_notes: str = ""
    ledger_entry: str = ""
    ledger_due: dt.date | None = None
    explanation: str = ""
    answer: str = ""
    satisfaction: str = ""
    reason: str = ""


def _config(key: str) -> Any:
    return settings.CIVICPULSE[key]


# --- who ---------------------------------------------------------------------------------------------------


def responsible_heads(unit: OrgUnit) -> list[User]:
    """The heads who answer for a unit's bad reviews; for a window nobody heads, its serving department's."""
    heads = staff_covering(role=Role.DEPARTMENT_HEAD, unit=unit)
    if not heads and unit.kind == UnitKind.WINDOW and unit.serving_unit_id:
        heads = staff_covering(role=Role.DEPARTMENT_HEAD, unit=unit.serving_unit)
    return heads


def supervisors(order: RectificationOrder) -> list[User]:
    """The next level up: supervisors over the unit's parent (and over its serving department's parent)."""
    found: dict[int, User] = {}
    for unit in order_units(order):
        if unit is None:
            continue
        above = unit.parent if unit.parent_id else unit
        found.update((user.pk, user) for user in staff_covering(role=Role.SUPERVISOR, unit=above))
    return list(found.values())


def outside_chain(unit: OrgUnit | None, others: list[OrgUnit | None]) -> bool:
    """True when `unit` is none of `others`, nor an ancestor or a descendant of any of them.

    A region is the exception among ancestors: it contains every unit, and the supervisors who work at
    the region level (督查) are precisely the reviewers independent of the department appealing.
    """
    if unit is None:
        return False
    return not any(
        other is not None
        and (
            unit.path.startswith(other.path)
            or (other.path.startswith(unit.path) and unit.kind != UnitKind.REGION)
        )
        for other in others
    )


def appellant_chain(order: RectificationOrder, appellant: User | None) -> list[OrgUnit | None]:
    """The units a reviewer must stand outside of: the order's units and the appellant's own."""
    return [*order_units(order), appellant.org_unit if appellant is not None else None]


def may_take(user: User | AnonymousUser | None, order: RectificationOrder, rule: Transition) -> bool:
    """Whether `user` holds the standing for `rule` on `order` (not whether the order's state allows it)."""
    if not isinstance(user, User):
        return False
    if rule.applicant_may and order.evaluation.case.applicant_id == user.pk:
        return True
    return rule.by == "roles" and holds_role(user, rule.roles, order_units(order))


def may_appeal(user: User | AnonymousUser | None, order: RectificationOrder) -> bool:
    if not isinstance(user, User) or user.kind != UserKind.STAFF:
        return False
    return order.evaluation.staff_id == user.pk or holds_role(
        user, TRANSITIONS["appeal"].roles, order_units(order)
    )


def may_decide(user: User | AnonymousUser | None, appeal: Appeal) -> bool:
    if not isinstance(user, User):
        return False
    order = appeal.order
    covers = any(has_perm_on_unit(user, Perm.APPEAL_DECIDE, unit) for unit in order_units(order))
    return covers and outside_chain(user.org_unit, appellant_chain(order, appeal.filed_by))


# --- opening -----------------------------------------------------------------------------------------------


@transaction.atomic
def order_open(*, evaluation: Evaluation) -> RectificationOrder:
    """Send a valid bad review to the unit that served the citizen; one order per evaluation, ever."""
    existing = RectificationOrder.objects.select_related(*ORDER_RELATED).filter(evaluation=evaluation).first()
    if existing is not None:
        return existing
    if evaluation.grade != Grade.BAD or evaluation.status != EvaluationStatus.VALID:
        raise Conflict(_("Only a valid bad review is rectified."), code="not_a_bad_review")
    unit = OrgUnit.objects.select_related("serving_unit", "parent").get(pk=evaluation.unit_id)
    calendar_code = calendar_code_for_unit_code(unit.code) or str(_config("DEFAULT_CALENDAR"))
    snapshot = calendar_snapshot(calendar_code)
    calendar = calendar_from_snapshot(snapshot)
    preset_name = str(_config("RECTIFICATION_PRESET"))
    now = clock.now()
    opened_on = local_date(now, timezone.get_default_timezone())
    due = deadlines.deadlines(calendar, opened_on, deadlines.preset_get(preset_name))
    try:
        with transaction.atomic():
            order = RectificationOrder.objects.create(
                evaluation=evaluation,
                unit=unit,
                calendar=snapshot,
                preset=preset_name,
                opened_at=now,
                opened_on=opened_on,
                contact_due=due.contact_due,
                rectify_due=due.rectify_due,
                appeal_due=deadlines.appeal_due(calendar, opened_on, int(_config("APPEAL_WORKING_DAYS"))),
            )
    except IntegrityError:  # opened by a concurrent call for the same evaluation
        return RectificationOrder.objects.select_related(*ORDER_RELATED).get(evaluation=evaluation)
    number = evaluation.case.number
    params = {
        "number": number,
        "contact_due": due.contact_due.isoformat(),
        "rectify_due": due.rectify_due.isoformat(),
    }
    notify(recipients=responsible_heads(unit), code="rectification.opened", target=order, params=params)
    audit_record(
        actor=None,
        action="rectification.order.opened",
        target=order,
        unit=unit,
        label=number,
        data={
            "contact_due": params["contact_due"],
            "rectify_due": params["rectify_due"],
            "preset": preset_name,
        },
    )
    return order


# --- the state machine -------------------------------------------------------------------------------------


def _lock(order: RectificationOrder) -> RectificationOrder:
    return (
        RectificationOrder.objects.select_for_update(of=("self",))
        .select_related(*ORDER_RELATED)
        .get(pk=order.pk)
    )


def _state_label(order: RectificationOrder) -> str:
    label = str(OrderStatus(order.status).label)
    if order.status == OrderStatus.VERIFIED and order.finding:
        label = f"{label} ({Finding(order.finding).label})"
    return label


def _not_now(rule: Transition, order: RectificationOrder) -> Conflict:
    return Conflict(
        _("Cannot do “%(action)s” on an order that is %(status)s.")
        % {"action": rule.label, "status": _state_label(order)},
        code="transition_not_allowed",
    )


def _refuse(actor: User, order: RectificationOrder) -> DomainError:
    """Someone who may see the order but not take this step is told so; anyone else finds nothing."""
    if any(has_perm_on_unit(actor, Perm.RECTIFICATION_VIEW, unit) for unit in order_units(order)):
        return Forbidden(_("Your role does not allow this step on this order."), code="role_not_allowed")
    return NotFound()


def _required(value: str, message: Any, code: str) -> str:
    if not value.strip():
        raise ValidationFailed(message, code=code)
    return value.strip()


def _finding_settled(order: RectificationOrder) -> bool:
    """After a rejected appeal or a supervisor's reopening, the review stands: only "valid" is left."""
    return order.escalated_at is not None or order.appeals.filter(status=AppealStatus.REJECTED).exists()


def _apply(order: RectificationOrder, name: str, details: Details, now: dt.datetime) -> dict[str, Any]:
    """Write the step's fields onto the order; returns the audit data (codes and dates, never free text)."""
    if name == "contact":
        order.call_notes = _required(
            details.call_notes, _("Write down what the citizen said."), "call_notes_required"
        )
        order.contacted_at = now
        return {}
    if name == "verify":
        if details.finding not in Finding.values:
            raise ValidationFailed(
                _("Choose the finding: valid, mistaken or malicious."), code="finding_required"
            )
        if details.finding != Finding.VALID and _finding_settled(order):
            raise Conflict(
                _(
                    "The review has been found valid on appeal or by the supervisor; "
                    "it can no longer be disputed."
                ),
                code="finding_settled",
            )
        order.finding = details.finding
        order.verification_notes = details.verification_notes.strip()
        order.verified_at = now
        return {"finding": order.finding}
    if name == "act":
        return _apply_outcome(order, details, now)
    if name in ("answer", "answer_and_close"):
        order.answer = _required(
            details.answer, _("Write the answer given to the citizen."), "answer_required"
        )
        order.answered_at = now
        if name == "answer_and_close":
            order.closed_at = now
        return {}
    if name == "rate":
        if details.satisfaction not in Satisfaction.values:
            raise ValidationFailed(
                _("Choose satisfied, basically satisfied or dissatisfied."), code="satisfaction_required"
            )
        order.satisfaction = details.satisfaction
        order.rated_at = now
        return {"satisfaction": order.satisfaction}
    if name == "close":
        order.closed_at = now
        return {}
    reason = _required(details.reason, _("Give the reason."), "reason_required")
    if name == "reopen":
        order.finding = Finding.VALID
        order.satisfaction = ""
    else:  # close_escalated
        order.closed_at = now
    return {"reason": reason}


def _apply_outcome(order: RectificationOrder, details: Details, now: dt.datetime) -> dict[str, Any]:
    if details.outcome not in Outcome.values:
        raise ValidationFailed(
            _("Choose the outcome: fixed at once, fixed by a deadline, or explained."),
            code="outcome_required",
        )
    order.outcome = details.outcome
    order.outcome_notes = details.outcome_notes.strip()
    order.ledger_entry, order.ledger_due, order.explanation = "", None, ""
    if details.outcome == Outcome.FIXED_BY_DEADLINE:
        if not details.ledger_entry.strip() or details.ledger_due is None:
            raise ValidationFailed(
                _("A fix by a deadline needs a ledger entry and its due date."), code="ledger_required"
            )
        if details.ledger_due < clock.today():
            raise ValidationFailed(_("The ledger due date has already passed."), code="ledger_due_in_past")
        order.ledger_entry, order.ledger_due = details.ledger_entry.strip(), details.ledger_due
    elif details.outcome == Outcome.EXPLAINED:
        order.explanation = _required(
            details.explanation,
            _("Explain to the citizen why the request has no legal basis."),
            "explanation_required",
        )
    order.acted_at = now
    data: dict[str, Any] = {"outcome": order.outcome}
    if order.ledger_due is not None:
        data["ledger_due"] = order.ledger_due.isoformat()
    return data


@transaction.atomic
def order_transition(
    *, actor: User, order: RectificationOrder, transition: str, details: Details | None = None
) -> RectificationOrder:
    """Take one step of the table in transitions.py. Appeals go through `appeal_file` and `appeal_decide`."""
    rule = TRANSITIONS.get(transition)
    if rule is None or (rule.by != "roles"):
        raise ValidationFailed(
            _("Unknown action %(action)s.") % {"action": transition}, code="unknown_transition"
        )
    order = _lock(order)
    if not may_take(actor, order, rule):
        raise _refuse(actor, order)
    if not allows(rule, order.status, order.finding):
        raise _not_now(rule, order)
    now = clock.now()
    data = _apply(order, rule.name, details or Details(), now)
    order.status = rule.target
    order.save()
    _record(actor, order, rule, data)
    if rule.name == "answer" and order.evaluation.case.applicant_id:
        notify(
            recipients=[order.evaluation.case.applicant],
            code="rectification.answered",
            target=order,
            params={"number": order.case_number},
        )
    if rule.name == "rate" and order.satisfaction == Satisfaction.DISSATISFIED:
        _escalate(order, now)
    return order


def _record(actor: User | None, order: RectificationOrder, rule: Transition, data: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=f"rectification.order.{rule.past}",
        target=order,
        unit=order.unit,
        label=order.case_number,
        data=data,
    )


def _escalate(order: RectificationOrder, now: dt.datetime) -> None:
    """A dissatisfied citizen: the order goes up to the supervisors, who reopen or close it."""
    rule = TRANSITIONS["escalate"]
    assert allows(rule, order.status, order.finding)
    order.status = rule.target
    order.escalated_at = now
    order.save(update_fields=["status", "escalated_at"])
    _record(None, order, rule, {})
    notify(
        recipients=[*supervisors(order), *responsible_heads(order.unit)],
        code="rectification.escalated",
        target=order,
        params={"number": order.case_number},
    )


# --- appeals -----------------------------------------------------------------------------------------------


def _reviewers(order: RectificationOrder, appellant: User) -> list[User]:
    """Who can decide the appeal: APPEAL_DECIDE roles over the order's units, working outside its chain."""
    chain = appellant_chain(order, appellant)
    found: dict[int, User] = {}
    for role in TRANSITIONS["uphold"].roles:
        for unit in order_units(order):
            for user in staff_covering(role=role, unit=unit):
                if outside_chain(user.org_unit, chain):
                    found[user.pk] = user
    return list(found.values())


@transaction.atomic
def appeal_file(*, actor: User, order: RectificationOrder, kind: str, reason: str) -> Appeal:
    """The staff member who served, or a head of the unit, asks for the review to be excluded."""
    rule = TRANSITIONS["appeal"]
    order = _lock(order)
    if not may_appeal(actor, order):
        if any(has_perm_on_unit(actor, Perm.RECTIFICATION_VIEW, unit) for unit in order_units(order)):
            raise Forbidden(
                _("Only the staff member who served or a head of the unit may appeal."), code="not_appellant"
            )
        raise NotFound()
    if not allows(rule, order.status, order.finding):
        raise _not_now(rule, order)
    if kind not in AppealKind.values:
        raise ValidationFailed(
            _("Say whether the review is mistaken or malicious."), code="invalid_appeal_kind"
        )
    reason = _required(reason, _("Give the reason for the appeal."), "reason_required")
    if deadlines.is_late(order.appeal_due, clock.today()):
        raise Conflict(
            _(
                "The time to appeal ended on %(date)s: an appeal is filed within %(days)s working days "
                "of the order's opening."
            )
            % {"date": order.appeal_due.isoformat(), "days": _config("APPEAL_WORKING_DAYS")},
            code="appeal_window_closed",
        )
    if order.appeals.filter(status=AppealStatus.REJECTED).exists():
        raise Conflict(_("An appeal on this review has already been rejected."), code="already_appealed")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                order=order, kind=kind, reason=reason, filed_by=actor, filed_at=clock.now()
            )
    except IntegrityError:
        raise Conflict(_("An appeal on this order is already pending."), code="appeal_pending") from None
    order.status = rule.target
    order.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="rectification.appeal.filed",
        target=appeal,
        unit=order.unit,
        label=order.case_number,
        data={"appeal_kind": kind, "reason": reason},
    )
    notify(
        recipients=_reviewers(order, actor),
        code="rectification.appeal_filed",
        target=appeal,
        params={"number": order.case_number},
    )
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, outcome: str, reason: str) -> Appeal:
    """A reviewer outside the appellant's unit upholds (the review stops counting) or rejects the appeal."""
    if outcome not in (AppealStatus.UPHELD, AppealStatus.REJECTED):
        raise ValidationFailed(_("Uphold or reject the appeal."), code="invalid_outcome")
    rule = TRANSITIONS["uphold" if outcome == AppealStatus.UPHELD else "reject"]
    order = _lock(appeal.order)
    appeal = (
        Appeal.objects.select_for_update(of=("self",)).select_related("filed_by__org_unit").get(pk=appeal.pk)
    )
    appeal.order = order
    covers = any(has_perm_on_unit(actor, Perm.APPEAL_DECIDE, unit) for unit in order_units(order))
    if not covers:
        raise _refuse(actor, order)
    if not may_decide(actor, appeal):
        raise Forbidden(
            _("An appeal is decided by a reviewer from outside the appellant's unit."),
            code="reviewer_inside_unit",
        )
    if appeal.status != AppealStatus.PENDING or not allows(rule, order.status, order.finding):
        raise Conflict(_("This appeal has already been decided."), code="appeal_decided")
    reason = _required(reason, _("Give the reason for the decision."), "reason_required")
    now = clock.now()
    appeal.status = outcome
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.decision_reason = reason
    appeal.save()
    if outcome == AppealStatus.UPHELD:
        evaluation_exclude(actor=actor, evaluation=order.evaluation, reason=reason)
    else:
        order.finding = Finding.VALID
    order.status = rule.target
    order.save(update_fields=["status", "finding"])
    audit_record(
        actor=actor,
        action=f"rectification.appeal.{rule.past}",
        target=appeal,
        unit=order.unit,
        label=order.case_number,
        data={"reason": reason},
    )
    notify(
        recipients=[appeal.filed_by, *responsible_heads(order.unit)],
        code=f"rectification.appeal_{outcome}",
        target=appeal,
        params={"number": order.case_number},
    )
    return appeal


# --- the deadline scan -------------------------------------------------------------------------------------


def rectification_scan(*, batch_size: int = 500) -> dict[str, int]:
    """Mark orders past their contact or rectification deadline, once each, and tell the level above.

    Only changes are written: running it twice changes and sends nothing the second time.
    """
    today = clock.today()
    changed = {"contact_overdue": 0, "rectify_overdue": 0}
    late = Q(status=OrderStatus.OPEN, contact_overdue=False, contact_due__lt=today) | Q(
        status__in=RECTIFY_PENDING, rectify_overdue=False, rectify_due__lt=today
    )
    ids = list(RectificationOrder.objects.filter(late).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            for order in (
                RectificationOrder.objects.select_for_update(of=("self",))
                .select_related(*ORDER_RELATED)
                .filter(pk__in=ids[start : start + batch_size])
            ):
                for kind, flag, due, pending in (
                    ("contact", "contact_overdue", order.contact_due, (OrderStatus.OPEN,)),
                    ("rectify", "rectify_overdue", order.rectify_due, RECTIFY_PENDING),
                ):
                    if (
                        getattr(order, flag)
                        or order.status not in pending
                        or not deadlines.is_late(due, today)
                    ):
                        continue
                    setattr(order, flag, True)
                    order.save(update_fields=[flag])
                    changed[flag] += 1
                    _overdue(order, kind, due)
    return changed


def _overdue(order: RectificationOrder, kind: str, due: dt.date) -> None:
    params = {"number": order.case_number, "due": due.isoformat()}
    notify(
        recipients=[*responsible_heads(order.unit), *supervisors(order)],
        code=f"rectification.{kind}_overdue",
        target=order,
        params=params,
    )
    audit_record(
        actor=None,
        action=f"rectification.order.{kind}_overdue",
        target=order,
        unit=order.unit,
        label=order.case_number,
        data={"due": params["due"]},
    )
