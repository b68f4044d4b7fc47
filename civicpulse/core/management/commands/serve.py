"""`civicpulse serve`: the production web server (gunicorn), never Django's development server.

In the embedded default it also runs the background worker beside the web server, so one command serves
everything; production runs `civicpulse worker` as its own service and passes --no-worker here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serve CivicPulse with gunicorn (static files included) and, unless --no-worker, the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument("--no-worker", action="store_true", help="do not run the background worker here")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.prod")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module)
        children: list[subprocess.Popen[bytes]] = []
        if not options["no_worker"]:
            children.append(subprocess.Popen([sys.executable, "-m", "civicpulse.cli", "worker"], env=env))
        web = subprocess.Popen(  # noqa: S603
            [
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
                "--access-logfile",
                "-",
                "--worker-tmp-dir",
                "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",  # noqa: S108
            ],
            env=env,
        )
        children.append(web)
        self.stdout.write(_("CivicPulse is serving on http://%(bind)s/") % {"bind": options["bind"]})
        self.stdout.flush()

        def stop(signum: int, frame: object) -> None:
            for child in children:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            web.wait()
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                child.wait(timeout=30)
        sys.exit(web.returncode or 0)
