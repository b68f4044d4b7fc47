"""A run's indicators counted by the database: per assessed subject, the counts of the indicator library.

This is facts.py read as GROUP BY queries. The rules are the same, rule for rule, as of the same cut-off
(evaluation status from the review and appeal decided by then, refusals known by having no decision,
visits, acceptances and decisions by then, the first answer and the callback in force from the audit
trail), but nothing is built per record: the database returns a few rows per unit or person, with
histograms where a mean needs every value (speed, limits, waits). A unit scheme groups by the unit a record
names and folds those into assessed units with the run's resolver; a staff scheme groups by person, a case
counting for everyone who handled it.

facts.py stays the readable specification and the drill-down (one subject's records on demand);
tests/assessment/test_counts.py holds both to the same counts on every subject of the demo's runs.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from civicpulse.assessment import digests, stored
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.facts import UnitResolver, _aware_day_end
from civicpulse.core.workdays import local_date

SOURCES = ("cases", "evaluations", "interactions", "rectifications", "tickets")


@dataclass
class RunCounts:
    """Per source, per subject id, the counts its indicators are computed from; and the references."""

    by_subject: dict[str, dict[int, lib.Counts]]
    channel_rates: lib.ChannelRates
    expected_days: dict[str, float] = field(default_factory=dict)
    # Per source, per subject id: the multiset digest of its counts (digests.py), where kept rows gave it;
    # the others are hashed only if the fingerprint is asked for (reports and dashboards never do).
    digests: dict[str, dict[int, int]] = field(default_factory=dict)

    def fingerprint(self) -> Iterator[str]:
        """The counts' digests as text in a fixed order, for the run's digest."""
        for source in SOURCES:
            yield source
            found = self.digests.get(source, {})
            for subject_id, counts in sorted(self.by_subject[source].items()):
                digest = found.get(subject_id)
                if digest is None:
                    digest = digests.of_counts(source, counts)
                yield f"{subject_id}:{digest:x}"


class _Tally:
    """Counts being summed for one subject; `counts()` freezes them as the library's type."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.kind = lib.COUNTS_OF[source]
        self.values: dict[str, Any] = {}
        # The sum of the digests of kept rows added (stored.decode_into), not yet reduced; None while none
        # was. A source is read either from kept rows or from the raw tables, never both (`counted` says
        # whether raw rows were added), so this is the counts' digest.
        self.kept: int | None = None
        self.counted = False

    def add(self, name: str, amount: int) -> None:
        self.counted = True
        self.values[name] = self.values.get(name, 0) + amount

    def add_to(self, name: str, key: Any, amount: int) -> None:
        self.counted = True
        histogram = self.values.setdefault(name, {})
        histogram[key] = histogram.get(key, 0) + amount

    def counts(self) -> lib.Counts:
        return self.kind(**self.values)

    def digest(self) -> int | None:
        """The kept rows' digest, None when raw rows were counted (hashed from the counts if needed)."""
        if self.kept is None:
            return None
        if self.counted:
            raise RuntimeError(f"{self.source}: kept and raw counts mixed in one tally")
        return self.kept % digests.MODULUS


class _Folder:
    """Sums rows grouped by a raw key (the unit or person a record names) into subjects."""

    def __init__(self, resolve: Callable[[int | None], int | None]) -> None:
        self.resolve = resolve
        self.tallies: dict[str, dict[int, _Tally]] = {source: {} for source in SOURCES}

    def tally(self, source: str, raw: int | None) -> _Tally | None:
        subject = self.resolve(raw)
        return None if subject is None else self.tally_of(source, subject)

    def tally_of(self, source: str, subject: int) -> _Tally:
        found = self.tallies[source].get(subject)
        if found is None:
            found = self.tallies[source][subject] = _Tally(source)
        return found

    def result(self) -> dict[str, dict[int, lib.Counts]]:
        return {
            source: {subject: t.counts() for subject, t in tallies.items()}
            for source, tallies in self.tallies.items()
        }

    def digests(self) -> dict[str, dict[int, int]]:
        """The digests the kept rows gave, per source and subject."""
        found: dict[str, dict[int, int]] = {}
        for source, tallies in self.tallies.items():
            found[source] = {}
            for subject, tally in tallies.items():
                digest = tally.digest()
                if digest is not None:
                    found[source][subject] = digest
        return found


# --- SQL fragments: the rules of facts.py in both dialects ------------------------------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _as_text(column: str) -> str:
    # The audit trail keeps target ids as text; the (target type, target id) index answers this join.
    return f"CAST({column} AS TEXT)"


def _wait_microseconds(start: str, end: str) -> str:
    """Microseconds from one timestamp to another, as an exact integer."""
    if _postgres():
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"

    # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: whole seconds by strftime, the fraction as text
    # (julianday() would bring float noise).
    def micros(column: str) -> str:
        # unixepoch() (SQLite 3.38) is a third cheaper than strftime() over a year of tickets.
        seconds = (
            f"unixepoch({column})"
            if sqlite3.sqlite_version_info >= (3, 38)
            else f"CAST(strftime('%%s', {column}) AS INTEGER)"
        )
        return f"({seconds} * 1000000 + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"

    return f"({micros(end)} - {micros(start)})"


def _json_text(column: str, key: str) -> str:
    return f"({column} ->> '{key}')" if _postgres() else f"json_extract({column}, '$.{key}')"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


# An evaluation's status at the cut-off, as facts._evaluation_status reads it. Flagged when submitted (a
# review, a quarantine or confirmed fraud), it is valid only once cleared by then; an upheld appeal decided
# by then excludes it.
_FLAGGED = "({e}.review <> '' OR {e}.status = 'quarantined' OR {e}.exclusion = 'fraud')"
_CLEARED = "({e}.reviewed_at <= %(cutoff)s AND {e}.review = 'cleared')"
_APPEALED = (
    "({e}.exclusion = 'appeal' AND EXISTS (SELECT 1 FROM rectification_appeal ap"
    " JOIN rectification_rectificationorder ro ON ro.id = ap.order_id"
    " WHERE ro.evaluation_id = {e}.id AND ap.status = 'upheld' AND ap.decided_at <= %(cutoff)s))"
)


def _valid(e: str) -> str:
    return f"((NOT {_FLAGGED} OR {_CLEARED}) AND NOT {_APPEALED})".format(e=e)


def _excluded(e: str) -> str:
    reviewed_out = f"({_FLAGGED} AND {e}.reviewed_at <= %(cutoff)s AND {e}.review <> 'cleared')"
    return f"({reviewed_out} OR ((NOT {_FLAGGED} OR {_CLEARED}) AND {_APPEALED}))".format(e=e)


_CASES = "cases_case c JOIN catalogue_procedureversion pv ON pv.id = c.version_id"
_IN_PERIOD = "c.intake_date >= %(start)s AND c.intake_date <= %(end)s AND c.intake_at <= %(cutoff)s"
_HANDLED = (
    "'cases.case.accepted', 'cases.case.refused', 'cases.case.advanced', 'cases.case.approved',"
    " 'cases.case.denied'"
)


def _case_audit(case: str, actions: str) -> str:
    return (
        "core_auditevent a WHERE a.target_type = 'cases.case' AND a.target_id = "
        f"{_as_text(case)} AND a.action IN ({actions}) AND a.occurred_at <= %(cutoff)s"
    )


def _last_actor(case: str, actions: str) -> str:
    """Who did the last of `actions` to the case by the cut-off (the stage's staff member)."""
    audit = _case_audit(case, actions)
    return f"(SELECT a.actor_id FROM {audit} ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1)"


def _case_flags() -> str:
    accepted = _flag("c.accepted_at <= %(cutoff)s")
    decided = _flag("c.decided_at <= %(cutoff)s")
    refused = _flag(
        "c.accepted_at <= %(cutoff)s AND c.decided_at IS NULL AND c.status IN ('refused', 'closed')"
    )
    withdrawn = _flag("c.status = 'withdrawn' AND c.closed_at <= %(cutoff)s")
    immediate = _flag("pv.service_mode = 'immediate'")
    online = _flag("c.channel <> 'hall'")
    return (
        f"{accepted} AS accepted, {decided} AS decided, {refused} AS refused,"
        f" {withdrawn} AS withdrawn_closed,"
        " COALESCE(vt.trips, 0) AS trips,"
        f" {immediate} AS immediate, {online} AS online,"
        " c.limit_days AS promised"
    )


def _rows(sql: str, params: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(20_000):
            yield from batch


# --- the counts ---------------------------------------------------------------------------------------------


_CASE_SUMS = (
    "n",
    "immediate",
    "ended",
    "completed",
    "completed_online",
    "timed",
    "timed_within_promised",
)


# Each case's trips by the cut-off, as none, one or more: joined to the cases rather than counted per case
# in a subquery, which PostgreSQL runs twice as slowly.
_TRIPS = (
    "SELECT v.case_id, CASE WHEN COUNT(*) > 1 THEN 2 ELSE COUNT(*) END AS trips FROM cases_visit v"
    " JOIN cases_case vc ON vc.id = v.case_id WHERE vc.intake_date >= %(start)s AND vc.intake_date <= %(end)s"
    " AND v.at <= %(cutoff)s GROUP BY v.case_id"
)


def _joined(expression: str) -> str:
    """The non-NULL values of `expression` over a group as one text, ";" between them: histograms whose
    keys are nearly all distinct come back as one row per group and are counted in Python."""
    if _postgres():
        return f"string_agg({expression}, ';')"
    return f"group_concat({expression}, ';')"


def _histogram(joined: str | None) -> Counter[str]:
    return Counter(joined.split(";")) if joined else Counter()


def _cases(folder: _Folder, params: dict[str, Any], group: str, join: str, by_staff: bool) -> None:
    """The period's cases in one pass: every count per unit (or person), the limits and speed histograms
    as joined text, and for a unit scheme the stages each case reached (the interactions' denominators),
    the intake counted where it was served."""
    ended = "(x.decided + x.refused > 0 OR x.withdrawn_closed = 1)"
    completed = "(x.decided + x.refused > 0)"
    timed = "(x.days IS NOT NULL)"
    served = (
        "NULL" if by_staff else "CASE WHEN c.channel = 'hall' THEN c.window_id ELSE c.responsible_unit_id END"
    )
    text = "VARCHAR" if _postgres() else "TEXT"
    limits = (
        f"CASE WHEN x.statutory > 0 THEN CAST(x.promised AS {text}) || ',' || CAST(x.statutory AS {text}) END"
    )
    speeds = (
        f"CASE WHEN x.days IS NOT NULL AND x.promised > 0 THEN CAST(x.service AS {text}) || ','"
        f" || CAST(x.days AS {text}) || ',' || CAST(x.promised AS {text}) END"
    )
    # The trips are grouped on (none, one, more) rather than summed in two places: the database would count
    # each case's visits once per place the count is used.
    sql = (
        f"SELECT x.g, x.served, x.trips, COUNT(*), SUM(x.immediate), SUM({_flag(ended)}),"
        f" SUM({_flag(completed)}), SUM({_flag(f'{completed} AND x.online = 1')}), SUM({_flag(timed)}),"
        f" SUM({_flag(f'{timed} AND x.days <= x.promised')}), SUM(x.accepted), SUM(x.decided),"
        f" {_joined(limits)}, {_joined(speeds)}"
        f" FROM (SELECT {group} AS g, {served} AS served, pv.statutory_limit_days AS statutory,"
        " c.service_id AS service, CASE WHEN c.decided_at <= %(cutoff)s THEN c.working_days END AS days,"
        f" {_case_flags()} FROM {_CASES} {join} LEFT JOIN ({_TRIPS}) vt ON vt.case_id = c.id"
        f" WHERE {_IN_PERIOD}) x GROUP BY x.g, x.served, x.trips"
    )
    speeds_seen: dict[int, Counter[str]] = {}
    for raw, intake_at, trips, *sums, accepted, decided, joined_limits, joined_speeds in _rows(sql, params):
        if not by_staff:
            if (served_by := folder.tally("interactions", intake_at)) is not None:
                served_by.add("n", int(sums[0]))
            if (handled_by := folder.tally("interactions", raw)) is not None:
                handled_by.add("n", int(accepted) + int(decided))
        tally = folder.tally("cases", raw)
        if tally is None:
            continue
        for name, value in zip(_CASE_SUMS, sums, strict=True):
            tally.add(name, int(value))
        ended_n = int(sums[_CASE_SUMS.index("ended")])
        tally.add("ended_at_most_once", ended_n if trips <= 1 else 0)
        tally.add("ended_zero_visits", ended_n if trips == 0 else 0)
        for key, n in _histogram(joined_limits).items():
            limit, statutory_limit = key.split(",")
            tally.add_to("limits", (int(limit), int(statutory_limit)), n)
        subject = folder.resolve(raw)
        assert subject is not None
        speeds_seen.setdefault(subject, Counter()).update(_histogram(joined_speeds))
    services = {int(key.split(",")[0]) for counter in speeds_seen.values() for key in counter}
    codes = _service_codes(services)
    for subject, counter in speeds_seen.items():
        tally = folder.tally_of("cases", subject)
        for key, n in counter.items():
            service, days, promised = (int(part) for part in key.split(","))
            tally.add_to("speeds", (codes[service], days, promised), n)


def _service_codes(ids: set[int]) -> dict[int, str]:
    from civicpulse.catalogue.models import Service

    found: dict[int, str] = {}
    listed = sorted(ids)
    for first in range(0, len(listed), 500):
        found.update(Service.objects.filter(pk__in=listed[first : first + 500]).values_list("pk", "code"))
    return found


def _handlers_join() -> str:
    """One row per (case, person who handled it): the intake officer and whoever accepted or refused,
    passed on or decided it by the cut-off."""
    return (
        " JOIN (SELECT c2.id AS case_id, c2.intake_officer_id AS staff_id FROM cases_case c2"
        " WHERE c2.intake_officer_id IS NOT NULL"
        " AND c2.intake_date >= %(start)s AND c2.intake_date <= %(end)s"
        " UNION SELECT c3.id, a.actor_id FROM cases_case c3 JOIN core_auditevent a"
        f" ON a.target_type = 'cases.case' AND a.target_id = {_as_text('c3.id')}"
        f" WHERE a.action IN ({_HANDLED}) AND a.occurred_at <= %(cutoff)s AND a.actor_id IS NOT NULL"
        " AND c3.intake_date >= %(start)s AND c3.intake_date <= %(end)s) h ON h.case_id = c.id"
    )


def _interactions(folder: _Folder, params: dict[str, Any], by_staff: bool) -> None:
    """Interactions are the stages each case of the period reached by the cut-off; one is rated when the
    applicant's evaluation of it (at most one per case and stage) was valid at the cut-off. Counted from
    both ends: the stages from the cases, the rated ones from their evaluations."""
    if by_staff:
        intake = "CASE WHEN c.channel = 'hall' THEN c.intake_officer_id END"
        acceptance = _last_actor("c.id", "'cases.case.accepted', 'cases.case.refused'")
        completion = _last_actor("c.id", "'cases.case.approved', 'cases.case.denied'")
    else:
        intake = "CASE WHEN c.channel = 'hall' THEN c.window_id ELSE c.responsible_unit_id END"
        acceptance = completion = "c.responsible_unit_id"
    # A unit scheme's stages were counted with the cases; a person's need who served each stage.
    reached = (
        f"SELECT x.g, SUM(x.n) FROM (SELECT {intake} AS g, COUNT(*) AS n FROM cases_case c"
        f" WHERE {_IN_PERIOD} GROUP BY {intake}"
        f" UNION ALL SELECT {acceptance}, COUNT(*) FROM cases_case c"
        f" WHERE {_IN_PERIOD} AND c.accepted_at <= %(cutoff)s GROUP BY {acceptance}"
        f" UNION ALL SELECT {completion}, COUNT(*) FROM cases_case c"
        f" WHERE {_IN_PERIOD} AND c.decided_at <= %(cutoff)s GROUP BY {completion}) x GROUP BY x.g"
    )
    if by_staff:
        for raw, n in _rows(reached, params):
            if (tally := folder.tally("interactions", raw)) is not None:
                tally.add("n", int(n))
    served = (
        f"CASE e.stage WHEN 'intake' THEN {intake} WHEN 'acceptance' THEN {acceptance} ELSE {completion} END"
    )
    rated = (
        f"SELECT x.g, COUNT(*) FROM (SELECT {served} AS g FROM cases_case c"
        " JOIN evaluations_evaluation e ON e.case_id = c.id"
        f" WHERE {_IN_PERIOD} AND e.evaluator_key = 'applicant' AND e.submitted_at <= %(cutoff)s"
        " AND (e.stage = 'intake' OR (e.stage = 'acceptance' AND c.accepted_at <= %(cutoff)s)"
        " OR (e.stage = 'completion' AND c.decided_at <= %(cutoff)s))"
        f" AND {_valid('e')}) x GROUP BY x.g"
    )
    for raw, n in _rows(rated, params):
        if (tally := folder.tally("interactions", raw)) is not None:
            tally.add("rated", int(n))


_EVALUATIONS_IN_PERIOD = (
    "e.submitted_at >= %(since)s AND e.submitted_at < %(until)s AND e.submitted_at <= %(cutoff)s"
)


def _evaluations(folder: _Folder, params: dict[str, Any], by_staff: bool) -> lib.ChannelRates | None:
    """Valid evaluations per channel and grade. For a unit scheme the same rows give the reference rates of
    the channel-mix adjustment (every evaluation whose unit answers to a subject); a person's scheme reads
    those apart, by unit."""
    group = "CASE WHEN e.unit_id IS NOT NULL THEN e.staff_id END" if by_staff else "e.unit_id"
    sql = (
        f"SELECT {group}, e.channel, e.grade, COUNT(*) FROM evaluations_evaluation e"
        f" WHERE {_EVALUATIONS_IN_PERIOD} AND {_valid('e')} GROUP BY {group}, e.channel, e.grade"
    )
    reference: dict[tuple[str, str], int] = defaultdict(int)
    for raw, channel, grade, n in _rows(sql, params):
        if (tally := folder.tally("evaluations", raw)) is not None:
            tally.add_to("valid", (channel, grade), n)
            reference[(channel, grade)] += n
    return None if by_staff else lib.channel_good_rates_of([lib.EvaluationCounts(valid=reference)])


def _reference(params: dict[str, Any]) -> lib.ChannelRates:
    """Channel good rates over every valid evaluation of the period that names a unit."""
    valid: dict[tuple[str, str], int] = defaultdict(int)
    sql = (
        "SELECT e.channel, e.grade, COUNT(*) FROM evaluations_evaluation e"
        f" WHERE {_EVALUATIONS_IN_PERIOD} AND e.unit_id IS NOT NULL AND {_valid('e')}"
        " GROUP BY e.channel, e.grade"
    )
    for channel, grade, n in _rows(sql, params):
        valid[(channel, grade)] += n
    return lib.channel_good_rates_of([lib.EvaluationCounts(valid=valid)])


def _rectifications(folder: _Folder, params: dict[str, Any], by_staff: bool) -> None:
    """Orders are few (one per bad review): their dates are compared in Python, as facts.py does."""
    tz = timezone.get_default_timezone()
    today = local_date(params["cutoff_at"], tz)
    audit = (
        "core_auditevent a WHERE a.target_type = 'rectification.rectificationorder'"
        f" AND a.target_id = {_as_text('o.id')}"
        " AND a.occurred_at >= %(since)s AND a.occurred_at <= %(cutoff)s"
    )
    sql = (
        f"SELECT {'e.staff_id' if by_staff else 'o.unit_id'}, o.contacted_at, o.contact_due, o.rectify_due,"
        f" (SELECT MIN(a.occurred_at) FROM {audit} AND a.action = 'rectification.order.answered'),"
        f" (SELECT {_json_text('a.data', 'satisfaction')} FROM {audit}"
        " AND a.action = 'rectification.order.rated' ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1),"
        f" {_flag(_excluded('e'))}"
        " FROM rectification_rectificationorder o JOIN evaluations_evaluation e ON e.id = o.evaluation_id"
        " WHERE o.opened_on >= %(start)s AND o.opened_on <= %(end)s AND o.opened_at <= %(cutoff)s"
    )
    for raw, contacted_at, contact_due, rectify_due, answered, callback, excluded in _rows(sql, params):
        tally = folder.tally("rectifications", raw)
        if tally is None or excluded:
            continue
        contacted_at, answered = _aware(contacted_at), _aware(answered)
        contact_due, rectify_due = _date(contact_due), _date(rectify_due)
        contacted = (
            (local_date(contacted_at, tz) <= contact_due)
            if contacted_at is not None and contacted_at <= params["cutoff_at"]
            else (False if today > contact_due else None)
        )
        rectified = (
            (local_date(answered, tz) <= rectify_due)
            if answered is not None
            else (False if today > rectify_due else None)
        )
        if contacted is not None:
            tally.add("contacted", 1)
            tally.add("contacted_on_time", int(contacted))
        if rectified is not None:
            tally.add("rectified", 1)
            tally.add("rectified_on_time", int(rectified))
        if callback:
            tally.add("callbacks", 1)
            tally.add("callbacks_satisfied", int(callback in (lib.SATISFIED, lib.BASICALLY_SATISFIED)))


def _aware(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    # SQLite answers a subquery's timestamp as text.
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _tickets(folder: _Folder, params: dict[str, Any], by_staff: bool) -> None:
    """Waits are nearly all distinct, so a histogram row per wait would be a row per ticket: each window or
    officer's waits come back as one array instead, and are counted in Python."""
    called = "t.called_at <= %(cutoff)s AND t.status <> 'no_show'"
    group = "t.officer_id" if by_staff else "t.window_id"
    collect = "array_agg(x.wait)" if _postgres() else "json_group_array(x.wait)"
    sql = (
        f"SELECT x.g, {collect} FROM (SELECT {group} AS g,"
        f" {_wait_microseconds('t.issued_at', 't.called_at')} AS wait FROM cases_ticket t"
        " WHERE t.day >= %(start)s AND t.day <= %(end)s AND t.issued_at <= %(cutoff)s"
        f" AND t.window_id IS NOT NULL AND {called}) x GROUP BY x.g"
    )
    waits: dict[int, Counter[int]] = {}
    for raw, collected in _rows(sql, params):
        subject = folder.resolve(raw)
        if subject is not None:
            found = waits.setdefault(subject, Counter())
            found.update(collected if isinstance(collected, list) else json.loads(collected))
    for subject, counter in waits.items():
        tally = folder.tally_of("tickets", subject)
        for micros, n in counter.items():
            # The same float as facts.py: timedelta.total_seconds() (microseconds / 10^6), then minutes.
            tally.add_to("waits", int(micros) / 1_000_000 / 60, n)


def count(
    *,
    start: dt.date,
    end: dt.date,
    cutoff: dt.datetime,
    resolve: Callable[[int | None], int | None],
    by_staff: bool,
    members: Iterable[int],
    use_stored: bool = True,
) -> RunCounts:
    """The counts of the period as of the cut-off for every subject: units through `resolve`, or people
    (`by_staff`) among `members`. A unit scheme's whole months are read from the counts kept per month
    (stored.py) when they still hold for the cut-off; anything else is counted from the raw tables."""
    ops = connection.ops
    params: dict[str, Any] = {
        "start": ops.adapt_datefield_value(start),
        "end": ops.adapt_datefield_value(end),
        "cutoff": ops.adapt_datetimefield_value(cutoff),
        "since": ops.adapt_datetimefield_value(_aware_day_end(start - dt.timedelta(days=1))),
        "until": ops.adapt_datetimefield_value(_aware_day_end(end)),
    }
    if _postgres():
        # The planner's estimates for these scans cross jit_above_cost, and compiling them costs more than
        # running them (0.4 s a query at 1M interactions). LOCAL: for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    months = stored.whole_months(start, end) if use_stored and not by_staff else None
    if months and stored.holds(months, cutoff):
        folder = _Folder(resolve)
        settled = stored.with_rectifications(months)
        # A unit scheme's resolver has a key: months kept folded by the same mapping are read as they are.
        fold = (resolve.key(), folder.tally_of) if isinstance(resolve, UnitResolver) else None
        valid = stored.load(months, folder.tally, rectifications=settled, fold=fold)
        if not settled:
            _rectifications(folder, {**params, "cutoff_at": cutoff}, by_staff)
        rates = lib.channel_good_rates_of([lib.EvaluationCounts(valid=valid)])
        return RunCounts(by_subject=folder.result(), channel_rates=rates, digests=folder.digests())
    people = set(members) if by_staff else set()
    folder = _Folder((lambda pk: pk if pk in people else None) if by_staff else resolve)
    if by_staff:
        _cases(folder, params, "h.staff_id", _handlers_join(), by_staff)
    else:
        _cases(folder, params, "c.responsible_unit_id", "", by_staff)
    reference = _evaluations(folder, params, by_staff)
    _interactions(folder, params, by_staff)
    _rectifications(folder, {**params, "cutoff_at": cutoff}, by_staff)
    _tickets(folder, params, by_staff)
    return RunCounts(
        by_subject=folder.result(),
        channel_rates=reference or _reference(params),
        digests=folder.digests(),
    )


# The wait target compared with waits in minutes; read here so the engine and the counts agree.
def wait_target_minutes() -> float:
    return float(str(settings.CIVICPULSE["WAIT_TARGET_MINUTES"]))
