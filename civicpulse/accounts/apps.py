from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicpulse.accounts"
    label = "accounts"
    verbose_name = _("Organisation and access")

    def ready(self) -> None:
        from civicpulse.accounts import audit_actions  # noqa: F401
