"""`civicpulse createadmin USERNAME`: an administrator over the whole top region, with back-office access."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from civicpulse.accounts import services
from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an administrator who covers the top region (password from --password-env or a prompt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--region", help="code of the region to cover (default: the only top region)")
        parser.add_argument("--password-env", help="name of an environment variable holding the password")

    def handle(self, *args: Any, **options: Any) -> None:
        region = self._region(options["region"])
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(
                    _("The environment variable %(name)s is empty.") % {"name": options["password_env"]}
                )
        else:
            password = getpass.getpass(_("Password: "))
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            with transaction.atomic():
                user = services.staff_create(
                    actor=None,
                    username=options["username"],
                    full_name=options["full_name"] or options["username"],
                    org_unit=region,
                    roles=[Role.ADMINISTRATOR],
                    password=password,
                )
                user = services.user_grant_back_office(actor=None, user=user)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(
            _("Administrator %(username)s created over %(region)s.")
            % {"username": user.username, "region": region.code}
        )

    def _region(self, code: str | None) -> OrgUnit:
        if code:
            region = OrgUnit.objects.filter(code=code, kind=UnitKind.REGION).first()
            if region is None:
                raise CommandError(_("No region with code %(code)s.") % {"code": code})
            return region
        roots = list(OrgUnit.objects.filter(parent__isnull=True)[:2])
        if len(roots) != 1:
            raise CommandError(
                _("Name the region to cover with --region (there are %(count)s top regions).")
                % {"count": len(roots)}
            )
        return roots[0]
