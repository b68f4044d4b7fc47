from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role
from civicpulse.core.audit import register_actions, register_param_choices

register_param_choices({"role": Role})

register_actions(
    {
        "accounts.org_unit.created": _("%(actor)s created the organisation unit %(target)s."),
        "accounts.org_unit.changed": _("%(actor)s changed the organisation unit %(target)s."),
        "accounts.unit_category.saved": _("%(actor)s saved the unit category %(target)s."),
        "accounts.user.created": _("%(actor)s created the account %(target)s."),
        "accounts.user.changed": _("%(actor)s changed the account %(target)s."),
        "accounts.role.assigned": _("%(actor)s gave %(target)s the role %(role)s."),
        "accounts.role.revoked": _("%(actor)s took the role %(role)s from %(target)s."),
        "accounts.user.privileges_granted": _("%(actor)s gave %(target)s full back-office rights."),
    }
)
