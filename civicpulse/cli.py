"""The `civicpulse` console script: every verb is a Django management command with project settings.

`civicpulse serve`, `civicpulse migrate`, `civicpulse demo`, `civicpulse calendar add-days ...`,
`civicpulse catalogue lint`, `civicpulse createadmin`; `civicpulse help` lists all of them.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["civicpulse", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
