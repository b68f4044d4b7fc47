"""Published results: a period's figures, computed once by the assessment engine when the quality office
publishes them, and frozen. Rows are never updated or deleted (the models refuse it and database triggers
refuse it too, see the migration); withdrawing a period only changes its status, with a reason."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.assessment.enums import PeriodKind
from civicpulse.publication.enums import PublicationStatus, SubjectKind
from civicpulse.publication.indicators import RANKED_BY


class _Frozen(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError(f"{self._meta.label} rows are frozen once published")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{self._meta.label} rows are frozen once published")


class PublishedPeriod(models.Model):
    """One publication: a complete month, quarter or year of one organisation unit's subtree."""

    # The stable address of the publication's pages and files: "2026-05-county", "2026-05-county-2" for a
    # publication of the same period after a withdrawal.
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    label = models.CharField(_("period"), max_length=10)
    kind = models.CharField(_("kind of period"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    cutoff = models.DateTimeField(_("data cut-off"))
    scope = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    scope_code = models.CharField(_("organisation code"), max_length=40)
    scope_name_zh = models.CharField(_("organisation (Chinese)"), max_length=100)
    scope_name_en = models.CharField(_("organisation (English)"), max_length=100)
    # The rules in force when it was published, kept with it: a later setting never re-reads old figures.
    min_sample = models.PositiveIntegerField(_("minimum sample for ranking"), null=True, blank=True)
    suppress_below = models.PositiveIntegerField(_("counts suppressed below"))
    digest = models.CharField(_("digest of the figures"), max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"))
    status = models.CharField(
        _("status"), max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.LIVE
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("published period")
        verbose_name_plural = _("published periods")
        ordering = ["-start", "kind", "scope_code", "-published_at"]
        constraints = [
            # The same period of the same organisation is published once at a time.
            models.UniqueConstraint(
                fields=["scope", "label"],
                condition=Q(status=PublicationStatus.LIVE),
                name="published_period_one_live",
            ),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="published_period_ordered"),
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="published_period_known_status"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=PublicationStatus.LIVE, withdrawn_at__isnull=True, withdrawal_reason="")
                    | (
                        Q(status=PublicationStatus.WITHDRAWN, withdrawn_at__isnull=False)
                        & ~Q(withdrawal_reason="")
                    )
                ),
                name="published_period_withdrawal_says_when_and_why",
            ),
            models.CheckConstraint(condition=Q(suppress_below__gte=1), name="published_period_threshold"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_live(self) -> bool:
        return self.status == PublicationStatus.LIVE


class PublishedFigure(_Frozen):
    """One indicator of one department or service, as measured at publishing, with the names of the day."""

    period = models.ForeignKey(PublishedPeriod, on_delete=models.PROTECT, related_name="figures")
    subject_kind = models.CharField(_("subject"), max_length=10, choices=SubjectKind.choices)
    subject_code = models.CharField(_("code"), max_length=40)
    subject_name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    subject_name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        "catalogue.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A department's assessment category (its peers for the ranking).
    category_code = models.CharField(_("category code"), max_length=40, blank=True)
    category_name_zh = models.CharField(_("category (Chinese)"), max_length=100, blank=True)
    category_name_en = models.CharField(_("category (English)"), max_length=100, blank=True)
    # A service's responsible department, as published beside it.
    department_code = models.CharField(_("department code"), max_length=40, blank=True)
    department_name_zh = models.CharField(_("department (Chinese)"), max_length=100, blank=True)
    department_name_en = models.CharField(_("department (English)"), max_length=100, blank=True)
    indicator = models.CharField(_("indicator"), max_length=40)
    value = models.FloatField(_("value"), null=True)
    low = models.FloatField(_("interval low"), null=True)
    high = models.FloatField(_("interval high"), null=True)
    raw = models.FloatField(_("raw value"), null=True)
    n = models.PositiveIntegerField(_("sample"))
    numerator = models.FloatField(_("numerator"))
    insufficient = models.BooleanField(_("insufficient data"))
    suppressed = models.BooleanField(_("suppressed"))
    rank = models.PositiveIntegerField(_("rank in category"), null=True)

    class Meta:
        verbose_name = _("published figure")
        verbose_name_plural = _("published figures")
        ordering = ["period", "subject_kind", "subject_code", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "subject_kind", "subject_code", "indicator"], name="published_figure_unique"
            ),
            models.CheckConstraint(
                condition=Q(subject_kind=SubjectKind.DEPARTMENT, unit__isnull=False, service__isnull=True)
                | Q(subject_kind=SubjectKind.SERVICE, service__isnull=False, unit__isnull=True),
                name="published_figure_subject",
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True)
                | Q(
                    subject_kind=SubjectKind.DEPARTMENT, indicator=RANKED_BY, insufficient=False, rank__gte=1
                ),
                name="published_figure_ranked_only_if_sufficient",
            ),
            models.CheckConstraint(condition=Q(numerator__gte=0), name="published_figure_numerator"),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="published_figure_interval_ordered",
            ),
        ]
        indexes = [models.Index(fields=["period", "subject_kind", "indicator"])]

    def __str__(self) -> str:
        return f"{self.period} {self.subject_code} {self.indicator}"


class PublishedExample(_Frozen):
    """A rectified bad review as the public reads it: anonymised when published, never touched again."""

    period = models.ForeignKey(PublishedPeriod, on_delete=models.PROTECT, related_name="examples")
    position = models.PositiveSmallIntegerField(_("position"))
    # Kept for the quality office (one example per order and period); never published.
    order = models.ForeignKey("rectification.RectificationOrder", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    service_code = models.CharField(_("service code"), max_length=40)
    service_name_zh = models.CharField(_("service (Chinese)"), max_length=200)
    service_name_en = models.CharField(_("service (English)"), max_length=200)
    department_code = models.CharField(_("department code"), max_length=40)
    department_name_zh = models.CharField(_("department (Chinese)"), max_length=100)
    department_name_en = models.CharField(_("department (English)"), max_length=100)
    # [{"key", "name_zh", "name_en"}]: the reasons the citizen ticked.
    tags = models.JSONField(_("reasons"), default=list, blank=True)
    complaint = models.TextField(_("complaint"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    answer = models.TextField(_("answer"))
    satisfaction = models.CharField(_("citizen's rating of the rectification"), max_length=20)

    class Meta:
        verbose_name = _("published example")
        verbose_name_plural = _("published examples")
        ordering = ["period", "position"]
        constraints = [
            models.UniqueConstraint(fields=["period", "order"], name="published_example_once"),
            models.UniqueConstraint(fields=["period", "position"], name="published_example_position"),
        ]

    def __str__(self) -> str:
        return f"{self.period} #{self.position}"
