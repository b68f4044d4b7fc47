from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions

register_actions(
    {
        "reports.report.requested": _("%(actor)s asked for the monthly report %(target)s."),
        "reports.report.generated": _("The monthly report %(target)s was generated (figures %(digest)s)."),
        "reports.report.failed": _("The monthly report %(target)s could not be generated: %(error)s"),
        "reports.report.downloaded": _(
            "%(actor)s downloaded the %(format)s of the monthly report %(target)s."
        ),
    }
)
