from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.core.notify import register_messages
from civicpulse.quality.enums import ActionKind, CauseCategory, Source
from civicpulse.quality.models.reviews import OutputKind

register_param_choices(
    {
        "nc_source": Source,
        "action_kind": ActionKind,
        "cause_category": CauseCategory,
        "output_kind": OutputKind,
    }
)

register_actions(
    {
        "quality.document.created": _("%(actor)s created the controlled document %(code)s."),
        "quality.document.drafted": _("%(actor)s drafted version %(version)s of %(target)s."),
        "quality.document.submitted": _(
            "%(actor)s submitted version %(version)s of %(target)s for approval."
        ),
        "quality.document.returned": _("%(actor)s sent version %(version)s of %(target)s back: %(reason)s"),
        "quality.document.approved": _(
            "%(actor)s approved version %(version)s of %(target)s, effective %(effective_on)s."
        ),
        "quality.document.acknowledged": _("%(actor)s acknowledged version %(version)s of %(target)s."),
        "quality.document.edited": _("%(actor)s edited the draft version %(version)s of %(target)s."),
        "quality.document.withdrawn": _("%(actor)s withdrew %(target)s from use: %(reason)s"),
        "quality.nc.raised": _("Nonconformity %(number)s was raised (%(nc_source)s)."),
        "quality.nc.records_added": _("%(count)s more records were linked to %(target)s."),
        "quality.nc.analysed": _(
            "%(actor)s recorded the containment and root cause of %(target)s (%(cause_category)s)."
        ),
        "quality.nc.checked": _(
            "The effectiveness check of %(target)s measured %(indicator)s again: %(before)s before, "
            "%(after)s after (n = %(n)s); effective: %(effective)s."
        ),
        "quality.nc.closed": _("%(actor)s closed %(target)s."),
        "quality.nc.cancelled": _("%(actor)s cancelled %(target)s: %(reason)s"),
        "quality.action.added": _(
            "%(actor)s added a %(action_kind)s to %(target)s for %(owner)s, due %(due_on)s."
        ),
        "quality.action.done": _("%(actor)s completed a %(action_kind)s of %(target)s%(procedure)s."),
        "quality.action.overdue": _("An action of %(target)s was not done by %(due_on)s."),
        "quality.review.created": _("%(actor)s planned the management review %(title)s."),
        "quality.review.inputs": _("%(actor)s recorded the inputs of %(target)s."),
        "quality.review.output": _("%(actor)s recorded a %(output_kind)s of %(target)s."),
        "quality.review.output_done": _("%(actor)s completed an action of %(target)s."),
        "quality.review.held": _("%(actor)s recorded that %(target)s was held on %(held_on)s."),
    }
)

register_messages(
    {
        "quality.document.to_acknowledge": _(
            "Version %(version)s of the document %(document)s applies to you: please read and acknowledge it."
        ),
        "quality.action.assigned": _("An action of nonconformity %(number)s is yours, due %(due_on)s."),
        "quality.action.overdue": _(
            "An action of nonconformity %(number)s is overdue (it was due %(due_on)s)."
        ),
        "quality.nc.raised": _("Nonconformity %(number)s was raised: %(title)s"),
        "quality.nc.not_effective": _(
            "The effectiveness check of nonconformity %(number)s found no improvement: plan further actions."
        ),
    }
)

# The internal audits' and the self-assessments' sentences live beside their services.
from civicpulse.quality import audit_actions_internal_audits, audit_actions_self_assessment  # noqa: E402, F401
