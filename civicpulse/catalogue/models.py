from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role
from civicpulse.catalogue.enums import (
    Channels,
    MaterialForm,
    MaterialSource,
    PowerKind,
    ServiceMode,
    VersionStatus,
)


class Service(models.Model):
    """A public service item (政务服务事项): its identity and its one responsible unit and process owner.

    Everything a standard procedure specifies (limits, steps, materials) lives on ProcedureVersion, so a case
    can keep the version it was filed under.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    power_kind = models.CharField(_("kind of power"), max_length=20, choices=PowerKind.choices)
    responsible_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    process_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("process owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_services",
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"), name="service_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class ProcedureVersion(models.Model):
    """One version of a service's standard procedure. Draft > in review > published > retired.

    A published version is immutable; a service has at most one published version at a time.
    """

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    legal_basis = models.TextField(_("legal basis"), blank=True)
    service_mode = models.CharField(_("service mode"), max_length=20, choices=ServiceMode.choices)
    statutory_limit_days = models.PositiveSmallIntegerField(_("statutory limit (working days)"))
    promised_limit_days = models.PositiveSmallIntegerField(_("promised limit (working days)"))
    channels = models.CharField(_("channels"), max_length=10, choices=Channels.choices)
    run_at_most_once = models.BooleanField(_("run at most once"), default=True)
    fee_yuan = models.DecimalField(_("fee (yuan)"), max_digits=10, decimal_places=2, default=0)
    fee_basis = models.CharField(_("fee basis"), max_length=255, blank=True)
    change_note = models.CharField(_("change note"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Everyone who wrote any part of this version (creator, editors, submitter): none of them may approve it.
    contributor_ids = models.JSONField(_("contributors"), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["service", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="procedure_version_number_unique"),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status=VersionStatus.PUBLISHED),
                name="procedure_version_one_published",
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("author")),
                name="procedure_version_approver_is_not_author",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
                | Q(approver__isnull=False, published_at__isnull=False),
                name="procedure_version_published_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.PUBLISHED)
                | Q(promised_limit_days__lte=F("statutory_limit_days")),
                name="procedure_version_promised_within_statutory",
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]),
                name="procedure_version_one_open",
            ),
            models.CheckConstraint(condition=Q(fee_yuan__gte=0), name="procedure_version_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Step(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    responsible_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_role = models.CharField(
        _("responsible role"), max_length=30, choices=Role.choices, blank=True
    )
    budget_days = models.PositiveSmallIntegerField(_("time budget (working days)"), default=0)
    pause_allowed = models.BooleanField(_("statutory pause may occur"), default=False)
    # Keys of the steps that may follow; None means "the next step by position" (the common, linear case).
    next_keys = models.JSONField(_("next steps"), null=True, blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="step_position_unique"),
            models.UniqueConstraint(fields=["version", "key"], name="step_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name_zh}"


class Material(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(_("position"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    form = models.CharField(
        _("form"), max_length=20, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL
    )
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    source = models.CharField(
        _("source"), max_length=20, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    required = models.BooleanField(_("required"), default=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="material_position_unique"),
            models.CheckConstraint(condition=Q(copies__gte=1), name="material_copies_at_least_one"),
        ]

    def __str__(self) -> str:
        return self.name_zh
