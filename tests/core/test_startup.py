"""A serving process, once loaded, keeps what it loaded out of the cycle collector's full passes."""

from __future__ import annotations

import subprocess
import sys


def test_the_wsgi_application_freezes_what_it_loaded(tmp_path) -> None:
    # A fresh interpreter: this one's objects are the test runner's, not a server's.
    script = (
        "import gc, os; os.environ['CIVICPULSE_VAR_DIR'] = %r; import config.wsgi;"
        " from django.urls import get_resolver;"
        " print(gc.get_freeze_count(), 'url_patterns' in get_resolver().__dict__)" % str(tmp_path)
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    frozen, urls_loaded = done.stdout.split()
    assert int(frozen) > 10_000
    assert urls_loaded == "True"
