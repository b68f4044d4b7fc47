from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    OPEN = "open", _("to contact the citizen")
    CONTACTED = "contacted", _("citizen contacted")
    VERIFIED = "verified", _("verified")
    ACTED = "acted", _("rectified")
    ANSWERED = "answered", _("citizen answered")
    RATED = "rated", _("rated by the citizen")
    ESCALATED = "escalated", _("escalated to the supervisor")
    APPEALED = "appealed", _("under appeal")
    UPHELD = "upheld", _("appeal upheld, citizen to be answered")
    CLOSED = "closed", _("closed")


# Until the citizen is answered the rectification deadline runs; an appeal under review stops it.
RECTIFY_PENDING = (OrderStatus.OPEN, OrderStatus.CONTACTED, OrderStatus.VERIFIED, OrderStatus.ACTED)
OPEN_STATUSES = tuple(s for s in OrderStatus if s != OrderStatus.CLOSED)


class Finding(models.TextChoices):
    VALID = "valid", _("valid review")
    MISTAKEN = "mistaken", _("mistaken review")
    MALICIOUS = "malicious", _("malicious review")


class Outcome(models.TextChoices):
    FIXED_AT_ONCE = "fixed_at_once", _("fixed at once")
    FIXED_BY_DEADLINE = "fixed_by_deadline", _("to be fixed by a deadline (ledger entry)")
    EXPLAINED = "explained", _("explained (no legal basis)")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class AppealKind(models.TextChoices):
    MISTAKEN = "mistaken", _("mistaken review")
    MALICIOUS = "malicious", _("malicious review")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld")
    REJECTED = "rejected", _("rejected")
