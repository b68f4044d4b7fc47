from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    POLICY = "policy", _("policy")
    MANUAL = "manual", _("quality manual")
    WORK_INSTRUCTION = "work_instruction", _("work instruction")
    FORM = "form", _("form")
    SERVICE_STANDARD = "service_standard", _("service standard")
    OTHER = "other", _("other document")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    EFFECTIVE = "effective", _("effective")
    SUPERSEDED = "superseded", _("superseded")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Source(models.TextChoices):
    BAD_REVIEWS = "bad_reviews", _("repeated bad reviews")
    SLA_BREACHES = "sla_breaches", _("time limits breached")
    AUDIT = "audit", _("audit finding")
    COMPLAINT = "complaint", _("complaint")
    MANUAL = "manual", _("raised by hand")


class Severity(models.TextChoices):
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")
    CRITICAL = "critical", _("critical")


class NcStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACTIONS = "actions", _("actions under way")
    VERIFYING = "verifying", _("waiting for the effectiveness check")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_NC = (NcStatus.OPEN, NcStatus.ACTIONS, NcStatus.VERIFYING)


class CauseCategory(models.TextChoices):
    """The categories of a cause-and-effect (Ishikawa) analysis, as used for services."""

    PEOPLE = "people", _("people (skills, attitude, staffing)")
    METHOD = "method", _("method (procedure, rules)")
    MATERIALS = "materials", _("materials (forms, documents asked for)")
    EQUIPMENT = "equipment", _("equipment and systems")
    MEASUREMENT = "measurement", _("measurement and data")
    ENVIRONMENT = "environment", _("environment (hall, demand, outside)")
    MANAGEMENT = "management", _("management (duties, supervision)")


class ActionKind(models.TextChoices):
    CORRECTION = "correction", _("correction (contain the effect)")
    CORRECTIVE = "corrective", _("corrective action (remove the cause)")
    PREVENTIVE = "preventive", _("preventive action (elsewhere, before it happens)")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class RecordKind(models.TextChoices):
    EVALUATION = "evaluation", _("evaluation")
    CASE = "case", _("case")
    ORDER = "order", _("rectification order")
    FINDING = "finding", _("audit finding")
