from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "assessment.run.computed": _("%(actor)s computed assessment run %(target)s (%(subjects)s subjects)."),
    }
)
