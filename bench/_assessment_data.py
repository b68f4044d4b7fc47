"""A synthetic region for the assessment benchmark, written straight into CivicPulse's tables.

80 counties of the demo county's 25 departments (2,000 assessed units in the four categories), their
service halls and windows, 50,000 staff, the demo's catalogue in every county, and one year (2025) of
applications with everything the services write about them: cases with their calendar snapshot and
clock fields, pauses, visits, hall tickets, audit events, ratings on every channel (some quarantined,
cleared, confirmed as fraud or excluded on appeal), and the rectification of every valid bad review.

Going through the services would take days at this size, so the rows are built here the way the
services build them (civicpulse/cases/services.py, evaluations/services.py, rectification/services.py,
cases/queue.py, demo/history.py for the rhythm of a year) and bulk-written: executemany on SQLite,
COPY on PostgreSQL. Every table keeps its constraints, foreign keys included, so a row the services
could not have written is refused. Left out, because no assessment reads them and they would double the
work: case materials and files, notifications, the organisation's own audit events.

One `random.Random(seed)` drives everything, in a fixed order, and every primary key is set here: the
same seed and size give the same rows on SQLite and PostgreSQL. The year's cases are drawn day by day
until the interactions (each stage a case has reached by the data cut-off: intake, acceptance,
completion) add up to exactly the number asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

GENERATOR_VERSION = 2
YEAR = 2025
UTC_OFFSET = 8 * 3600  # Asia/Shanghai has kept UTC+8 without summer time since 1991
# The data cut-off of every run: a Friday evening two weeks into 2026, so December's cases are partly open.
NOW_LOCAL = dt.datetime(2026, 1, 16, 18, 0)  # noqa: DTZ001 - local wall time, converted below
COUNTIES = 80
STAFF = 50_000
REGION_STAFF = {"administrator": 4, "leader": 6, "supervisor": 20, "quality_officer": 18}

_EPOCH = dt.date(1970, 1, 1).toordinal()
NOW = (NOW_LOCAL.date().toordinal() - _EPOCH) * 86400 + NOW_LOCAL.hour * 3600 - UTC_OFFSET
NOW_DAY = NOW_LOCAL.date().toordinal()

CALENDAR_SNAPSHOT = json.dumps({"code": "CN", "base": "cn_official", "overrides": []})
PRESET = "standard"  # contact within 1 working day, rectify within 5 (rectification/deadlines.py)
APPEAL_WORKING_DAYS = 3

# How many of a county's departments' cases come to the hall rather than online, by category.
HALL_SHARE = {"window": 0.72, "approval": 0.45, "town": 0.8, "enforcement": 0.35}
# Relative volume of a department of each category (window departments carry the counters).
CATEGORY_VOLUME = {"window": 6.0, "approval": 1.4, "town": 2.5, "enforcement": 0.6}
_WEEKDAY_WEIGHTS = (1.35, 1.1, 1.0, 1.0, 0.9, 0.0, 0.0)
_MONTH_WEIGHTS = (0.95, 0.9, 1.1, 1.0, 1.0, 1.05, 1.0, 0.95, 1.05, 0.95, 1.0, 1.05)
_DAY_OFF_WEIGHT = 0.08
_HALL_HOURS = {9: 1.6, 10: 1.5, 11: 1.1, 12: 0.3, 13: 0.6, 14: 1.0, 15: 0.9, 16: 0.6}
_ONLINE_HOURS = {8: 0.5, 9: 1.0, 10: 1.2, 11: 1.0, 12: 0.6, 13: 0.7, 14: 1.0, 15: 1.0, 16: 0.9, 17: 0.6}
_ONLINE_HOURS |= {18: 0.4, 19: 0.6, 20: 0.7, 21: 0.4}
# Queues are longest on busy mornings: a factor on each window's median wait.
_WAIT_BY_HOUR = {9: 1.6, 10: 1.4, 11: 1.0, 12: 0.6, 13: 0.7, 14: 1.0, 15: 0.9, 16: 0.7}

# Levels 5..1 by channel: pads and phones run higher than the web (civicpulse/demo/ratings.py).
_LEVELS = {
    "pad": (0.72, 0.19, 0.04, 0.035, 0.015),
    "kiosk": (0.7, 0.2, 0.05, 0.03, 0.02),
    "portal": (0.52, 0.24, 0.1, 0.08, 0.06),
    "app": (0.55, 0.23, 0.1, 0.07, 0.05),
    "link": (0.58, 0.24, 0.08, 0.06, 0.04),
    "hotline": (0.62, 0.2, 0.08, 0.06, 0.04),
}
_TAGS_BY_LEVEL = {
    3: ("slow", "long_wait", "unclear_notice", "other"),
    2: ("slow", "repeated_visits", "unclear_notice", "attitude", "system"),
    1: ("attitude", "repeated_visits", "slow"),
}
_COMMENTS = {
    3: ("等了比较久。", "材料要求可以说得更清楚一些。", ""),
    2: ("来回跑了两趟才办好。", "网上系统经常卡顿。", "一次性告知不到位。"),
    1: ("窗口人员态度生硬，不耐烦。", "说好五个工作日，结果拖了很久也没人解释。"),
}
_GOOD_COMMENTS = ("办事效率很高，谢谢！", "工作人员很耐心。", "", "", "")
_DENY_REASONS = (
    "申请人不符合法定条件。",
    "经核查，申请材料与实际情况不符。",
    "申请事项不属于本机关职权范围。",
)
_REFUSE_REASON = "申请材料不符合法定形式，不予受理。"
_WITHDRAW_REASON = "申请人主动撤回申请。"
_SUPPLEMENT_REASON = "申请材料不齐全，请一次性补齐所列材料。"
_NOTICE_REASON = "依法进行公示。"
_CALL_NOTES = (
    "已电话联系群众，了解到等候时间较长的具体情况。",
    "已联系群众，群众反映窗口解释不够清楚。",
    "电话回访，群众对办理进度有意见。",
)
_ANSWERS = (
    "已向群众致歉，并调整窗口排班，高峰时段增开窗口。",
    "已向群众说明办理要求，并完善一次性告知单。",
    "已督促承办人加快办理，并向群众说明进度。",
)
_OUTCOMES = (("fixed_at_once", 0.5), ("fixed_by_deadline", 0.3), ("explained", 0.2))
_SATISFACTION = (("satisfied", 0.65), ("basically_satisfied", 0.22), ("dissatisfied", 0.13))
_APPEAL_REASONS = {
    "mistaken": "经调取窗口录像，该时段为其他窗口办理，属于误评。",
    "malicious": "群众因不符合条件未能办理而恶意差评，有录音为证。",
}
_FRAUD_FLAGS = {
    "pad": "burst_device",
    "kiosk": "burst_device",
    "hotline": "staff_self",
    "portal": "spread",
    "app": "burst_phone",
    "link": "burst_ip",
}
_COUNTY_CHARS = "东西南北安平宁和清江河山阳城华兴泰永昌丰新德福嘉云湖桥林川溪石明光长乐青松"
_COUNTY_PINYIN = {
    **dict(
        zip(
            "东西南北安平宁和清江",
            ["dong", "xi", "nan", "bei", "an", "ping", "ning", "he", "qing", "jiang"],
            strict=True,
        )
    ),
    **dict(
        zip(
            "河山阳城华兴泰永昌丰",
            ["he", "shan", "yang", "cheng", "hua", "xing", "tai", "yong", "chang", "feng"],
            strict=True,
        )
    ),
    **dict(
        zip(
            "新德福嘉云湖桥林川溪",
            ["xin", "de", "fu", "jia", "yun", "hu", "qiao", "lin", "chuan", "xi"],
            strict=True,
        )
    ),
    **dict(zip("石明光长乐青松", ["shi", "ming", "guang", "chang", "le", "qing", "song"], strict=True)),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def moment(day: int, seconds: int) -> int:
    """Seconds since the epoch (UTC) of `seconds` after local midnight of the day with ordinal `day`."""
    return (day - _EPOCH) * 86400 - UTC_OFFSET + seconds


def local_day(ts: int) -> int:
    return (ts + UTC_OFFSET) // 86400 + _EPOCH


def local_seconds(ts: int) -> int:
    return (ts + UTC_OFFSET) % 86400


class Days:
    """The official working-day calendar as arrays over day ordinals: O(1) arithmetic for millions of
    cases, with the same answers as civicpulse.core.workdays (checked when the generator starts)."""

    def __init__(self, is_working: Callable[[dt.date], bool], first: dt.date, last: dt.date) -> None:
        self.first = first.toordinal()
        self.working: list[bool] = []
        self.count: list[int] = []  # working days in [first, day]
        self.list: list[int] = []  # ordinals of the working days, in order
        n = 0
        for ordinal in range(self.first, last.toordinal() + 1):
            working = is_working(dt.date.fromordinal(ordinal))
            self.working.append(working)
            if working:
                n += 1
                self.list.append(ordinal)
            self.count.append(n)

    def is_working(self, day: int) -> bool:
        return self.working[day - self.first]

    def add(self, day: int, n: int) -> int:
        """The n-th working day strictly after `day` (`day` itself for n == 0)."""
        if n == 0:
            return day
        return self.list[self.count[day - self.first] + n - 1]

    def between(self, a: int, b: int) -> int:
        """Working days d with a < d <= b."""
        return max(0, self.count[b - self.first] - self.count[a - self.first])

    def elapsed(self, start: int, end: int, pauses: Sequence[tuple[int, int]]) -> int:
        """Working days in (start, end] outside every pause (p, q]; the pauses never overlap here."""
        total = self.between(start, end)
        if not pauses or total == 0:
            return total
        return total - sum(self.between(max(p, start), min(q, end)) for p, q in pauses if min(q, end) > p)

    def due(self, start: int, n: int, pauses: Sequence[tuple[int, int]]) -> int:
        """Like civicpulse.core.workdays.due_date: the day the clock reaches n, pauses added."""
        if n == 0:
            return start
        day = self.add(start, n)
        while True:
            extra = n - self.elapsed(start, day, pauses)
            if extra <= 0:
                return day
            day = self.add(day, extra)


class Stamps:
    """Timestamps as the database stores them: SQLite as Django writes them (naive UTC text), PostgreSQL
    as timestamptz text for COPY."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.days: dict[int, str] = {}

    def day(self, ordinal: int) -> str:
        text = self.days.get(ordinal)
        if text is None:
            text = self.days[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def __call__(self, ts: int | None) -> str | None:
        if ts is None:
            return None
        days, seconds = divmod(ts, 86400)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{self.day(days + _EPOCH)} {hours:02d}:{minutes:02d}:{secs:02d}{self.suffix}"


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    return bool(re.search(pattern, str(value)))


# --- writing -------------------------------------------------------------------------------------------


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    written: int = 0


class Sink:
    """Rows buffered per table and written in foreign-key order, one transaction per flush, so every
    row a flushed row points at is already in the database (PostgreSQL checks at each commit)."""

    def __init__(self, engine: str, target: str) -> None:
        self.engine = engine
        self.tables: dict[str, Table] = {}
        self.pending = 0
        if engine == "sqlite":
            self.sqlite = sqlite3.connect(target, isolation_level=None)
            # A throwaway database written once: no journal, no fsync; a crash means generating again.
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=ON", "cache_size=-1048576"):
                self.sqlite.execute(f"PRAGMA {pragma}")
            # The CHECK constraints use REGEXP, which Django defines on its own SQLite connections.
            self.sqlite.create_function("REGEXP", 2, _regexp, deterministic=True)
        else:
            import psycopg

            self.pg = psycopg.connect(target, autocommit=True)

    def table(self, model: Any, names: str) -> Table:
        columns = names.split()
        concrete = {f.column for f in model._meta.concrete_fields}
        if set(columns) != concrete or len(columns) != len(concrete):
            # Every column is set here, none left to a database default Django never declares.
            raise AssertionError(f"{model._meta.db_table}: {sorted(set(columns) ^ concrete)}")
        table = Table(model._meta.db_table, tuple(columns))
        self.tables[table.name] = table
        return table

    def through(self, name: str, names: str) -> Table:
        table = Table(name, tuple(names.split()))
        self.tables[name] = table
        return table

    def add(self, table: Table, row: tuple[Any, ...]) -> None:
        table.rows.append(row)
        self.pending += 1

    def flush(self) -> None:
        if self.engine == "sqlite":
            self.sqlite.execute("BEGIN")
            for table in self.tables.values():
                if table.rows:
                    cols = ", ".join(f'"{c}"' for c in table.columns)
                    marks = ", ".join("?" * len(table.columns))
                    sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'  # noqa: S608 - our names
                    self.sqlite.executemany(sql, table.rows)
            self.sqlite.execute("COMMIT")
        else:
            with self.pg.transaction(), self.pg.cursor() as cursor:
                for table in self.tables.values():
                    if table.rows:
                        cols = ", ".join(f'"{c}"' for c in table.columns)
                        with cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                            for row in table.rows:
                                copy.write_row(row)
        for table in self.tables.values():
            table.written += len(table.rows)
            table.rows.clear()
        self.pending = 0

    def close(self) -> None:
        self.flush()
        if self.engine == "sqlite":
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.close()
        else:
            self.pg.close()

    def counts(self) -> dict[str, int]:
        return {name: table.written for name, table in self.tables.items()}


# --- the region ----------------------------------------------------------------------------------------


@dataclass
class Hall:
    id: int
    code: str
    line: int
    windows: list[Window] = field(default_factory=list)
    kiosk: int = 0


@dataclass
class Window:
    id: int
    code: str
    hall: Hall
    dept: Dept
    officers: list[int] = field(default_factory=list)
    pad: int = 0
    wait_median: float = 7.0


@dataclass
class Version:
    id: int
    number: int
    effective: int  # first day (ordinal) on which new cases get this version
    mode: str
    statutory: int
    promised: int
    channels: str
    steps: list[tuple[str, str, str, bool, int]]  # key, name, role, pause allowed, budget
    materials: int

    @property
    def decide(self) -> int:
        keys = [s[0] for s in self.steps]
        return keys.index("decide") if "decide" in keys else len(keys) - 1

    @property
    def pause_at(self) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s[3] and 0 < i < self.decide), None)


@dataclass
class Service:
    id: int
    code: str
    versions: list[Version] = field(default_factory=list)

    def version_on(self, day: int) -> Version:
        current = self.versions[0]
        for version in self.versions[1:]:
            if version.effective <= day:
                current = version
        return current


@dataclass
class Dept:
    id: int
    code: str
    name_zh: str
    category: str
    spec: Any
    sections: list[int] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    approvers: list[int] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    service_weights: list[float] = field(default_factory=list)
    weight: float = 1.0
    # What makes units differ, so the ranking has something to find.
    quality: float = 0.0
    late_share: float = 0.05
    participation: float = 1.0
    late_contact: float = 0.1
    late_fix: float = 0.08


@dataclass
class Person:
    name: str
    id_number: str
    phone: str


class Ids:
    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        value = self.last.get(table, 0) + 1
        self.last[table] = value
        return value


def share(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` by weight, largest remainder first (civicpulse/demo/builder.py's `_share`)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
        if total == 0:
            return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


class Generator:
    def __init__(
        self,
        *,
        engine: str,
        target: str,
        interactions: int,
        seed: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        from civicpulse.core.calendars import official_cn_calendar
        from civicpulse.core.workdays import add_working_days

        self.rng = random.Random(seed)
        self.seed = seed
        self.target = interactions
        self.progress = progress
        calendar = official_cn_calendar()
        self.days = Days(calendar.is_working_day, dt.date(YEAR - 1, 1, 1), dt.date(YEAR + 2, 12, 31))
        for start in (dt.date(YEAR, 1, 24), dt.date(YEAR, 9, 28), dt.date(YEAR, 12, 30)):
            for n in (1, 5, 9):
                expected = add_working_days(calendar, start, n).toordinal()
                assert self.days.add(start.toordinal(), n) == expected
        from django.db import connections

        from civicpulse.core.models import WorkCalendar
        from civicpulse.evaluations.models import IndicatorTemplate

        self.calendar_id = WorkCalendar.objects.get(code="CN").pk
        self.templates = dict(IndicatorTemplate.objects.filter(is_current=True).values_list("kind", "pk"))
        # The bulk writer takes the database alone (SQLite leaves WAL mode only without other connections).
        connections.close_all()
        self.stamp = Stamps("" if engine == "sqlite" else "+00")
        self.date = self.stamp.day
        self.ids = Ids()
        self.sink = Sink(engine, target)
        self._tables()
        self.interactions = 0
        self.cases = 0
        self.day_tickets: list[list[Any]] = []
        self.day_numbers = 0

    # --- tables ------------------------------------------------------------------------------------------

    def _tables(self) -> None:
        from civicpulse.accounts.models import OrgUnit, RoleAssignment, UnitCategory, User
        from civicpulse.cases.models import Case, CasePause, QueueLine, Ticket, Visit
        from civicpulse.catalogue.models import Material, ProcedureVersion, Service, Step
        from civicpulse.core.models import AuditEvent
        from civicpulse.evaluations.models import Evaluation, EvaluationLink, FraudFlag, Integration
        from civicpulse.rectification.models import Appeal, RectificationOrder

        # Listed in foreign-key order: a flush writes the tables in this order.
        t = self.sink.table
        self.t_category = t(UnitCategory, "id code name_zh name_en description")
        self.t_unit = t(
            OrgUnit,
            "id code name_zh name_en kind parent_id path depth category_id calendar_id serving_unit_id "
            "is_active",
        )
        self.t_user = t(
            User,
            "id password last_login is_superuser username first_name last_name email is_staff is_active "
            "date_joined kind full_name org_unit_id employee_number on_probation phone",
        )
        self.t_role = t(RoleAssignment, "id user_id role unit_id")
        self.t_integration = t(Integration, "id name channel window_id token_digest is_active created_at")
        self.t_service = t(
            Service, "id code name_zh name_en power_kind responsible_unit_id process_owner_id created_at"
        )
        self.t_version = t(
            ProcedureVersion,
            "id service_id number status legal_basis service_mode statutory_limit_days promised_limit_days "
            "channels run_at_most_once fee_yuan fee_basis change_note author_id approver_id contributor_ids "
            "created_at submitted_at published_at retired_at",
        )
        self.t_step = t(
            Step,
            "id version_id position key name_zh name_en responsible_unit_id responsible_role budget_days "
            "pause_allowed next_keys",
        )
        self.t_material = t(
            Material, "id version_id position name_zh name_en form copies source required notes"
        )
        self.t_line = t(QueueLine, "id hall_id prefix name_zh name_en")
        self.t_line_windows = self.sink.through(
            QueueLine.windows.through._meta.db_table, "id queueline_id orgunit_id"
        )
        self.t_ticket = t(
            Ticket,
            "id line_id day sequence status window_id officer_id issued_at called_at served_at finished_at",
        )
        self.t_case = t(
            Case,
            "id number verification_digest service_id version_id responsible_unit_id calendar channel "
            "window_id intake_officer_id applicant_id applicant_name applicant_id_number applicant_phone "
            "applicant_email status decision reason step_position assignee_id step_started_on "
            "step_budget_days step_due_date step_overdue limit_days intake_at intake_date due_date sla_state "
            "accepted_at decided_at working_days delivered_at closed_at",
        )
        self.t_pause = t(CasePause, "id case_id kind reason missing started_at ended_at")
        self.t_visit = t(Visit, "id case_id kind at window_id")
        self.t_link = t(
            EvaluationLink, "id token_digest case_id stage created_at expires_at used_at is_invitation"
        )
        self.t_evaluation = t(
            Evaluation,
            "id case_id stage ticket_id channel integration_id template_id level grade dimensions tags text "
            "evaluator_key evaluator_id evaluator_phone service_id unit_id window_id staff_id device ip "
            "submitted_at status exclusion review review_note reviewed_by_id reviewed_at",
        )
        self.t_flag = t(FraudFlag, "id evaluation_id code params")
        self.t_order = t(
            RectificationOrder,
            "id evaluation_id unit_id calendar preset opened_at opened_on contact_due rectify_due appeal_due "
            "status contact_overdue rectify_overdue call_notes finding verification_notes outcome "
            "outcome_notes ledger_entry ledger_due explanation answer satisfaction contacted_at verified_at "
            "acted_at answered_at rated_at escalated_at closed_at",
        )
        self.t_appeal = t(
            Appeal,
            "id order_id kind reason filed_by_id filed_at status decided_by_id decided_at decision_reason",
        )
        self.t_audit = t(
            AuditEvent, "id occurred_at actor_id action target_type target_id target_label unit_id data"
        )

    def audit(
        self,
        at: int,
        actor: int | None,
        action: str,
        target_type: str,
        target_id: int,
        label: str,
        unit: int | None,
        data: str = "{}",
    ) -> None:
        self.sink.add(
            self.t_audit,
            (
                self.ids("audit"),
                self.stamp(at),
                actor,
                action,
                target_type,
                str(target_id),
                label,
                unit,
                data,
            ),
        )

    # --- people ------------------------------------------------------------------------------------------

    def _names(self) -> None:
        from civicpulse.demo import names

        self.surnames = names.SURNAMES
        weights = [1 / (rank + 4) for rank in range(len(names.SURNAMES))]
        self.surname_cum = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.given = names.GIVEN_CHARS
        self.mobile = names.MOBILE_PREFIXES
        self.usernames: dict[str, int] = {}

    def person(self) -> tuple[str, str]:
        rng = self.rng
        surname, pinyin = rng.choices(self.surnames, cum_weights=self.surname_cum)[0]
        given = rng.sample(self.given, 2 if rng.random() < 0.7 else 1)
        return surname + "".join(c for c, _p in given), pinyin + "".join(p for _c, p in given)

    def phone(self) -> str:
        return self.rng.choice(self.mobile) + f"{self.rng.randrange(10**8):08d}"

    def id_number(self) -> str:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randrange(365 * 55))
        body = f"330110{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
        return body + "10X98765432"[total % 11]

    def username(self, base: str) -> str:
        n = self.usernames.get(base, 0) + 1
        self.usernames[base] = n
        return base if n == 1 else f"{base}{n}"

    def user(
        self,
        *,
        kind: str,
        unit: int | None,
        joined: int,
        number: str | None = None,
        probation: bool = False,
        admin: bool = False,
    ) -> tuple[int, Person]:
        full_name, pinyin = self.person()
        uid = self.ids("user")
        phone = self.phone()
        # An unusable password (set_unusable_password): staff sign in once an administrator sets one.
        password = "!" + hashlib.sha1(f"{self.seed}:{uid}".encode(), usedforsecurity=False).hexdigest()
        self.sink.add(
            self.t_user,
            (
                uid,
                password,
                None,
                False,
                self.username(pinyin),
                "",
                "",
                "",
                admin,
                True,
                self.stamp(joined),
                kind,
                full_name,
                unit,
                number,
                probation,
                phone,
            ),
        )
        return uid, Person(full_name, "", phone)

    def staff(self, unit: int, role: str, role_unit: int | None = None, *, admin: bool = False) -> int:
        number = self.ids("employee")
        joined = moment(dt.date(YEAR - 1, 1, 2).toordinal() + self.rng.randrange(330), 9 * 3600)
        uid, _person = self.user(
            kind="staff",
            unit=unit,
            joined=joined,
            number=f"E{number:06d}",
            probation=self.rng.random() < 0.05 and role in ("approver", "window_officer"),
            admin=admin,
        )
        self.sink.add(self.t_role, (self.ids("role"), uid, role, role_unit or unit))
        self.staff_count += 1
        return uid

    # --- organisation and catalogue --------------------------------------------------------------------

    def region(self) -> None:
        from civicpulse.demo import names

        rng = self.rng
        self._names()
        self.staff_count = 0
        calendar_id = self.calendar_id
        setup = moment(dt.date(YEAR - 1, 11, 4).toordinal(), 9 * 3600)
        add = self.sink.add
        self.region_id = self.ids("unit")
        add(
            self.t_unit,
            (
                self.region_id,
                "bench-region",
                "基准市",
                "Bench City",
                "region",
                None,
                f"/{self.region_id}/",
                0,
                None,
                calendar_id,
                None,
                True,
            ),
        )
        categories = {}
        for code, name_zh, name_en, description in names.CATEGORIES:
            categories[code] = self.ids("category")
            add(self.t_category, (categories[code], code, name_zh, name_en, description))
        self.region_staff: dict[str, list[int]] = {
            role: [self.staff(self.region_id, role, admin=role == "administrator") for _n in range(count)]
            for role, count in REGION_STAFF.items()
        }

        pairs = sorted({a + b for a in _COUNTY_CHARS for b in _COUNTY_CHARS if a != b})
        counties = rng.sample(pairs, COUNTIES)
        self.depts: list[Dept] = []
        self.halls: list[Hall] = []
        self.windows: list[Window] = []
        region_path = f"/{self.region_id}/"

        def unit(code: str, zh: str, en: str, kind: str, parent: int, parent_path: str, **extra: Any) -> int:
            uid = self.ids("unit")
            path = f"{parent_path}{uid}/"
            add(
                self.t_unit,
                (
                    uid,
                    code,
                    zh,
                    en,
                    kind,
                    parent,
                    path,
                    path.count("/") - 2,
                    extra.get("category"),
                    None,
                    extra.get("serving"),
                    True,
                ),
            )
            return uid

        for index, county in enumerate(counties):
            county_code = f"k{index + 1:02d}"
            county_en = "".join(_COUNTY_PINYIN[c] for c in county).title()
            size = math.exp(rng.gauss(0, 0.4))
            depts = []
            for spec in names.DEPARTMENTS:
                zh = f"{county}县{spec.name_zh}"
                dept = Dept(0, f"{county_code}-{spec.code}", zh, spec.category, spec)
                dept.id = unit(
                    dept.code,
                    zh,
                    f"{spec.name_en}, {county_en} County",
                    "department",
                    self.region_id,
                    region_path,
                    category=categories[spec.category],
                )
                dept_path = f"{region_path}{dept.id}/"
                for suffix, section_zh, section_en in spec.sections:
                    dept.sections.append(
                        unit(f"{dept.code}-{suffix}", section_zh, section_en, "section", dept.id, dept_path)
                    )
                windows = 1 + spec.main_windows + spec.branch_windows
                dept.weight = (
                    CATEGORY_VOLUME[spec.category] * windows / 2 * size * math.exp(rng.gauss(0, 0.5))
                )
                dept.quality = max(-1.5, min(1.5, rng.gauss(0, 0.5)))
                dept.late_share = max(0.005, min(0.3, 0.05 * math.exp(rng.gauss(0, 0.6))))
                dept.participation = math.exp(rng.gauss(0, 0.25))
                dept.late_contact = max(0.01, min(0.5, 0.1 * math.exp(rng.gauss(0, 0.6))))
                dept.late_fix = max(0.01, min(0.5, 0.08 * math.exp(rng.gauss(0, 0.6))))
                depts.append(dept)
            for hall_index, (suffix, hall_zh, hall_en, prefix) in enumerate(
                (
                    ("main", "政务服务中心", "Government Service Centre", "A"),
                    ("east", "城东分中心", "East Sub-centre", "E"),
                )
            ):
                code = f"{county_code}-hall-{suffix}"
                hall_id = unit(
                    code,
                    f"{county}县{hall_zh}",
                    f"{county_en} County {hall_en}",
                    "hall",
                    self.region_id,
                    region_path,
                )
                hall = Hall(hall_id, code, self.ids("line"), kiosk=0)
                add(self.t_line, (hall.line, hall_id, "A", "综合受理", "General intake"))
                hall_path = f"{region_path}{hall_id}/"
                hall_factor = math.exp(rng.gauss(0, 0.25))
                number = 0
                for dept in depts:
                    spec = dept.spec
                    for _n in range(spec.branch_windows if hall_index else spec.main_windows):
                        number += 1
                        label = f"{prefix}{number:02d}"
                        window = Window(0, f"{code}-{label.lower()}", hall, dept)
                        window.id = unit(
                            window.code,
                            f"{label} {spec.window_zh}窗口",
                            f"{label} {spec.window_en} window",
                            "window",
                            hall_id,
                            hall_path,
                            serving=dept.id,
                        )
                        window.wait_median = 7.0 * hall_factor * math.exp(rng.gauss(0, 0.35))
                        hall.windows.append(window)
                        dept.windows.append(window)
                        self.windows.append(window)
                        add(self.t_line_windows, (self.ids("line_window"), hall.line, window.id))
                self.halls.append(hall)
            self.depts.extend(depts)

        # Staff: two heads per department, two officers per window and two approvers per section, then the
        # rest of the head count where the work is.
        for dept in self.depts:
            dept.heads = [self.staff(dept.id, "department_head") for _n in range(2)]
            for window in dept.windows:
                window.officers = [self.staff(window.id, "window_officer") for _n in range(2)]
            for section in dept.sections:
                dept.approvers += [self.staff(section, "approver") for _n in range(2)]
        weights = [d.weight for d in self.depts]
        while self.staff_count < STAFF:
            dept = rng.choices(self.depts, weights=weights)[0]
            if rng.random() < 0.4:
                window = rng.choice(dept.windows)
                window.officers.append(self.staff(window.id, "window_officer"))
            else:
                dept.approvers.append(self.staff(rng.choice(dept.sections), "approver"))

        # Rating devices: a pad at every window, a kiosk in every hall, the app and the 12345 hotline.
        def integration(name: str, channel: str, window: int | None) -> int:
            iid = self.ids("integration")
            token = hashlib.sha256(f"{self.seed}:integration:{iid}".encode()).hexdigest()
            add(self.t_integration, (iid, name, channel, window, token, True, self.stamp(setup)))
            self.audit(
                setup, None, "evaluations.integration.issued", "evaluations.integration", iid, name, window
            )
            return iid

        for window in self.windows:
            window.pad = integration(f"平板 {window.code}", "pad", window.id)
        for hall in self.halls:
            hall.kiosk = integration(f"自助终端 {hall.code}", "kiosk", None)
        self.app = integration("政务服务App", "app", None)
        self.hotline = integration("12345 热线", "hotline", None)
        self._catalogue(setup)

    def _catalogue(self, setup: int) -> None:
        from civicpulse.catalogue.enums import PowerKind
        from civicpulse.demo import names

        rng = self.rng
        add = self.sink.add
        quality = self.region_staff["quality_officer"]
        leaders = self.region_staff["leader"]
        revision_day = dt.date(YEAR, 7, 1).toordinal()
        for dept in self.depts:
            spec = dept.spec
            enterprise = spec.code in {
                "market",
                "devrev",
                "env",
                "water",
                "housing",
                "transport",
                "emergency",
            }
            ranks = list(range(len(spec.services)))
            rng.shuffle(ranks)
            for number, (service_spec, rank) in enumerate(zip(spec.services, ranks, strict=True), start=1):
                author = rng.choice([dept.heads[1]] * 3 + quality[:2])
                approver = rng.choice([dept.heads[0]] * 3 + leaders[:2])
                created = moment(local_day(setup) + rng.randrange(20), 10 * 3600) + 60 * rng.randrange(400)
                service = Service(self.ids("service"), f"{dept.code}-{number:03d}")
                add(
                    self.t_service,
                    (
                        service.id,
                        service.code,
                        service_spec.name_zh,
                        service_spec.name_en,
                        service_spec.power_kind,
                        dept.id,
                        rng.choice(dept.approvers),
                        self.stamp(created),
                    ),
                )
                if service_spec.immediate:
                    mode, promised = "immediate", 0
                else:
                    factor = rng.choice([0.25, 0.33, 0.4, 0.5, 0.5, 0.5, 0.6])
                    statutory = service_spec.statutory_days
                    mode, promised = "promised", max(1, min(statutory - 1, round(statutory * factor)))
                channels = rng.choices(["both", "hall", "online"], weights=[65, 25, 10])[0]
                basis = spec.laws[service_spec.law]
                if service_spec.power_kind == PowerKind.LICENSING:
                    basis = "《中华人民共和国行政许可法》；" + basis
                plan = self._plan_steps(dept, service_spec, promised)
                materials = [
                    names.APPLICATION_FORM,
                    names.BUSINESS_LICENCE if enterprise else names.PERSONAL_ID,
                ]
                pool = [m for m in spec.materials if m not in materials]
                materials += rng.sample(pool, rng.randint(0, min(4, len(pool))))
                revised = rng.random() < 0.15 and mode == "promised" and promised >= 2
                versions = [(1, created, promised, "", created + 3600 * rng.randint(2, 30))]
                if revised:
                    shorter = max(1, round(promised * 0.6))
                    note = f"承诺时限由{promised}个工作日压缩至{shorter}个工作日"
                    drafted = moment(revision_day - rng.randrange(10), 10 * 3600)
                    versions.append((2, drafted, shorter, note, drafted + 3600 * rng.randint(2, 30)))
                for position, (version_number, at, limit, note, published) in enumerate(versions):
                    last = position == len(versions) - 1
                    # Approving the new version retires the old one at that moment.
                    retired = None if last else versions[position + 1][4]
                    version = Version(
                        self.ids("version"),
                        version_number,
                        local_day(published) + 1 if position else 0,
                        mode,
                        service_spec.statutory_days,
                        limit,
                        channels,
                        [],
                        len(materials),
                    )
                    add(
                        self.t_version,
                        (
                            version.id,
                            service.id,
                            version_number,
                            "published" if last else "retired",
                            basis,
                            mode,
                            service_spec.statutory_days,
                            limit,
                            channels,
                            rng.random() < 0.9,
                            f"{float(service_spec.fee_yuan):.2f}",
                            service_spec.fee_basis,
                            note,
                            author,
                            approver,
                            json.dumps([author]),
                            self.stamp(at),
                            self.stamp(at + 1800),
                            self.stamp(published),
                            self.stamp(retired),
                        ),
                    )
                    budgets = share(0 if mode == "immediate" else limit, [p[5] for p in plan])
                    for step_position, ((key, zh, en, unit_id, role, _w, pause), budget) in enumerate(
                        zip(plan, budgets, strict=True), start=1
                    ):
                        add(
                            self.t_step,
                            (
                                self.ids("step"),
                                version.id,
                                step_position,
                                key,
                                zh,
                                en,
                                unit_id,
                                role,
                                budget,
                                pause,
                                None,
                            ),
                        )
                        version.steps.append((key, zh, role, pause, budget))
                    for material_position, m in enumerate(materials, start=1):
                        add(
                            self.t_material,
                            (
                                self.ids("material"),
                                version.id,
                                material_position,
                                m.name_zh,
                                m.name_en,
                                m.form,
                                m.copies,
                                m.source,
                                True,
                                "",
                            ),
                        )
                    service.versions.append(version)
                dept.services.append(service)
                # A few services take most of a department's applications; immediate ones are popular.
                dept.service_weights.append((2.0 if mode == "immediate" else 1.0) / (rank + 3) ** 1.1)

    def _plan_steps(self, dept: Dept, spec: Any, promised: int) -> list[tuple[Any, ...]]:
        """Intake and delivery at the department's window, review in a section, decision by the head
        (civicpulse/demo/builder.py's `_steps`)."""
        from civicpulse.catalogue.enums import PowerKind

        rng = self.rng
        window = dept.windows[0].id
        section = rng.choice(dept.sections)
        intake = ("intake", "受理", "Intake", window, "window_officer", 0, False)
        if spec.immediate:
            plan = [intake]
            if rng.random() < 0.3:
                plan.append(("check", "审核", "Check", section, "approver", 0, False))
            plan.append(("decide", "当场办结", "Decision on the spot", window, "window_officer", 0, False))
            return plan
        plan = [intake]
        if promised <= 2 and rng.random() < 0.5:
            plan.append(("decide", "审批", "Review and decision", dept.id, "department_head", 4, False))
        else:
            plan.append(("review", "审查", "Review", section, "approver", 4, False))
            if promised >= 5 and rng.random() < 0.5:
                if spec.power_kind == PowerKind.LICENSING:
                    plan.append(("inspect", "现场核查", "On-site inspection", section, "approver", 3, True))
                elif spec.power_kind in (PowerKind.PAYMENT, PowerKind.CONFIRMATION):
                    plan.append(("notice", "公示", "Public notice", dept.id, "department_head", 3, True))
            plan.append(("decide", "决定", "Decision", dept.id, "department_head", 2, False))
            if spec.power_kind == PowerKind.LICENSING and rng.random() < 0.5:
                plan.append(("issue", "制证", "Certificate issuance", section, "approver", 1, False))
        plan.append(("deliver", "送达", "Delivery", window, "window_officer", 1, False))
        return plan

    def citizens(self) -> None:
        """Accounts for online applicants: about one for every two online applications of the year."""
        count = max(1000, self.target // 16)
        self.citizen_list: list[tuple[int, Person]] = []
        for _n in range(count):
            joined = moment(dt.date(YEAR - 2, 1, 1).toordinal() + self.rng.randrange(700), 19 * 3600)
            uid, person = self.user(kind="citizen", unit=None, joined=joined)
            person.id_number = self.id_number()
            self.citizen_list.append((uid, person))
        self.sink.flush()

    # --- the year ----------------------------------------------------------------------------------------

    def year(self) -> None:
        rng = self.rng
        days = self.days
        first, last = dt.date(YEAR, 1, 1).toordinal(), dt.date(YEAR, 12, 31).toordinal()
        weights = {}
        for day in range(first, last + 1):
            date = dt.date.fromordinal(day)
            if days.is_working(day):
                weights[day] = (_WEEKDAY_WEIGHTS[date.weekday()] or 1.0) * _MONTH_WEIGHTS[date.month - 1]
            else:
                weights[day] = _DAY_OFF_WEIGHT
        remaining_weight = sum(weights.values())
        dept_cum: list[float] = []
        total = 0.0
        for dept in self.depts:
            total += dept.weight
            dept_cum.append(total)
        for dept in self.depts:
            running, cum = 0.0, []
            for w in dept.service_weights:
                running += w
                cum.append(running)
            dept.service_weights = cum
        recent: list[tuple[int, int]] = []  # (cases, interactions) of the last days: December runs lower
        for day in range(first, last + 1):
            weight = weights[day]
            cases_done = sum(c for c, _i in recent)
            ratio = sum(i for _c, i in recent) / cases_done if cases_done > 200 else 2.8
            expected = (self.target - self.interactions) / ratio * weight / remaining_weight
            remaining_weight -= weight
            count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            working = days.is_working(day)
            arrivals = []
            for _n in range(count):
                dept = rng.choices(self.depts, cum_weights=dept_cum)[0]
                service = rng.choices(dept.services, cum_weights=dept.service_weights)[0]
                arrivals.append((dept, service))
            before_cases, before = self.cases, self.interactions
            self.day_numbers = 0
            planned = []
            for dept, service in arrivals:
                version = service.version_on(day)
                hall = version.channels == "hall" or (
                    version.channels == "both" and rng.random() < HALL_SHARE[dept.category]
                )
                if hall and not working:
                    continue  # the hall is closed; the applicant comes another day (weights keep this rare)
                hours = _HALL_HOURS if hall else _ONLINE_HOURS
                hour = rng.choices(list(hours), weights=list(hours.values()))[0]
                planned.append(
                    (hour * 3600 + 60 * rng.randrange(60) + rng.randrange(60), dept, service, hall)
                )
            planned.sort(key=lambda p: p[0])
            for seconds, dept, service, hall in planned:
                if self.interactions >= self.target:
                    break
                self.case(day, seconds, dept, service, hall, self.target - self.interactions)
            while day == last and self.interactions < self.target:
                # The last day takes up what the estimate left: the count comes out exact.
                dept = rng.choices(self.depts, cum_weights=dept_cum)[0]
                service = rng.choices(dept.services, cum_weights=dept.service_weights)[0]
                seconds = 9 * 3600 + rng.randrange(7 * 3600)
                self.case(day, seconds, dept, service, False, self.target - self.interactions)
            self._tickets_of_the_day(day)
            recent.append((self.cases - before_cases, self.interactions - before))
            recent = recent[-10:]
            if self.progress is not None:
                self.progress(self.interactions - before)
            if self.sink.pending > 300_000:
                self.sink.flush()
        self.sink.flush()

    def _tickets_of_the_day(self, day: int) -> None:
        stamp = self.stamp
        by_line: dict[int, list[list[Any]]] = {}
        for ticket in self.day_tickets:
            by_line.setdefault(ticket[1], []).append(ticket)
        date = self.date(day)
        for tickets in by_line.values():
            tickets.sort(key=lambda t: (t[7], t[0]))
            for sequence, t in enumerate(tickets, start=1):
                self.sink.add(
                    self.t_ticket,
                    (
                        t[0],
                        t[1],
                        date,
                        sequence,
                        t[4],
                        t[5],
                        t[6],
                        stamp(t[7]),
                        stamp(t[8]),
                        stamp(t[9]),
                        stamp(t[10]),
                    ),
                )
        self.day_tickets = []

    def after(self, ts: int, working_days: int, earliest: int) -> int:
        """A moment in office hours `working_days` after `ts`'s day, never before `earliest`."""
        days = self.days
        day = local_day(ts)
        if working_days > 0:
            day = days.add(day, working_days)
        while not days.is_working(day):
            day += 1
        at = moment(day, 9 * 3600 + 60 * self.rng.randrange(8 * 60))
        if at <= earliest:
            at = earliest + 60 * self.rng.randint(3, 60)
        if local_seconds(at) > 17 * 3600 + 1800:
            return self.after(moment(local_day(at), 9 * 3600), 1, earliest)
        return at

    def _ticket(self, hall: Hall, window: Window | None, officer: int | None, issued: int) -> list[Any]:
        """A queue ticket [id, line, -, -, status, window, officer, issued, called, served, finished]; its
        sequence is given at the end of the day, in the order the tickets were issued."""
        ticket = [self.ids("ticket"), hall.line, None, None, "waiting", None, None, issued, None, None, None]
        if window is not None:
            hour = min(16, max(9, local_seconds(issued) // 3600))
            monday = local_day(issued) % 7 == 1  # ordinal 1 (0001-01-01) was a Monday
            median = window.wait_median * _WAIT_BY_HOUR[hour] * (1.25 if monday else 1.0)
            wait = max(30, int(60 * median * math.exp(self.rng.gauss(0, 0.6))))
            ticket[4:9] = ["done", window.id, officer, issued, issued + wait]
        self.day_tickets.append(ticket)
        return ticket

    def _hall_visit(self, day: int, seconds: int, window: Window, officer: int) -> tuple[list[Any], int]:
        """The applicant's ticket (after a no-show now and then) up to the start of service at the window;
        walk-in enquiries and abandoned tickets around it. Returns the ticket and the moment served."""
        rng = self.rng
        hall = window.hall
        issued = moment(day, seconds)
        ticket = self._ticket(hall, window, officer, issued)
        if rng.random() < 0.03:
            # Called, but the applicant had stepped out: a new ticket, called again later.
            ticket[4], ticket[10] = "no_show", ticket[8] + 120
            ticket = self._ticket(hall, window, officer, ticket[8] + 180)
        served = ticket[8] + 60
        ticket[9] = served
        if rng.random() < 0.3:
            other = rng.choice(hall.windows)
            enquiry = self._ticket(
                hall, other, rng.choice(other.officers), moment(day, 9 * 3600 + rng.randrange(27000))
            )
            enquiry[9] = enquiry[8] + 60
            enquiry[10] = enquiry[9] + 60 * rng.randint(2, 12)
        if rng.random() < 0.02:
            self._ticket(hall, None, None, moment(day, 9 * 3600 + rng.randrange(27000)))
        return ticket, served

    def _number(self, day: int) -> str:
        self.day_numbers += 1
        # Distinct within the day (7919 is prime to 10**6) and scattered like the service's random ones.
        return f"{self.date(day).replace('-', '')}{(self.day_numbers * 7919 + day * 31) % 10**6:06d}"

    def case(self, day: int, seconds: int, dept: Dept, service: Service, hall: bool, cap: int) -> None:
        rng = self.rng
        add = self.sink.add
        version = service.version_on(day)
        case_id = self.ids("case")
        number = self._number(day)
        immediate = version.mode == "immediate"
        head = rng.choice(dept.heads)
        events: list[tuple[int, str, int | None, dict[str, Any]]] = []
        visits: list[tuple[str, int, int | None]] = []
        ticket = None
        window: Window | None = None
        officer = applicant = None
        if hall:
            window = rng.choice(dept.windows)
            officer = rng.choice(window.officers)
            person = Person(*self.person()[:1], self.id_number(), self.phone())
            ticket, served = self._hall_visit(day, seconds, window, officer)
            intake = served + 60 * rng.randint(2, 8)
            visits.append(("intake", intake, window.id))
            front = officer
        else:
            applicant, person = rng.choice(self.citizen_list)
            intake = moment(day, seconds)
            front = head
        intake_day = local_day(intake)
        # The last cases of the year are shaped to land the interaction count exactly.
        force = 1 if cap == 1 else (2 if cap == 2 else 0)
        if force == 2 and immediate:
            immediate = False
        events.append(
            (
                intake,
                "submitted",
                front if hall else applicant,
                {"service": service.code, "channel": "hall" if hall else "online"},
            )
        )

        decided = finished = None
        withdrawn_early = late = False
        pause_rows: list[list[Any]] = []
        if force == 1:
            withdrawn_early = True
            events.append(
                (intake + 3600, "withdrawn", front if hall else applicant, {"reason": _WITHDRAW_REASON})
            )
        elif hall and immediate:
            done = intake + 60 * rng.randint(3, 14)
            deny = rng.random() < 0.03
            reason = rng.choice(_DENY_REASONS) if deny else ""
            for past in ("accepted", "denied" if deny else "approved", "delivered"):
                events.append((done, past, officer, {"reason": reason, "on_the_spot": True}))
            decided = done
            finished = done + 60 * rng.randint(1, 5)
        else:
            if hall:
                accepted = intake + 60 * rng.randint(1, 4)
                finished = accepted + 60 * rng.randint(1, 5)
            else:
                hour = local_seconds(intake) // 3600
                accepted = self.after(intake, rng.choice([0, 0, 1]) if hour < 15 else 1, intake)
            if rng.random() < 0.02 and not force:
                events.append((accepted, "refused", front, {"reason": _REFUSE_REASON}))
                if rng.random() < 0.7:
                    events.append((accepted + 120, "closed", front, {"reason": ""}))
            else:
                events.append((accepted, "accepted", front, {"reason": ""}))
                if immediate:
                    decided = accepted + 60 * rng.randint(5, 40)
                    events.append((decided, "approved", head, {"reason": ""}))
                    events.append((decided + 60, "delivered", head, {"reason": ""}))
                    closed = self.after(decided, rng.choice([0, 1, 2]), decided + 120)
                    events.append((closed, "closed", head, {"reason": ""}))
                else:
                    late, decided = self._promised(
                        events,
                        visits,
                        pause_rows,
                        dept,
                        version,
                        accepted,
                        front,
                        head,
                        window,
                        applicant,
                        force,
                    )
        if ticket is not None:
            ticket[10] = finished if finished is not None else intake + 300
        # Play the planned life up to the cut-off: what comes later has not happened yet.
        events.sort(key=lambda e: e[0])
        status, decision, reason = "submitted", "", ""
        step = None
        step_started = None
        decided_at = delivered_at = closed_at = None
        accepted_at = None
        paused = False
        for at, what, actor, data in events:
            if at > NOW:
                break
            if what == "accepted":
                status, accepted_at = "in_progress", at
                if not data.get("on_the_spot"):  # settled at the window: no step is entered
                    step, step_started = 0, local_day(at)
            elif what == "refused":
                status, reason, accepted_at = "refused", data["reason"], at
            elif what == "advanced":
                step = (step or 0) + 1
                step_started = local_day(at)
            elif what in ("supplement_requested", "paused"):
                status, paused = "paused", True
            elif what == "resumed":
                status, paused = "in_progress", False
            elif what in ("approved", "denied"):
                status, decided_at = "decided", at
                decision = "approved" if what == "approved" else "denied"
                reason = data["reason"]
            elif what == "delivered":
                status, delivered_at = "delivered", at
            elif what == "closed":
                status, closed_at = "closed", at
            elif what == "withdrawn":
                status, closed_at, reason, paused = "withdrawn", at, data["reason"], False
            if what == "advanced":
                data = {"reason": "", "step": version.steps[step or 0][1]}
            self.audit(
                at, actor, f"cases.case.{what}", "cases.case", case_id, number, dept.id, json.dumps(data)
            )

        # Pauses and visits as far as they happened.
        for row in pause_rows:
            if row[5] > NOW:
                continue
            ended = row[6] if row[6] is not None and row[6] <= NOW else None
            if ended is None and status == "withdrawn":
                ended = closed_at
            add(
                self.t_pause,
                (self.ids("pause"), case_id, row[2], row[3], row[4], self.stamp(row[5]), self.stamp(ended)),
            )
        for kind, at, visit_window in visits:
            if at <= NOW:
                add(self.t_visit, (self.ids("visit"), case_id, kind, self.stamp(at), visit_window))

        # The clock fields as _refresh_clock leaves them.
        closed_pauses = [(p, q) for p, q, end in self._pause_days(pause_rows) if end <= NOW]
        limit = version.promised
        due = None if paused else self.days.due(intake_day, limit, closed_pauses)
        working_days = None
        if decided_at is not None:
            # Counted when the case is decided, the pauses ended by then taken out (cases/services.py).
            ended = [(p, q) for p, q, end in self._pause_days(pause_rows) if end <= decided_at]
            working_days = self.days.elapsed(intake_day, local_day(decided_at), ended)
        if immediate:
            sla = "warning"  # a limit of 0 is at its warning share from the moment of intake
        else:
            until = (
                local_day(decided_at) if decided_at is not None else min(NOW_DAY, local_day(closed_at or NOW))
            )
            used = self.days.elapsed(intake_day, until, closed_pauses)
            sla = (
                "overdue"
                if used > limit or (due is not None and until > due)
                else ("warning" if used >= math.ceil(0.8 * limit) else "on_track")
            )
        position = step + 1 if step is not None else None
        budget = version.steps[step][4] if step is not None else None
        step_due = None
        if status == "in_progress" and step is not None and step_started is not None:
            step_due = self.date(self.days.add(step_started, budget or 0))
        assignee = None
        if status in ("in_progress", "paused") and step is not None:
            role = version.steps[step][2]
            if role == "window_officer":
                assignee = officer or rng.choice(dept.windows[0].officers)
            elif role == "department_head":
                assignee = head
            else:
                assignee = rng.choice(dept.approvers)
        digest = hashlib.sha256(f"{self.seed}:{number}".encode()).hexdigest()
        add(
            self.t_case,
            (
                case_id,
                number,
                digest,
                service.id,
                version.id,
                dept.id,
                CALENDAR_SNAPSHOT,
                "hall" if hall else "online",
                window.id if window else None,
                officer,
                applicant,
                person.name,
                person.id_number,
                person.phone,
                "",
                status,
                decision,
                reason,
                position,
                assignee,
                self.date(step_started) if step_started is not None else None,
                budget,
                step_due,
                False,
                limit,
                self.stamp(intake),
                self.date(intake_day),
                self.date(due) if due is not None else None,
                sla,
                self.stamp(accepted_at),
                self.stamp(decided_at),
                working_days,
                self.stamp(delivered_at),
                self.stamp(closed_at),
            ),
        )
        reached = 1 + (accepted_at is not None) + (decided_at is not None)
        assert reached <= cap or cap >= 3, (reached, cap)
        self.interactions += reached
        self.cases += 1
        if withdrawn_early:
            return
        context = _Context(
            case_id, number, service.id, dept, hall, window, officer, head, applicant, person, ticket, late
        )
        self._rate(context, "intake", finished if hall else intake)
        if accepted_at is not None:
            self._rate(context, "acceptance", accepted_at)
        if decided_at is not None:
            self._rate(context, "completion", decided_at)

    @staticmethod
    def _pause_days(pause_rows: list[list[Any]]) -> list[tuple[int, int, int]]:
        """(first day, last day, end moment) of each pause that has ended."""
        return [(local_day(r[5]), local_day(r[6]), r[6]) for r in pause_rows if r[6] is not None]

    def _promised(
        self,
        events: list[tuple[int, str, int | None, dict[str, Any]]],
        visits: list[tuple[str, int, int | None]],
        pause_rows: list[list[Any]],
        dept: Dept,
        version: Version,
        accepted: int,
        front: int,
        head: int,
        window: Window | None,
        citizen: int | None,
        force: int,
    ) -> tuple[bool, int | None]:
        """A promised case's life from acceptance to closing, as civicpulse/demo/history.py plans it."""
        rng = self.rng
        limit = version.promised
        steps = version.steps
        decide = version.decide
        pause_at = version.pause_at
        late = rng.random() < dept.late_share
        if late:
            decision_day = limit + rng.randint(1, 8)
        else:
            decision_day = min(limit, max(1, round(limit * rng.uniform(0.25, 1.0))))
        if force:
            decision_day = limit + 60  # still open at the cut-off
        outcome = rng.random()
        withdraw = outcome < 0.02 and not force
        deny = 0.02 <= outcome < 0.05
        pause_kind = ""
        if pause_at is not None:
            pause_kind = (
                "public_notice"
                if steps[pause_at][0] == "notice"
                else ("supplement" if rng.random() < 0.3 else "")
            )
        plan: list[tuple[int, str]] = []
        shift = 0
        for i in range(1, decide + 1):
            plan.append((round(decision_day * i / (decide + 1)) + shift, "advance"))
            if i == pause_at and pause_kind:
                plan.append((plan[-1][0], "pause"))
                shift += 5 if pause_kind == "public_notice" else rng.randint(2, 8)
                plan.append((plan[-1][0] + shift, "resume"))
        plan.append((decision_day + shift, "deny" if deny else "approve"))
        if withdraw:
            cut = rng.randrange(len(plan))
            plan = [*plan[:cut], (plan[cut][0], "withdraw")]
        at = accepted
        start = moment(local_day(accepted), 9 * 3600)
        decided = None
        for day, what in plan:
            at = self.after(start, day, at)
            if what == "advance":
                events.append((at, "advanced", head, {}))
            elif what == "pause":
                if pause_kind == "supplement":
                    missing = sorted(rng.sample(range(1, version.materials + 1), rng.choice([1, 1, 2])))
                    events.append(
                        (
                            at,
                            "supplement_requested",
                            front,
                            {"reason": _SUPPLEMENT_REASON, "kind": "supplement"},
                        )
                    )
                    pause_rows.append([0, 0, "supplement", _SUPPLEMENT_REASON, json.dumps(missing), at, None])
                else:
                    events.append((at, "paused", head, {"reason": _NOTICE_REASON, "kind": pause_kind}))
                    pause_rows.append([0, 0, pause_kind, _NOTICE_REASON, "[]", at, None])
            elif what == "resume":
                if window is not None and pause_kind == "supplement":
                    visits.append(("supplement", at, window.id))
                    events.append((at, "visit_recorded", front, {"kind": "supplement"}))
                    at += 180
                pause_rows[-1][6] = at
                events.append((at, "resumed", front, {"reason": ""}))
            elif what == "withdraw":
                events.append((at, "withdrawn", citizen or front, {"reason": _WITHDRAW_REASON}))
                if pause_rows and pause_rows[-1][6] is None:
                    pause_rows[-1][6] = at
                return late, None
            else:
                reason = rng.choice(_DENY_REASONS) if what == "deny" else ""
                events.append((at, "denied" if what == "deny" else "approved", head, {"reason": reason}))
                decided = at
        assert decided is not None
        pickup = rng.random() < (0.2 if window is not None else 0.08)
        delivered = self.after(at, rng.randint(1, 3) if pickup else rng.choice([0, 0, 1]), at)
        if pickup:
            pickup_window = window or rng.choice(dept.windows)
            visits.append(("pickup", delivered, pickup_window.id))
            events.append((delivered, "visit_recorded", front, {"kind": "pickup"}))
            delivered += 120
        events.append((delivered, "delivered", front, {"reason": ""}))
        closed = self.after(delivered, rng.choice([0, 1, 2]), delivered)
        events.append((closed, "closed", front, {"reason": ""}))
        return late, decided

    # --- ratings and rectification -------------------------------------------------------------------------

    def _rate(self, c: _Context, stage: str, at: int) -> None:
        rng = self.rng
        p = c.dept.participation
        channel = ""
        evaluator = None
        phone = ""
        key = "applicant"
        integration = None
        device = ""
        ip = None
        link = False
        if stage == "intake":
            if c.hall:
                roll = rng.random()
                if roll < 0.62 * p:
                    channel, integration, delay = "pad", c.window.pad, 60  # type: ignore[union-attr]
                    device = f"pad:{integration}"
                elif roll < 0.65 * p:
                    channel, integration, delay = "kiosk", c.window.hall.kiosk, 60 * rng.randint(5, 30)  # type: ignore[union-attr]
                    device, phone = f"kiosk:{integration}", c.person.phone
            elif rng.random() < 0.04 * p:
                channel, integration, delay, phone = (
                    "app",
                    self.app,
                    60 * rng.randint(10, 120),
                    c.person.phone,
                )
        elif stage == "acceptance":
            if rng.random() < 0.05 * p:
                if c.applicant is not None:
                    channel, evaluator, phone, delay = (
                        "portal",
                        c.applicant,
                        c.person.phone,
                        3600 * rng.randint(1, 48),
                    )
                    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                else:
                    channel, link, delay = "link", True, 3600 * rng.randint(2, 48)
        else:
            roll = rng.random()
            if c.applicant is not None and roll < 0.42 * p:
                channel, evaluator, phone, delay = (
                    "portal",
                    c.applicant,
                    c.person.phone,
                    3600 * rng.randint(1, 72),
                )
                ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            elif c.applicant is None and roll < 0.18 * p:
                channel, link, delay = "link", True, 3600 * rng.randint(2, 48)
                ip = f"223.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            elif roll > 1 - 0.04 * p:
                channel, integration, delay = "hotline", self.hotline, 86400 * rng.randint(1, 10)
                phone = c.person.phone
                if rng.random() < 0.2:
                    phone = self.phone()  # a relative calling: not the applicant, so no interaction rated
                    key = f"phone:{phone}"
        if not channel:
            return
        submitted = at + delay + rng.randrange(60)
        if submitted > NOW:
            return
        level = self._level(channel, c.dept.quality, c.late and stage == "completion")
        grade = "good" if level >= 4 else ("bad" if level <= 2 else "neutral")
        if level >= 4:
            tags: list[str] = []
            text = rng.choice(_GOOD_COMMENTS)
        else:
            tags = sorted(rng.sample(_TAGS_BY_LEVEL[level], rng.choice((1, 1, 2))))
            text = rng.choice(_COMMENTS[level])
        dimensions = (
            {} if rng.random() < 0.5 else {"efficiency": max(1, min(5, level + rng.choice((-1, 0, 0, 1))))}
        )
        if stage == "intake" and c.hall:
            unit, window_id, staff = c.window.id, c.window.id, c.officer  # type: ignore[union-attr]
        elif stage == "acceptance":
            unit, window_id, staff = (
                c.dept.id,
                c.window.id if c.window else None,
                c.officer if c.hall else c.head,
            )
        elif stage == "completion":
            unit, window_id, staff = c.dept.id, None, c.head
        else:
            unit, window_id, staff = c.dept.id, None, None
        evaluation_id = self.ids("evaluation")
        if link:
            token = hashlib.sha256(f"{self.seed}:link:{evaluation_id}".encode()).hexdigest()
            self.sink.add(
                self.t_link,
                (
                    self.ids("link"),
                    token,
                    c.case_id,
                    stage,
                    self.stamp(at),
                    self.stamp(at + 72 * 3600),
                    self.stamp(submitted),
                    False,
                ),
            )
        status, exclusion, review, note, reviewer, reviewed = "valid", "", "", "", None, None
        flagged = rng.random() < 0.012
        if flagged:
            status = "quarantined"
            if submitted + 7 * 86400 < NOW and rng.random() < 0.9:
                reviewed = submitted + 86400 * rng.randint(1, 6) + rng.randrange(3600)
                reviewer = rng.choice(self.region_staff["quality_officer"])
                if rng.random() < 0.55:
                    status, review, note = "valid", "cleared", "核实为申请人本人评价，予以认可。"
                else:
                    status, exclusion, review, note = (
                        "excluded",
                        "fraud",
                        "confirmed",
                        "经核查为刷评，不予计入。",
                    )
        template = self.templates["offline" if c.hall else "online"]
        order_opened = None
        if grade == "bad" and status == "valid":
            order_opened = reviewed if flagged else submitted
        excluded_at = None
        if order_opened is not None:
            excluded_at = self._order(c, evaluation_id, unit, staff, order_opened)
            if excluded_at is not None:
                status, exclusion = "excluded", "appeal"
        data = json.dumps({"stage": stage, "channel": channel, "level": level})
        self.audit(
            submitted,
            evaluator,
            "evaluations.evaluation.submitted",
            "evaluations.evaluation",
            evaluation_id,
            c.number,
            unit,
            data,
        )
        if flagged:
            code = _FRAUD_FLAGS[channel]
            self.sink.add(
                self.t_flag, (self.ids("flag"), evaluation_id, code, json.dumps({"count": rng.randint(5, 9)}))
            )
            self.audit(
                submitted,
                None,
                "evaluations.evaluation.quarantined",
                "evaluations.evaluation",
                evaluation_id,
                c.number,
                unit,
                json.dumps({"flags": code}),
            )
            if reviewed is not None:
                self.audit(
                    reviewed,
                    reviewer,
                    f"evaluations.evaluation.{review}",
                    "evaluations.evaluation",
                    evaluation_id,
                    c.number,
                    unit,
                    json.dumps({"reason": note}),
                )
        if excluded_at is not None:
            self.audit(
                excluded_at,
                None,
                "evaluations.evaluation.excluded",
                "evaluations.evaluation",
                evaluation_id,
                c.number,
                unit,
                json.dumps({"reason": "申诉理由成立，该评价不计入考核。"}),
            )
        self.sink.add(
            self.t_evaluation,
            (
                evaluation_id,
                c.case_id,
                stage,
                c.ticket[0] if channel == "pad" and c.ticket else None,
                channel,
                integration,
                template,
                level,
                grade,
                json.dumps(dimensions),
                json.dumps(tags),
                text,
                key,
                evaluator,
                phone if channel != "pad" else "",
                c.service_id,
                unit,
                window_id,
                staff,
                device,
                ip,
                self.stamp(submitted),
                status,
                exclusion,
                review,
                note,
                reviewer,
                self.stamp(reviewed),
            ),
        )

    def _level(self, channel: str, quality: float, late: bool) -> int:
        w5, w4, w3, w2, w1 = _LEVELS[channel]
        factor = math.exp(-quality) * (3.0 if late else 1.0)
        return self.rng.choices(
            (5, 4, 3, 2, 1), weights=(w5, w4, w3 * math.sqrt(factor), w2 * factor, w1 * factor)
        )[0]

    def _order(
        self, c: _Context, evaluation_id: int, unit: int, staff: int | None, opened: int
    ) -> int | None:
        """The rectification order of a valid bad review, played up to the cut-off as
        civicpulse/demo/rectifications.py plans it. Returns when the review was excluded on appeal, if so."""
        order = _Order(self, c, evaluation_id, unit, opened)
        order.play(staff)
        order.write()
        return order.excluded_at

    def run(self) -> dict[str, Any]:
        self.region()
        self.sink.flush()
        self.citizens()
        self.year()
        self.sink.close()
        return {"interactions": self.interactions, "cases": self.cases, "rows": self.sink.counts()}


@dataclass
class _Context:
    """What the ratings of one case need to know about it."""

    case_id: int
    number: str
    service_id: int
    dept: Dept
    hall: bool
    window: Window | None
    officer: int | None
    head: int
    applicant: int | None
    person: Person
    ticket: list[Any] | None
    late: bool


class _Order:
    """One rectification order: its fields as the state machine leaves them, its audit trail, its appeal."""

    def __init__(self, gen: Generator, c: _Context, evaluation_id: int, unit: int, opened: int) -> None:
        self.gen, self.c, self.rng = gen, c, gen.rng
        self.id = gen.ids("order")
        self.evaluation_id, self.unit, self.opened = evaluation_id, unit, opened
        days = gen.days
        self.opened_on = local_day(opened)
        self.contact_due = days.add(self.opened_on, 1)
        self.rectify_due = max(days.add(self.opened_on, 5), self.contact_due)
        self.appeal_due = days.add(self.opened_on, APPEAL_WORKING_DAYS)
        self.head = self.rng.choice(c.dept.heads)
        self.supervisor = self.rng.choice(gen.region_staff["supervisor"])
        self.status = "open"
        self.text = dict.fromkeys(
            ("call_notes", "finding", "outcome", "outcome_notes", "ledger_entry", "explanation", "answer"), ""
        )
        self.satisfaction = ""
        self.ledger_due: str | None = None
        self.times: dict[str, int | None] = dict.fromkeys(
            ("contacted", "verified", "acted", "answered", "rated", "escalated", "closed")
        )
        self.trail: list[tuple[int, int | None, str, str, int, dict[str, Any]]] = []
        self.appeal: list[Any] | None = None
        self.excluded_at: int | None = None
        data = {"contact_due": gen.date(self.contact_due), "rectify_due": gen.date(self.rectify_due)}
        self._record(opened, None, "rectification.order.opened", {**data, "preset": PRESET})

    def _record(
        self, at: int, actor: int | None, action: str, data: dict[str, Any], appeal: int | None = None
    ) -> None:
        target = ("rectification.appeal", appeal) if appeal else ("rectification.rectificationorder", self.id)
        self.trail.append((at, actor, action, *target, data))

    def step(
        self, at: int, actor: int | None, past: str, status: str, data: dict[str, Any] | None = None
    ) -> bool:
        """Take one transition at `at`, unless that is after the cut-off (then nothing more happens)."""
        if at > NOW:
            return False
        self.status = status
        self._record(at, actor, f"rectification.order.{past}", data or {})
        return True

    def play(self, staff: int | None) -> None:
        rng, gen = self.rng, self.gen
        late = rng.random() < self.c.dept.late_contact
        contacted = gen.after(self.opened, rng.randint(2, 3) if late else rng.choice((0, 1)), self.opened)
        if not self.step(contacted, self.head, "contacted", "contacted"):
            return
        self.text["call_notes"] = rng.choice(_CALL_NOTES)
        self.times["contacted"] = contacted
        verified = contacted + 7200
        filed = gen.after(verified, rng.choice((0, 1)), verified)
        # Disputed reviews are appealed, if there is still time (the appeal window is 3 working days).
        disputed = rng.random() < 0.15 and local_day(filed) <= self.appeal_due
        finding = rng.choice(("mistaken", "mistaken", "malicious")) if disputed else "valid"
        if not self.step(verified, self.head, "verified", "verified", {"finding": finding}):
            return
        self.text["finding"] = finding
        self.times["verified"] = verified
        if disputed:
            self._appeal(staff or self.head, finding, filed)
        else:
            self._fix(verified, rate=True)

    def _appeal(self, appellant: int, kind: str, filed: int) -> None:
        rng, gen = self.rng, self.gen
        if filed > NOW:
            return
        appeal_id = gen.ids("appeal")
        reason = _APPEAL_REASONS[kind]
        self.status = "appealed"
        self._record(
            filed, appellant, "rectification.appeal.filed", {"appeal_kind": kind, "reason": reason}, appeal_id
        )
        self.appeal = [
            appeal_id,
            self.id,
            kind,
            reason,
            appellant,
            gen.stamp(filed),
            "pending",
            None,
            None,
            "",
        ]
        decided = gen.after(filed, rng.randint(1, 3), filed)
        upheld = rng.random() < 0.6
        if decided > NOW:
            return
        outcome = "upheld" if upheld else "rejected"
        why = "申诉理由成立，该评价不计入考核。" if upheld else "申诉理由不充分，请单位继续整改。"
        self._record(decided, self.supervisor, f"rectification.appeal.{outcome}", {"reason": why}, appeal_id)
        self.appeal[6:10] = [outcome, self.supervisor, gen.stamp(decided), why]
        if not upheld:
            self.status = "verified"
            self.text["finding"] = "valid"
            self._fix(decided, rate=True)
            return
        self.status = "upheld"
        self.excluded_at = decided
        answered = decided + 3 * 3600
        if self.step(answered, self.head, "closed_after_appeal", "closed"):
            self.text["answer"] = "经核查，该评价与实际情况不符，已向群众说明。"
            self.times["answered"] = self.times["closed"] = answered

    def _fix(self, start: int, *, rate: bool) -> None:
        rng, gen = self.rng, self.gen
        late = rng.random() < self.c.dept.late_fix
        acted = gen.after(start, rng.randint(6, 8) if late else rng.randint(1, 4), start)
        outcome = rng.choices([x for x, _w in _OUTCOMES], weights=[w for _x, w in _OUTCOMES])[0]
        if acted > NOW:
            return
        data: dict[str, Any] = {"outcome": outcome}
        self.text.update(outcome=outcome, outcome_notes="", ledger_entry="", explanation="")
        self.ledger_due = None
        if outcome == "fixed_by_deadline":
            self.text["ledger_entry"] = "优化网上申报页面的材料上传功能，纳入整改台账。"
            self.ledger_due = data["ledger_due"] = gen.date(local_day(acted) + 20)
        elif outcome == "explained":
            self.text["explanation"] = "群众诉求涉及的收费标准由法律法规规定，窗口无权调整，已耐心解释。"
        else:
            self.text["outcome_notes"] = "已当场整改。"
        self.step(acted, self.head, "acted", "acted", data)
        self.times["acted"] = acted
        answered = acted + 1800
        if not self.step(answered, self.head, "answered", "answered"):
            return
        self.text["answer"] = rng.choice(_ANSWERS)
        self.times["answered"] = answered
        if rate:
            self._rate(answered)

    def _rate(self, answered: int) -> None:
        rng, gen = self.rng, self.gen
        satisfaction = rng.choices([x for x, _w in _SATISFACTION], weights=[w for _x, w in _SATISFACTION])[0]
        rated = gen.after(answered, rng.randint(1, 2), answered)
        # The citizen rates online with an account; otherwise the quality office calls back.
        rater = self.c.applicant or rng.choice(gen.region_staff["quality_officer"])
        if not self.step(rated, rater, "rated", "rated", {"satisfaction": satisfaction}):
            return
        self.satisfaction = satisfaction
        self.times["rated"] = rated
        if satisfaction != "dissatisfied":
            closed = gen.after(rated, rng.choice((0, 1)), rated)
            if self.step(closed, self.head, "closed", "closed"):
                self.times["closed"] = closed
            return
        self.step(rated, None, "escalated", "escalated")
        self.times["escalated"] = rated
        ruled = gen.after(rated, rng.randint(1, 3), rated)
        if rng.random() < 0.5:
            if self.step(
                ruled, self.supervisor, "reopened", "verified", {"reason": "群众仍不满意，请进一步整改。"}
            ):
                self.text["finding"] = "valid"
                self.satisfaction = ""
                self._fix(ruled, rate=False)
        elif self.step(
            ruled, self.supervisor, "closed_by_supervisor", "closed", {"reason": "已依法依规处理并充分解释。"}
        ):
            self.times["closed"] = ruled

    def write(self) -> None:
        gen, stamp, times = self.gen, self.gen.stamp, self.times
        # The deadline scan marks an order once a deadline passes while the step is still to do.
        contacted, answered = times["contacted"], times["answered"]
        contact_overdue = (local_day(contacted) if contacted is not None else NOW_DAY) > self.contact_due
        if answered is not None:
            rectify_overdue = local_day(answered) > self.rectify_due
        else:
            rectify_overdue = (
                self.status in ("open", "contacted", "verified", "acted") and self.rectify_due < NOW_DAY
            )
        t = self.text
        gen.sink.add(
            gen.t_order,
            (
                self.id,
                self.evaluation_id,
                self.unit,
                CALENDAR_SNAPSHOT,
                PRESET,
                stamp(self.opened),
                gen.date(self.opened_on),
                gen.date(self.contact_due),
                gen.date(self.rectify_due),
                gen.date(self.appeal_due),
                self.status,
                contact_overdue,
                rectify_overdue,
                t["call_notes"],
                t["finding"],
                "",
                t["outcome"],
                t["outcome_notes"],
                t["ledger_entry"],
                self.ledger_due,
                t["explanation"],
                t["answer"],
                self.satisfaction,
                *tuple(
                    stamp(times[k])
                    for k in ("contacted", "verified", "acted", "answered", "rated", "escalated")
                ),
                stamp(times["closed"]),
            ),
        )
        if self.appeal is not None:
            gen.sink.add(gen.t_appeal, tuple(self.appeal))
        for at, actor, action, target_type, target_id, data in self.trail:
            gen.audit(at, actor, action, target_type, target_id, self.c.number, self.unit, json.dumps(data))
