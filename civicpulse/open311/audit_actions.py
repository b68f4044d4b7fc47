from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

# Action codes are letters and dots only (a database constraint), so the app's events are "georeport.*".
register_actions(
    {
        "georeport.api_key.issued": _("%(actor)s issued the Open311 API key %(target)s."),
        "georeport.api_key.revoked": _("%(actor)s revoked the Open311 API key %(target)s."),
        "georeport.request.submitted": _(
            "Case %(target)s came in through Open311 from the client %(client)s."
        ),
    }
)
