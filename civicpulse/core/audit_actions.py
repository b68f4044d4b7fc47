from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "core.calendar.created": _("%(actor)s created the working-day calendar %(target)s."),
        "core.calendar.changed": _("%(actor)s changed the working-day calendar %(target)s."),
        "core.record.saved": _("%(actor)s saved %(target)s in the back office."),
        "core.record.deleted": _("%(actor)s deleted %(target)s in the back office."),
    }
)
