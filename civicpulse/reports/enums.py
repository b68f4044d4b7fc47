from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("being generated")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


# Queued and running reports: at most one per unit, month, language and cut-off kind.
PENDING = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class CutoffKind(models.TextChoices):
    # The data as it stood at the start of the routine working day after the month (the day routine
    # assessment runs start): fixed, so the figures are the same whenever the report is generated.
    ROUTINE = "routine", _("routine cut-off")
    # The data as it stood when the report was asked for.
    CURRENT = "current", _("as asked for")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
