"""Upward-reporting feeds and the batches exported for them.

A feed is what a provincial or national platform receives from one organisation unit's subtree, in one
format; its watermark (`last_cutoff`) moves only when a batch has been written in full.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.exchange.enums import OPEN_BATCH, BatchStatus, Format, Schedule


class Feed(models.Model):
    name = models.SlugField(_("name"), max_length=40, unique=True)
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("organisation unit"),
        on_delete=models.PROTECT,
        related_name="exchange_feeds",
        help_text=_("The feed covers this unit's whole subtree."),
    )
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices)
    # Everything changed up to this moment has been exported; null: nothing yet (the first batch takes all).
    last_cutoff = models.DateTimeField(_("exported up to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("exchange feed")
        verbose_name_plural = _("exchange feeds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """One export of a feed's window (since, until]. The same window always gives the same bytes."""

    feed = models.ForeignKey(Feed, verbose_name=_("feed"), on_delete=models.PROTECT, related_name="batches")
    since = models.DateTimeField(_("changes after"), null=True, blank=True)
    until = models.DateTimeField(_("cut-off"))
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    record_count = models.PositiveIntegerField(_("records"), null=True, blank=True)
    file = models.CharField(_("file"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # A stable code and a sentence for the operator; never a traceback (it may quote data).
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export batch")
        verbose_name_plural = _("export batches")
        ordering = ["-until", "-pk"]
        indexes = [models.Index(fields=["feed", "until"])]
        constraints = [
            # One batch at a time per feed: each starts where the watermark stands.
            models.UniqueConstraint(
                fields=["feed"], condition=Q(status__in=OPEN_BATCH), name="exchange_one_open_batch_per_feed"
            ),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__gt=F("since")),
                name="exchange_batch_window_forward",
            ),
            models.CheckConstraint(
                condition=~Q(status=BatchStatus.SUCCEEDED)
                | (Q(record_count__isnull=False) & ~Q(file="") & ~Q(checksum="")),
                name="exchange_batch_ready_has_a_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feed.name} #{self.pk}"
