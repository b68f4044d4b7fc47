"""Evaluation submissions per second through the HTTP API (`POST /api/v1/evaluate`, the 12345 hotline
integration), beside a minimal insert endpoint (a hall queue ticket: one row) measured in the same run
against the same server, on SQLite or PostgreSQL; then a crash check: gunicorn is killed (SIGKILL to master
and workers) while submissions are in flight, restarted on the same database, and the clients retry with the
same Idempotency-Key until they get an answer. The check passes when every acknowledged evaluation is stored
exactly once and nothing else is stored. Exits 1 when it fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    PORT,
    ROOT,
    Run,
    Server,
    arguments,
    civicpulse,
    demo_county,
    query,
    ticket_step,
    timed_load,
)

# Reason tags and dimensions of the default templates (evaluations migration 0002).
MILD_TAGS = ("slow", "long_wait", "unclear_notice", "system")
BAD_TAGS = ("attitude", "repeated_visits", "slow", "unclear_notice", "other")
COMPLAINTS = ("来了三次才办成", "窗口说法前后不一致", "等了一个多小时", "")
DIMENSIONS = {
    "offline": ("efficiency", "service_level", "attitude"),
    "online": ("efficiency", "guide_accuracy", "convenience", "usability"),
}
LEVELS = (5, 4, 3, 2, 1)
WITH_BAD = (60, 25, 10, 3, 2)
WITHOUT_BAD = (62, 27, 11, 0, 0)

# While the killed request's claim on its Idempotency-Key is held (2 minutes, STALE_CLAIM), a retry is told
# "in progress": there is no point in asking more often than this.
IN_PROGRESS_BACKOFF = 5.0
DOWN_BACKOFF = 0.5

WORK = (
    "import json\n"
    "from civicpulse.cases.models import Case\n"
    "from civicpulse.evaluations.services import stages_open, template_kind\n"
    "print(json.dumps([[c.number, template_kind(c), stages_open(c)] for c in Case.objects.order_by('pk')]))"
)
HALL = (
    "from civicpulse.accounts.models import OrgUnit\n"
    "print(OrgUnit.objects.filter(kind='hall').order_by('code').first().code)"
)
# Each run registers its hotlines under the next free number, so a reused database does not mix runs.
BLOCK = (
    "from civicpulse.evaluations.models import Integration\n"
    "print(Integration.objects.filter(name__startswith='bench hotline ').count())"
)
# Whether a valid bad review can open its rectification order (another app, written separately).
RECTIFICATION = (
    "try:\n"
    "    from civicpulse.rectification.services import order_open\n"
    "    print(1)\n"
    "except ImportError:\n"
    "    print(0)"
)
STORED = (
    "import json, sys\n"
    "from django.db.models import Count\n"
    "from civicpulse.evaluations.models import Evaluation, FraudFlag\n"
    "def orders(pk):\n"
    "    try:\n"
    "        from civicpulse.rectification.models import RectificationOrder\n"
    "    except ImportError:\n"
    "        return 0\n"
    "    return RectificationOrder.objects.filter(evaluation__integration_id=pk).count()\n"
    "out = {}\n"
    "for pk in json.load(sys.stdin):\n"
    "    rows = Evaluation.objects.filter(integration_id=pk).order_by()\n"
    "    out[pk] = {\n"
    "        'rows': list(rows.values_list('pk', 'evaluator_phone', 'case__number', 'stage', 'status')),\n"
    "        'duplicates': rows.values('case_id', 'stage', 'evaluator_key').annotate(n=Count('pk'))"
    ".filter(n__gt=1).count(),\n"
    "        'flags': dict(FraudFlag.objects.filter(evaluation__integration_id=pk).order_by()"
    ".values_list('code').annotate(n=Count('pk'))),\n"
    "        'orders': orders(pk),\n"
    "    }\n"
    "print(json.dumps(out))"
)


@dataclass
class Submission:
    """One caller's rating of one interaction, and what the client was finally told about it."""

    key: str
    body: bytes
    phone: str
    case_number: str
    stage: str
    status: int = 0
    code: str = ""
    evaluation_id: int | None = None
    replayed: bool = False
    attempts: int = 0
    in_progress: int = 0  # answers "still being processed" while the killed request's claim was held

    @property
    def acknowledged(self) -> bool:
        # 409 already_evaluated on a retry means the first attempt committed before its answer was lost.
        return self.status == 201 or (self.status == 409 and self.code == "already_evaluated")

    def answered(self, status: int, answer: dict[str, Any], replayed: bool) -> None:
        self.status = status
        self.code = str(answer.get("code", ""))
        self.evaluation_id = answer.get("id") if status == 201 else None
        self.replayed = replayed


class Hotline:
    """The 12345 hotline integration: a token of its own, and a new caller (phone) for every submission."""

    def __init__(self, env: dict[str, str], block: int, work: list[list[Any]], bad: bool) -> None:
        if not 0 <= block < 100:
            raise RuntimeError("this database holds 100 benchmark runs already: use a fresh one")
        self.name = f"bench hotline {block}"
        out = civicpulse(env, "evaluations", "integration-add", self.name, "--channel", "hotline")
        found = re.search(r"([A-Za-z0-9_-]{40,})\s*$", out)
        if found is None:
            raise RuntimeError(f"no token in: {out}")
        self.token = found.group(1)
        self.pk = int(
            query(
                env,
                "from civicpulse.evaluations.models import Integration\n"
                f"print(Integration.objects.get(name={self.name!r}).pk)",
            )
        )
        # 199 BB NNNNNN: demo applicants have other prefixes, and each run of the benchmark its own block.
        self.prefix = f"199{block:02d}"
        self.pairs = [(number, kind, stage) for number, kind, stages in work for stage in stages]
        self.rng = random.Random(block)
        self.rng.shuffle(self.pairs)
        self.weights = WITH_BAD if bad else WITHOUT_BAD
        self.made: list[Submission] = []
        self.lock = threading.Lock()

    def next(self) -> Submission:
        with self.lock:
            serial = len(self.made)
            number, kind, stage = self.pairs[serial % len(self.pairs)]
            phone = f"{self.prefix}{serial:06d}"
            level = self.rng.choices(LEVELS, weights=self.weights)[0]
            dimensions = {
                key: max(1, min(5, level + self.rng.choice((-1, 0, 0, 1)))) for key in DIMENSIONS[kind]
            }
            tags: list[str] = []
            text = ""
            if level == 3:
                tags = [self.rng.choice(MILD_TAGS)]
            elif level <= 2:
                tags = self.rng.sample(BAD_TAGS, 2)
                text = self.rng.choice(COMPLAINTS)
            payload = {
                "case_number": number,
                "stage": stage,
                "level": level,
                "dimensions": dimensions,
                "tags": tags,
                "text": text,
                # No device: a call centre is one client for thousands of callers (the API ignores its
                # address for that reason); the caller's phone is what the fraud rules count on.
                "evaluator_phone": phone,
            }
            submission = Submission(uuid.uuid4().hex, json.dumps(payload).encode(), phone, number, stage)
            self.made.append(submission)
            return submission

    def post(
        self, conn: http.client.HTTPConnection, submission: Submission
    ) -> tuple[int, dict[str, Any], bool]:
        conn.request(
            "POST",
            "/api/v1/evaluate",
            submission.body,
            {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": submission.key,
            },
        )
        response = conn.getresponse()
        body = response.read()
        replayed = response.getheader("Idempotent-Replayed") == "true"
        try:
            answer = json.loads(body)
        except ValueError:  # a 500 page is HTML: the status alone says to retry
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}, replayed


def stored(env: dict[str, str], hotlines: list[Hotline]) -> dict[int, dict[str, Any]]:
    answer = json.loads(query(env, STORED, json.dumps([h.pk for h in hotlines])))
    return {int(pk): value for pk, value in answer.items()}


def check(submissions: list[Submission], found: dict[str, Any]) -> list[str]:
    """What is wrong between what the clients were told and what the database holds; [] when nothing."""
    problems = []
    if found["duplicates"]:
        problems.append(f"{found['duplicates']} (case, stage, evaluator) hold more than one evaluation")
    rows = defaultdict(list)
    for pk, phone, number, stage, _status in found["rows"]:
        rows[phone].append((pk, number, stage))
    for s in submissions:
        mine = rows.pop(s.phone, [])
        if not s.acknowledged:
            told = f"{s.status} {s.code}".strip() if s.status else "no answer"
            problems.append(f"{s.phone}: the client was left with {told} ({len(mine)} stored)")
        elif len(mine) != 1:
            problems.append(f"{s.phone}: acknowledged, {len(mine)} evaluations stored")
        elif mine[0][1:] != (s.case_number, s.stage):
            problems.append(f"{s.phone}: stored on {mine[0][1:]}, sent for {(s.case_number, s.stage)}")
        elif s.evaluation_id is not None and mine[0][0] != s.evaluation_id:
            problems.append(
                f"{s.phone}: acknowledged as evaluation {s.evaluation_id}, stored as {mine[0][0]}"
            )
    problems += [f"{phone}: stored, never sent" for phone in rows]
    acknowledged = sum(s.acknowledged for s in submissions)
    if len(found["rows"]) != acknowledged:
        problems.append(
            f"{len(found['rows'])} evaluations stored for {acknowledged} acknowledged submissions"
        )
    return problems


def summary(runs: list[Run]) -> dict[str, Any]:
    latencies = [x * 1000 for run in runs for x in run.latencies]
    return {
        "rps": sum(run.requests for run in runs) / sum(run.seconds for run in runs),
        "p50_ms": statistics.median(latencies),
        "p99_ms": statistics.quantiles(latencies, n=100, method="inclusive")[98],
        "requests": len(latencies),
        "round_rps": [round(run.rate, 1) for run in runs],
    }


def throughput(
    args: argparse.Namespace, hotline: Hotline, hall: str
) -> tuple[dict[str, Any], list[Submission]]:
    ticket = ticket_step(hall)

    def evaluate(conn: http.client.HTTPConnection) -> int:
        submission = hotline.next()
        submission.attempts = 1
        submission.answered(*hotline.post(conn, submission))
        if submission.status != 201:
            raise RuntimeError(f"{submission.phone} answered {submission.status} {submission.code}")
        return submission.status

    runs: dict[str, list[Run]] = {"ticket": [], "evaluate": []}
    for _ in range(args.rounds):
        runs["ticket"].append(timed_load(ticket, args.seconds, args.clients))
        runs["evaluate"].append(timed_load(evaluate, args.seconds, args.clients))
    reference, target = summary(runs["ticket"]), summary(runs["evaluate"])
    results = {
        "ticket": reference,
        "evaluate": target,
        "ratio_rps": target["rps"] / reference["rps"],
        "ratio_p50": target["p50_ms"] / reference["p50_ms"],
        "ratio_p99": target["p99_ms"] / reference["p99_ms"],
    }
    return results, list(hotline.made)


@dataclass
class Crash:
    in_flight: list[Submission]
    submissions: list[Submission]
    before_kill: float
    down_seconds: float
    recovery_seconds: float
    gave_up: bool


def crash(args: argparse.Namespace, server: Server, hotline: Hotline) -> Crash:
    """Submit with several clients, kill the server hard, restart it, let every client retry to an answer."""
    killed = threading.Event()
    give_up = threading.Event()
    flying: dict[int, Submission] = {}
    lock = threading.Lock()

    def deliver(
        conn: http.client.HTTPConnection | None, submission: Submission
    ) -> http.client.HTTPConnection | None:
        while not give_up.is_set():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            submission.attempts += 1
            with lock:
                flying[id(submission)] = submission
            try:
                status, answer, replayed = hotline.post(conn, submission)
            except (OSError, http.client.HTTPException):
                # The server is down or died under this request: same key, same body, again.
                conn.close()
                conn = None
                time.sleep(DOWN_BACKOFF)
                continue
            finally:
                with lock:
                    flying.pop(id(submission), None)
            if status == 409 and answer.get("code") == "idempotency_in_progress":
                submission.in_progress += 1
                time.sleep(IN_PROGRESS_BACKOFF)
                continue
            if status >= 500:
                time.sleep(DOWN_BACKOFF)
                continue
            submission.answered(status, answer, replayed)
            return conn
        return conn

    def client() -> None:
        conn = None
        while not killed.is_set():
            conn = deliver(conn, hotline.next())
        if conn is not None:
            conn.close()

    # Daemons: if the restart fails, the exception must end the run, not leave clients retrying forever.
    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.crash_clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.crash_after)
    # Under the lock no client can take its answer off the in-flight list: the list is exact at the kill.
    with lock:
        killed.set()
        in_flight = list(flying.values())
        kill_at = time.monotonic()
        server.kill()
    print(
        f"crash: killed the server (SIGKILL to master and workers) with {len(in_flight)} requests in flight"
    )
    server.start()
    down = time.monotonic() - kill_at
    print(f"crash: server back after {down:.1f}s; the clients retry with the same Idempotency-Keys")
    deadline = time.monotonic() + args.crash_timeout
    while alive := [thread for thread in threads if thread.is_alive()]:
        if time.monotonic() > deadline:
            give_up.set()
        alive[0].join(timeout=15)
        waiting = [s for s in in_flight if not s.status]
        if waiting and alive[0].is_alive():
            told = sum(s.in_progress for s in in_flight)
            print(
                f"crash: +{time.monotonic() - kill_at:3.0f}s  {len(waiting)} of {len(in_flight)} unanswered, "
                f"{told} 'in progress' answers so far (a dead request's claim is released after 2 minutes)",
                flush=True,
            )
    return Crash(
        in_flight,
        list(hotline.made),
        kill_at - began,
        down,
        time.monotonic() - kill_at,
        give_up.is_set(),
    )


def outcome(submission: Submission) -> str:
    if submission.status == 201 and submission.replayed:
        return "replayed 201 (committed and stored; the answer was lost)"
    if submission.status == 201 and submission.attempts == 1:
        return "201 read after the kill (the answer was already on its way)"
    if submission.status == 201 and submission.in_progress:
        return "201 after the claim was released (the killed attempt had not committed)"
    if submission.status == 201:
        return "201 on the first retry (the killed attempt never claimed the key)"
    if submission.acknowledged:
        return "409 already_evaluated (committed; the claim was released before its answer was stored)"
    return f"not acknowledged: {submission.status or 'no answer'} {submission.code}".strip()


def extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--crash-clients", type=int, default=4, help="clients submitting when the server dies"
    )
    parser.add_argument(
        "--crash-after", type=float, default=5.0, help="seconds of submissions before the kill"
    )
    parser.add_argument(
        "--crash-timeout",
        type=float,
        default=360.0,
        help="seconds after the kill before giving up on answers",
    )
    parser.add_argument("--no-crash", action="store_true", help="measure throughput only")


def print_throughput(results: dict[str, dict[str, Any]]) -> None:
    ticket, evaluate = results["ticket"], results["evaluate"]
    for label, row in (
        ("reference: one-row insert (queue ticket)", ticket),
        ("evaluation submit (hotline)", evaluate),
    ):
        line = (
            f"{label:<42}{row['rps']:8.0f} req/s   p50 {row['p50_ms']:6.1f} ms   p99 {row['p99_ms']:6.1f} ms"
        )
        if row is evaluate:
            line += (
                f"   ratio {results['ratio_rps']:.2f}"
                f" (latency p50 ×{results['ratio_p50']:.1f}, p99 ×{results['ratio_p99']:.1f})"
            )
        print(line)
    rounds = {
        name: " ".join(f"{r:.0f}" for r in results[name]["round_rps"]) for name in ("evaluate", "ticket")
    }
    print(f"rounds (req/s): evaluation {rounds['evaluate']}; ticket {rounds['ticket']}")


def print_crash(args: argparse.Namespace, crashed: Crash, found: dict[str, Any]) -> dict[str, Any]:
    outcomes = Counter(outcome(s) for s in crashed.in_flight)
    acknowledged = sum(s.acknowledged for s in crashed.submissions)
    print(
        f"crash: {len(crashed.submissions)} submissions by {args.crash_clients} clients; killed after "
        f"{crashed.before_kill:.1f}s with {len(crashed.in_flight)} in flight; "
        f"down {crashed.down_seconds:.1f}s; all answered {crashed.recovery_seconds:.0f}s after the kill"
    )
    for text, n in outcomes.most_common():
        print(f"crash:   {n} × {text}")
    print(
        f"crash: {acknowledged} acknowledged, {len(found['rows'])} stored, "
        f"{found['duplicates']} duplicated (case, stage, evaluator)"
    )
    return {
        "clients": args.crash_clients,
        "submissions": len(crashed.submissions),
        "in_flight_at_kill": len(crashed.in_flight),
        "down_seconds": crashed.down_seconds,
        "recovery_seconds": crashed.recovery_seconds,
        "outcomes_in_flight": dict(outcomes),
        "acknowledged": acknowledged,
        "stored": len(found["rows"]),
    }


def main() -> None:
    args = arguments(__doc__, seconds=5.0, rounds=4, extra=extra)
    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    with demo_county(args.database_url, {"CIVICPULSE_KIOSK_RATE": "100000/s"}) as server:
        env = server.env
        work = json.loads(query(env, WORK))
        bad = query(env, RECTIFICATION) == "1"
        block = int(query(env, BLOCK))
        fast = Hotline(env, block, work, bad)
        mix = (
            "levels 1-5, 5 % bad (1-2)"
            if bad
            else "levels 3-5 only: civicpulse.rectification.services is missing"
        )
        print(
            f"database: {vendor}; {args.clients} clients; {args.rounds} alternating rounds of "
            f"{args.seconds:g}s; {len(work)} demo cases, {len(fast.pairs)} rated interactions, "
            f"a new caller each time; {mix}"
        )
        results, sent = throughput(args, fast, query(env, HALL))
        print_throughput(results)
        hotlines = [fast]
        if not args.no_crash:
            slow = Hotline(env, block + 1, work, bad)
            hotlines.append(slow)
            crashed = crash(args, server, slow)
        found = stored(env, hotlines)

    quarantined = sum(row[4] == "quarantined" for row in found[fast.pk]["rows"])
    flags = Counter(found[fast.pk]["flags"])
    orders = found[fast.pk]["orders"]
    print(
        f"quarantined: {quarantined} of {len(sent)} ({quarantined / len(sent):.1%})"
        + "".join(f"; {code} {n}" for code, n in flags.most_common())
        + f"; rectification orders opened by valid bad reviews: {orders}"
    )
    results |= {"database": vendor, "bad_reviews": bad, "quarantined": quarantined, "flags": dict(flags)}
    results |= {"rectification_orders": orders}
    results |= {"clients": args.clients, "rounds": args.rounds, "seconds": args.seconds}
    problems = [f"throughput: {p}" for p in check(sent, found[fast.pk])]
    if not args.no_crash:
        results["crash"] = print_crash(args, crashed, found[slow.pk])
        if crashed.gave_up:
            problems.append(f"crash: gave up {args.crash_timeout:g}s after the kill")
        problems += [f"crash: {p}" for p in check(crashed.submissions, found[slow.pk])]
    results["problems"] = problems
    if problems:
        print(f"FAIL: {len(problems)} problems")
        for problem in problems[:20]:
            print(f"  {problem}")
    else:
        phases = "throughput phase" if args.no_crash else "throughput and crash phases"
        print(f"PASS ({phases}): every acknowledged evaluation stored exactly once, and nothing else")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"evaluations-{vendor}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
