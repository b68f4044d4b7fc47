from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "publication.period.published": _(
            "%(actor)s published the results of %(period)s (%(departments)s departments, %(services)s "
            "services, %(examples)s examples)."
        ),
        "publication.period.withdrawn": _("%(actor)s withdrew the results of %(period)s: %(reason)s"),
    }
)
