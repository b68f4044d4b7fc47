from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.core.notify import register_messages
from civicpulse.rectification.enums import AppealKind, Finding, Outcome, Satisfaction

register_param_choices(
    {"finding": Finding, "outcome": Outcome, "satisfaction": Satisfaction, "appeal_kind": AppealKind}
)

register_actions(
    {
        "rectification.order.opened": _(
            "The bad review of case %(target)s was sent for rectification "
            "(contact by %(contact_due)s, rectify by %(rectify_due)s)."
        ),
        "rectification.order.contacted": _(
            "%(actor)s called the citizen about the bad review of case %(target)s."
        ),
        "rectification.order.verified": _("%(actor)s found the bad review of case %(target)s: %(finding)s."),
        "rectification.order.acted": _(
            "%(actor)s recorded the rectification of case %(target)s: %(outcome)s."
        ),
        "rectification.order.answered": _("%(actor)s answered the citizen on case %(target)s."),
        "rectification.order.rated": _(
            "The citizen rated the rectification of case %(target)s: %(satisfaction)s "
            "(recorded by %(actor)s)."
        ),
        "rectification.order.escalated": _(
            "The rectification of case %(target)s went to the supervisor: the citizen is dissatisfied."
        ),
        "rectification.order.closed": _("%(actor)s closed the rectification of case %(target)s."),
        "rectification.order.reopened": _(
            "%(actor)s reopened the rectification of case %(target)s: %(reason)s"
        ),
        "rectification.order.closed_by_supervisor": _(
            "%(actor)s closed the escalated rectification of case %(target)s: %(reason)s"
        ),
        "rectification.order.closed_after_appeal": _(
            "%(actor)s answered the citizen and closed the rectification of case %(target)s."
        ),
        "rectification.order.contact_overdue": _(
            "The citizen of case %(target)s was not contacted by %(due)s."
        ),
        "rectification.order.rectify_overdue": _(
            "The rectification of case %(target)s was not done by %(due)s."
        ),
        "rectification.appeal.filed": _(
            "%(actor)s appealed the bad review of case %(target)s as a %(appeal_kind)s: %(reason)s"
        ),
        "rectification.appeal.upheld": _("%(actor)s upheld the appeal on case %(target)s: %(reason)s"),
        "rectification.appeal.rejected": _("%(actor)s rejected the appeal on case %(target)s: %(reason)s"),
    }
)

register_messages(
    {
        "rectification.opened": _(
            "A bad review of case %(number)s is yours to rectify: contact the citizen by %(contact_due)s "
            "and rectify by %(rectify_due)s."
        ),
        "rectification.contact_overdue": _(
            "The citizen who gave case %(number)s a bad review was not contacted by %(due)s."
        ),
        "rectification.rectify_overdue": _(
            "The rectification of the bad review of case %(number)s is overdue (it was due %(due)s)."
        ),
        "rectification.escalated": _(
            "The citizen is dissatisfied with the rectification of case %(number)s: please decide."
        ),
        "rectification.answered": _("The unit has answered your review of case %(number)s."),
        "rectification.appeal_filed": _(
            "An appeal against the bad review of case %(number)s awaits your decision."
        ),
        "rectification.appeal_upheld": _("The appeal against the bad review of case %(number)s was upheld."),
        "rectification.appeal_rejected": _(
            "The appeal against the bad review of case %(number)s was rejected: the unit must rectify."
        ),
    }
)
