"""Nonconformities raised from live signals, audits, complaints or by hand, their linked records and
actions, and the effectiveness check that re-measures the indicator that raised them (domain.md §8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.quality.enums import (
    OPEN_NC,
    ActionKind,
    ActionStatus,
    CauseCategory,
    NcStatus,
    RecordKind,
    Severity,
    Source,
)


class Nonconformity(models.Model):
    """Something that did not meet a requirement: raised by a rule from live data, by an audit, from a
    complaint or by hand; contained, analysed, acted on, and closed only once the indicator that raised it
    is measured again and found improved (or the quality office records why not)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # The rule and subject an automatic source fired for, e.g. "bad_reviews|unit:12|2026-10": at most one
    # nonconformity ever per key, so a rule that fires again adds its records instead of raising another.
    rule_key = models.CharField(_("rule key"), max_length=120, blank=True)
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nonconformities",
    )
    service = models.ForeignKey(
        "catalogue.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nonconformities",
    )
    period = models.CharField(_("period"), max_length=10, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=10, choices=NcStatus.choices, default=NcStatus.OPEN)
    containment = models.TextField(_("containment"), blank=True)
    whys = models.JSONField(_("five whys"), default=list, blank=True)
    cause_category = models.CharField(
        _("cause category"), max_length=12, choices=CauseCategory.choices, blank=True
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_nonconformities",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"))
    # The effectiveness check: the indicator measured over the period that raised it (the baseline) and
    # again over the same number of days once the actions are done.
    indicator = models.CharField(_("indicator"), max_length=40, blank=True)
    baseline_start = models.DateField(null=True, blank=True)
    baseline_end = models.DateField(null=True, blank=True)
    baseline_value = models.FloatField(_("baseline"), null=True, blank=True)
    baseline_n = models.PositiveIntegerField(null=True, blank=True)
    check_after_days = models.PositiveIntegerField(_("check after (days)"), default=30)
    check_due = models.DateField(_("effectiveness check due"), null=True, blank=True)
    effect_start = models.DateField(null=True, blank=True)
    effect_end = models.DateField(null=True, blank=True)
    effect_value = models.FloatField(_("measured again"), null=True, blank=True)
    effect_n = models.PositiveIntegerField(null=True, blank=True)
    effective = models.BooleanField(_("effective"), null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_key"], condition=~Q(rule_key=""), name="nc_one_per_rule_key"
            ),
            models.CheckConstraint(
                condition=~Q(status=NcStatus.CLOSED) | Q(closed_at__isnull=False), name="nc_closed_has_a_date"
            ),
            # Without a unit or a service nobody's scope covers it, so nobody could act on it.
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(service__isnull=False), name="nc_has_a_subject"
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"], name="quality_nc_status_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_NC


class NonconformityRecord(models.Model):
    """A record that raised (or supports) a nonconformity: an evaluation, a case, a rectification order."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("kind"), max_length=12, choices=RecordKind.choices)
    object_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("linked record")
        verbose_name_plural = _("linked records")
        constraints = [
            models.UniqueConstraint(fields=["nonconformity", "kind", "object_id"], name="nc_record_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class Action(models.Model):
    """A correction, corrective or preventive action of a nonconformity, owned by one person, due on a
    working day."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("kind"), max_length=12, choices=ActionKind.choices)
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    result = models.TextField(_("what was done"), blank=True)
    # A procedure changed as the action: the new version it produced.
    procedure_version = models.ForeignKey(
        "catalogue.ProcedureVersion",
        verbose_name=_("procedure version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.DONE) | (Q(done_at__isnull=False) & ~Q(result="")),
                name="action_done_has_a_result",
            )
        ]

    def __str__(self) -> str:
        return f"{self.nonconformity.number}/{self.pk}"
