from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "civicpulse.rectification"
    label = "rectification"
    verbose_name = _("Rectification of bad reviews")

    def ready(self) -> None:
        from civicpulse.rectification import audit_actions  # noqa: F401
