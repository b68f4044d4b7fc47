"""Management review (ISO 9001 9.3): a review held for a period, its pack built from live data, and its
outputs (decisions and actions) followed up at the next review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")


class OutputKind(models.TextChoices):
    DECISION = "decision", _("decision")
    ACTION = "action", _("action")


class OutputStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class ManagementReview(models.Model):
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    attendees = models.TextField(_("attendees"), blank=True)
    # The inputs of 9.3.2 that no table holds: the review writes them down.
    issues = models.TextField(_("changes in external and internal issues"), blank=True)
    resources = models.TextField(_("adequacy of resources"), blank=True)
    risks = models.TextField(_("effectiveness of actions on risks and opportunities"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="review_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.HELD) | Q(held_on__isnull=False, chair__isnull=False),
                name="review_held_has_a_date_and_chair",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewOutput(models.Model):
    """A decision or an action of a review (9.3.3); open actions are the first input of the next one."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="outputs")
    kind = models.CharField(_("kind"), max_length=10, choices=OutputKind.choices)
    text = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutputStatus.choices, default=OutputStatus.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("review output")
        verbose_name_plural = _("review outputs")
        ordering = ["review", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=OutputKind.ACTION) | Q(owner__isnull=False, due_on__isnull=False),
                name="review_action_has_owner_and_due_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review_id}:{self.kind}"
