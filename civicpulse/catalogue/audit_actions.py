from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "catalogue.service.created": _("%(actor)s created the service %(target)s."),
        "catalogue.service.changed": _("%(actor)s changed the service %(target)s (%(fields)s)."),
        "catalogue.version.created": _("%(actor)s started draft version %(number)s of %(target)s."),
        "catalogue.version.changed": _("%(actor)s edited draft version %(number)s of %(target)s."),
        "catalogue.version.submitted": _("%(actor)s submitted version %(number)s of %(target)s for review."),
        "catalogue.version.rejected": _("%(actor)s sent version %(number)s of %(target)s back: %(reason)s"),
        "catalogue.version.approved": _("%(actor)s approved and published version %(number)s of %(target)s."),
        "catalogue.version.retired": _("%(actor)s retired version %(number)s of %(target)s."),
    }
)
