"""Controlled documents (domain.md §8, ISO 9001 7.5): documents other than service procedures, with
versions approved by someone other than their author, effective and review dates, and acknowledgements by
the staff they bind. The catalogue's procedure versions are controlled documents in their own right; the
register lists them beside these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.quality.enums import DocumentKind, VersionStatus


class Document(models.Model):
    """A controlled document other than a service procedure: a policy, a work instruction, a form..."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    owner_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+"
    )
    # The roles whose holders in the owner unit's subtree must read and acknowledge each effective version.
    roles = models.JSONField(_("roles that acknowledge it"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("controlled document")
        verbose_name_plural = _("controlled documents")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    body = models.TextField(_("text"))
    change_reason = models.TextField(_("reason for the change"))
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
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]),
                name="document_one_version_in_preparation",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status=VersionStatus.EFFECTIVE),
                name="document_one_effective_version",
            ),
            # ISO 9001 7.5.2: a document is approved by someone other than its author.
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("author")),
                name="document_approver_is_not_the_author",
            ),
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.EFFECTIVE)
                | (Q(approver__isnull=False) & Q(effective_on__isnull=False) & Q(review_due__isnull=False)),
                name="document_effective_version_is_approved_and_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.code} v{self.number}"


class Acknowledgement(models.Model):
    """A staff member has read an effective version of a document that applies to their role."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("acknowledged"))

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="acknowledged_once")]

    def __str__(self) -> str:
        return f"{self.version} {self.user_id}"
