from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationStatus(models.TextChoices):
    LIVE = "live", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SubjectKind(models.TextChoices):
    DEPARTMENT = "department", _("department")
    SERVICE = "service", _("service")
