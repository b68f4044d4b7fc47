"""Rebuilding the dashboards' cells, a month at a time, inside the database.

A month is rebuilt whole: its cells are deleted and written again by INSERT ... SELECT ... GROUP BY in one
transaction, so a page reads either the old month or the new one. The base grain is counted from the raw
tables with the assessment engine's own rules (civicpulse.assessment.counts: the same validity of an
evaluation, the same ended, completed, timed and on-time cases, the same waits), as of the moment of the
rebuild; every other grain is summed from the base cells, and the staff grain is counted once more by
person.

Which months to rebuild: every audit event since the last refresh names a case, an evaluation, an order or
an appeal; each names the months its records count in. The current month is always rebuilt, because hall
tickets are written all day and leave no audit event. `refresh()` is run by the worker every few minutes
(tasks.py) and after the demo; `rebuild()` does every month that has records (the `dashboards rebuild`
command, with a progress bar).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min

from civicpulse.assessment import stored
from civicpulse.assessment.counts import _excluded, _flag, _postgres, _valid, _wait_microseconds
from civicpulse.assessment.counts import wait_target_minutes as _wait_target
from civicpulse.assessment.facts import _aware_day_end, expected_days_before
from civicpulse.assessment.stored import first_of_month, month_end
from civicpulse.core import clock
from civicpulse.dashboards.models import (
    CaseCell,
    ExpectedDays,
    Grain,
    MonthState,
    RatingCell,
    ServiceTotal,
    WaitCell,
    Watermark,
)

# Waits longer than this many minutes share the last bucket of the histogram.
LAST_MINUTE = 600
# The `minute` of a wait cell that counts its tickets over all minutes.
ALL_MINUTES = -1

_KEYS = ("grain", "month", "unit_id", "window_id", "service_id", "channel", "staff_id")


def _sums(model: type[CaseCell | RatingCell | WaitCell]) -> list[str]:
    skip = {*_KEYS, "id", "rating_channel", "minute"}
    return [str(f.column) for f in model._meta.concrete_fields if f.column not in skip]


def _params(month: dt.date, cutoff: dt.datetime) -> dict[str, Any]:
    ops = connection.ops
    end = month_end(month)
    return {
        "month": ops.adapt_datefield_value(month),
        "start": ops.adapt_datefield_value(month),
        "end": ops.adapt_datefield_value(end),
        "cutoff": ops.adapt_datetimefield_value(cutoff),
        "since": ops.adapt_datetimefield_value(_aware_day_end(month - dt.timedelta(days=1))),
        "until": ops.adapt_datetimefield_value(_aware_day_end(end)),
        "target": round(_wait_target() * 60 * 1_000_000),
    }


# --- cases ----------------------------------------------------------------------------------------------

_CASE_IN_MONTH = "c.intake_date >= %(start)s AND c.intake_date <= %(end)s AND c.intake_at <= %(cutoff)s"


def _case_rows(keys: str, where: str = "") -> str:
    """One row per case of the month with its flags; `keys` adds the columns the cells are keyed by."""
    visits = (
        "SELECT v.case_id, COUNT(*) AS n FROM cases_visit v JOIN cases_case vc ON vc.id = v.case_id"
        " WHERE vc.intake_date >= %(start)s AND vc.intake_date <= %(end)s AND v.at <= %(cutoff)s"
        " GROUP BY v.case_id"
    )
    supplements = (
        "SELECT p.case_id, COUNT(*) AS n FROM cases_casepause p JOIN cases_case pc ON pc.id = p.case_id"
        " WHERE pc.intake_date >= %(start)s AND pc.intake_date <= %(end)s AND p.kind = 'supplement'"
        " AND p.started_at <= %(cutoff)s GROUP BY p.case_id"
    )
    # The applicant's valid evaluations of a stage the case had reached: the interactions that were rated.
    rated = (
        "SELECT e.case_id, COUNT(*) AS n FROM evaluations_evaluation e"
        " JOIN cases_case ec ON ec.id = e.case_id"
        " WHERE ec.intake_date >= %(start)s AND ec.intake_date <= %(end)s AND e.evaluator_key = 'applicant'"
        " AND e.submitted_at <= %(cutoff)s AND (e.stage = 'intake'"
        " OR (e.stage = 'acceptance' AND ec.accepted_at <= %(cutoff)s)"
        " OR (e.stage = 'completion' AND ec.decided_at <= %(cutoff)s))"
        f" AND {_valid('e')} GROUP BY e.case_id"
    )
    decided = "c.decided_at <= %(cutoff)s"
    refused = "c.accepted_at <= %(cutoff)s AND c.decided_at IS NULL AND c.status IN ('refused', 'closed')"
    return (
        f"SELECT {keys}, {_flag('pv.service_mode = ' + repr('immediate'))} AS immediate,"
        f" {_flag('c.accepted_at <= %(cutoff)s')} AS accepted, {_flag(decided)} AS decided,"
        f" {_flag(refused)} AS refused,"
        f" {_flag('c.status = ' + repr('withdrawn') + ' AND c.closed_at <= %(cutoff)s')} AS withdrawn,"
        f" {_flag(decided + ' AND c.decision = ' + repr('deny'))} AS denied,"
        f" {_flag('c.channel <> ' + repr('hall'))} AS online,"
        f" CASE WHEN {decided} THEN c.working_days END AS days, c.limit_days AS promised,"
        " COALESCE(ed.days, c.limit_days) AS expected,"
        " COALESCE(vt.n, 0) AS visits, COALESCE(sp.n, 0) AS supplements, COALESCE(rt.n, 0) AS rated"
        " FROM cases_case c JOIN catalogue_procedureversion pv ON pv.id = c.version_id"
        " LEFT JOIN dashboards_expecteddays ed ON ed.month = %(month)s AND ed.service_id = c.service_id"
        f" LEFT JOIN ({visits}) vt ON vt.case_id = c.id"
        f" LEFT JOIN ({supplements}) sp ON sp.case_id = c.id"
        f" LEFT JOIN ({rated}) rt ON rt.case_id = c.id"
        f" WHERE {_CASE_IN_MONTH}{where}"
    )


def _case_sums() -> str:
    ended = "(x.decided + x.refused > 0 OR x.withdrawn = 1)"
    completed = "(x.decided + x.refused > 0)"
    timed = "(x.days IS NOT NULL)"
    speed = "(x.days IS NOT NULL AND x.promised > 0)"
    real = "DOUBLE PRECISION" if _postgres() else "REAL"
    return ", ".join(
        (
            "COUNT(*)",
            "SUM(x.immediate)",
            "SUM(1 + x.accepted + x.decided)",
            "SUM(x.rated)",
            f"SUM({_flag(ended)})",
            f"SUM({_flag(completed)})",
            f"SUM({_flag(completed + ' AND x.online = 1')})",
            "SUM(x.refused)",
            "SUM(x.denied)",
            f"SUM({_flag(timed)})",
            f"SUM({_flag(timed + ' AND x.days <= x.promised')})",
            f"SUM({_flag(speed)})",
            f"SUM(CASE WHEN {speed} THEN x.days ELSE 0 END)",
            f"SUM(CASE WHEN {speed} THEN CAST(x.expected AS {real}) ELSE 0 END)",
            f"SUM(CASE WHEN {speed} THEN CAST(x.days AS {real}) / x.promised ELSE 0 END)",
            f"SUM({_flag(ended + ' AND x.visits <= 1')})",
            f"SUM({_flag(ended + ' AND x.visits = 0')})",
            "SUM(x.visits)",
            "SUM(x.supplements)",
        )
    )


def _insert_cases(params: dict[str, Any]) -> None:
    columns = ", ".join((*_KEYS, *_sums(CaseCell)))
    base = _case_rows(
        "c.responsible_unit_id AS unit, CASE WHEN c.channel = 'hall' THEN c.window_id END AS win,"
        " c.service_id AS service, c.channel AS channel"
    )
    staff = _case_rows("c.intake_officer_id AS person", " AND c.intake_officer_id IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO dashboards_casecell ({columns}) SELECT 'base', %(month)s, x.unit, x.win, x.service,"
            f" x.channel, NULL, {_case_sums()} FROM ({base}) x GROUP BY x.unit, x.win, x.service, x.channel",
            params,
        )
        cursor.execute(
            f"INSERT INTO dashboards_casecell ({columns}) SELECT 'staff', %(month)s, NULL, NULL, NULL, '',"
            f" x.person, {_case_sums()} FROM ({staff}) x GROUP BY x.person",
            params,
        )


# --- evaluations ----------------------------------------------------------------------------------------


def _has_tag(column: str, tag: str) -> str:
    if _postgres():
        return f"({column} @> '[\"{tag}\"]'::jsonb)"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = '{tag}')"


def _dimension(column: str, key: str) -> str:
    if _postgres():
        return f"CAST({column} ->> '{key}' AS INTEGER)"
    return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"


def _insert_ratings(params: dict[str, Any]) -> None:
    columns = ", ".join((*_KEYS, "rating_channel", *_sums(RatingCell)))
    valid = "x.valid = 1"
    levels = ", ".join(f"SUM({_flag(f'{valid} AND x.level = {k}')})" for k in range(1, 6))
    sums = (
        f"SUM(x.valid), SUM({_flag(valid + ' AND x.grade = ' + repr('good'))}),"
        f" SUM({_flag(valid + ' AND x.grade = ' + repr('neutral'))}),"
        f" SUM({_flag(valid + ' AND x.grade = ' + repr('bad'))}), SUM(x.excluded), {levels},"
        f" SUM({_flag(valid + ' AND x.attitude IS NOT NULL')}),"
        f" SUM(CASE WHEN {valid} AND x.attitude IS NOT NULL THEN x.attitude ELSE 0 END),"
        f" SUM({_flag(valid + ' AND x.grade = ' + repr('bad') + ' AND x.attitude_tag = 1')})"
    )
    # A rating given at a window counts for the department the window serves, and for the window.
    rows = (
        "SELECT CASE WHEN u.kind = 'window' THEN u.serving_unit_id ELSE e.unit_id END AS unit,"
        " CASE WHEN u.kind = 'window' THEN u.id ELSE e.window_id END AS win, e.service_id AS service,"
        " COALESCE(c.channel, 'hall') AS channel, e.channel AS rating_channel, e.staff_id AS person,"
        f" {_flag(_valid('e'))} AS valid, {_flag(_excluded('e'))} AS excluded, e.grade, e.level,"
        f" {_dimension('e.dimensions', 'attitude')} AS attitude, {_flag(_has_tag('e.tags', 'attitude'))}"
        " AS attitude_tag FROM evaluations_evaluation e LEFT JOIN cases_case c ON c.id = e.case_id"
        " LEFT JOIN accounts_orgunit u ON u.id = e.unit_id"
        " WHERE e.submitted_at >= %(since)s AND e.submitted_at < %(until)s AND e.submitted_at <= %(cutoff)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO dashboards_ratingcell ({columns}) SELECT 'base', %(month)s, x.unit, x.win,"
            f" x.service, x.channel, NULL, x.rating_channel, {sums} FROM ({rows}) x"
            " GROUP BY x.unit, x.win, x.service, x.channel, x.rating_channel",
            params,
        )
        cursor.execute(
            f"INSERT INTO dashboards_ratingcell ({columns}) SELECT 'staff', %(month)s, NULL, NULL, NULL, '',"
            f" x.person, '', {sums} FROM ({rows}) x WHERE x.person IS NOT NULL GROUP BY x.person",
            params,
        )


# --- hall tickets ---------------------------------------------------------------------------------------


def _insert_waits(params: dict[str, Any]) -> None:
    columns = ", ".join((*_KEYS, "minute", *_sums(WaitCell)))
    micros = _wait_microseconds("t.issued_at", "t.called_at")
    minute = f"CASE WHEN x.wait >= {LAST_MINUTE * 60_000_000} THEN {LAST_MINUTE} ELSE x.wait / 60000000 END"
    rows = (
        f"SELECT t.window_id AS win, w.serving_unit_id AS unit, t.officer_id AS person, {micros} AS wait"
        " FROM cases_ticket t JOIN accounts_orgunit w ON w.id = t.window_id"
        " WHERE t.day >= %(start)s AND t.day <= %(end)s AND t.issued_at <= %(cutoff)s"
        " AND t.called_at <= %(cutoff)s AND t.status <> 'no_show'"
    )
    sums = f"COUNT(*), SUM(x.wait), SUM({_flag('x.wait <= %(target)s')})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO dashboards_waitcell ({columns}) SELECT 'base', %(month)s, x.unit, x.win, NULL,"
            f" 'hall', NULL, {minute}, {sums} FROM ({rows}) x GROUP BY x.unit, x.win, {minute}",
            params,
        )
        # Minute -1: the same tickets over all minutes, for every figure but the 90th percentile (a page
        # reads one row per window instead of one per minute waited); the grains derived keep both.
        cursor.execute(
            f"INSERT INTO dashboards_waitcell ({columns}) SELECT 'base', %(month)s, x.unit, x.win, NULL,"
            f" 'hall', NULL, {ALL_MINUTES}, {sums} FROM ({rows}) x GROUP BY x.unit, x.win",
            params,
        )
        cursor.execute(
            f"INSERT INTO dashboards_waitcell ({columns}) SELECT 'staff', %(month)s, NULL, NULL, NULL,"
            f" 'hall', x.person, {minute}, {sums} FROM ({rows}) x WHERE x.person IS NOT NULL"
            f" GROUP BY x.person, {minute}",
            params,
        )


# --- the other grains, summed from the base ---------------------------------------------------------------

# grain -> the key columns it keeps (the rest are NULL or "").
DERIVED: dict[str, tuple[str, ...]] = {
    Grain.UNIT: ("unit_id",),
    Grain.WINDOW: ("window_id",),
    Grain.SERVICE: ("service_id", "channel"),
    Grain.CHANNEL: ("channel",),
}


def _derive(model: type[CaseCell | RatingCell | WaitCell], params: dict[str, Any]) -> None:
    table = model._meta.db_table
    extra = [f for f in ("rating_channel", "minute") if hasattr(model, f)]
    sums = _sums(model)
    columns = ", ".join((*_KEYS, *extra, *sums))
    for grain, kept in DERIVED.items():
        if model is WaitCell and grain == Grain.SERVICE:
            continue
        # Ratings keep their own channel only where channels are the point: a service's row is read for
        # its totals, and thousands of services times six rating channels is what a region's page reads.
        with_rating = "rating_channel" in extra and grain == Grain.CHANNEL
        keep = [*kept, *(["rating_channel"] if with_rating else [])]
        keep += ["minute"] if "minute" in extra else []
        values = []
        for key in (*_KEYS[2:], *extra):
            if key in keep:
                values.append(key)
            else:
                values.append("''" if key in ("channel", "rating_channel") else "NULL")
        where = " AND window_id IS NOT NULL" if grain == Grain.WINDOW else ""
        group = f" GROUP BY {', '.join(keep)}" if keep else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT '{grain}', %(month)s, {', '.join(values)},"
                f" {', '.join(f'SUM({s})' for s in sums)} FROM {table}"
                f" WHERE grain = 'base' AND month = %(month)s{where}{group}",
                params,
            )


def tree_paths() -> dict[int, tuple[int, ...]]:
    """Every unit and the units above it, itself included, from the materialised paths."""
    from civicpulse.accounts.models import OrgUnit

    return {
        pk: tuple(int(part) for part in path.strip("/").split("/"))
        for pk, path in OrgUnit.objects.values_list("pk", "path")
    }


def tree_digest(paths: dict[int, tuple[int, ...]]) -> str:
    text = ";".join(f"{pk}:{'/'.join(map(str, up))}" for pk, up in sorted(paths.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def _fixed_keys(model: type[CaseCell | RatingCell | WaitCell]) -> tuple[list[str], str]:
    """The key columns a model has beyond `_KEYS`, and the SQL values of those in a tree or running row
    (over every rating channel; over all minutes), each followed by a comma."""
    extra = [f for f in ("rating_channel", "minute") if hasattr(model, f)]
    return extra, "".join(("''" if f == "rating_channel" else str(ALL_MINUTES)) + ", " for f in extra)


def _chained(since: dt.date) -> Iterator[dict[str, Any]]:
    """From `since` to the last month with cells, in order, each month with the one before it (None before
    the first), as query parameters: running totals are written a month at a time on the month before."""
    ops = connection.ops
    months = list(MonthState.objects.order_by("month").values_list("month", flat=True))
    before = [m for m in months if m < since]
    previous = before[-1] if before else None
    for month in (m for m in months if m >= since):
        yield {"month": ops.adapt_datefield_value(month), "previous": ops.adapt_datefield_value(previous)}
        previous = month


def _derive_tree(
    model: type[CaseCell | RatingCell | WaitCell], month: dt.date, paths: dict[int, tuple[int, ...]]
) -> None:
    """The tree grain: for every unit, the base cells of its subtree, each cell once even where both its unit
    and its window lie below (a department's case at a window of a hall under the same county). Summed
    here rather than in SQL: the join of cells to every unit above them is what a path LIKE cannot index."""
    table = model._meta.db_table
    sums = _sums(model)
    extra, fixed = _fixed_keys(model)
    only = f" AND minute = {ALL_MINUTES}" if model is WaitCell else ""
    ops = connection.ops
    acc: dict[tuple[int, str], list[Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, window_id, channel, {', '.join(f'SUM({c})' for c in sums)} FROM {table}"
            f" WHERE grain = 'base' AND month = %s{only} GROUP BY unit_id, window_id, channel",
            [ops.adapt_datefield_value(month)],
        )
        for unit_id, window_id, channel, *values in cursor.fetchall():
            above = set(paths.get(unit_id, ()))
            above.update(paths.get(window_id, ()))
            values = [v or 0 for v in values]
            for pk in above:
                for key in {(pk, channel), (pk, "")}:
                    found = acc.get(key)
                    acc[key] = values if found is None else list(map(operator.add, found, values))
        columns = ", ".join((*_KEYS, *extra, *sums))
        rows = [
            ("tree", ops.adapt_datefield_value(month), pk, channel, *values)
            for (pk, channel), values in acc.items()
        ]
        placeholders = ", ".join(["%s"] * len(sums))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, NULL, NULL, %s, NULL,"
            f" {fixed}{placeholders})",
            rows,
        )


def derive_trees(month: dt.date, paths: dict[int, tuple[int, ...]] | None = None) -> None:
    """Write a month's tree cells again from its base cells (after a rebuild, or after units moved)."""
    paths = tree_paths() if paths is None else paths
    for model in (CaseCell, RatingCell, WaitCell):
        model.objects.filter(grain=Grain.TREE, month=month).delete()
        _derive_tree(model, month, paths)


def running_trees(since: dt.date) -> None:
    """Write the running totals of the tree grain again from `since` to the last month with cells, in
    order: a month's are the month before's plus the month's own tree rows."""
    for params in _chained(since):
        for model in (CaseCell, RatingCell, WaitCell):
            table = model._meta.db_table
            sums = _sums(model)
            extra, fixed = _fixed_keys(model)
            columns = ", ".join((*_KEYS, *extra, *sums))
            listed = ", ".join(sums)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE grain = 'running' AND month = %(month)s", params)
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT 'running', %(month)s, x.unit_id, NULL, NULL,"
                    f" x.channel, NULL, {fixed}{', '.join(f'SUM(x.{c})' for c in sums)} FROM ("
                    f"SELECT unit_id, channel, {listed} FROM {table} WHERE grain = 'running'"
                    " AND month = %(previous)s UNION ALL"
                    f" SELECT unit_id, channel, {listed} FROM {table}"
                    " WHERE grain = 'tree' AND month = %(month)s"
                    ") x GROUP BY x.unit_id, x.channel",
                    params,
                )


def service_totals(since: dt.date) -> None:
    """Write the running totals per service again from `since` to the last month with cells, in order: a
    month's totals are the month before's plus the month's own service summaries."""
    table = ServiceTotal._meta.db_table
    with connection.cursor() as cursor:
        for params in _chained(since):
            cursor.execute(f"DELETE FROM {table} WHERE month = %(month)s", params)
            carried = (
                f"SELECT service_id, channel, started, valid, bad FROM {table}"
                " WHERE month = %(previous)s AND channel <> '' UNION ALL "
                if params["previous"] is not None
                else ""
            )
            cursor.execute(
                f"INSERT INTO {table} (month, service_id, channel, started, valid, bad)"
                " SELECT %(month)s, x.service_id, x.channel, SUM(x.started), SUM(x.valid), SUM(x.bad) FROM ("
                f"{carried}"
                "SELECT service_id, channel, started, 0 AS valid, 0 AS bad FROM dashboards_casecell"
                " WHERE grain = 'service' AND month = %(month)s AND service_id IS NOT NULL UNION ALL"
                " SELECT service_id, channel, 0, valid, bad FROM dashboards_ratingcell"
                " WHERE grain = 'service' AND month = %(month)s AND service_id IS NOT NULL"
                ") x GROUP BY x.service_id, x.channel",
                params,
            )
            cursor.execute(
                f"INSERT INTO {table} (month, service_id, channel, started, valid, bad)"
                " SELECT month, service_id, '', SUM(started), SUM(valid), SUM(bad)"
                f" FROM {table} WHERE month = %(month)s GROUP BY month, service_id",
                params,
            )


# --- months -----------------------------------------------------------------------------------------------


def _expected(month: dt.date, cutoff: dt.datetime) -> None:
    from civicpulse.catalogue.models import Service

    ExpectedDays.objects.filter(month=month).delete()
    by_code = expected_days_before(month, cutoff)
    ids = dict(Service.objects.filter(code__in=list(by_code)).values_list("code", "pk"))
    ExpectedDays.objects.bulk_create(
        [
            ExpectedDays(month=month, service_id=ids[code], days=days)
            for code, days in by_code.items()
            if code in ids
        ],
        batch_size=1000,
    )


def rebuild_month(
    month: dt.date, *, cutoff: dt.datetime | None = None, paths: dict[int, tuple[int, ...]] | None = None
) -> float:
    """Count one month's cells again; answers the seconds it took."""
    month = first_of_month(month)
    cutoff = cutoff or clock.now()
    paths = tree_paths() if paths is None else paths
    began = time.perf_counter()
    with transaction.atomic():
        if _postgres():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for model in (CaseCell, RatingCell, WaitCell):
            model.objects.filter(month=month).delete()
        _expected(month, cutoff)
        params = _params(month, cutoff)
        _insert_cases(params)
        _insert_ratings(params)
        _insert_waits(params)
        for model in (CaseCell, RatingCell, WaitCell):
            _derive(model, params)
        derive_trees(month, paths)
        # The assessment engine's counts of a closed month, kept with the cells (assessment/stored.py).
        stored.store_month(month, cutoff)
        seconds = time.perf_counter() - began
        MonthState.objects.update_or_create(
            month=month, defaults={"refreshed_at": cutoff, "seconds": seconds}
        )
    return seconds


def months_with_records() -> list[dt.date]:
    from civicpulse.cases.models import Case, Ticket
    from civicpulse.evaluations.models import Evaluation

    firsts, lasts = [], []
    for found in (
        Case.objects.aggregate(first=Min("intake_date"), last=Max("intake_date")),
        Ticket.objects.aggregate(first=Min("day"), last=Max("day")),
    ):
        if found["first"] is not None:
            firsts.append(found["first"])
            lasts.append(found["last"])
    evaluations = Evaluation.objects.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    if evaluations["first"] is not None:
        from django.utils import timezone

        firsts.append(timezone.localdate(evaluations["first"]))
        lasts.append(timezone.localdate(evaluations["last"]))
    if not firsts:
        return []
    months, month = [], first_of_month(min(firsts))
    last = first_of_month(max(lasts))
    while month <= last:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def refresh(*, progress: Callable[[dt.date], None] | None = None) -> list[dt.date]:
    """Rebuild the months whose records changed since the last refresh, and the current month."""
    from django.utils import timezone

    from civicpulse.core.models import AuditEvent

    now = clock.now()
    mark, _created = Watermark.objects.get_or_create(pk=1)
    latest = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    months = {first_of_month(timezone.localdate(now))}
    if mark.refreshed_at is None:
        # Never counted: every month, whatever the audit trail says.
        months |= set(months_with_records())
    else:
        events = (
            AuditEvent.objects.filter(
                pk__gt=mark.last_event_id, pk__lte=latest, target_type__in=stored.WATCHED
            )
            .values_list("target_type", "target_id")
            .distinct()
        )
        months |= stored.months_of(events)
    paths = tree_paths()
    digest = tree_digest(paths)
    # A month a transaction: writers wait for one month's rebuild at most, never for the whole refresh.
    for month in sorted(months):
        rebuild_month(month, cutoff=now, paths=paths)
        if progress is not None:
            progress(month)
    since = min(months)
    if mark.refreshed_at is not None and mark.tree_digest != digest:
        # Units moved (or came or went) since: the other months' tree cells follow the tree of today.
        for month in MonthState.objects.exclude(month__in=months).values_list("month", flat=True):
            with transaction.atomic():
                derive_trees(month, paths)
            since = min(since, month)
    # Each month's running totals carry the month before's: those from the first month counted again on
    # move, in one transaction, so a page reads the old totals or the new ones.
    with transaction.atomic():
        service_totals(min(months))
        running_trees(since)
    # Events after `latest` are left for the next refresh, which will see them.
    Watermark.objects.filter(pk=1).update(last_event_id=latest, refreshed_at=now, tree_digest=digest)
    return sorted(months)


def rebuild(*, progress: Callable[[dt.date], None] | None = None) -> list[dt.date]:
    """Every month with records, from scratch."""
    Watermark.objects.filter(pk=1).update(last_event_id=0, refreshed_at=None)
    return refresh(progress=progress)
