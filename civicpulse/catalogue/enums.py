from django.db import models
from django.utils.translation import gettext_lazy as _


class PowerKind(models.TextChoices):
    LICENSING = "licensing", _("administrative licensing")
    PAYMENT = "payment", _("administrative payment")
    CONFIRMATION = "confirmation", _("administrative confirmation")
    REWARD = "reward", _("administrative reward")
    RULING = "ruling", _("administrative ruling")
    PUBLIC_SERVICE = "public_service", _("public service")
    OTHER = "other", _("other administrative power")


class ServiceMode(models.TextChoices):
    IMMEDIATE = "immediate", _("immediate service")
    PROMISED = "promised", _("promised service")


class Channels(models.TextChoices):
    ONLINE = "online", _("online only")
    HALL = "hall", _("service hall only")
    BOTH = "both", _("online and service hall")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("original")
    COPY = "copy", _("copy")
    ORIGINAL_AND_COPY = "original_and_copy", _("original and copy")
    ELECTRONIC = "electronic", _("electronic")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("prepared by the applicant")
    GOVERNMENT = "government", _("issued by a government department")
    SHARED = "shared", _("obtained through data sharing (no need to bring)")
    OTHER = "other", _("other")
