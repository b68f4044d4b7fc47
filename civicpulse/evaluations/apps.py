from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "civicpulse.evaluations"
    label = "evaluations"
    verbose_name = _("Citizen evaluation")

    def ready(self) -> None:
        from civicpulse.evaluations import audit_actions  # noqa: F401
