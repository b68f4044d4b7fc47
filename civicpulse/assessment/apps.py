from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "civicpulse.assessment"
    label = "assessment"
    verbose_name = _("Performance assessment")

    def ready(self) -> None:
        from civicpulse.assessment import audit_actions  # noqa: F401
