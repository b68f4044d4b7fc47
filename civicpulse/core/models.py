from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only record of every write. Rows are never updated (a database trigger refuses it)."""

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=64)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    # The unit the target belongs to, so the audit log can be scoped like everything else.
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__regex=r"^[a-z_]+(\.[a-z_]+)+$"), name="audit_action_is_dotted_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit events are append-only")


class WorkCalendar(models.Model):
    """A region's working-day calendar: a base schedule plus administrator overrides."""

    class Base(models.TextChoices):
        CN_OFFICIAL = "cn_official", _("Mainland China official schedule")
        WEEKENDS_ONLY = "weekends_only", _("Weekends only")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    base = models.CharField(_("base schedule"), max_length=20, choices=Base.choices, default=Base.CN_OFFICIAL)

    class Meta:
        verbose_name = _("working-day calendar")
        verbose_name_plural = _("working-day calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CalendarOverride(models.Model):
    """One day whose kind differs from the base schedule (a local holiday, a make-up working day)."""

    calendar = models.ForeignKey(
        WorkCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField(_("date"))
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_override_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.calendar.code} {self.date} {'+' if self.is_working_day else '-'}"


class IdempotencyRecord(models.Model):
    """The response to a POST sent with an Idempotency-Key, replayed when the same request is retried."""

    key = models.CharField(max_length=200)
    # Who sent it: the user's id, or the session for anonymous callers; keys are only unique per caller.
    caller = models.CharField(max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_unique_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"


class Notification(models.Model):
    """One message in a person's in-app inbox; other channels (e-mail, SMS) are sent from the same row."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A registered message code (core.notify) and its parameters: rendered in the reader's language.
    code = models.CharField(_("message"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.code}"
