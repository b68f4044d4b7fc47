"""Reading the dashboards: which cells answer a question, summed, for the units a user covers.

Every read names a scope (a unit's subtree the user covers), a span of months and optional service and
channel filters, and sums the cells of the smallest grain that can answer: a whole region's figures come
from a few dozen rows a month, a county's from its own base cells. Records behind a figure are read from
the raw tables only on the drill-down page, a page of them at a time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, covered_paths, require_perm
from civicpulse.core.errors import NotFound
from civicpulse.dashboards.models import (
    CaseCell,
    Grain,
    MonthState,
    RatingCell,
    ServiceTotal,
    WaitCell,
    Watermark,
)
from civicpulse.dashboards.rollup import ALL_MINUTES, _sums, first_of_month

_GROUP_COLUMNS: dict[str | None, tuple[str, ...]] = {
    None: (),
    "month": ("month",),
    "service": ("service_id",),
    "channel": ("channel",),
    "rating_channel": ("rating_channel",),
    "window": ("window_id",),
    "child": ("unit_id", "window_id"),
}
MODELS: dict[str, type[CaseCell | RatingCell | WaitCell]] = {
    "cases": CaseCell,
    "ratings": RatingCell,
    "waits": WaitCell,
}
CHANNELS = ("hall", "online")


@dataclass(frozen=True)
class Filters:
    unit: OrgUnit
    start: dt.date  # first day of the first month
    end: dt.date  # first day of the last month
    service_id: int | None = None
    channel: str = ""

    @property
    def months(self) -> list[dt.date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return months


def covered_units(user: User) -> list[OrgUnit]:
    """The top units whose subtrees the user sees dashboards of (deny by default: none, refused)."""
    require_perm(user, Perm.DASHBOARD_VIEW)
    paths = covered_paths(user, Perm.DASHBOARD_VIEW)
    return list(OrgUnit.objects.filter(path__in=paths, is_active=True).order_by("path"))


def scope_unit(user: User, unit_id: Any) -> OrgUnit:
    """A unit inside the user's cover (404 for anything else, missing or not)."""
    try:
        unit = OrgUnit.objects.get(pk=int(unit_id), is_active=True)
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if not any(unit.path.startswith(path) for path in covered_paths(user, Perm.DASHBOARD_VIEW)):
        raise NotFound()
    return unit


@dataclass(frozen=True)
class UnitRow:
    pk: int
    path: str
    kind: str
    name_zh: str
    name_en: str


@dataclass
class _Tree:
    """Every unit's path, kind and names, as plain rows (a region has thousands: no model instances), enough
    to fold cells into the children of a scope."""

    paths: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    units: dict[int, UnitRow] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Tree:
        tree = cls()
        for row in OrgUnit.objects.order_by().values_list("pk", "path", "kind", "name_zh", "name_en"):
            unit = UnitRow(*row)
            tree.paths[unit.pk] = unit.path
            tree.kinds[unit.pk] = unit.kind
            tree.units[unit.pk] = unit
        return tree

    def subtree(self, unit: OrgUnit) -> list[int]:
        return [pk for pk, path in self.paths.items() if path.startswith(unit.path)]

    def child_of(self, scope: OrgUnit, unit_id: int | None) -> int | None:
        """The child of `scope` whose subtree holds `unit_id` (the scope itself for records on it)."""
        if unit_id is None or unit_id not in self.paths:
            return None
        path = self.paths[unit_id]
        if not path.startswith(scope.path):
            return None
        rest = path[len(scope.path) :].strip("/")
        return int(rest.split("/")[0]) if rest else scope.pk


def _rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a query of sums, as the driver gives them: Django's converters cost more than the query
    for the thousands of rows of a region's children. PostgreSQL sums bigints as numerics: made ints."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # filtered on an empty list: nothing to ask
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql" and rows:
        # A column's type shows in its first value that is not NULL (a sum of no rows), in the first row.
        first = [next((row[i] for row in rows if row[i] is not None), None) for i in range(len(rows[0]))]
        numeric = [i for i, v in enumerate(first) if isinstance(v, Decimal)]
        if numeric:
            converted = []
            for row in rows:
                values = list(row)
                for i in numeric:
                    values[i] = int(values[i])
                converted.append(tuple(values))
            return converted
    return rows


# Key columns that lead an index of the cells.
_INDEXED = frozenset({"unit_id", "window_id", "service_id", "staff_id", "minute"})


def _group_keys(by: list[str], grain: str) -> dict[str, Any]:
    """The GROUP BY of a read. A subtree's base cells are found by their units' index; grouped by a column
    that leads another index (the window, the service, the minute), SQLite walks that index instead, to
    save a sort, through every base cell of the months: grouping by the column plus 0 leaves it no index
    to walk."""
    if grain != Grain.BASE:
        return {f"k_{c}": F(c) for c in by}
    return {f"k_{c}": F(c) + 0 if c in _INDEXED else F(c) for c in by}


class Reader:
    """Sums of cells for one set of filters."""

    def __init__(self, filters: Filters, tree: _Tree | None = None) -> None:
        self.filters = filters
        self.tree = tree or _Tree.load()
        self.root = filters.unit.parent_id is None
        self._ids: list[int] | None = None
        self._children: dict[int | None, int | None] = {}
        # Figures read more than once for one page (the online share, the rectification backlog).
        self.memo: dict[str, Any] = {}

    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = self.tree.subtree(self.filters.unit)
        return self._ids

    def grain(self, source: str, group: str | None) -> str:
        """The smallest grain holding the group and the filters: a region reads its summaries, a subtree
        its base cells."""
        f = self.filters
        if not self.root:
            return Grain.BASE
        if group in ("child", "window"):
            if f.service_id is None and not f.channel:
                return Grain.UNIT if group == "child" else Grain.WINDOW
            return Grain.BASE
        if group == "rating_channel":
            # Only the channel summaries keep the rating channel.
            return Grain.CHANNEL if f.service_id is None else Grain.BASE
        if group == "service" or f.service_id is not None:
            return Grain.BASE if source == "waits" else Grain.SERVICE
        return Grain.CHANNEL

    def _queryset(self, source: str, grain: str) -> QuerySet[Any]:
        f = self.filters
        qs = MODELS[source].objects.filter(grain=grain, month__gte=f.start, month__lte=f.end)
        if grain == Grain.CHANNEL:
            # Always true of these summaries; said so that SQLite seeks them by (grain, unit, month) rather
            # than skipping through another index its statistics happen to favour. (Service summaries are
            # read for a few services, by the service index.)
            qs = qs.filter(unit_id__isnull=True)
        if f.service_id is not None:
            qs = qs.filter(service_id=f.service_id)
        if f.channel:
            qs = qs.filter(channel=f.channel)
        return qs

    def _querysets(self, source: str, grain: str) -> list[QuerySet[Any]]:
        """The cells of the scope: a subtree's base cells are those of its units, and those of its windows
        that another unit answers for. Two queries rather than one with OR, so each seeks its own index
        (an OR over two columns reads every base cell of the months)."""
        qs = self._queryset(source, grain)
        if grain != Grain.BASE or self.root:
            return [qs]
        parts = [qs.filter(unit_id__in=self.ids)]
        windows = [pk for pk in self.ids if self.tree.kinds.get(pk) == UnitKind.WINDOW]
        if windows:
            parts.append(qs.filter(window_id__in=windows).exclude(unit_id__in=self.ids))
        return parts

    def ranked_services(self, *, worst_first: bool, limit: int, min_sample: int) -> list[int]:
        """The busiest services (most cases received) or those with the highest bad-review rate (among those
        with at least `min_sample` valid ratings), ranked by the database: a region has thousands. A
        subtree's few, or one service, are ranked here from their sums."""
        if not self.root or self.filters.service_id is not None:
            if worst_first:
                ratings = self.sums("ratings", "service")
                rated = [
                    (pk, s)
                    for pk, s in ratings.items()
                    if pk is not None and s["valid"] >= max(1, min_sample)
                ]
                rated.sort(key=lambda e: (-(e[1]["bad"] / e[1]["valid"]), e[0]))
                return [pk for pk, _sums in rated[:limit]]
            cases = self.sums("cases", "service")
            busiest = sorted(
                (pk for pk in cases if pk is not None), key=lambda pk: (-cases[pk]["started"], pk)
            )
            return busiest[:limit]
        return self._ranked_by_totals(worst_first=worst_first, limit=limit, min_sample=min_sample)

    def _running_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """The months whose running totals a span's sums are the difference of: its last month with cells
        (None when it has none) and the last one before it (None at the first)."""
        if "running" not in self.memo:
            f = self.filters
            months = list(MonthState.objects.order_by("month").values_list("month", flat=True))
            last = max((m for m in months if m <= f.end), default=None)
            before = max((m for m in months if m < f.start), default=None)
            self.memo["running"] = (None, None) if last is None or last < f.start else (last, before)
        return self.memo["running"]

    def _ranked_by_totals(self, *, worst_first: bool, limit: int, min_sample: int) -> list[int]:
        """The region's ranking from the running totals: each service's span is its totals at the span's
        last month with cells less those at the month before the span."""
        f = self.filters
        last, before = self._running_bounds()
        if last is None:
            return []
        ops = connection.ops
        real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
        table = ServiceTotal._meta.db_table
        # Table and type names are ours; every value is a parameter.
        spans = (
            "SELECT e.service_id, e.started - COALESCE(s.started, 0) AS n,"  # noqa: S608
            " e.valid - COALESCE(s.valid, 0) AS v, e.bad - COALESCE(s.bad, 0) AS b"
            f" FROM {table} e LEFT JOIN {table} s ON s.month = %(before)s"
            " AND s.channel = e.channel AND s.service_id = e.service_id"
            " WHERE e.month = %(last)s AND e.channel = %(channel)s"
        )
        if worst_first:
            ranked = (
                f"SELECT service_id FROM ({spans}) x WHERE v >= %(least)s"  # noqa: S608
                f" ORDER BY CAST(b AS {real}) / v DESC"
            )
        else:
            ranked = f"SELECT service_id FROM ({spans}) x WHERE n > 0 ORDER BY n DESC"  # noqa: S608
        params = {
            "before": ops.adapt_datefield_value(before),
            "last": ops.adapt_datefield_value(last),
            "channel": f.channel,
            "least": max(1, min_sample),
            "limit": limit,
        }
        with connection.cursor() as cursor:
            cursor.execute(f"{ranked}, service_id LIMIT %(limit)s", params)
            return [row[0] for row in cursor.fetchall()]

    def sums(
        self,
        source: str,
        group: str | None = None,
        *,
        histogram: bool = False,
        services: list[int] | None = None,
        only: Collection[str] | None = None,
    ) -> dict[Any, dict[str, Any]]:
        """{key: {column: sum}}; the key is None without a group, else the month, service id, channel,
        rating channel, window id or the scope's child unit id. `histogram` adds the waits by minute (for
        the 90th percentile), which multiplies the rows read by the minutes waited. `only` names the sums
        wanted, all of them if None."""
        if source == "waits" and self.filters.service_id is not None:
            return {}
        columns = _sums(MODELS[source])
        if only is not None:
            # Fewer sums for the thousands of rows of a region's children: each costs the database a column.
            columns = [c for c in columns if c in only]
        grain = self.grain(source, group)
        by = list(_GROUP_COLUMNS[group])
        with_minutes = source == "waits" and histogram
        if with_minutes:
            by.append("minute")
        aggregates = {f"s_{c}": Sum(c) for c in columns}
        if self._by_tree(group, with_minutes, services):
            return self._tree_sums(source, group, columns, aggregates)
        querysets = self._querysets(source, grain)
        if group == "child" and grain == Grain.UNIT:
            # The region's summaries hold departments by unit and halls by window: read both.
            querysets.append(self._queryset(source, Grain.WINDOW))
        if source == "waits":
            # Wait cells by minute for the histogram; otherwise their totals over all minutes.
            # Not "minute >= 0": a range on the minute draws SQLite to the index it leads, away from the
            # scope's units.
            minute = ~Q(minute=ALL_MINUTES) if with_minutes else Q(minute=ALL_MINUTES)
            querysets = [qs.filter(minute) for qs in querysets]
        if services is not None:
            querysets = [qs.filter(service_id__in=services) for qs in querysets]
        keys = _group_keys(by, grain)
        rows = itertools.chain.from_iterable(
            _rows(qs.values(**keys).annotate(**aggregates).values_list(*keys, *aggregates))
            for qs in querysets
        )
        width = len(by)
        # Sums are added up as lists: a region folds thousands of rows into its children on every page.
        acc: dict[Any, list[float]] = {}
        minutes: dict[Any, dict[int, int]] = defaultdict(dict)
        called = width + columns.index("called") if source == "waits" else 0
        for row in rows:
            values = [v or 0 for v in row[width:]]
            for key in self._keys(group, row):
                found = acc.get(key)
                acc[key] = values if found is None else [a + b for a, b in zip(found, values, strict=True)]
                if with_minutes:
                    histogram_of = minutes[key]
                    histogram_of[row[width - 1]] = histogram_of.get(row[width - 1], 0) + (row[called] or 0)
        result: dict[Any, dict[str, Any]] = {}
        for key, values in acc.items():
            result[key] = dict(zip(columns, values, strict=True))
            if with_minutes:
                result[key]["histogram"] = minutes[key]
        return result

    def _by_tree(self, group: str | None, with_minutes: bool, services: list[int] | None) -> bool:
        """Whether the tree cells answer: they hold every unit's subtree by channel, not by service, window
        or minute waited."""
        if self.filters.service_id is not None or services is not None or with_minutes:
            return False
        return group in ("child", None, "month")

    def _tree_sums(
        self, source: str, group: str | None, columns: list[str], aggregates: dict[str, Any]
    ) -> dict[Any, dict[str, Any]]:
        f = self.filters
        model = MODELS[source]
        months = {"month__gte": f.start, "month__lte": f.end}
        cells = model.objects.filter(grain=Grain.TREE, channel=f.channel, **months)
        result: dict[Any, dict[str, Any]] = {}
        if group != "child":
            by = _GROUP_COLUMNS[group]
            mine = cells.filter(unit_id=f.unit.pk)
            if not by:
                found = mine.aggregate(**aggregates)
                if any(v is not None for v in found.values()):
                    result[None] = {c: found[f"s_{c}"] or 0 for c in columns}
                return result
            for row in _rows(mine.values(*by).annotate(**aggregates).values_list(*by, *aggregates)):
                result[row[0]] = {c: v or 0 for c, v in zip(columns, row[1:], strict=True)}
            return result
        rows = self._children_rows(model, columns)
        # The scope's own records (a department's, say, beside its sections'): its base cells by its unit.
        own: QuerySet[Any] = model.objects.filter(grain=Grain.BASE, unit_id=f.unit.pk, **months)
        if f.channel:
            own = own.filter(channel=f.channel)
        if source == "waits":
            own = own.filter(minute=ALL_MINUTES)
        itself = own.aggregate(**aggregates)
        if any(v is not None for v in itself.values()):
            rows.append((f.unit.pk, *(itself[a] for a in aggregates)))
        for pk, *values in rows:
            result[pk] = {c: v or 0 for c, v in zip(columns, values, strict=True)}
        return result

    def _children_rows(self, model: type[CaseCell | RatingCell | WaitCell], columns: list[str]) -> list[Any]:
        """Each child's sums over the span: its running totals at the span's last month with cells less
        those at the month before the span."""
        f = self.filters
        last, before = self._running_bounds()
        if last is None:
            return []
        # A subquery rather than a list: Django prepares each of a region's thousands of ids one by one.
        children = OrgUnit.objects.filter(parent_id=f.unit.pk).values("pk")
        totals = model.objects.filter(grain=Grain.RUNNING, channel=f.channel, unit_id__in=children)
        until: dict[int, tuple[Any, ...]] = {}
        since: dict[int, tuple[Any, ...]] = {}
        months_read = [m for m in (last, before) if m is not None]
        found = _rows(totals.filter(month__in=months_read).values_list("month", "unit_id", *columns))
        last_value = connection.ops.adapt_datefield_value(last)
        for month, pk, *sums in found:
            # SQLite answers dates as text here (no converters), PostgreSQL as dates.
            (until if month in (last, last_value) else since)[pk] = tuple(sums)
        rows = []
        for pk, totals_then in until.items():
            earlier = since.get(pk)
            if earlier is None:
                rows.append((pk, *totals_then))
            elif totals_then != earlier:
                # A child with nothing in the span is left out, as its cells would be.
                rows.append((pk, *(a - b for a, b in zip(totals_then, earlier, strict=True))))
        return rows

    def _keys(self, group: str | None, row: tuple[Any, ...]) -> Iterable[Any]:
        if group is None:
            return (None,)
        if group == "child":
            keys = {self._child(row[0]), self._child(row[1])}
            keys.discard(None)
            return keys
        return (row[0],)

    def _child(self, unit_id: int | None) -> int | None:
        if unit_id not in self._children:
            self._children[unit_id] = self.tree.child_of(self.filters.unit, unit_id)
        return self._children[unit_id]

    def staff_sums(self, source: str, staff_id: int) -> dict[dt.date, dict[str, float]]:
        """A person's own cells by month (the intake officer, the rated officer, the caller)."""
        model = MODELS[source]
        columns = _sums(model)
        f = self.filters
        by = ["month", "minute"] if source == "waits" else ["month"]
        rows = (
            model.objects.filter(grain=Grain.STAFF, staff_id=staff_id, month__gte=f.start, month__lte=f.end)
            .exclude(**({"minute": ALL_MINUTES} if source == "waits" else {}))
            .values(*by)
            .annotate(**{f"s_{c}": Sum(c) for c in columns})
        )
        result: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
        for row in rows:
            target = result[row["month"]]
            for c in columns:
                target[c] += row[f"s_{c}"] or 0
            if source == "waits":
                histogram = target.setdefault("histogram", {})
                histogram[row["minute"]] = histogram.get(row["minute"], 0) + (row["s_called"] or 0)
        return result


def total(by_month: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """The sums of several keys (months, say) as one."""
    result: dict[str, Any] = defaultdict(float)
    for sums in by_month.values():
        for name, value in sums.items():
            if name == "histogram":
                histogram = result.setdefault("histogram", {})
                for minute, count in value.items():
                    histogram[minute] = histogram.get(minute, 0) + count
            else:
                result[name] += value
    return result


def freshness() -> dt.datetime | None:
    mark = Watermark.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    return mark


# --- live figures that are states, not counts -------------------------------------------------------------


def rectification_backlog(reader: Reader) -> dict[Any, dict[str, int]]:
    """Open and overdue rectification orders now, by the scope's child unit (key None: the scope)."""
    if "backlog" not in reader.memo:
        reader.memo["backlog"] = _rectification_backlog(reader)
    return reader.memo["backlog"]


def _rectification_backlog(reader: Reader) -> dict[Any, dict[str, int]]:
    from civicpulse.rectification.enums import OrderStatus
    from civicpulse.rectification.models import RectificationOrder

    # "Not closed" exactly as the partial index on such orders says it, so the index is read, not the table.
    qs = RectificationOrder.objects.exclude(status=OrderStatus.CLOSED)
    if not reader.root:
        qs = qs.filter(unit_id__in=reader.ids)
    if reader.filters.service_id is not None:
        qs = qs.filter(evaluation__service_id=reader.filters.service_id)
    overdue = Q(contact_overdue=True) | Q(rectify_overdue=True)
    rows = qs.values("unit_id").annotate(open=Count("pk"), overdue=Count("pk", filter=overdue))
    result: dict[Any, dict[str, int]] = defaultdict(lambda: {"open": 0, "overdue": 0})
    for row in rows:
        for key in (None, reader.tree.child_of(reader.filters.unit, row["unit_id"])):
            result[key]["open"] += row["open"]
            result[key]["overdue"] += row["overdue"]
    return result


def online_availability(reader: Reader) -> dict[Any, tuple[int, int]]:
    """(services that can be applied for online, services) among the published services each child unit
    (and the scope, key None) answers for."""
    if "online" not in reader.memo:
        reader.memo["online"] = _online_availability(reader)
    return reader.memo["online"]


def _online_availability(reader: Reader) -> dict[Any, tuple[int, int]]:
    from civicpulse.catalogue.enums import Channels, VersionStatus
    from civicpulse.catalogue.models import ProcedureVersion

    qs = ProcedureVersion.objects.filter(status=VersionStatus.PUBLISHED)
    if not reader.root:
        qs = qs.filter(service__responsible_unit_id__in=reader.ids)
    if reader.filters.service_id is not None:
        qs = qs.filter(service_id=reader.filters.service_id)
    online = Q(channels__in=[Channels.ONLINE, Channels.BOTH])
    rows = qs.values("service__responsible_unit_id").annotate(
        n=Count("pk"), online=Count("pk", filter=online)
    )
    result: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for key in (None, reader.tree.child_of(reader.filters.unit, row["service__responsible_unit_id"])):
            result[key][0] += row["online"]
            result[key][1] += row["n"]
    return {key: (hits, n) for key, (hits, n) in result.items()}


def default_span(today: dt.date) -> tuple[dt.date, dt.date]:
    """The twelve months up to the current one."""
    end = first_of_month(today)
    start = end
    for _i in range(11):
        start = first_of_month(start - dt.timedelta(days=1))
    return start, end
