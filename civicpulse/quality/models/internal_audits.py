"""Internal audits (ISO 9001 9.2, ISO 19011): a programme per year approved by someone other than its
author; audits scoped to units, services and ISO 9001 clauses, run by auditors independent of the area
they audit; a checklist; findings, of which the minor and major ones open a nonconformity; a report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "AuditProgramme",
    "AuditStatus",
    "ChecklistItem",
    "ChecklistResult",
    "Finding",
    "FindingKind",
    "InternalAudit",
    "ProgrammeStatus",
]


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    # The words of other records ("approved" as a case decision, "closed" as a finished case) read
    # differently in Chinese: these carry their own context.
    APPROVED = "approved", pgettext_lazy("audit programme", "approved")


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("internal audit", "in progress")
    REPORTED = "reported", _("reported")
    CLOSED = "closed", pgettext_lazy("internal audit", "closed")


class FindingKind(models.TextChoices):
    CONFORMITY = "conformity", _("conformity")
    OBSERVATION = "observation", _("observation")
    MINOR = "minor", _("minor nonconformity")
    MAJOR = "major", _("major nonconformity")


# The kinds of finding that open a nonconformity.
NONCONFORMING = (FindingKind.MINOR, FindingKind.MAJOR)


class ChecklistResult(models.TextChoices):
    BLANK = "", _("not answered")
    CONFORMITY = "conformity", _("conformity")
    OBSERVATION = "observation", _("observation")
    MINOR = "minor", _("minor nonconformity")
    MAJOR = "major", _("major nonconformity")


class AuditProgramme(models.Model):
    """The internal audit programme of one year, approved by someone other than its author."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="audit_programme_year"),
            models.CheckConstraint(
                condition=Q(status__in=ProgrammeStatus.values), name="audit_programme_status_valid"
            ),
            # ISO 9001 9.2.2 a) with 5.1: the programme is approved by someone other than its author.
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("author")),
                name="audit_programme_approver_is_not_the_author",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProgrammeStatus.APPROVED)
                | (Q(approver__isnull=False) & Q(approved_at__isnull=False)),
                name="audit_programme_approved_has_an_approver",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class InternalAudit(models.Model):
    """One audit of the programme: its scope (units, services, clauses), criteria, team and report.

    `auditors` is the whole team, the lead auditor among them."""

    programme = models.ForeignKey(
        AuditProgramme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="audits"
    )
    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    scope_units = models.ManyToManyField(
        "accounts.OrgUnit", verbose_name=_("units audited"), blank=True, related_name="internal_audits"
    )
    scope_services = models.ManyToManyField(
        "catalogue.Service", verbose_name=_("services audited"), blank=True, related_name="internal_audits"
    )
    # ISO 9001:2015 clause numbers (civicpulse.quality.reference.CLAUSE_NUMBERS), in the standard's order.
    clauses = models.JSONField(_("clauses"), default=list)
    criteria = models.TextField(_("audit criteria"))
    planned_on = models.DateField(_("planned for"))
    status = models.CharField(
        _("status"), max_length=12, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead auditor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("auditors"), blank=True, related_name="internal_audits"
    )
    report = models.TextField(_("report"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("internal audit")
        verbose_name_plural = _("internal audits")
        ordering = ["planned_on", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AuditStatus.values), name="internal_audit_status"),
            models.CheckConstraint(
                condition=Q(status=AuditStatus.PLANNED)
                | (Q(lead_auditor__isnull=False) & Q(started_at__isnull=False)),
                name="internal_audit_started_has_a_lead",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AuditStatus.REPORTED, AuditStatus.CLOSED])
                | (Q(reported_at__isnull=False) & ~Q(report="")),
                name="internal_audit_reported_has_a_report",
            ),
            models.CheckConstraint(
                condition=~Q(status=AuditStatus.CLOSED) | Q(closed_at__isnull=False),
                name="internal_audit_closed_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ChecklistItem(models.Model):
    """A question the auditors ask against a clause, and what they found."""

    audit = models.ForeignKey(InternalAudit, on_delete=models.CASCADE, related_name="checklist")
    clause = models.CharField(_("clause"), max_length=10)
    question = models.TextField(_("question"))
    result = models.CharField(
        _("result"), max_length=12, choices=ChecklistResult.choices, blank=True, default=ChecklistResult.BLANK
    )
    note = models.TextField(_("note"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["audit", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=ChecklistResult.values), name="checklist_item_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(result="") | (Q(answered_by__isnull=False) & Q(answered_at__isnull=False)),
                name="checklist_item_answer_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.clause}"


class Finding(models.Model):
    """What the audit found against a clause in one audited unit. A minor or major finding opens one
    nonconformity, kept linked here; a conformity or an observation opens none."""

    audit = models.ForeignKey(InternalAudit, on_delete=models.PROTECT, related_name="findings")
    clause = models.CharField(_("clause"), max_length=10)
    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices)
    description = models.TextField(_("description"))
    evidence = models.TextField(_("evidence"), blank=True)
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    nonconformity = models.ForeignKey(
        "quality.Nonconformity",
        verbose_name=_("nonconformity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_findings",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["audit", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FindingKind.values), name="finding_kind_valid"),
            # The finding is written before its nonconformity exists (the nonconformity links the finding's
            # id), so the database can only promise the other direction.
            models.CheckConstraint(
                condition=Q(kind__in=NONCONFORMING) | Q(nonconformity__isnull=True),
                name="finding_only_nonconforming_open_a_nonconformity",
            ),
            models.UniqueConstraint(
                fields=["nonconformity"],
                condition=Q(nonconformity__isnull=False),
                name="finding_one_per_nonconformity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.pk}"

    @property
    def opens_nonconformity(self) -> bool:
        return self.kind in NONCONFORMING
