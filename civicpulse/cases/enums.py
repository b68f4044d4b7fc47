from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    REFUSED = "refused", _("refused at intake")
    IN_PROGRESS = "in_progress", _("in progress")
    PAUSED = "paused", _("paused")
    DECIDED = "decided", _("decided")
    DELIVERED = "delivered", _("delivered")
    CLOSED = "closed", _("closed")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.PAUSED)
# States in which the clock runs: a paused case or one already decided no longer uses working days.
CLOCK_RUNNING = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)


class Decision(models.TextChoices):
    APPROVED = "approved", _("approved")
    DENIED = "denied", _("denied")


class Channel(models.TextChoices):
    HALL = "hall", _("service hall window")
    ONLINE = "online", _("online")


class PauseKind(models.TextChoices):
    SUPPLEMENT = "supplement", _("supplement request")
    EXPERT_REVIEW = "expert_review", _("expert review")
    PUBLIC_NOTICE = "public_notice", _("public notice")
    HEARING = "hearing", _("hearing")


class VisitKind(models.TextChoices):
    INTAKE = "intake", _("intake")
    SUPPLEMENT = "supplement", _("bringing missing materials")
    PICKUP = "pickup", _("picking up the result")


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("on track")
    WARNING = "warning", _("warning")
    OVERDUE = "overdue", _("overdue")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("no-show")
