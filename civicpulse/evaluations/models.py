"""Citizen evaluations (好差评): versioned indicator templates, evaluations, fraud flags, one-time links and
integrations (API clients such as the app, kiosks and the 12345 hotline)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.evaluations.enums import (
    EvalChannel,
    EvaluationStatus,
    Exclusion,
    FlagCode,
    Grade,
    Review,
    Stage,
    TemplateKind,
)

TEXT_MAX = 1200


class IndicatorTemplate(models.Model):
    """The dimensions rated beside the overall level, and the reason tags offered; one current per kind.

    Each evaluation keeps the version it was given, so a later template never reinterprets old ratings.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=TemplateKind.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    # [{"key", "name_zh", "name_en"}], the overall level excluded (it is the evaluation's level).
    dimensions = models.JSONField(_("dimensions"))
    reason_tags = models.JSONField(_("reason tags"))
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("indicator template")
        verbose_name_plural = _("indicator templates")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_current=True), name="template_one_current_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class Integration(models.Model):
    """An API client that submits evaluations for citizens: its channel is recorded on each evaluation."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=EvalChannel.choices)
    # A pad is paired with one window: it rates the interactions at that window only.
    window = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("window"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # SHA-256 of the token; the token itself is shown once when it is issued.
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel=EvalChannel.PAD) | Q(window__isnull=False),
                name="integration_pad_has_window",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="evaluations"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    ticket = models.ForeignKey(
        "cases.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=EvalChannel.choices)
    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), null=True, blank=True, on_delete=models.PROTECT
    )
    template = models.ForeignKey(IndicatorTemplate, verbose_name=_("template"), on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField(_("level"))
    grade = models.CharField(_("review"), max_length=10, choices=Grade.choices)
    dimensions = models.JSONField(_("dimension ratings"), default=dict, blank=True)
    tags = models.JSONField(_("reason tags"), default=list, blank=True)
    text = models.TextField(_("comment"), max_length=TEXT_MAX, blank=True)
    # Who rated: "applicant" when it is the case's applicant by account, phone, link or pad, otherwise
    # "account:<id>" or "phone:<digits>". One evaluation per (case, stage, evaluator).
    evaluator_key = models.CharField(max_length=40, editable=False)
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evaluator_phone = models.CharField(_("evaluator phone"), max_length=20, blank=True)
    # What was served, and by whom: "whoever handled it is responsible" (谁办理谁负责).
    service = models.ForeignKey("catalogue.Service", verbose_name=_("service"), on_delete=models.PROTECT)
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("serving unit"), on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("window"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations_received",
    )
    device = models.CharField(_("device"), max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    status = models.CharField(
        _("status"), max_length=12, choices=EvaluationStatus.choices, default=EvaluationStatus.VALID
    )
    exclusion = models.CharField(_("excluded because"), max_length=10, choices=Exclusion.choices, blank=True)
    review = models.CharField(_("review outcome"), max_length=10, choices=Review.choices, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["unit", "submitted_at"]),
            models.Index(fields=["status", "grade"]),
            models.Index(fields=["device", "submitted_at"]),
            models.Index(fields=["ip", "submitted_at"]),
            models.Index(fields=["evaluator_phone", "submitted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "stage", "evaluator_key"], name="evaluation_one_per_case_stage_evaluator"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.CheckConstraint(
                condition=Q(status=EvaluationStatus.EXCLUDED, exclusion__in=Exclusion.values)
                | (~Q(status=EvaluationStatus.EXCLUDED) & Q(exclusion="")),
                name="evaluation_excluded_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.stage} {self.level}"


class FraudFlag(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("rule"), max_length=20, choices=FlagCode.choices)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("fraud flag")
        verbose_name_plural = _("fraud flags")
        ordering = ["evaluation", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="fraud_flag_once_per_rule")
        ]

    def __str__(self) -> str:
        return self.code


class EvaluationLink(models.Model):
    """A one-time link (QR code on the receipt, or SMS) bound to one interaction: expires, used once."""

    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluation_links")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # Set when the link is the invitation sent N days after the stage (one per case).
    is_invitation = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("evaluation link")
        verbose_name_plural = _("evaluation links")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_invitation=True), name="evaluation_one_invitation_per_case"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="link_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.stage}"
