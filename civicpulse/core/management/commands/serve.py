"""`civicpulse serve`: the production web server (gunicorn), never Django's development server."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serve CivicPulse with gunicorn (static files included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(_("CivicPulse is serving on http://%(bind)s/") % {"bind": options["bind"]})
        self.stdout.flush()
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.prod")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--env",
            f"DJANGO_SETTINGS_MODULE={settings_module}",
            "--access-logfile",
            "-",
            "--worker-tmp-dir",
            "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",  # noqa: S108
        ]
        os.execv(sys.executable, argv)  # noqa: S606
