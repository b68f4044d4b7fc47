"""Requests per second of CivicPulse pages and API on the demo county, beside /api/v1/health, same server.

Starts `civicpulse serve` (gunicorn) on 127.0.0.1 against a fresh database (SQLite by default, or
--database-url), builds the demo county, and alternates reference and target rounds so that machine noise
hits both alike. Only loopback traffic; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PORT = 8765

TARGETS = {
    "catalogue list API (50 items)": "/api/v1/catalogue/services?limit=50",
    "service guide page": None,  # filled with a real service code after the demo is built
    "public search page": "/?q=%E7%99%BB%E8%AE%B0",
}
REFERENCE = "/api/v1/health"


def run_round(path: str, seconds: float, clients: int) -> float:
    done = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal done
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        count = 0
        while time.monotonic() < stop_at:
            conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            count += 1
        conn.close()
        with lock:
            done += count

    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            worker()
        except BaseException as error:  # a failing thread must fail the benchmark, not count as zero
            errors.append(error)

    threads = [threading.Thread(target=guarded) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{path}: {errors[0]!r}")
    return done / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="civicpulse-bench-"))
    env = dict(
        os.environ,
        CIVICPULSE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    cli = str(BIN / "civicpulse")
    subprocess.run([cli, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([cli, "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL)
    code = subprocess.run(
        [
            str(BIN / "python"),
            "-c",
            "import django; django.setup(); from civicpulse.catalogue.models import Service; "
            "print(Service.objects.filter(versions__status='published').order_by('code').first().code)",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    TARGETS["service guide page"] = f"/services/{code}/"

    server = subprocess.Popen(
        [cli, "serve", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                run_round(REFERENCE, 0.2, 1)
                break
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        results = {}
        vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
        print(f"database: {vendor}; {args.clients} clients; {args.rounds} rounds of {args.seconds}s each")
        for label, path in TARGETS.items():
            assert path is not None
            ratios, rates, refs = [], [], []
            for _ in range(args.rounds):
                ref = run_round(REFERENCE, args.seconds, args.clients)
                rate = run_round(path, args.seconds, args.clients)
                refs.append(ref)
                rates.append(rate)
                ratios.append(rate / ref)
            results[label] = {
                "path": path,
                "rps": statistics.median(rates),
                "reference_rps": statistics.median(refs),
                "ratio": statistics.median(ratios),
            }
            print(
                f"{label:<32} {statistics.median(rates):8.0f} req/s   health {statistics.median(refs):8.0f}"
                f" req/s   ratio {statistics.median(ratios):.2f}"
            )
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"api-{vendor}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
