"""Case intake and transitions per second through the HTTP API, beside a minimal insert endpoint (a hall
queue ticket: one row) measured in the same run against the same server, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import PORT, ROOT, arguments, demo_server, load, query, ticket_step


class Session:
    """A signed-in staff member: session cookie plus CSRF token, as a browser would send them."""

    def __init__(self, username: str, password: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        response.read()
        cookies = SimpleCookie(response.getheader("Set-Cookie"))
        self.csrf = cookies["csrftoken"].value
        body = f"username={username}&password={password}&csrfmiddlewaretoken={self.csrf}"
        conn.request(
            "POST",
            "/accounts/login/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.csrf}",
                "Referer": f"http://127.0.0.1:{PORT}/accounts/login/",
            },
        )
        response = conn.getresponse()
        response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookies.load(value)
        self.cookie = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
        self.csrf = cookies["csrftoken"].value

    def post(self, conn: http.client.HTTPConnection, path: str, payload: dict) -> tuple[int, bytes]:
        conn.request(
            "POST",
            path,
            json.dumps(payload),
            {
                "Content-Type": "application/json",
                "Cookie": self.cookie,
                "X-CSRFToken": self.csrf,
                "Referer": f"http://127.0.0.1:{PORT}/",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        response = conn.getresponse()
        return response.status, response.read()


def main() -> None:
    args = arguments(__doc__)
    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    with demo_server(args.database_url, {"CIVICPULSE_KIOSK_RATE": "100000/s"}) as env:
        window, service, hall = query(
            env,
            (
                "from civicpulse.accounts.models import User\n"
                "from civicpulse.catalogue.models import ProcedureVersion\n"
                "w = User.objects.get(username='window').role_assignments.get().unit\n"
                "v = ProcedureVersion.objects.filter(status='published', channels__in=['hall', 'both'], "
                "service__responsible_unit=w.serving_unit).order_by('service__code').first()\n"
                "print(w.code, v.service.code, w.parent.code)"
            ),
        ).split()
        officer, head = Session("window", "civicpulse-demo"), Session("head", "civicpulse-demo")
        intake = {
            "service_code": service,
            "channel": "hall",
            "window_code": window,
            "submitted_materials": [1],
            "applicant": {"name": "测试申请人", "id_number": "110101199003071234", "phone": "13800000000"},
        }
        received: list[str] = []
        lock = threading.Lock()

        ticket = ticket_step(hall)

        def receive(conn: http.client.HTTPConnection) -> int:
            status, body = officer.post(conn, "/api/v1/cases", intake)
            if status == 201:
                with lock:
                    received.append(json.loads(body)["number"])
            return status

        accepted = [0]

        def accept(conn: http.client.HTTPConnection) -> int:
            with lock:
                if accepted[0] >= len(received):
                    raise RuntimeError("ran out of received cases to accept")
                number = received[accepted[0]]
                accepted[0] += 1
            return head.post(conn, f"/api/v1/cases/{number}/accept", {})[0]

        rows: dict[str, list[float]] = {"ticket": [], "intake": [], "accept": []}
        for _ in range(args.rounds):
            rows["ticket"].append(load(ticket, args.seconds, args.clients))
            rows["intake"].append(load(receive, args.seconds, args.clients))
            # Accepting is about as fast as receiving: a round of 60 % of the intake time stays within the
            # cases just received.
            rows["accept"].append(load(accept, args.seconds * 0.6, args.clients))
        result = {name: statistics.median(rates) for name, rates in rows.items()}
        print(f"database: {vendor}; {args.clients} clients; {args.rounds} rounds of {args.seconds}s")
        print(f"reference: one-row insert (queue ticket)   {result['ticket']:8.0f} req/s")
        for name in ("intake", "accept"):
            print(
                f"case {name:<8}                            {result[name]:8.0f} req/s   "
                f"ratio {result[name] / result['ticket']:.2f}"
            )
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"cases-{vendor}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
