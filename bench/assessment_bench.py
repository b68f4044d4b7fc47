"""Assessment runs at scale: `run_compute` for a month and a year of a synthetic region, beside DuckDB
computing the same per-unit counts from the same raw rows, on SQLite or PostgreSQL.

Every heavy step runs in a process of its own, one at a time, so that each peak memory (the child's
maximum resident set, from wait4) is that step's alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _assessment_data as data

VAR = Path(os.environ.get("CIVICPULSE_VAR_DIR", str(ROOT / "var"))) / "bench-assessment"
RESULTS = Path(__file__).resolve().parent / "results"
PERIODS = {"month": "2025-06", "year": "2025"}
SCHEMES = {
    "month": ("bench-units-month", "月度单位考核（基准）"),
    "year": ("bench-units-year", "年度单位考核（基准）"),
}
# A run that would take the machine's memory from everyone else fails instead (MemoryError).
MEMORY_LIMIT_GB = 12
META = "bench_assessment_meta"


def _linear(floor: float, target: float) -> dict[str, Any]:
    return {"kind": "linear", "floor": floor, "target": target}


# One weight table per unit category, between them reading every fact source: cases, evaluations,
# interactions, rectification orders and hall tickets. Both schemes (month and year) use them.
TABLES: dict[str, list[tuple[str, float, dict[str, Any]]]] = {
    "window": [
        ("good_review_rate_adjusted", 20, _linear(0.6, 0.95)),
        ("on_time_completion_rate", 20, _linear(0.6, 0.95)),
        ("run_at_most_once_rate", 15, _linear(0.5, 0.9)),
        ("active_evaluation_rate", 10, _linear(0.1, 0.5)),
        ("rectification_rate", 10, _linear(0.5, 1.0)),
        ("wait_within_target_rate", 15, _linear(0.6, 0.95)),
        ("p90_wait", 10, _linear(60, 15)),
    ],
    "approval": [
        ("on_time_completion_rate", 30, _linear(0.6, 0.95)),
        ("speed_adjusted", 20, _linear(1.5, 0.8)),
        ("good_review_rate", 20, _linear(0.6, 0.95)),
        ("zero_visit_rate", 15, {"kind": "bands", "bands": [[0.5, 1.0], [0.3, 0.6], [0.1, 0.3]]}),
        ("rectification_rate", 15, _linear(0.5, 1.0)),
    ],
    "town": [
        ("good_review_rate", 30, _linear(0.6, 0.95)),
        ("on_time_completion_rate", 25, _linear(0.6, 0.95)),
        ("run_at_most_once_rate", 15, _linear(0.5, 0.9)),
        ("wait_within_target_rate", 15, _linear(0.6, 0.95)),
        ("active_evaluation_rate", 15, _linear(0.1, 0.5)),
    ],
    "enforcement": [
        ("on_time_completion_rate", 40, _linear(0.6, 0.95)),
        ("good_review_rate", 25, _linear(0.6, 0.95)),
        ("completion_rate", 15, {"kind": "percentile"}),
        ("contact_on_time_rate", 20, _linear(0.5, 1.0)),
    ],
}


def size_label(interactions: int) -> str:
    if interactions % 1_000_000 == 0:
        return f"{interactions // 1_000_000}M"
    if interactions % 1000 == 0:
        return f"{interactions // 1000}k"
    return str(interactions)


def migrations_fingerprint() -> str:
    import hashlib

    names = sorted(p.name for p in (ROOT / "civicpulse").glob("*/migrations/0*.py"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


# What run_compute executes of CivicPulse: the engine and the models it reads.
ENGINE_SOURCES = (
    "assessment/counts.py",
    "assessment/digests.py",
    "assessment/stored.py",
    "assessment/facts.py",
    "assessment/services.py",
    "assessment/indicators.py",
    "assessment/scoring.py",
    "assessment/models.py",
    "cases/models.py",
    "evaluations/models.py",
    "rectification/models.py",
)


def engine_fingerprint() -> str:
    """The engine's sources as measured: CivicPulse may change while benchmarks are run against it."""
    import hashlib

    digest = hashlib.sha256()
    for name in ENGINE_SOURCES:
        path = ROOT / "civicpulse" / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def cutoff() -> dt.datetime:
    from zoneinfo import ZoneInfo

    return data.NOW_LOCAL.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


# --- the database --------------------------------------------------------------------------------------


class Database:
    """The throwaway database: a SQLite file under var/, or the PostgreSQL database named by the URL."""

    def __init__(self, url: str, interactions: int, seed: int) -> None:
        self.interactions, self.seed = interactions, seed
        self.key = {"generator": data.GENERATOR_VERSION, "interactions": interactions, "seed": seed}
        # A new migration changes the tables: the cached database is then migrated forward (ensure_database).
        self.key["migrations"] = migrations_fingerprint()
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("postgres", "postgresql"):
                raise SystemExit("--database-url must be a postgres:// URL (SQLite is the default)")
            self.engine, self.url, self.target = "postgresql", url, url
            self.name = parts.path.lstrip("/")
            if "bench" not in self.name:
                # It is dropped and created again at will: never point this at a database that matters.
                raise SystemExit(
                    f"refusing to use {self.name!r}: the benchmark database's name must say bench"
                )
            self.admin = urlunsplit(parts._replace(path="/postgres"))
        else:
            self.engine = "sqlite"
            self.path = VAR / f"assessment-{size_label(interactions)}-seed{seed}.sqlite3"
            self.target = str(self.path)
            self.url = f"sqlite:///{self.path}"
        self.key["engine"] = self.engine

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            CIVICPULSE_VAR_DIR=str(VAR),
            DATABASE_URL=self.url,
            DJANGO_SETTINGS_MODULE="config.settings.prod",
            LOG_LEVEL="WARNING",
            SECURE_COOKIES="false",
        )

    def meta(self) -> dict[str, Any] | None:
        """What the generator recorded in the database, if it finished."""
        sql = f"SELECT value FROM {META} WHERE key = 'generation'"  # noqa: S608 - our table
        try:
            if self.engine == "sqlite":
                if not self.path.exists():
                    return None
                with sqlite3.connect(self.path) as con:
                    row = con.execute(sql).fetchone()
            else:
                import psycopg

                with psycopg.connect(self.target, connect_timeout=5) as con:
                    row = con.execute(sql).fetchone()
        except Exception:  # no database, no table: not generated
            return None
        return json.loads(row[0]) if row else None

    def recreate(self) -> None:
        if self.engine == "sqlite":
            VAR.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin, autocommit=True) as con:
            name = sql.Identifier(self.name)
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            con.execute(sql.SQL("CREATE DATABASE {}").format(name))


# --- child processes -----------------------------------------------------------------------------------


def spawn(
    task: str,
    payload: dict[str, Any],
    env: dict[str, str],
    *,
    memory_gb: float | None = None,
    script: str = __file__,
) -> dict[str, Any]:
    """Run one step in a fresh interpreter (`script --child task`); its answer, wall time and peak RSS (its
    own, from wait4)."""
    # The payload goes through a file: one command-line argument holds at most 128 KiB.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        out = Path(handle.name)
        json.dump({**payload, "out": str(out)}, handle)
    command = [sys.executable, script, "--child", task, str(out)]

    def limit() -> None:
        if memory_gb:
            size = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, preexec_fn=limit)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    try:
        answer = json.loads(out.read_text() or "{}")
    finally:
        out.unlink(missing_ok=True)
    answer.setdefault("error", None if process.returncode == 0 else f"exit status {process.returncode}")
    answer["wall_seconds"] = wall
    answer["peak_rss_bytes"] = usage.ru_maxrss * 1024
    return answer


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()


def _rss() -> tuple[int, int]:
    """(current, peak) resident set of this process, in bytes."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _sep, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def child_generate(p: dict[str, Any]) -> dict[str, Any]:
    from tqdm import tqdm

    _django()
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    bar = tqdm(total=p["interactions"], unit="interaction", unit_scale=True, desc="2025", file=sys.stderr)
    generator = data.Generator(
        engine=p["engine"],
        target=p["target"],
        interactions=p["interactions"],
        seed=p["seed"],
        progress=bar.update,
    )
    summary = generator.run()
    bar.close()
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Ids were set explicitly: the sequences must start after them for the rows the services add.
            for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                cursor.execute(statement)
        # Production databases have planner statistics (and on PostgreSQL, tables autovacuum has visited,
        # so index-only scans need not check the rows); a freshly loaded one has neither until this.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    versions = publish_schemes()
    generation = {
        **p["key"],
        "summary": summary,
        "versions": versions,
        "seconds": {
            "migrate": migrated - started,
            "load": loaded - migrated,
            "analyze_and_schemes": time.perf_counter() - loaded,
            "total": time.perf_counter() - started,
        },
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META} (key VARCHAR(40) PRIMARY KEY, value TEXT NOT NULL)")
        cursor.execute(f"INSERT INTO {META} (key, value) VALUES ('generation', %s)", [json.dumps(generation)])  # noqa: S608
    return generation


def child_migrate(p: dict[str, Any]) -> dict[str, Any]:
    """A cached database brought up to new migrations, as production would be, instead of generated
    again: the migrations themselves backfill whatever new columns need."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    meta = p["meta"]
    meta["migrations"] = p["migrations"]
    meta.setdefault("migrated", []).append(
        {
            "to": p["migrations"],
            "seconds": time.perf_counter() - started,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {META} SET value = %s WHERE key = 'generation'", [json.dumps(meta)])  # noqa: S608
    return meta


def publish_schemes() -> dict[str, int]:
    """Two unit schemes, by month and by year, drafted by a quality officer and approved by a leader,
    through the assessment services as civicpulse/demo/assessment.py does it."""
    from civicpulse.accounts.models import RoleAssignment
    from civicpulse.assessment import services as assess
    from civicpulse.assessment.models import Scheme

    def region_user(role: str) -> Any:
        assignment = RoleAssignment.objects.filter(role=role, unit__parent__isnull=True).order_by("user_id")
        return assignment.select_related("user").first().user  # type: ignore[union-attr]

    quality, leader = region_user("quality_officer"), region_user("leader")
    items = [
        assess.ItemInput(group=group, indicator=code, weight=weight, rule=rule)
        for group, rows in TABLES.items()
        for code, weight, rule in rows
    ]
    versions = {}
    for kind, (code, name_zh) in SCHEMES.items():
        scheme = Scheme.objects.create(
            code=code, name_zh=name_zh, name_en=f"Units by {kind} (bench)", subject="unit"
        )
        version = assess.scheme_version_draft(actor=quality, scheme=scheme)
        version.period_kind = kind
        version.save(update_fields=["period_kind"])
        assess.scheme_items_set(actor=quality, version=version, items=items)
        assess.scheme_version_transition(actor=quality, version=version, transition="submit")
        version = assess.scheme_version_transition(actor=leader, version=version, transition="approve")
        versions[kind] = version.pk
    versions["actor"] = quality.pk
    return versions


def child_reset(p: dict[str, Any]) -> dict[str, Any]:
    """Earlier benchmark runs out of the way, so every timing starts from the same database."""
    _django()
    from civicpulse.assessment.models import Run, RunSubject, RunValue

    runs = Run.objects.filter(version_id__in=p["versions"])
    RunValue.objects.filter(subject__run__in=runs).delete()
    RunSubject.objects.filter(run__in=runs).delete()
    deleted, _by_model = runs.delete()
    return {"deleted": deleted}


def child_store(p: dict[str, Any]) -> dict[str, Any]:
    """Keep every closed month's per-unit counts as of the cut-off, as the worker's refresh does after the
    writes of a month (assessment/stored.py); with `drop`, remove them so runs count the raw tables."""
    _django()
    from civicpulse.assessment import stored
    from civicpulse.assessment.models import StoredCounts, StoredFold, StoredMonth, StoredSpan
    from civicpulse.core import clock

    StoredCounts.objects.all().delete()
    StoredFold.objects.all().delete()
    StoredMonth.objects.all().delete()
    StoredSpan.objects.all().delete()
    if p.get("drop"):
        return {"months": []}
    months = []
    with clock.frozen(cutoff()):
        for month in range(1, 13):
            began = time.perf_counter()
            stored.store_month(dt.date(data.YEAR, month, 1), cutoff())
            months.append({"month": f"{data.YEAR}-{month:02d}", "seconds": time.perf_counter() - began})
            print(f"  kept {months[-1]['month']}: {months[-1]['seconds']:.1f} s", flush=True)
    _settle_kept()
    return {"months": months, "seconds": sum(m["seconds"] for m in months)}


def _settle_kept() -> None:
    """After rewriting a year of kept rows, what the database does on its own before a routine run days
    later: planner statistics for the kept tables (autovacuum's ANALYZE), and the writes checkpointed, so
    the first timed run does not share the disk with flushing them. Not timed, like the generator's own
    VACUUM ANALYZE."""
    from django.db import connection

    tables = "assessment_storedcounts, assessment_storedfold, assessment_storedmonth, assessment_storedspan"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {tables}")
            cursor.execute("CHECKPOINT")
        else:
            for table in tables.split(", "):
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def child_idle(p: dict[str, Any]) -> dict[str, Any]:
    """Django set up and connected, nothing else: what every compute child starts from."""
    _django()
    from civicpulse.assessment.models import Run

    Run.objects.exists()
    return {}


def _inline_in_lists() -> None:
    """SQLite refuses more than 250,000 parameters in one statement; the engine binds every case id of
    the period. This writes long IN lists of plain ids as literals instead, so the yearly SQLite run can be
    measured at all. A benchmark-only patch: it changes no result, only the SQL text."""
    from django.db.models.lookups import In

    original = In.process_rhs

    def process_rhs(self: Any, compiler: Any, connection: Any) -> Any:
        sql, params = original(self, compiler, connection)
        if connection.vendor == "sqlite" and len(params) > 10_000:
            if all(isinstance(v, int) for v in params):
                return "(" + ", ".join(str(int(v)) for v in params) + ")", ()
            if all(isinstance(v, str) and v.isdigit() for v in params):
                return "(" + ", ".join(f"'{v}'" for v in params) + ")", ()
        return sql, params

    In.process_rhs = process_rhs  # type: ignore[method-assign]


def _phases(record: list[dict[str, Any]]) -> None:
    """Time and resident memory around the engine's stages (counting queries, digest, scoring): the
    functions are wrapped in this process only, nothing in civicpulse/ changes."""
    from civicpulse.assessment import counts, scoring, services

    def wrap(owner: Any, name: str, label: str, describe: Any = None) -> None:
        original = getattr(owner, name, None)
        if original is None:  # the engine is being worked on: measure the stages it still has
            return

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # Entered in call order, filled in on the way out, so nested stages read as nested.
            entry: dict[str, Any] = {"phase": label}
            record.append(entry)
            began, (entry["rss_before"], _peak) = time.perf_counter(), _rss()
            result = original(*args, **kwargs)
            entry["seconds"] = time.perf_counter() - began
            entry["rss_after"], entry["peak_so_far"] = _rss()
            if describe is not None:
                entry["sizes"] = describe(result)
            return result

        setattr(owner, name, wrapper)

    def sizes(result: Any) -> dict[str, int]:
        return {source: len(subjects) for source, subjects in result.by_subject.items()}

    wrap(services, "unit_resolver", "unit_resolver")
    wrap(counts, "count", "counts.count (every GROUP BY, folded into subjects)", sizes)
    for name, label in (
        ("_cases", "cases: flags, limits, speeds"),
        ("_evaluations", "evaluations by channel and grade"),
        ("_interactions", "interactions: every stage reached, rated or not"),
        ("_rectifications", "rectification orders, first answer and callback"),
        ("_tickets", "tickets: wait histogram"),
        ("_reference", "channel reference rates"),
    ):
        wrap(counts, name, f"  counts.{name} ({label})")
    wrap(services, "expected_days_before", "expected_days_before (a year of history)")
    wrap(services, "_digest", "_digest (input fingerprint)")
    wrap(services, "_measure", "_measure (indicators per unit)")
    wrap(scoring, "score_group", "scoring.score_group")


def _memory_sites(record: list[dict[str, Any]]) -> None:
    """Where the counts' memory was allocated, by source line, as they stand once read: a tracemalloc
    snapshot taken as counts.count returns (its fetched rows are freed by then: that is the peak's rest)."""
    import tracemalloc

    from civicpulse.assessment import counts

    original = counts.count

    def load(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        snapshot = tracemalloc.take_snapshot()
        traced, peak = tracemalloc.get_traced_memory()
        record.append({"traced_after_load": traced, "traced_peak_in_load": peak})
        for stat in snapshot.statistics("lineno")[:15]:
            frame = stat.traceback[0]
            name = frame.filename.replace(str(ROOT) + "/", "").replace(sys.prefix, "<venv>")
            record.append({"site": f"{name}:{frame.lineno}", "bytes": stat.size, "blocks": stat.count})
        return result

    counts.count = load
    tracemalloc.start()


def child_compute(p: dict[str, Any]) -> dict[str, Any]:
    _django()
    if p.get("inline_in"):
        _inline_in_lists()
    from civicpulse.accounts.models import User
    from civicpulse.assessment import services
    from civicpulse.assessment.models import RunValue, SchemeVersion

    sources = engine_fingerprint()
    version = SchemeVersion.objects.select_related("scheme").get(pk=p["version"])
    actor = User.objects.get(pk=p["actor"])
    phases: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    if p.get("memory"):
        _memory_sites(memory)
    _phases(phases)
    profiler = None
    selects: list[tuple[str, Any]] = []
    if p.get("profile"):
        import cProfile

        from django.db import connection

        def remember(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.lstrip().upper().startswith("SELECT"):
                selects.append((sql, params))
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(remember)
        profiler = cProfile.Profile()
    rss_start, _peak = _rss()
    began = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    run = services.run_compute(actor=actor, version=version, period=p["period"], cutoff=cutoff())
    if profiler is not None:
        profiler.disable()
        connection.execute_wrappers.clear()
    seconds = time.perf_counter() - began
    rss_end, peak = _rss()
    answer: dict[str, Any] = {
        "seconds": seconds,
        "run": run.pk,
        "subjects": run.subjects.count(),
        "values": RunValue.objects.filter(subject__run=run).count(),
        "rss_start": rss_start,
        "rss_end": rss_end,
        "peak_rss_self": peak,
        "phases": phases,
        "civicpulse_sources_sha256": sources,
    }
    if memory:
        answer["memory"] = memory
    if profiler is not None:
        answer["profile"] = _profile_tables(profiler, p["profile"])
        answer["queries"] = _time_queries(selects)
    return answer


def _time_queries(selects: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct SELECT of the run again, alone, fetched to the last row: the database's share of the
    time (the run interleaves fetching with Python work, so the profiler cannot tell them apart)."""
    import re

    from django.db import connection

    timed: dict[str, dict[str, Any]] = {}
    for sql, params in selects:
        entry = timed.setdefault(sql, {"sql": sql, "calls": 0, "seconds": 0.0, "rows": 0})
        entry["calls"] += 1
        if entry["calls"] > 3:
            continue  # the per-subject lookups repeat thousands of times; three tell their cost
        with connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute(sql, params)
            rows = 0
            while batch := cursor.fetchmany(10_000):
                rows += len(batch)
            entry["seconds"] += time.perf_counter() - began
            entry["rows"] += rows
    found = sorted(timed.values(), key=lambda e: -e["seconds"] / min(e["calls"], 3) * e["calls"])
    for entry in found:
        entry["estimated_seconds"] = entry["seconds"] / min(entry["calls"], 3) * entry["calls"]
        # The column lists are long and say little: keep what is read from where.
        entry["sql"] = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", " ".join(entry["sql"].split()))[:400]
    return found[:15]


def _profile_tables(profiler: Any, path: str) -> dict[str, list[list[Any]]]:
    import io
    import pstats

    profiler.dump_stats(path)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == __file__:
            continue  # the stage timers wrapped around the engine's functions
        short = filename.replace(str(ROOT) + "/", "").replace(sys.prefix, "<venv>")
        rows.append([f"{short}:{line}({name})", calls, tottime, cumtime])
    by_own = sorted(rows, key=lambda r: -r[2])[:30]
    by_cumulative = sorted(rows, key=lambda r: -r[3])[:40]
    return {"by_own_time": by_own, "by_cumulative_time": by_cumulative}


def child_export(p: dict[str, Any]) -> dict[str, Any]:
    _django()
    import _assessment_duckdb as reference

    folder = Path(p["folder"])
    shutil.rmtree(folder, ignore_errors=True)
    return reference.export(p["engine"], p["target"], folder)


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """The first and last day of "2025-06" or "2025" (the engine's facts.period_bounds, without Django)."""
    year, _dash, month = label.partition("-")
    if not month:
        return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
    first = dt.date(int(year), int(month), 1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def child_duckdb(p: dict[str, Any]) -> dict[str, Any]:
    """DuckDB alone in its process (no Django), so its peak memory is the query's and the interpreter's."""
    import _assessment_duckdb as reference

    start, end = period_bounds(p["period"])
    rows, timing = reference.query(
        Path(p["folder"]),
        start=start,
        end=end,
        cutoff=cutoff(),
        groups=sorted(TABLES),
        wait_target=20.0,
        threads=p["threads"],
    )
    _rss_now, peak = _rss()
    return {**timing, "rows": rows, "peak_rss_self": peak}


def child_compare(p: dict[str, Any]) -> dict[str, Any]:
    """The engine's stored n and numerator (and value) against DuckDB's, unit by unit."""
    _django()
    from civicpulse.assessment.models import RunValue

    stored = {
        (unit, code): (n, numerator, value)
        for unit, code, n, numerator, value in RunValue.objects.filter(subject__run_id=p["run"]).values_list(
            "subject__unit_id", "indicator", "n", "numerator", "value"
        )
    }
    reference = {(unit, code): (n, numerator, value) for unit, code, n, numerator, value in p["rows"]}
    return compare(stored, reference)


# Where the engine and the reference add floats in a different order (fsum over Python objects against a
# SQL sum), the value may differ in the last bits; the counts behind it must still be equal.
_FLOAT_VALUES = {"speed_adjusted", "good_review_rate_adjusted"}


def compare(
    stored: dict[tuple[int, str], tuple[Any, ...]], reference: dict[tuple[int, str], tuple[Any, ...]]
) -> dict[str, Any]:
    by_indicator: dict[str, dict[str, Any]] = {}
    for (unit, code), (n, numerator, value) in sorted(stored.items()):
        ref_n, ref_numerator, ref_value = reference.get((unit, code), (0, 0.0, None))
        entry = by_indicator.setdefault(
            code, {"units": 0, "n_equal": 0, "numerator_equal": 0, "value_equal": 0}
        )
        entry["units"] += 1
        entry["n_equal"] += n == ref_n
        entry["numerator_equal"] += numerator == ref_numerator
        if value is None or ref_value is None:
            same_value = value is None and ref_value is None
        elif code in _FLOAT_VALUES:
            same_value = math.isclose(value, ref_value, rel_tol=1e-9, abs_tol=1e-12)
        else:
            same_value = value == ref_value
        entry["value_equal"] += same_value
        if not (n == ref_n and numerator == ref_numerator and same_value):
            entry.setdefault("examples", [])
            if len(entry["examples"]) < 3:
                entry["examples"].append(
                    {
                        "unit": unit,
                        "engine": [n, numerator, value],
                        "duckdb": [ref_n, ref_numerator, ref_value],
                    }
                )
    agree = all(
        e["units"] == e["n_equal"] == e["numerator_equal"] == e["value_equal"] for e in by_indicator.values()
    )
    return {
        "agree": agree,
        "units": len({unit for unit, _code in stored}),
        "values": len(stored),
        "by_indicator": by_indicator,
    }


CHILDREN = {
    "generate": child_generate,
    "migrate": child_migrate,
    "reset": child_reset,
    "idle": child_idle,
    "store": child_store,
    "compute": child_compute,
    "export": child_export,
    "duckdb": child_duckdb,
    "compare": child_compare,
}


def run_child(task: str, path: str, children: dict[str, Any] | None = None) -> int:
    payload = json.loads(Path(path).read_text())
    out = Path(payload["out"])
    try:
        answer = (children or CHILDREN)[task](payload)
        status = 0
    except BaseException as error:  # report any failure (MemoryError included) to the parent, then fail
        traceback.print_exc()
        answer = {"error": f"{type(error).__name__}: {error}"[:2000]}
        status = 1
    out.write_text(json.dumps(answer))
    return status


# --- the benchmark -------------------------------------------------------------------------------------


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def ensure_database(db: Database, regenerate: bool) -> dict[str, Any]:
    meta = db.meta()
    if meta is not None and not regenerate and {k: meta.get(k) for k in db.key} == db.key:
        print(f"reusing the generated database ({db.engine}, {size_label(db.interactions)}, seed {db.seed})")
        return meta
    if (
        meta is not None
        and not regenerate
        and all(meta.get(k) == v for k, v in db.key.items() if k != "migrations")
    ):
        print("new migrations since the database was generated: applying them to it ...", flush=True)
        answer = spawn("migrate", {"meta": meta, "migrations": db.key["migrations"]}, db.env())
        if answer["error"]:
            raise SystemExit(f"migrating the cached database failed: {answer['error']} (try --regenerate)")
        for name in ("wall_seconds", "peak_rss_bytes", "error"):
            answer.pop(name)
        print(f"  migrated in {answer['migrated'][-1]['seconds']:.0f} s")
        return answer
    print(
        f"generating {size_label(db.interactions)} interactions, seed {db.seed}, into {db.engine} ...",
        flush=True,
    )
    db.recreate()
    answer = spawn(
        "generate",
        {
            "engine": db.engine,
            "target": db.target,
            "interactions": db.interactions,
            "seed": db.seed,
            "key": db.key,
        },
        db.env(),
    )
    if answer["error"]:
        raise SystemExit(f"generation failed: {answer['error']}")
    answer.pop("wall_seconds")
    answer["peak_rss_bytes_generator"] = answer.pop("peak_rss_bytes")
    print(f"generated in {answer['seconds']['total']:.0f} s; rows: {answer['summary']['rows']}")
    return answer


def compute(
    db: Database, meta: dict[str, Any], kind: str, *, profile: str = "", memory: bool = False
) -> dict[str, Any]:
    payload = {"version": meta["versions"][kind], "actor": meta["versions"]["actor"], "period": PERIODS[kind]}
    if profile:
        payload["profile"] = profile
    if memory:
        payload["memory"] = True
    env = db.env()
    answer = spawn("compute", payload, env, memory_gb=MEMORY_LIMIT_GB)
    if answer["error"] and "too many SQL variables" in answer["error"] and db.engine == "sqlite":
        print(f"  {kind}: run_compute failed after {answer['wall_seconds']:.0f} s: {answer['error']}")
        print("  measuring again with long IN lists written as literals (benchmark-only patch)")
        failed = answer
        spawn("reset", {"versions": [meta["versions"][kind]]}, env)
        answer = spawn("compute", {**payload, "inline_in": True}, env, memory_gb=MEMORY_LIMIT_GB)
        answer["unpatched_failure"] = {k: failed[k] for k in ("error", "wall_seconds", "peak_rss_bytes")}
    return answer


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(run_child(sys.argv[2], sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--interactions", type=int, default=1_000_000, help="interactions in 2025 (1M or 10M)"
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--database-url", default="", help="a throwaway PostgreSQL database; SQLite under var/ if empty"
    )
    parser.add_argument("--regenerate", action="store_true", help="generate again even if the data is cached")
    parser.add_argument("--duckdb-threads", type=int, default=1, help="1 matches the engine's single core")
    parser.add_argument("--periods", default="month,year", help="month, year or month,year")
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timed runs per period, each side, taking turns (the median is reported)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="afterwards, run each period again under cProfile"
    )
    parser.add_argument(
        "--counts",
        choices=("kept", "raw"),
        default="kept",
        help="kept: runs fold the per-month counts the worker keeps (counted first, timed apart); raw: runs"
        " count the raw tables",
    )
    args = parser.parse_args()
    kinds = [k for k in ("month", "year") if k in args.periods.split(",")]

    db = Database(args.database_url, args.interactions, args.seed)
    label = f"{db.engine}-{size_label(args.interactions)}"
    meta = ensure_database(db, args.regenerate)
    env = db.env()
    spawn("reset", {"versions": [meta["versions"]["month"], meta["versions"]["year"]]}, env)
    if args.counts == "kept":
        print("keeping each month's counts, as the worker does after a month's writes ...", flush=True)
    kept = spawn("store", {"drop": args.counts == "raw"}, env, memory_gb=MEMORY_LIMIT_GB)
    if kept["error"]:
        raise SystemExit(f"keeping the counts failed: {kept['error']}")
    if args.counts == "kept":
        print(f"  {kept['seconds']:.0f} s for the year, peak {gib(kept['peak_rss_bytes'])}")
    idle = spawn("idle", {}, env)
    result: dict[str, Any] = {
        "engine": db.engine,
        "interactions": args.interactions,
        "seed": args.seed,
        "cutoff": cutoff().isoformat(),
        "civicpulse_sources_sha256": engine_fingerprint(),
        "periods": {k: PERIODS[k] for k in kinds},
        "generation": meta,
        "idle_child_peak_rss_bytes": idle["peak_rss_bytes"],
        "duckdb_threads": args.duckdb_threads,
        "counts": args.counts,
        "kept_counts": kept,
        "runs": {},
    }
    folder = VAR / f"export-{label}-seed{args.seed}"
    print("exporting the raw tables to Parquet ...", flush=True)
    export = spawn("export", {"engine": db.engine, "target": db.target, "folder": str(folder)}, env)
    if export["error"]:
        raise SystemExit(f"export failed: {export['error']}")
    result["export"] = export
    print(f"  {export['seconds']:.1f} s ({export['bytes'] / 2**20:.0f} MiB of Parquet)")
    for kind in kinds:
        print(f"run_compute {kind} ({PERIODS[kind]}) and DuckDB, taking turns ...", flush=True)
        # Each engine run followed by a DuckDB run: what else this shared machine runs slows both sides
        # of a pair alike, where a burst during one side's block of runs would move only its median.
        answers: list[dict[str, Any]] = []
        references: list[dict[str, Any]] = []
        for _ in range(args.repeats):
            answers.append(compute(db, meta, kind))
            payload = {"folder": str(folder), "period": PERIODS[kind], "threads": args.duckdb_threads}
            references.append(spawn("duckdb", payload, env))
            if references[-1]["error"]:
                raise SystemExit(f"DuckDB failed: {references[-1]['error']}")
            if answers[-1]["error"]:
                break
        engine = _median(answers)
        result["runs"][kind] = {"engine": engine}
        if engine["error"]:
            print(f"  failed: {engine['error']}")
        else:
            print(f"  engine: {_seconds_line(engine)}, peak {gib(engine['peak_rss_bytes'])}")
        answer = _median(references)
        rows = answer.pop("rows")
        for other in references:
            other.pop("rows", None)
        result["runs"][kind]["duckdb"] = answer
        print(f"  DuckDB: {_seconds_line(answer)}, peak {gib(answer['peak_rss_bytes'])}")
        if not engine["error"]:
            check = spawn("compare", {"run": engine["run"], "rows": rows}, env)
            del check["wall_seconds"], check["peak_rss_bytes"]
            result["runs"][kind]["agreement"] = check
    report(result)
    seen = {run["engine"].get("civicpulse_sources_sha256") for run in result["runs"].values()}
    if seen - {None, result["civicpulse_sources_sha256"]}:
        print("WARNING: civicpulse/ changed while the benchmark ran; the runs measured different code")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"assessment-{label}{'-raw' if args.counts == 'raw' else ''}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {path.relative_to(ROOT)}")
    if args.profile:
        for kind in kinds:
            spawn("reset", {"versions": [meta["versions"][kind]]}, env)
            stats = RESULTS / f"assessment-{label}-{kind}.pstats"
            answer = compute(db, meta, kind, profile=str(stats))
            spawn("reset", {"versions": [meta["versions"][kind]]}, env)
            answer["memory"] = compute(db, meta, kind, memory=True).get("memory", [])
            profile_report(kind, answer, RESULTS / f"assessment-{label}-{kind}-profile.txt")


def _median(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time among repeats (a failed one if any failed), with every repeat's seconds:
    this machine is shared, and one run of a second or less moves by a tenth with what else runs."""
    failed = [a for a in answers if a["error"]]
    if failed:
        return failed[0]
    chosen = sorted(answers, key=lambda a: a["seconds"])[(len(answers) - 1) // 2]
    return {**chosen, "seconds_all": [a["seconds"] for a in answers]}


def _seconds_line(answer: dict[str, Any]) -> str:
    repeats = answer.get("seconds_all", [answer["seconds"]])
    if len(repeats) == 1:
        return f"{answer['seconds']:.2f} s"
    return f"{answer['seconds']:.2f} s (median of {', '.join(f'{x:.2f}' for x in repeats)})"


def phase_lines(engine: dict[str, Any]) -> list[str]:
    """Where one run's time and memory went, stage by stage (nested stages indented; a stage run once
    per peer group is summed)."""
    merged: dict[str, dict[str, Any]] = {}
    for phase in engine["phases"]:
        entry = merged.setdefault(phase["phase"], {**phase, "seconds": 0.0, "calls": 0})
        entry["seconds"] += phase["seconds"]
        entry["calls"] += 1
        entry["rss_after"], entry["peak_so_far"] = (
            phase["rss_after"],
            max(entry["peak_so_far"], phase["peak_so_far"]),
        )
    lines = [f"    {'stage':<70}{'s':>7}{'RSS after':>12}{'peak':>11}"]
    top = 0.0
    for name, phase in merged.items():
        if not name.startswith(" "):
            top += phase["seconds"]
        label = f"{name} ×{phase['calls']}" if phase["calls"] > 1 else name
        size = gib(phase["rss_after"])
        lines.append(f"    {label:<70}{phase['seconds']:>7.1f}{size:>12}{gib(phase['peak_so_far']):>11}")
        if "sizes" in phase:
            lines.append(f"      subjects per source: {phase['sizes']}")
    rest = engine["seconds"] - top
    lines.append(f"    {'the rest (Run, RunSubject and RunValue rows, grades, funnels)':<70}{rest:>7.1f}")
    return lines


def report(result: dict[str, Any]) -> None:
    print()
    if result["counts"] == "kept":
        kept = result["kept_counts"]
        print(
            "runs fold the counts kept per month (kept beforehand, as the worker does:"
            f" {kept['seconds']:.0f} s for the year, peak {gib(kept['peak_rss_bytes'])})"
        )
    else:
        print("runs count the raw tables (--counts raw)")
    head = f"{'':<16}{'engine s':>10}{'engine peak':>13}{'DuckDB s':>10}{'DuckDB peak':>13}"
    print(f"{head}{'time ×':>9}{'memory ×':>10}")
    for kind, run in result["runs"].items():
        engine, duck = run["engine"], run.get("duckdb")
        name = f"{kind} {result['periods'][kind]}"
        if engine["error"]:
            print(f"{name:<16}{'failed':>10}{gib(engine['peak_rss_bytes']):>13}  {engine['error'][:60]}")
            continue
        line = f"{name:<16}{engine['seconds']:>10.2f}{gib(engine['peak_rss_bytes']):>13}"
        if duck:
            run["ratio_time"] = engine["seconds"] / duck["seconds"]
            run["ratio_time_with_export"] = engine["seconds"] / (
                duck["seconds"] + result["export"]["seconds"]
            )
            run["ratio_memory"] = engine["peak_rss_bytes"] / duck["peak_rss_bytes"]
            line += f"{duck['seconds']:>10.2f}{gib(duck['peak_rss_bytes']):>13}"
            line += f"{run['ratio_time']:>8.2f}×{run['ratio_memory']:>9.1f}×"
        print(line)
        if "unpatched_failure" in engine:
            failure = engine["unpatched_failure"]
            print(
                f"{'':<16}as shipped: failed after {failure['wall_seconds']:.0f} s ({failure['error'][:70]})"
            )
    export = result["export"]
    print(f"export to Parquet (once for both periods): {export['seconds']:.1f} s")
    for kind, run in result["runs"].items():
        if "ratio_time_with_export" in run:
            print(f"  {kind}: engine / (export + DuckDB) = {run['ratio_time_with_export']:.1f}×")
    # What DuckDB's query does is the run's counting; the rest of a run (digest, scoring, grades, writing
    # its rows and the audit event) has no counterpart in the reference.
    for kind, run in result["runs"].items():
        counting = [
            p["seconds"] for p in run["engine"].get("phases", []) if p["phase"].startswith("counts.count")
        ]
        if counting and run.get("duckdb"):
            run["counting_seconds"] = sum(counting)
            run["ratio_counting"] = run["counting_seconds"] / run["duckdb"]["seconds"]
            print(
                f"  {kind}: counting alone (counts.count) {run['counting_seconds']:.2f} s"
                f" = {run['ratio_counting']:.2f}× DuckDB"
            )
    print(f"an idle child (Django set up, connected) peaks at {gib(result['idle_child_peak_rss_bytes'])}")
    for kind, run in result["runs"].items():
        check = run.get("agreement")
        if check:
            verdict = "agree" if check["agree"] else "DISAGREE"
            print(
                f"{kind}: engine and DuckDB {verdict} on {check['values']} values of {check['units']} units"
            )
            for code, entry in sorted(check["by_indicator"].items()):
                if entry.get("examples"):
                    counts = f"{entry['n_equal']}/{entry['units']} n, {entry['numerator_equal']} numerators"
                    print(f"  {code}: {counts}, {entry['value_equal']} values equal; {entry['examples'][0]}")
        if not run["engine"]["error"]:
            print(f"{kind}: where run_compute's time and memory went")
            print("\n".join(phase_lines(run["engine"])))


def profile_report(kind: str, answer: dict[str, Any], path: Path) -> None:
    if answer["error"]:
        print(f"profile {kind}: failed: {answer['error']}")
        return
    lines = [
        f"run_compute {kind} under cProfile: {answer['seconds']:.1f} s, peak {gib(answer['peak_rss_bytes'])}"
    ]
    lines += ["", "stages (under the profiler, so slower than the timed run):", *phase_lines(answer)]
    if answer.get("memory"):
        head, *sites = answer["memory"]
        lines += [
            "",
            "memory (tracemalloc, a separate run): the counts as read, by the line that allocated them",
        ]
        lines.append(
            f"  traced after counts.count: {gib(head['traced_after_load'])}, "
            f"peak traced inside it: {gib(head['traced_peak_in_load'])}"
        )
        for site in sites:
            lines.append(f"  {site['bytes'] / 2**20:>9.1f} MiB {site['blocks']:>10} blocks  {site['site']}")
    lines += ["", "the database's share: each distinct SELECT run again alone, fetched to the last row"]
    lines.append("(calls, rows, seconds for all calls; SQL shortened):")
    for query in answer.get("queries", []):
        counts = f"{query['calls']:>6} {query['rows']:>9} {query['estimated_seconds']:>7.2f}"
        lines.append(f"  {counts}  {query['sql'][:300]}")
    for title, key in (("by own time", "by_own_time"), ("by cumulative time", "by_cumulative_time")):
        lines += ["", f"top functions {title} (calls, own s, cumulative s):"]
        for name, calls, own, cumulative in answer["profile"][key]:
            lines.append(f"  {calls:>10} {own:>8.2f} {cumulative:>8.2f}  {name}")
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:60]))
    print(f"profile: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
