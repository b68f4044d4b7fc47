from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.core.notify import register_messages
from civicpulse.evaluations.enums import EvalChannel, Stage

register_param_choices({"stage": Stage, "channel": EvalChannel})

register_actions(
    {
        "evaluations.evaluation.submitted": _(
            "Case %(target)s was rated %(level)s of 5 at the %(stage)s stage (%(channel)s)."
        ),
        "evaluations.evaluation.quarantined": _(
            "The rating of case %(target)s was quarantined for review (%(flags)s)."
        ),
        "evaluations.evaluation.cleared": _("%(actor)s cleared the rating of case %(target)s: %(reason)s"),
        "evaluations.evaluation.confirmed": _(
            "%(actor)s confirmed the rating of case %(target)s as fraud: %(reason)s"
        ),
        "evaluations.evaluation.excluded": _(
            "The rating of case %(target)s no longer counts (appeal upheld): %(reason)s"
        ),
        "evaluations.evaluation.identity_viewed": _("%(actor)s looked up who rated case %(target)s."),
        "evaluations.integration.issued": _("%(actor)s issued the integration %(target)s (%(channel)s)."),
        "evaluations.invitation.sent": _("An invitation to rate case %(target)s was sent."),
    }
)

register_messages(
    {
        "evaluations.invitation": _(
            "How was your experience with case %(number)s? Rate it here (once, within %(days)s days): %(url)s"
        ),
    }
)
