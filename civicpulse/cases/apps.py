from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicpulse.cases"
    label = "cases"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from civicpulse.cases import audit_actions  # noqa: F401
