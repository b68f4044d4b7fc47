"""`civicpulse evaluations integration-add NAME --channel C [--window CODE]` and `... invite`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicpulse.accounts.selectors import org_unit_by_code
from civicpulse.core.errors import DomainError, NotFound
from civicpulse.evaluations import services
from civicpulse.evaluations.enums import EvalChannel


class Command(BaseCommand):
    help = "Register evaluation integrations (pads, kiosks, the app, the 12345 hotline) and send invitations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("integration-add", help="register a client and print its token once")
        add.add_argument("name")
        add.add_argument(
            "--channel",
            required=True,
            choices=[c for c in EvalChannel.values if c not in (EvalChannel.PORTAL, EvalChannel.LINK)],
        )
        add.add_argument("--window", help="the window code a pad is paired with")
        sub.add_parser("invite", help="send the one invitation to rate for cases left unrated")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "invite":
            sent = services.invitations_send()
            self.stdout.write(_("Invitations sent: %(count)s.") % {"count": sent})
            return
        window = None
        if options["window"]:
            try:
                window = org_unit_by_code(code=options["window"])
            except NotFound:
                raise CommandError(_("Unknown window: %(code)s.") % {"code": options["window"]}) from None
        try:
            integration, token = services.integration_issue(
                actor=None, name=options["name"], channel=options["channel"], window=window
            )
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(
            _("Integration %(name)s registered. Its token, shown only now: %(token)s")
            % {"name": integration.name, "token": token}
        )
