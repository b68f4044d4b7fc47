from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "civicpulse.exchange"
    label = "exchange"
    verbose_name = _("Upward reporting")

    def ready(self) -> None:
        from civicpulse.exchange import audit_actions  # noqa: F401
