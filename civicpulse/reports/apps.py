from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "civicpulse.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from civicpulse.reports import audit_actions  # noqa: F401
