from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationConfig(AppConfig):
    name = "civicpulse.publication"
    label = "publication"
    verbose_name = _("Published results")

    def ready(self) -> None:
        from civicpulse.publication import audit_actions  # noqa: F401
