from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("very satisfied")
    SATISFIED = 4, _("satisfied")
    BASICALLY_SATISFIED = 3, _("basically satisfied")
    DISSATISFIED = 2, _("dissatisfied")
    VERY_DISSATISFIED = 1, _("very dissatisfied")


class Grade(models.TextChoices):
    """Good, neutral or bad review: which levels count as which is a setting (domain.md §4)."""

    GOOD = "good", _("good review")
    NEUTRAL = "neutral", _("neutral")
    BAD = "bad", _("bad review")


class Stage(models.TextChoices):
    INTAKE = "intake", _("intake")
    ACCEPTANCE = "acceptance", _("acceptance")
    COMPLETION = "completion", _("completion")


class EvalChannel(models.TextChoices):
    PAD = "pad", _("window pad")
    LINK = "link", _("QR code or SMS link")
    PORTAL = "portal", _("web portal")
    APP = "app", _("mobile app")
    KIOSK = "kiosk", _("self-service kiosk")
    HOTLINE = "hotline", _("12345 hotline")


# Channels that reach the API through an integration token (the others have pages of their own).
INTEGRATION_CHANNELS = (EvalChannel.APP, EvalChannel.KIOSK, EvalChannel.HOTLINE, EvalChannel.PAD)


class TemplateKind(models.TextChoices):
    OFFLINE = "offline", _("on site (one rating per visit)")
    ONLINE = "online", _("online (one rating per matter)")


class EvaluationStatus(models.TextChoices):
    VALID = "valid", _("counts")
    QUARANTINED = "quarantined", _("quarantined for review")
    EXCLUDED = "excluded", _("excluded")


class Exclusion(models.TextChoices):
    FRAUD = "fraud", _("confirmed as fraud")
    APPEAL = "appeal", _("appeal upheld")


class FlagCode(models.TextChoices):
    STAFF_SELF = "staff_self", _("the evaluator is staff of the serving unit")
    BURST_DEVICE = "burst_device", _("burst from one device")
    BURST_IP = "burst_ip", _("burst from one network address")
    BURST_PHONE = "burst_phone", _("burst from one phone")
    SPREAD = "spread", _("one evaluator across many unrelated cases")
    NO_INTERACTION = "no_interaction", _("no matching interaction")
    STAGE_NOT_REACHED = "stage_not_reached", _("the stage was not reached")


class Review(models.TextChoices):
    CLEARED = "cleared", _("cleared: it counts")
    CONFIRMED = "confirmed", _("confirmed: excluded")
