"""What a serving process does once it has loaded: load the URLs now, then freeze what is loaded.

A web process holds a few hundred thousand long-lived objects once Django, the apps and the URLs are
loaded. Python's cycle collector walks every one of them on each full collection, and a page that builds
a region's tables allocates enough to set one off: a collection in the middle of a request added 100 ms
to a dashboard's answer (bench/dashboards_bench.py). `gc.freeze()` moves what exists at startup out of
the collector's reach; what requests create is collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    from django.urls import get_resolver

    # The URL patterns (and the views they import) are otherwise loaded by the first request.
    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
