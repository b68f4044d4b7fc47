"""Shared by the HTTP benchmarks: the demo county served by `civicpulse serve` on loopback; a load loop."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# Another port lets two people benchmark on one machine without measuring each other's server.
PORT = int(os.environ.get("CIVICPULSE_BENCH_PORT", "8765"))


def _answers() -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _port_open() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=1):
            return True
    except OSError:
        return False


class Server:
    """`civicpulse serve` (gunicorn master and workers) in a process group of its own, so that a crash test
    can kill all of it at once, as a power cut or the OOM killer would."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> float:
        """Serve on 127.0.0.1:PORT; the seconds it took to answer the health check."""
        if _port_open():
            # Its health check would pass and we would measure someone else's server.
            raise RuntimeError(f"127.0.0.1:{PORT} is already in use (set CIVICPULSE_BENCH_PORT)")
        started = time.monotonic()
        command = ["serve", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--no-worker"]
        self.process = subprocess.Popen(
            [str(BIN / "civicpulse"), *command],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while not _answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            if time.monotonic() - started > timeout:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the whole group: no worker finishes its request, no shutdown code runs."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # The orphaned gunicorn processes die with the signal; the port is free once the last one is gone.
        deadline = time.monotonic() + 30
        while _port_open():
            if time.monotonic() > deadline:
                raise RuntimeError("the killed server still holds the port")
            time.sleep(0.1)


@contextmanager
def demo_county(database_url: str = "", extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """Build the demo county in a fresh database, serve it on 127.0.0.1:PORT, stop it afterwards.

    The temporary folder (SQLite database, static files) goes too: a run leaves nothing behind."""
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
    server = Server(env)
    try:
        subprocess.run([cli, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        subprocess.run(
            [cli, "demo", "--if-empty"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(var, ignore_errors=True)


@contextmanager
def demo_server(database_url: str = "", extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """`demo_county` for benchmarks that only need the server's environment."""
    with demo_county(database_url, extra_env) as server:
        yield server.env


def query(env: dict[str, str], code: str, stdin: str | None = None) -> str:
    """Run a line of Python against the benchmark database (to find codes and names to use)."""
    return subprocess.run(
        [str(BIN / "python"), "-c", "import django; django.setup()\n" + code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        input=stdin,
    ).stdout.strip()


def civicpulse(env: dict[str, str], *args: str) -> str:
    """A `civicpulse` command against the benchmark database; its output."""
    return subprocess.run(
        [str(BIN / "civicpulse"), *args], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def timed_load(step: Callable[[http.client.HTTPConnection], int], seconds: float, clients: int) -> Run:
    """`clients` keep-alive connections for `seconds`, each request timed; any non-2xx fails the run."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        mine: list[float] = []
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                status = step(conn)
                mine.append(time.perf_counter() - began)
                if not 200 <= status < 300:
                    raise RuntimeError(f"answered {status}")
            conn.close()
        except BaseException as error:  # a failing client must fail the benchmark, not count as zero
            errors.append(error)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(repr(errors[0]))
    return Run(len(latencies), seconds, latencies)


def ticket_step(hall: str) -> Callable[[http.client.HTTPConnection], int]:
    """The reference write of the HTTP benchmarks: one hall queue ticket, a one-row insert."""

    def ticket(conn: http.client.HTTPConnection) -> int:
        conn.request(
            "POST",
            f"/api/v1/halls/{hall}/tickets",
            json.dumps({"prefix": "A"}),
            {"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        return response.status

    return ticket


def load(step: Callable[[http.client.HTTPConnection], int], seconds: float, clients: int) -> float:
    """Requests per second with `clients` keep-alive connections for `seconds`; any non-2xx fails the run."""
    return timed_load(step, seconds, clients).rate


def arguments(
    description: str | None = None,
    *,
    seconds: float = 4.0,
    rounds: int = 3,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The options every HTTP benchmark takes (`extra` adds a benchmark's own)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; SQLite in a temp folder if empty")
    parser.add_argument("--seconds", type=float, default=seconds, help="length of one round")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive connections")
    if extra is not None:
        extra(parser)
    return parser.parse_args()
