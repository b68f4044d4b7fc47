"""`civicpulse catalogue lint`: run the duty linter over the whole catalogue (or one unit's subtree)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from civicpulse.accounts.models import OrgUnit
from civicpulse.catalogue import linter
from civicpulse.catalogue.models import Service
from civicpulse.catalogue.selectors import catalogue_lint


class Command(BaseCommand):
    help = "Catalogue tools. `lint` lists duty-linter findings; exit status 1 when any error is found."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        lint = sub.add_parser("lint", help="run the duty linter")
        lint.add_argument("--unit", help="only services of this unit's subtree (unit code)")
        lint.add_argument("--format", choices=["text", "json"], default="text")
        lint.add_argument("--errors-only", action="store_true")
        lint.add_argument("--no-fail", action="store_true", help="exit 0 even when errors are found")

    def handle(self, *args: Any, **options: Any) -> None:
        services = Service.objects.all()
        if options.get("unit"):
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(_("Unknown organisation unit: %(codes)s.") % {"codes": options["unit"]})
            services = services.filter(responsible_unit__path__startswith=unit.path)
        findings: list[linter.Finding] = []
        codes = list(services.order_by("code").values_list("pk", flat=True))
        batch = 100
        with tqdm(
            total=len(codes),
            desc=_("Linting services"),
            unit="svc",
            disable=options["verbosity"] < 1 or options["format"] == "json",
            file=sys.stderr,
        ) as progress:
            for start in range(0, len(codes), batch):
                chunk = codes[start : start + batch]
                findings.extend(
                    catalogue_lint(services=Service.objects.filter(pk__in=chunk).order_by("code"))
                )
                progress.update(len(chunk))
        if options["errors_only"]:
            findings = [f for f in findings if f.severity == linter.Severity.ERROR]
        errors = len(linter.blocking(findings))
        if options["format"] == "json":
            self.stdout.write(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
        else:
            for f in findings:
                where = (
                    f.service_code
                    + (f" v{f.version}" if f.version else "")
                    + (f" [{f.step_key}]" if f.step_key else "")
                )
                label = _("error") if f.severity == linter.Severity.ERROR else _("warning")
                self.stdout.write(f"{label}\t{where}\t{f.rule}\t{f.message}")
            self.stdout.write(
                _("%(services)s services checked: %(errors)s errors, %(warnings)s warnings.")
                % {"services": len(codes), "errors": errors, "warnings": len(findings) - errors}
            )
        if errors and not options["no_fail"]:
            raise SystemExit(1)
