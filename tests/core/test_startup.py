"""A serving process, once loaded, keeps what it loaded out of the cycle collector's full passes."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_wsgi_application_freezes_what_it_loaded(tmp_path) -> None:
    # A fresh interpreter: this one's objects are the test runner's, not a server's.
    script = (
        "import gc; import config.wsgi; from django.urls import get_resolver;"
        " print(gc.get_freeze_count(), 'url_patterns' in get_resolver().__dict__)"
    )
    env = dict(os.environ, CIVICPULSE_VAR_DIR=str(tmp_path))
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    frozen, urls_loaded = done.stdout.split()
    assert int(frozen) > 10_000
    assert urls_loaded == "True"
