"""Self-assessment (domain.md §8): CAF 2020 with its classical scoring panels, and the ISO 18091 diagnostic
with its traffic lights. Both are records of one unit at one time: a completed one is locked, and the next
self-assessment is a new record, so the history is the list of completed ones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.quality.reference import CAF_SUBCRITERIA, TRAFFIC_LIGHTS

__all__ = ["CafAssessment", "CafScore", "Diagnostic", "DiagnosticRating"]


class SelfAssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    COMPLETED = "completed", _("completed")


class Light(models.TextChoices):
    """The ISO 18091 traffic light, worst first as in `reference.TRAFFIC_LIGHTS`."""

    RED = "red", _("red")
    YELLOW = "yellow", _("yellow")
    GREEN = "green", _("green")


# The choices are the reference's lights, in its order.
assert tuple(Light.values) == TRAFFIC_LIGHTS

_COMPLETED_IS_SIGNED = ~Q(status=SelfAssessmentStatus.COMPLETED) | (
    Q(completed_at__isnull=False) & Q(completed_by__isnull=False)
)


class CafAssessment(models.Model):
    """One CAF 2020 self-assessment of one unit: a score and its reasons for each of the 28 sub-criteria."""

    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="caf_assessments"
    )
    title = models.CharField(_("title"), max_length=200)
    period = models.CharField(_("period covered"), max_length=40)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SelfAssessmentStatus.choices,
        default=SelfAssessmentStatus.DRAFT,
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("CAF self-assessment")
        verbose_name_plural = _("CAF self-assessments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SelfAssessmentStatus.values), name="caf_assessment_status_valid"
            ),
            models.CheckConstraint(condition=_COMPLETED_IS_SIGNED, name="caf_assessment_completed_is_signed"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="quality_caf_unit_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_completed(self) -> bool:
        return self.status == SelfAssessmentStatus.COMPLETED


class CafScore(models.Model):
    """The score of one sub-criterion on its classical panel (whole points 0-100) with the reasons for it."""

    assessment = models.ForeignKey(CafAssessment, on_delete=models.CASCADE, related_name="scores")
    sub_criterion = models.CharField(_("sub-criterion"), max_length=5)
    score = models.PositiveSmallIntegerField(_("score"))
    strengths = models.TextField(_("strengths"), blank=True)
    areas_for_improvement = models.TextField(_("areas for improvement"), blank=True)
    actions = models.TextField(_("improvement actions"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("CAF sub-criterion score")
        verbose_name_plural = _("CAF sub-criterion scores")
        ordering = ["assessment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "sub_criterion"], name="caf_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="caf_score_0_to_100"),
            # CAF 2020 is a published, fixed model: its 28 numbers will not move.
            models.CheckConstraint(
                condition=Q(sub_criterion__in=[s.number for s in CAF_SUBCRITERIA]),
                name="caf_score_known_sub_criterion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sub_criterion}: {self.score}"


class Diagnostic(models.Model):
    """One ISO 18091 diagnostic of one unit: a traffic light and its evidence for each of 39 indicators."""

    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="diagnostics"
    )
    title = models.CharField(_("title"), max_length=200)
    assessed_on = models.DateField(_("assessed on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SelfAssessmentStatus.choices,
        default=SelfAssessmentStatus.DRAFT,
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("ISO 18091 diagnostic")
        verbose_name_plural = _("ISO 18091 diagnostics")
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SelfAssessmentStatus.values), name="diagnostic_status_valid"
            ),
            models.CheckConstraint(condition=_COMPLETED_IS_SIGNED, name="diagnostic_completed_is_signed"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="quality_diag_unit_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_completed(self) -> bool:
        return self.status == SelfAssessmentStatus.COMPLETED


class DiagnosticRating(models.Model):
    """The light of one indicator in a diagnostic, with the evidence that supports it.

    The indicator code is checked against the reference by the service, not by the database: the names and
    quadrants of ISO 18091 Annex A are not confirmed yet (reference.ISO18091_INDICATOR_NAMES_CONFIRMED),
    and a correction would otherwise need a schema change on top of the data migration it already needs.
    """

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="ratings")
    indicator = models.CharField(_("indicator"), max_length=8)
    light = models.CharField(_("light"), max_length=6, choices=Light.choices)
    evidence = models.TextField(_("evidence"))
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("ISO 18091 rating")
        verbose_name_plural = _("ISO 18091 ratings")
        ordering = ["diagnostic", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "indicator"], name="diagnostic_rating_once"),
            models.CheckConstraint(condition=Q(light__in=Light.values), name="diagnostic_rating_light_valid"),
            # Every light, green included, says what it rests on.
            models.CheckConstraint(condition=~Q(evidence=""), name="diagnostic_rating_has_evidence"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.light}"
