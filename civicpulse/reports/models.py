"""Monthly reports: one row per generated version of a unit's report for a month, in one language, with the
data cut off in one way. Versions are never overwritten: a regeneration is a new row, and the newest one
that was generated is the live one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.reports.enums import PENDING, CutoffKind, Language, ReportStatus

# What makes two reports versions of the same report.
KEY = ("unit", "month", "language", "cutoff_kind")


class Report(models.Model):
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.CharField(_("month"), max_length=7)  # "2026-10", as assessment periods are written
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    cutoff_kind = models.CharField(_("cut-off"), max_length=10, choices=CutoffKind.choices)
    cutoff = models.DateTimeField(_("data cut-off"))
    version = models.PositiveIntegerField(_("version"))
    live = models.BooleanField(_("live version"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    # Null: asked for by the schedule (or at the console), not by a person.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xlsx = models.FileField(_("spreadsheet"), upload_to="reports/%Y/%m/", blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    # SHA-256 of the figures (not of the files): the same data gives the same digest in either language.
    digest = models.CharField(_("figures digest"), max_length=64, blank=True)
    figures = models.JSONField(_("figures"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "unit__path", "language", "cutoff_kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=[*KEY, "version"], name="report_version_unique"),
            models.UniqueConstraint(fields=list(KEY), condition=Q(live=True), name="report_one_live"),
            # A second request while one is waiting or running gets that one: requests are idempotent.
            models.UniqueConstraint(
                fields=list(KEY), condition=Q(status__in=PENDING), name="report_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(live=False) | Q(status=ReportStatus.DONE), name="report_live_is_done"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.DONE)
                | (
                    Q(generated_at__isnull=False)
                    & ~Q(pdf="")
                    & ~Q(xlsx="")
                    & ~Q(pdf_sha256="")
                    & ~Q(xlsx_sha256="")
                    & ~Q(digest="")
                ),
                name="report_done_has_its_files",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.FAILED) | ~Q(error=""), name="report_failed_says_why"
            ),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="report_language_known"),
            models.CheckConstraint(
                condition=Q(cutoff_kind__in=CutoffKind.values), name="report_cutoff_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self) -> str:
        return f"{self.unit.name_zh} {self.month} · {self.language} · v{self.version}"

    @property
    def pending(self) -> bool:
        return self.status in PENDING
