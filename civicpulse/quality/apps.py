from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "civicpulse.quality"
    label = "quality"
    verbose_name = _("Quality management")

    def ready(self) -> None:
        from civicpulse.quality import audit_actions  # noqa: F401
