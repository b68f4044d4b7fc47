from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "assessment.run.computed": _("%(actor)s computed assessment run %(target)s (%(subjects)s subjects)."),
        "assessment.run.finalized": _("%(actor)s finalized assessment run %(target)s."),
        "assessment.review.requested": _(
            "%(actor)s asked for a review of a result in %(target)s: %(reason)s"
        ),
        "assessment.review.corrected": _("%(actor)s corrected %(target)s after a review: %(reason)s"),
        "assessment.review.rejected": _("%(actor)s kept a result of %(target)s after a review: %(reason)s"),
        "assessment.scheme.drafted": _("%(actor)s started version %(target)s."),
        "assessment.scheme.edited": _("%(actor)s edited the weight tables of %(target)s (%(items)s rows)."),
        "assessment.scheme.settings_edited": _("%(actor)s changed the settings of %(target)s."),
        "assessment.scheme.submit": _("%(actor)s submitted %(target)s for review."),
        "assessment.scheme.reject": _("%(actor)s sent %(target)s back to its author."),
        "assessment.scheme.approve": _("%(actor)s approved and published %(target)s."),
        "assessment.scheme.retire": _("%(actor)s retired %(target)s."),
        "assessment.scheme.adjustments_edited": _(
            "%(actor)s edited the bonus and penalty items of %(target)s (%(items)s items)."
        ),
        "assessment.adjustment.recorded": _(
            "%(actor)s recorded the item %(code)s of %(occurred_on)s (%(target)s): %(reason)s"
        ),
        "assessment.adjustment.withdrawn": _("%(actor)s withdrew %(target)s: %(reason)s"),
        "assessment.run.calibrated": _("%(actor)s moved grades of assessment run %(target)s."),
    }
)
