"""The reference of the assessment benchmark: the same per-unit counts in one DuckDB query.

DuckDB's sqlite and postgres scanners are extensions downloaded on first use, which this machine may not
be able to do, so the raw columns the query needs are exported to Parquet first (through CSV: the
database's own fast path, then DuckDB's reader), and the export is timed on its own.

The query follows civicpulse/assessment/facts.py and indicators.py rule for rule, as of the same cut-off:
periods are cohorts (cases by intake date, ratings by the local day they were given, orders by opening
date, tickets by day); an evaluation's status is the one it had at the cut-off; a window answers through
the department it serves, anything else through its nearest assessed ancestor; working days come from
the official calendar every case in this data was filed under (the export checks that), with statutory
pauses taken out as civicpulse.core.workdays does.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

# (name, SQL source, [(column, DuckDB type)]); timestamps come out as naive UTC on both engines.
_TS = "TIMESTAMP"
EXPORTS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    (
        "units",
        "accounts_orgunit",
        "",
        [
            ("id", "BIGINT"),
            ("kind", "VARCHAR"),
            ("path", "VARCHAR"),
            ("serving_unit_id", "BIGINT"),
            ("category_id", "BIGINT"),
            ("is_active", "INTEGER"),
        ],
    ),
    ("categories", "accounts_unitcategory", "", [("id", "BIGINT"), ("code", "VARCHAR")]),
    ("services", "catalogue_service", "", [("id", "BIGINT"), ("code", "VARCHAR")]),
    (
        "versions",
        "catalogue_procedureversion",
        "",
        [("id", "BIGINT"), ("service_mode", "VARCHAR"), ("statutory_limit_days", "INTEGER")],
    ),
    (
        "cases",
        "cases_case",
        "",
        [
            ("id", "BIGINT"),
            ("service_id", "BIGINT"),
            ("version_id", "BIGINT"),
            ("responsible_unit_id", "BIGINT"),
            ("channel", "VARCHAR"),
            ("window_id", "BIGINT"),
            ("status", "VARCHAR"),
            ("limit_days", "INTEGER"),
            ("intake_at", _TS),
            ("intake_date", "DATE"),
            ("decided_at", _TS),
            ("closed_at", _TS),
        ],
    ),
    ("pauses", "cases_casepause", "", [("case_id", "BIGINT"), ("started_at", _TS), ("ended_at", _TS)]),
    ("visits", "cases_visit", "", [("case_id", "BIGINT"), ("at", _TS)]),
    (
        "acceptances",
        "core_auditevent",
        "target_type = 'cases.case' AND action IN ('cases.case.accepted', 'cases.case.refused')",
        [("target_id", "VARCHAR"), ("occurred_at", _TS)],
    ),
    (
        "evaluations",
        "evaluations_evaluation",
        "",
        [
            ("id", "BIGINT"),
            ("case_id", "BIGINT"),
            ("stage", "VARCHAR"),
            ("channel", "VARCHAR"),
            ("grade", "VARCHAR"),
            ("unit_id", "BIGINT"),
            ("evaluator_key", "VARCHAR"),
            ("submitted_at", _TS),
            ("status", "VARCHAR"),
            ("exclusion", "VARCHAR"),
            ("review", "VARCHAR"),
            ("reviewed_at", _TS),
        ],
    ),
    (
        "orders",
        "rectification_rectificationorder",
        "",
        [
            ("id", "BIGINT"),
            ("evaluation_id", "BIGINT"),
            ("unit_id", "BIGINT"),
            ("opened_at", _TS),
            ("opened_on", "DATE"),
            ("contact_due", "DATE"),
            ("rectify_due", "DATE"),
            ("contacted_at", _TS),
            ("answered_at", _TS),
            ("rated_at", _TS),
            ("satisfaction", "VARCHAR"),
        ],
    ),
    (
        "order_events",
        "core_auditevent",
        "target_type = 'rectification.rectificationorder' "
        "AND action IN ('rectification.order.answered', 'rectification.order.rated')",
        [
            ("id", "BIGINT"),
            ("target_id", "VARCHAR"),
            ("action", "VARCHAR"),
            ("occurred_at", _TS),
            ("satisfaction", "VARCHAR"),
        ],
    ),
    (
        "appeals",
        "rectification_appeal",
        "",
        [("order_id", "BIGINT"), ("status", "VARCHAR"), ("decided_at", _TS)],
    ),
    (
        "tickets",
        "cases_ticket",
        "",
        [
            ("id", "BIGINT"),
            ("day", "DATE"),
            ("issued_at", _TS),
            ("called_at", _TS),
            ("status", "VARCHAR"),
            ("window_id", "BIGINT"),
        ],
    ),
]
DEFAULT_SNAPSHOT = {"code": "CN", "base": "cn_official", "overrides": []}
# Columns that are an expression over the row (the satisfaction a "rated" audit event records).
_EXPRESSIONS = {
    "satisfaction@core_auditevent": {
        "sqlite": "json_extract(data, '$.satisfaction')",
        "postgresql": "data ->> 'satisfaction'",
    }
}


def _select(engine: str, table: str, where: str, columns: list[tuple[str, str]]) -> str:
    parts = []
    for name, kind in columns:
        expression = _EXPRESSIONS.get(f"{name}@{table}")
        if expression is not None:
            parts.append(f'{expression[engine]} AS "{name}"')
        elif engine == "postgresql" and kind == _TS:
            parts.append(f'("{name}" AT TIME ZONE \'UTC\') AS "{name}"')
        elif engine == "postgresql" and name == "is_active":
            parts.append(f'CASE WHEN "{name}" THEN 1 ELSE 0 END AS "{name}"')
        else:
            parts.append(f'"{name}"')
    sql = f'SELECT {", ".join(parts)} FROM "{table}"'  # noqa: S608 - table and column names are ours
    return f"{sql} WHERE {where}" if where else sql


def export(engine: str, target: str, folder: Path) -> dict[str, Any]:
    """Write every table the query reads to Parquet; returns the seconds and rows per table."""
    import duckdb

    from civicpulse.core.calendars import official_cn_calendar

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: dict[str, int] = {}
    snapshots = _snapshots(engine, target)
    if snapshots != [DEFAULT_SNAPSHOT]:
        raise RuntimeError(
            f"the reference assumes one calendar snapshot, the official one; found {snapshots}"
        )
    for name, table, where, columns in EXPORTS:
        path = folder / f"{name}.csv"
        rows[name] = _to_csv(engine, target, _select(engine, table, where, columns), path)
    # The working-day index: working days up to and including each day, from the calendar the cases keep.
    calendar = official_cn_calendar()
    with (folder / "calendar.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "idx"])
        day, count = dt.date(2023, 1, 1), 0
        while day <= dt.date(2027, 12, 31):
            count += calendar.is_working_day(day)
            writer.writerow([day.isoformat(), count])
            day += dt.timedelta(days=1)
    dumped = time.perf_counter()
    con = duckdb.connect()
    for name, _table, _where, columns in [
        *EXPORTS,
        ("calendar", "", "", [("day", "DATE"), ("idx", "INTEGER")]),
    ]:
        types = ", ".join(f"'{column}': '{kind}'" for column, kind in columns)
        csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        source = f"read_csv('{csv_path}', header = true, columns = {{{types}}})"
        con.execute(f"COPY (SELECT * FROM {source}) TO '{parquet_path}' (FORMAT parquet)")  # noqa: S608
        csv_path.unlink()
    con.close()
    return {
        "seconds": time.perf_counter() - started,
        "dump_seconds": dumped - started,
        "parquet_seconds": time.perf_counter() - dumped,
        "rows": rows,
        "bytes": sum(p.stat().st_size for p in folder.glob("*.parquet")),
    }


def _snapshots(engine: str, target: str) -> list[Any]:
    import json

    sql = "SELECT DISTINCT calendar FROM cases_case"
    if engine == "sqlite":
        with sqlite3.connect(target) as con:
            return [json.loads(row[0]) for row in con.execute(sql)]
    import psycopg

    with psycopg.connect(target) as con:
        return [row[0] for row in con.execute(sql)]


def _to_csv(engine: str, target: str, sql: str, path: Path) -> int:
    if engine == "sqlite":
        con = sqlite3.connect(target)
        cursor = con.execute(sql)
        count = 0
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([d[0] for d in cursor.description])
            while batch := cursor.fetchmany(50_000):
                writer.writerows(batch)
                count += len(batch)
        con.close()
        return count
    import psycopg

    with psycopg.connect(target) as con, path.open("wb") as handle, con.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for block in copy:
                handle.write(block)
        return cursor.rowcount


def _day(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _ts(value: dt.datetime) -> str:
    return f"TIMESTAMP '{value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=' ')}'"


def query(
    folder: Path,
    *,
    start: dt.date,
    end: dt.date,
    cutoff: dt.datetime,
    groups: list[str],
    wait_target: float,
    threads: int,
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Per assessed unit and indicator: (unit, indicator, n, numerator, value), as the engine stores them."""
    import duckdb

    tz = cutoff.tzinfo
    assert tz is not None
    local = dt.timezone(dt.timedelta(hours=8))
    period_from = dt.datetime.combine(start, dt.time.min, local)
    period_to = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, local)
    params = {
        "start": _day(start),
        "end": _day(end),
        "hist_start": _day(start - dt.timedelta(days=365)),
        "cutoff": _ts(cutoff),
        "today": _day(cutoff.astimezone(local).date()),
        "from": _ts(period_from),
        "to": _ts(period_to),
        "target": repr(float(wait_target)),
        "groups": ", ".join(f"'{g}'" for g in groups),
    }
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    for name, *_rest in [*EXPORTS, ("calendar",)]:
        source = f"read_parquet('{folder / name}.parquet')"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")  # noqa: S608 - our own file names
    rows = con.execute(_SQL.format(**params)).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return rows, {"seconds": seconds}


_SQL = """
WITH
subj AS (
    SELECT u.id FROM units u JOIN categories c ON c.id = u.category_id
    WHERE u.is_active = 1 AND c.code IN ({groups})
),
parts AS (
    SELECT id AS unit_id, unnest(string_split(trim(path, '/'), '/')) AS part,
           generate_subscripts(string_split(trim(path, '/'), '/'), 1) AS pos
    FROM units
),
nearest AS (
    SELECT p.unit_id, arg_max(CAST(p.part AS BIGINT), p.pos) AS subject
    FROM parts p JOIN subj s ON s.id = CAST(p.part AS BIGINT) GROUP BY p.unit_id
),
resolve AS (
    -- A window answers through the department it serves; anything else through its nearest assessed
    -- ancestor (itself included).
    SELECT u.id AS unit_id, coalesce(sw.id, n.subject) AS subject
    FROM units u
    LEFT JOIN subj sw ON u.kind = 'window' AND sw.id = u.serving_unit_id
    LEFT JOIN nearest n ON n.unit_id = u.id
),
decided AS (
    SELECT id, intake_date, decided_at, CAST(decided_at + INTERVAL 8 HOUR AS DATE) AS decided_day
    FROM cases WHERE decided_at <= {cutoff} AND intake_date >= {hist_start} AND intake_date <= {end}
),
paused AS (
    -- Working days inside (pause start, pause end] and (intake, decision], for the pauses ended by the
    -- decision: the clock's count when the case was decided.
    SELECT p.case_id, sum(greatest(0, e.idx - s.idx)) AS days
    FROM pauses p JOIN decided d ON d.id = p.case_id
    JOIN calendar s ON s.day = greatest(CAST(p.started_at + INTERVAL 8 HOUR AS DATE), d.intake_date)
    JOIN calendar e ON e.day = least(CAST(p.ended_at + INTERVAL 8 HOUR AS DATE), d.decided_day)
    WHERE p.ended_at <= d.decided_at
    GROUP BY p.case_id
),
used AS (
    SELECT d.id, greatest(0, e.idx - s.idx) - coalesce(p.days, 0) AS days
    FROM decided d
    JOIN calendar s ON s.day = d.intake_date
    JOIN calendar e ON e.day = d.decided_day
    LEFT JOIN paused p ON p.case_id = d.id
),
acc AS (SELECT DISTINCT CAST(target_id AS BIGINT) AS case_id FROM acceptances WHERE occurred_at <= {cutoff}),
pc AS (
    SELECT c.id, c.channel, c.window_id, c.responsible_unit_id, c.limit_days, r.subject AS unit,
           s.code AS service_code,
           coalesce(c.decided_at <= {cutoff}, false) AS is_decided,
           -- A refusal is accepted (stamped) by the cut-off and never decided; it may be closed since.
           coalesce(c.decided_at <= {cutoff}, false)
               OR (c.status IN ('refused', 'closed') AND c.decided_at IS NULL
                   AND c.id IN (SELECT case_id FROM acc)) AS completed,
           c.status = 'withdrawn' AND coalesce(c.closed_at <= {cutoff}, false) AS withdrawn,
           u.days AS used
    FROM cases c
    JOIN services s ON s.id = c.service_id
    LEFT JOIN resolve r ON r.unit_id = c.responsible_unit_id
    LEFT JOIN used u ON u.id = c.id
    WHERE c.intake_date BETWEEN {start} AND {end} AND c.intake_at <= {cutoff}
),
history AS (
    SELECT s.code AS service_code, avg(u.days) AS expected
    FROM cases c
    JOIN services s ON s.id = c.service_id
    JOIN resolve r ON r.unit_id = c.responsible_unit_id AND r.subject IS NOT NULL
    JOIN used u ON u.id = c.id
    WHERE c.intake_date >= {hist_start} AND c.intake_date < {start} AND c.decided_at <= {cutoff}
    GROUP BY s.code
),
nvisits AS (SELECT case_id, count(*) AS n FROM visits WHERE "at" <= {cutoff} GROUP BY case_id),
case_ind AS (
    SELECT pc.unit,
        count(*) FILTER (WHERE is_decided) AS timed,
        count(*) FILTER (WHERE is_decided AND used <= limit_days) AS on_time,
        count(*) FILTER (WHERE is_decided AND limit_days > 0) AS speed_n,
        sum(used) FILTER (WHERE is_decided AND limit_days > 0) AS speed_observed,
        sum(coalesce(h.expected, limit_days)) FILTER (WHERE is_decided AND limit_days > 0) AS speed_expected,
        count(*) FILTER (WHERE completed OR withdrawn) AS ended,
        count(*) FILTER (WHERE (completed OR withdrawn) AND coalesce(v.n, 0) <= 1) AS at_most_once,
        count(*) FILTER (WHERE (completed OR withdrawn) AND coalesce(v.n, 0) = 0) AS zero_visit,
        count(*) FILTER (WHERE completed) AS completed
    FROM pc
    LEFT JOIN nvisits v ON v.case_id = pc.id
    LEFT JOIN history h ON h.service_code = pc.service_code
    WHERE pc.unit IS NOT NULL
    GROUP BY pc.unit
),
upheld AS (
    SELECT o.evaluation_id, max(a.decided_at) AS decided_at
    FROM appeals a JOIN orders o ON o.id = a.order_id
    WHERE a.status = 'upheld' AND a.decided_at IS NOT NULL GROUP BY o.evaluation_id
),
flagged AS (
    SELECT e.*,
        coalesce(e.review, '') <> '' OR e.status = 'quarantined'
            OR coalesce(e.exclusion, '') = 'fraud' AS flag,
        coalesce(e.reviewed_at <= {cutoff}, false) AS reviewed
    FROM evaluations e
),
st0 AS (
    -- The status as of the cut-off: a flagged rating waits for its review, an appeal counts once decided.
    SELECT f.*,
        CASE WHEN NOT flag THEN 'valid' WHEN NOT reviewed THEN 'quarantined'
             WHEN f.review = 'cleared' THEN 'valid' ELSE 'excluded' END AS st_review
    FROM flagged f
),
est AS (
    SELECT s.id, s.case_id, s.stage, s.channel, s.grade, s.unit_id, s.evaluator_key, s.submitted_at,
        CASE WHEN s.st_review = 'valid' AND coalesce(s.exclusion, '') = 'appeal'
                  AND coalesce(u.decided_at <= {cutoff}, false) THEN 'excluded' ELSE s.st_review END AS st
    FROM st0 s LEFT JOIN upheld u ON u.evaluation_id = s.id
),
pe AS (
    SELECT e.*, r.subject AS unit FROM est e JOIN resolve r ON r.unit_id = e.unit_id
    WHERE e.submitted_at >= {from} AND e.submitted_at < {to} AND e.submitted_at <= {cutoff}
      AND r.subject IS NOT NULL
),
channel_rates AS (
    SELECT channel, count(*) FILTER (WHERE grade = 'good') / count(*) AS rate
    FROM pe WHERE st = 'valid' GROUP BY channel
),
overall AS (SELECT count(*) FILTER (WHERE grade = 'good') / count(*) AS rate FROM pe WHERE st = 'valid'),
eval_ind AS (
    SELECT pe.unit,
        count(*) FILTER (WHERE st = 'valid') AS valid,
        count(*) FILTER (WHERE st = 'valid' AND grade = 'good') AS good,
        sum(cr.rate) FILTER (WHERE st = 'valid') AS expected_good
    FROM pe LEFT JOIN channel_rates cr ON cr.channel = pe.channel
    GROUP BY pe.unit
),
rated AS (
    SELECT e.case_id, e.stage, bool_or(e.st = 'valid') AS rated
    FROM est e JOIN pc ON pc.id = e.case_id
    WHERE e.evaluator_key = 'applicant' AND e.submitted_at <= {cutoff}
    GROUP BY e.case_id, e.stage
),
stages AS (
    SELECT id AS case_id, 'intake' AS stage,
           CASE WHEN channel = 'hall' THEN window_id ELSE responsible_unit_id END AS served
    FROM pc
    UNION ALL
    SELECT pc.id, 'acceptance', pc.responsible_unit_id FROM pc JOIN acc ON acc.case_id = pc.id
    UNION ALL
    SELECT id, 'completion', responsible_unit_id FROM pc WHERE is_decided
),
inter_ind AS (
    SELECT r.subject AS unit, count(*) AS n, count(*) FILTER (WHERE coalesce(rt.rated, false)) AS rated
    FROM stages s
    JOIN resolve r ON r.unit_id = s.served
    LEFT JOIN rated rt ON rt.case_id = s.case_id AND rt.stage = s.stage
    WHERE r.subject IS NOT NULL
    GROUP BY r.subject
),
events AS (
    -- An order's first answer and the callback in force come from its audit trail: a reopened order is
    -- answered and rated again, and its columns keep only the latest.
    SELECT CAST(target_id AS BIGINT) AS order_id,
        min(occurred_at) FILTER (WHERE action = 'rectification.order.answered') AS first_answer,
        arg_max(satisfaction, (occurred_at, id)) FILTER (WHERE action = 'rectification.order.rated')
            AS callback
    FROM order_events WHERE occurred_at >= {from} AND occurred_at <= {cutoff}
    GROUP BY target_id
),
ro AS (
    SELECT r.subject AS unit, e.st = 'excluded' AS review_excluded,
        CASE WHEN o.contacted_at <= {cutoff}
                  THEN CAST(o.contacted_at + INTERVAL 8 HOUR AS DATE) <= o.contact_due
             WHEN {today} > o.contact_due THEN false END AS contact_ok,
        CASE WHEN ev.first_answer IS NOT NULL
                  THEN CAST(ev.first_answer + INTERVAL 8 HOUR AS DATE) <= o.rectify_due
             WHEN {today} > o.rectify_due THEN false END AS rectify_ok,
        coalesce(ev.callback, '') AS callback
    FROM orders o
    JOIN resolve r ON r.unit_id = o.unit_id
    JOIN est e ON e.id = o.evaluation_id
    LEFT JOIN events ev ON ev.order_id = o.id
    WHERE o.opened_on BETWEEN {start} AND {end} AND o.opened_at <= {cutoff} AND r.subject IS NOT NULL
),
rect_ind AS (
    SELECT unit,
        count(*) FILTER (WHERE NOT review_excluded AND contact_ok IS NOT NULL) AS contact_n,
        count(*) FILTER (WHERE NOT review_excluded AND contact_ok) AS contact_hits,
        count(*) FILTER (WHERE NOT review_excluded AND rectify_ok IS NOT NULL) AS rectify_n,
        count(*) FILTER (WHERE NOT review_excluded AND rectify_ok) AS rectify_hits,
        count(*) FILTER (WHERE NOT review_excluded AND callback <> '') AS callback_n,
        count(*) FILTER (WHERE NOT review_excluded AND callback IN ('satisfied', 'basically_satisfied'))
            AS callback_hits
    FROM ro GROUP BY unit
),
tk AS (
    SELECT t.id, r.subject AS unit, (epoch_us(t.called_at) - epoch_us(t.issued_at)) / 60000000.0 AS wait
    FROM tickets t JOIN resolve r ON r.unit_id = t.window_id
    WHERE t.day BETWEEN {start} AND {end} AND t.issued_at <= {cutoff} AND t.window_id IS NOT NULL
      AND r.subject IS NOT NULL AND t.called_at <= {cutoff} AND t.status <> 'no_show'
),
tk_ranked AS (
    SELECT unit, wait, row_number() OVER (PARTITION BY unit ORDER BY wait, id) AS rn,
           count(*) OVER (PARTITION BY unit) AS n
    FROM tk
),
ticket_ind AS (
    -- The 90th percentile by nearest rank: the ceil(0.9 n)-th shortest wait.
    SELECT unit, max(n) AS n, count(*) FILTER (WHERE wait <= {target}) AS within,
           max((9 * n + 9) // 10) AS p90_rank, max(wait) FILTER (WHERE rn = (9 * n + 9) // 10) AS p90
    FROM tk_ranked GROUP BY unit
),
per_unit AS (
    SELECT s.id AS unit, c.timed, c.on_time, c.speed_n, c.speed_observed, c.speed_expected, c.ended,
        c.at_most_once, c.zero_visit, c.completed, e.valid, e.good, e.expected_good,
        i.n AS interactions, i.rated, r.contact_n, r.contact_hits, r.rectify_n, r.rectify_hits,
        r.callback_n, r.callback_hits, t.n AS waits, t.within, t.p90_rank, t.p90,
        (SELECT rate FROM overall) AS overall_good
    FROM subj s
    LEFT JOIN case_ind c ON c.unit = s.id
    LEFT JOIN eval_ind e ON e.unit = s.id
    LEFT JOIN inter_ind i ON i.unit = s.id
    LEFT JOIN rect_ind r ON r.unit = s.id
    LEFT JOIN ticket_ind t ON t.unit = s.id
)
"""
# (indicator, n, numerator, value) over per_unit, as RunValue keeps them: numerator is the hits of a rate,
# the observed working days of speed_adjusted, the nearest rank of p90_wait.
_RATES = {
    "good_review_rate": ("valid", "good"),
    "active_evaluation_rate": ("interactions", "rated"),
    "on_time_completion_rate": ("timed", "on_time"),
    "run_at_most_once_rate": ("ended", "at_most_once"),
    "zero_visit_rate": ("ended", "zero_visit"),
    "completion_rate": ("ended", "completed"),
    "contact_on_time_rate": ("contact_n", "contact_hits"),
    "rectification_rate": ("rectify_n", "rectify_hits"),
    "rectification_satisfaction_rate": ("callback_n", "callback_hits"),
    "wait_within_target_rate": ("waits", "within"),
}
_OTHERS = {
    "speed_adjusted": (
        "speed_n",
        "speed_observed",
        "CASE WHEN speed_expected > 0 THEN speed_observed / speed_expected END",
    ),
    # As the library computes it: observed / n times (overall reference rate x n / expected good reviews).
    "good_review_rate_adjusted": (
        "valid",
        "good",
        "CASE WHEN valid > 0 AND expected_good > 0 "
        "THEN least(1.0, good / valid * (overall_good * valid / expected_good)) END",
    ),
    "p90_wait": ("waits", "p90_rank", "p90"),
}
INDICATORS = sorted([*_RATES, *_OTHERS])
_SQL += "\nUNION ALL\n".join(
    [
        f"SELECT unit, '{code}', coalesce({n}, 0), CAST(coalesce({hits}, 0) AS DOUBLE), "  # noqa: S608
        f"CASE WHEN {n} > 0 THEN {hits} / {n} END FROM per_unit"
        for code, (n, hits) in _RATES.items()
    ]
    + [
        f"SELECT unit, '{code}', coalesce({n}, 0), CAST(coalesce({numerator}, 0) AS DOUBLE), "  # noqa: S608
        f"{value} FROM per_unit"
        for code, (n, numerator, value) in _OTHERS.items()
    ]
)
