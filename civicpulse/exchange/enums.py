from django.db import models
from django.utils.translation import gettext_lazy as _


class Format(models.TextChoices):
    JSONL = "jsonl", _("JSON Lines")
    CSV = "csv", _("CSV (UTF-8 with BOM)")


class Schedule(models.TextChoices):
    MANUAL = "manual", _("on request only")
    HOURLY = "hourly", _("every hour")
    DAILY = "daily", _("every day at midnight")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the worker")
    RUNNING = "running", _("being written")
    SUCCEEDED = "succeeded", _("ready")
    FAILED = "failed", _("failed")


OPEN_BATCH = (BatchStatus.PENDING, BatchStatus.RUNNING)


class Validity(models.TextChoices):
    VALID = "valid", _("counts")
    QUARANTINED = "quarantined", _("quarantined for review")
    EXCLUDED_FRAUD = "excluded_fraud", _("excluded: confirmed as fraud")
    EXCLUDED_APPEAL = "excluded_appeal", _("excluded: appeal upheld")
