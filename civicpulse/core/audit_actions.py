from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "core.calendar.created": _("%(actor)s created the working-day calendar %(target)s."),
        "core.calendar.changed": _("%(actor)s changed the working-day calendar %(target)s."),
        "core.calendar_override.saved": _("%(actor)s set %(target)s in a working-day calendar."),
        "core.calendar_override.deleted": _("%(actor)s removed the calendar override %(target)s."),
    }
)
