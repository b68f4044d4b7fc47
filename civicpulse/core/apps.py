from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "civicpulse.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from civicpulse.core import audit_actions  # noqa: F401  (registers the core action labels)
