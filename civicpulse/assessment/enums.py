from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    UNIT = "unit", _("units, by category")
    STAFF = "staff", _("staff, by role")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


class Ranking(models.TextChoices):
    WILSON = "wilson", _("Wilson lower bound")
    SHRINKAGE = "shrinkage", _("Bayesian shrinkage toward the group mean")
    RAW = "raw", _("raw rates")


class Redistribute(models.TextChoices):
    PROPORTIONAL = "proportional", _("share among the measured indicators")
    NONE = "none", _("lose the points")


class RunStatus(models.TextChoices):
    COMPUTED = "computed", _("computed")
    FINALIZED = "finalized", _("finalized")


class Grade(models.TextChoices):
    OUTSTANDING = "outstanding", _("outstanding")
    COMPETENT = "competent", _("competent")
    BASIC = "basic", _("basically competent")
    INCOMPETENT = "incompetent", _("incompetent")
