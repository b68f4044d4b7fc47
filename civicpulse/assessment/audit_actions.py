from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "assessment.run.computed": _("%(actor)s computed assessment run %(target)s (%(subjects)s subjects)."),
        "assessment.run.finalized": _("%(actor)s finalized assessment run %(target)s."),
        "assessment.scheme.drafted": _("%(actor)s started version %(target)s."),
        "assessment.scheme.edited": _("%(actor)s edited the weight tables of %(target)s (%(items)s rows)."),
        "assessment.scheme.submit": _("%(actor)s submitted %(target)s for review."),
        "assessment.scheme.reject": _("%(actor)s sent %(target)s back to its author."),
        "assessment.scheme.approve": _("%(actor)s approved and published %(target)s."),
        "assessment.scheme.retire": _("%(actor)s retired %(target)s."),
    }
)
