"""Rectification of bad reviews (差评整改): one order per valid bad review, and the staff's appeals
against it.

The citizen's personal data stay on the case: an order refers to its evaluation and shows the applicant
masked only (`__str__` is the case number's order label, never a name).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.rectification.enums import (
    AppealKind,
    AppealStatus,
    Finding,
    OrderStatus,
    Outcome,
    Satisfaction,
)


class RectificationOrder(models.Model):
    """The handling of one bad review by the unit that served the citizen ("whoever handled it")."""

    evaluation = models.OneToOneField(
        "evaluations.Evaluation",
        verbose_name=_("evaluation"),
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="rectification_orders",
    )
    # Like a case, the order keeps the calendar and preset of its opening: later changes never move deadlines.
    calendar = models.JSONField(_("calendar at opening"))
    preset = models.CharField(_("deadline preset"), max_length=20)
    opened_at = models.DateTimeField(_("opened"))
    opened_on = models.DateField(_("opening date"))
    contact_due = models.DateField(_("contact the citizen by"))
    rectify_due = models.DateField(_("rectify by"))
    appeal_due = models.DateField(_("appeal by"))
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    contact_overdue = models.BooleanField(_("contact overdue"), default=False)
    rectify_overdue = models.BooleanField(_("rectification overdue"), default=False)
    call_notes = models.TextField(_("call notes"), blank=True)
    finding = models.CharField(_("finding"), max_length=10, choices=Finding.choices, blank=True)
    verification_notes = models.TextField(_("verification notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("what was done"), blank=True)
    ledger_entry = models.TextField(_("ledger entry"), blank=True)
    ledger_due = models.DateField(_("ledger due date"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    answer = models.TextField(_("answer to the citizen"), blank=True)
    satisfaction = models.CharField(
        _("citizen's rating of the rectification"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    acted_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "rectify_due"]),
            # The orders not yet closed, by unit: the dashboards' backlog, a few among all there ever were.
            # Covering: the backlog counts the overdue among them without reading the orders.
            models.Index(
                fields=["unit", "status", "contact_overdue", "rectify_overdue"],
                condition=~Q(status=OrderStatus.CLOSED),
                name="rect_unclosed_by_unit",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.VERIFIED) | Q(finding__in=Finding.values),
                name="rectification_verified_has_a_finding",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.FIXED_BY_DEADLINE)
                | (~Q(ledger_entry="") & Q(ledger_due__isnull=False)),
                name="rectification_deadline_fix_has_a_ledger_entry",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.EXPLAINED) | ~Q(explanation=""),
                name="rectification_explained_has_an_explanation",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[OrderStatus.ANSWERED, OrderStatus.RATED]) | ~Q(answer=""),
                name="rectification_answered_has_an_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def case_number(self) -> str:
        return self.evaluation.case.number

    @property
    def is_open(self) -> bool:
        return self.status != OrderStatus.CLOSED


class Appeal(models.Model):
    """Staff ask for a review to be excluded as mistaken (误评) or malicious (恶意); an outsider decides."""

    order = models.ForeignKey(
        RectificationOrder,
        verbose_name=_("rectification order"),
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AppealKind.choices)
    reason = models.TextField(_("reason"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_pending_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status=AppealStatus.PENDING)
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision_reason="")),
                name="appeal_decision_says_who_and_why",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="appeal_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"
