from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A client allowed to POST service requests (a city app, the 12345 hotline, a partner portal).

    Only the SHA-256 digest is kept; the key itself is shown once, when `civicpulse open311 key-add` issues
    it. The owner unit bounds what the key may submit: services of that unit's subtree only.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """One service request accepted through Open311: the case it became and what only Open311 carries.

    Cases have no location or free-text description, so the Open311 location, description and the token
    live here. Applicant identity goes to the case itself, exactly as for any online application.
    """

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="open311"
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("Open311 API key"), on_delete=models.PROTECT, related_name="submissions"
    )
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    # The client's Idempotency-Key and a digest of what it sent: a retry replays, a different request under
    # the same key is refused.
    idempotency_key = models.CharField(max_length=200, blank=True, editable=False)
    request_digest = models.CharField(max_length=64, editable=False)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    address_string = models.CharField(_("address"), max_length=255, blank=True)
    address_id = models.CharField(_("address ID"), max_length=100, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=10, decimal_places=7, null=True, blank=True)
    long = models.DecimalField(_("longitude"), max_digits=10, decimal_places=7, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="open311_idempotency_key_unique_per_api_key",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, long__isnull=True) | Q(lat__isnull=False, long__isnull=False),
                name="open311_lat_and_long_together",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90, long__gte=-180, long__lte=180),
                name="open311_coordinates_in_range",
            ),
            # The standard's one firm rule on POST: a request always has a location.
            models.CheckConstraint(
                condition=Q(lat__isnull=False) | ~Q(address_string="") | ~Q(address_id=""),
                name="open311_submission_has_a_location",
            ),
        ]

    def __str__(self) -> str:
        return self.case.number if self.case_id else self.token[:8]
