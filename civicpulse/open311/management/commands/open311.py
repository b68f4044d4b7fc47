"""`civicpulse open311 key-add --name N --unit CODE`, `... key-revoke NAME` and `... key-list`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicpulse.accounts.selectors import org_unit_by_code
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.open311 import services
from civicpulse.open311.models import ApiKey


class Command(BaseCommand):
    help = "Open311 API keys: issue one (shown once), revoke one, list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("key-add", help="issue a key for a client and print it once")
        add.add_argument("--name", required=True, help="the client's name, e.g. 12345-hotline")
        add.add_argument(
            "--unit", required=True, help="code of the unit whose services the key may submit to"
        )
        revoke = sub.add_parser("key-revoke", help="switch a key off for good")
        revoke.add_argument("name")
        sub.add_parser("key-list", help="list the keys (never the keys themselves)")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            if verb == "key-add":
                self._add(options["name"], options["unit"])
            elif verb == "key-revoke":
                api_key = services.api_key_revoke(actor=None, name=options["name"])
                self.stdout.write(_("API key %(name)s revoked.") % {"name": api_key.name})
            else:
                for api_key in ApiKey.objects.select_related("unit").order_by("name"):
                    state = _("active") if api_key.is_active else _("revoked")
                    self.stdout.write(
                        f"{api_key.name}\t{api_key.unit.code}\t{state}\t{api_key.created_at:%Y-%m-%d}"
                    )
        except DomainError as error:
            raise CommandError(str(error.message)) from None

    def _add(self, name: str, unit_code: str) -> None:
        try:
            unit = org_unit_by_code(code=unit_code)
        except NotFound:
            raise CommandError(_("Unknown organisation unit: %(codes)s.") % {"codes": unit_code}) from None
        api_key, key = services.api_key_issue(actor=None, name=name, unit=unit)
        self.stdout.write(
            _("API key %(name)s issued for %(unit)s. The key, shown only now: %(key)s")
            % {"name": api_key.name, "unit": unit.code, "key": key}
        )
