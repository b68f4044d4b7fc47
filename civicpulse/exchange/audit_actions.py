from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.exchange.enums import Format, Schedule

register_param_choices({"exchange_format": Format, "exchange_schedule": Schedule})

register_actions(
    {
        "exchange.feed.created": _(
            "%(actor)s created the exchange feed %(target)s (%(exchange_format)s, %(exchange_schedule)s)."
        ),
        "exchange.feed.activated": _("%(actor)s switched the exchange feed %(target)s on."),
        "exchange.feed.deactivated": _("%(actor)s switched the exchange feed %(target)s off."),
        "exchange.batch.requested": _("%(actor)s requested the export %(target)s up to %(until)s."),
        "exchange.batch.exported": _(
            "The export %(target)s was written: %(records)s records up to %(until)s (SHA-256 %(checksum)s)."
        ),
        "exchange.batch.failed": _("The export %(target)s failed (%(error)s); the feed's watermark stays."),
        "exchange.batch.downloaded": _("%(actor)s downloaded the export %(target)s."),
    }
)
