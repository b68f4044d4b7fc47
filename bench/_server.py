"""Shared by the HTTP benchmarks: the demo county served by `civicpulse serve` on loopback; a load loop."""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PORT = 8765


@contextmanager
def demo_server(database_url: str = "", extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Build the demo county in a fresh database, serve it on 127.0.0.1:PORT, stop it afterwards."""
    var = Path(tempfile.mkdtemp(prefix="civicpulse-bench-"))
    env = dict(
        os.environ,
        CIVICPULSE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
        **(extra_env or {}),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    cli = str(BIN / "civicpulse")
    subprocess.run([cli, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run(
        [cli, "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
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
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


def query(env: dict[str, str], code: str) -> str:
    """Run a line of Python against the benchmark database (to find codes and names to use)."""
    return subprocess.run(
        [str(BIN / "python"), "-c", "import django; django.setup()\n" + code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()


def load(step: Callable[[http.client.HTTPConnection], int], seconds: float, clients: int) -> float:
    """Requests per second with `clients` keep-alive connections for `seconds`; any non-2xx fails the run."""
    done = 0
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal done
        count = 0
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            while time.monotonic() < stop_at:
                status = step(conn)
                if not 200 <= status < 300:
                    raise RuntimeError(f"answered {status}")
                count += 1
            conn.close()
        except BaseException as error:  # a failing client must fail the benchmark, not count as zero
            errors.append(error)
        with lock:
            done += count

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(repr(errors[0]))
    return done / seconds


def arguments(description: str | None = None) -> argparse.Namespace:
    """The options every HTTP benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; SQLite in a temp folder if empty")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive connections")
    return parser.parse_args()
