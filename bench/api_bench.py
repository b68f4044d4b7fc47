"""Requests per second of CivicPulse pages and API on the demo county, beside /api/v1/health, same server.

Serves the demo county with `civicpulse serve` (gunicorn) on 127.0.0.1 against a fresh database (SQLite by
default, or --database-url) and alternates reference and target rounds so that machine noise hits both
alike. Only loopback traffic; every loop is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import ROOT, arguments, demo_server, load, query

REFERENCE = "/api/v1/health"


def getter(path: str) -> Callable[[http.client.HTTPConnection], int]:
    def step(conn: http.client.HTTPConnection) -> int:
        conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
        response = conn.getresponse()
        response.read()
        return response.status

    return step


def main() -> None:
    args = arguments(__doc__)
    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    with demo_server(args.database_url) as env:
        code = query(
            env,
            (
                "from civicpulse.catalogue.models import Service\n"
                "print(Service.objects.filter(versions__status='published').order_by('code').first().code)"
            ),
        )
        targets = {
            "catalogue list API (50 items)": "/api/v1/catalogue/services?limit=50",
            "service guide page": f"/services/{code}/",
            "public search page": "/?q=%E7%99%BB%E8%AE%B0",
        }
        print(f"database: {vendor}; {args.clients} clients; {args.rounds} rounds of {args.seconds}s each")
        results = {}
        for label, path in targets.items():
            rates, refs = [], []
            for _ in range(args.rounds):
                refs.append(load(getter(REFERENCE), args.seconds, args.clients))
                rates.append(load(getter(path), args.seconds, args.clients))
            ratio = statistics.median(r / f for r, f in zip(rates, refs, strict=True))
            results[label] = {
                "path": path,
                "rps": statistics.median(rates),
                "reference_rps": statistics.median(refs),
                "ratio": ratio,
            }
            print(
                f"{label:<32} {statistics.median(rates):8.0f} req/s   health {statistics.median(refs):8.0f}"
                f" req/s   ratio {ratio:.2f}"
            )
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"api-{vendor}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
