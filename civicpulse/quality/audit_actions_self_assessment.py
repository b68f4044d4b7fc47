"""The audit-trail sentences of self-assessments (CAF 2020 and the ISO 18091 diagnostic)."""

from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.quality.models.self_assessment import Light

register_param_choices({"light": Light})

register_actions(
    {
        "quality.caf.created": _("%(actor)s started the CAF self-assessment %(target)s (%(period)s)."),
        "quality.caf.scored": _("%(actor)s scored sub-criterion %(sub_criterion)s of %(target)s: %(score)s."),
        "quality.caf.completed": _("%(actor)s completed the CAF self-assessment %(target)s."),
        "quality.diagnostic.created": _(
            "%(actor)s started the ISO 18091 diagnostic %(target)s of %(assessed_on)s."
        ),
        "quality.diagnostic.rated": _("%(actor)s rated indicator %(indicator)s of %(target)s %(light)s."),
        "quality.diagnostic.completed": _("%(actor)s completed the ISO 18091 diagnostic %(target)s."),
    }
)
