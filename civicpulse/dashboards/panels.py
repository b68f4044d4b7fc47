"""What each dashboard shows: figures worked out from summed cells, laid out as panels (a chart, the table of
the same numbers, a CSV of that table) for each lens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, covered_paths
from civicpulse.assessment.counts import wait_target_minutes
from civicpulse.assessment.indicators import MIN_SAMPLE_RATE, IndicatorValue, rate_value
from civicpulse.catalogue.models import Service
from civicpulse.dashboards import charts
from civicpulse.dashboards.figures import (
    DIFFICULTY_FIGURES,
    MEASURES,
    DifficultyIndex,
    columns_of,
    difficulty_index,
    difficulty_score,
    figure,
    p90_wait,
)
from civicpulse.dashboards.selectors import (
    Filters,
    Reader,
    UnitRow,
    freshness,
    online_availability,
    rectification_backlog,
    total,
)

LENSES: dict[str, Promise] = {
    "overview": gettext_lazy("Overview"),
    "unit": gettext_lazy("My unit"),
    "my": gettext_lazy("My service"),
    "quality": gettext_lazy("Quality office"),
    "difficulty": gettext_lazy("Three difficulties"),
}

HEADLINE = (
    "good_review_rate",
    "bad_review_rate",
    "active_evaluation_rate",
    "on_time_completion_rate",
    "speed",
    "speed_adjusted",
    "run_at_most_once_rate",
    "zero_visit_rate",
    "digital_take_up",
    "mean_wait",
    "p90_wait",
    "wait_within_target_rate",
)
# What the "by unit" table shows and what its three-difficulties scores read.
CHILD_FIGURES = frozenset(
    {
        "good_review_rate",
        "bad_review_rate",
        "on_time_completion_rate",
        "run_at_most_once_rate",
        "mean_wait",
        *DIFFICULTY_FIGURES,
    }
)
TREND = ("good_review_rate", "on_time_completion_rate", "run_at_most_once_rate", "wait_within_target_rate")


class Cell:
    """One table cell: its text on the page and its value in the CSV. A figure's text is formatted only when
    shown: a region's tables have thousands of rows, of which the page shows fifty."""

    __slots__ = ("_text", "_unit", "_value", "css", "csv", "href")

    def __init__(
        self,
        text: str = "",
        csv: Any = "",
        href: str = "",
        css: str = "",
        *,
        value: IndicatorValue | None = None,
        unit: str = "",
    ) -> None:
        self._text, self.csv, self.href, self.css, self._value, self._unit = text, csv, href, css, value, unit

    @classmethod
    def of(cls, value: IndicatorValue, unit: str) -> Cell:
        return cls(csv=_csv(value), value=value, unit=unit)

    @property
    def text(self) -> str:
        return show(self._value, self._unit) if self._value is not None else self._text


@dataclass
class Panel:
    key: str
    title: str
    headers: list[str]
    rows: Sequence[list[Cell]]
    chart: str = ""
    note: str = ""
    # Rows shown on the page (the CSV has them all): a region has thousands of units.
    limit: int | None = None

    def table(self) -> SafeString:
        """The table as HTML, built here with every text escaped: a region's tables hold hundreds of cells,
        and the template language (or format_html per cell) takes several times as long."""
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in self.headers)
        if not self.rows:
            empty = escape(_("No records in this period."))
            body = f'<tr><td colspan="{len(self.headers)}" class="muted">{empty}</td></tr>'
        else:
            rows = self.rows if self.limit is None else self.rows[: self.limit]
            body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
            if len(rows) < len(self.rows):
                more = _("%(shown)d of %(total)d rows shown; the CSV has them all.") % {
                    "shown": len(rows),
                    "total": len(self.rows),
                }
                body += f'<tr><td colspan="{len(self.headers)}" class="muted">{escape(more)}</td></tr>'
        return mark_safe(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cell(cell: Cell) -> str:
    css = f' class="{escape(cell.css)}"' if cell.css else ""
    if cell.href:
        return f'<td{css}><a href="{escape(cell.href)}">{escape(cell.text)}</a></td>'
    return f"<td{css}>{escape(cell.text)}</td>"


@dataclass
class Kpi:
    code: str
    name: str
    value: IndicatorValue
    text: str
    detail: str
    href: str


@dataclass
class Board:
    lens: str
    title: str
    filters: Filters
    scope_name: str
    kpis: list[Kpi] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    difficulty: DifficultyIndex | None = None
    refreshed_at: dt.datetime | None = None
    notes: list[str] = field(default_factory=list)


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


def unit_name(unit: OrgUnit | UnitRow) -> str:
    return unit.name_zh if _zh() else unit.name_en


def measure_name(code: str) -> str:
    if code == "p90_wait":
        return _("90th-percentile wait")
    return str(MEASURES[code].name)


def unit_of(code: str) -> str:
    return "min" if code == "p90_wait" else MEASURES[code].unit


def show(value: IndicatorValue | None, unit: str) -> str:
    """A figure as people read it: a percentage, a ratio, minutes; "no data" or "too few" otherwise."""
    if value is None or value.value is None:
        return _("no data")
    v = value.value
    text = {
        "%": f"{v:.1%}",
        "ratio": f"{v:.2f}",
        "min": _("%(v).1f min") % {"v": v},
        "per case": f"{v:.2f}",
        "level": f"{v:.2f}",
    }[unit]
    if value.insufficient:
        return _("%(text)s (too few: n=%(n)d)") % {"text": text, "n": value.n}
    return text


def interval(value: IndicatorValue | None) -> str:
    if value is None or value.low is None or value.high is None or not value.n:
        return ""
    return f"{value.low:.1%}–{value.high:.1%}"


def figures_of(
    cases: Mapping[str, Any],
    ratings: Mapping[str, Any],
    waits: Mapping[str, Any],
    codes: Iterable[str] | None = None,
) -> dict[str, IndicatorValue]:
    """Every figure (or those of `codes`) from the sums of each source's cells."""
    sources = {"cases": cases, "ratings": ratings, "waits": waits}
    wanted = MEASURES if codes is None else codes
    found = {code: figure(code, sources[MEASURES[code].source]) for code in wanted if code in MEASURES}
    if codes is None or "p90_wait" in codes:
        found["p90_wait"] = p90_wait(waits.get("histogram", {}))
    return found


def _records_href(code: str, query: str, **extra: Any) -> str:
    if code not in MEASURES or code == "p90_wait":
        return ""
    params = {"measure": code, **extra}
    return f"{reverse('dashboards:records')}?{query}&{urlencode(params)}"


def query_of(filters: Filters) -> str:
    """The filters as a query string (for the links and CSV downloads of a board)."""
    code = ""
    if filters.service_id is not None:
        code = Service.objects.filter(pk=filters.service_id).values_list("code", flat=True).first() or ""
    return query_string(filters, code)


def query_string(filters: Filters, service_code: str = "") -> str:
    """The filters as a query string, the service by its code."""
    values = {
        "unit": filters.unit.pk,
        "start": f"{filters.start:%Y-%m}",
        "end": f"{filters.end:%Y-%m}",
        "service": service_code,
        "channel": filters.channel,
    }
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _kpis(codes: Sequence[str], found: Mapping[str, IndicatorValue], query: str) -> list[Kpi]:
    kpis = []
    for code in codes:
        value = found[code]
        span = interval(value)
        detail = _("n = %(n)d") % {"n": value.n} + (f" · {span}" if span else "")
        kpis.append(
            Kpi(
                code,
                measure_name(code),
                value,
                show(value, unit_of(code)),
                detail,
                _records_href(code, query),
            )
        )
    return kpis


def _kpi_panel(kpis: list[Kpi]) -> Panel:
    rows = [
        [
            Cell(k.name, k.name, k.href),
            Cell(k.text, "" if k.value.value is None else round(k.value.value, 6)),
            Cell(str(k.value.n), k.value.n),
            Cell(interval(k.value), interval(k.value)),
            Cell(_("yes") if k.value.insufficient else "", int(k.value.insufficient)),
        ]
        for k in kpis
    ]
    return Panel(
        "figures", _("Figures"), [_("Figure"), _("Value"), _("n"), _("Interval (95%)"), _("Too few")], rows
    )


def _trend(
    reader: Reader, codes: Sequence[str], key: str = "trend", title: str = ""
) -> tuple[Panel, dict[dt.date, dict[str, IndicatorValue]]]:
    months = reader.filters.months
    cases, ratings, waits = (reader.sums(s, "month") for s in ("cases", "ratings", "waits"))
    per_month = {m: figures_of(cases.get(m, {}), ratings.get(m, {}), waits.get(m, {})) for m in months}
    labels = [f"{m:%Y-%m}" for m in months]
    series = [
        (
            measure_name(code),
            [None if per_month[m][code].insufficient else per_month[m][code].value for m in months],
        )
        for code in codes
    ]
    percent = all(unit_of(code) == "%" for code in codes)
    title = title or _("Trend by month")
    rows = [
        [Cell(label, label)]
        + [
            Cell(
                show(per_month[m][code], unit_of(code)),
                _csv(per_month[m][code]),
            )
            for code in codes
        ]
        for label, m in zip(labels, months, strict=True)
    ]
    panel = Panel(
        key,
        title,
        [_("Month"), *[measure_name(c) for c in codes]],
        rows,
        chart=charts.lines_svg(labels, series, title=title, percent=percent),
    )
    return panel, per_month


def _difficulty(found: Mapping[str, IndicatorValue], online: tuple[int, int] | None) -> DifficultyIndex:
    share = rate_value("online_availability", online[0], online[1], min_sample=1) if online else None
    return difficulty_index(found, wait_target_minutes=wait_target_minutes(), online_share=share)


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


class _Rows(Sequence[list[Cell]]):
    """Table rows built when first read: a region's table ranks thousands of units, the page shows fifty of
    them, and only the CSV reads them all."""

    def __init__(self, keys: Sequence[Any], build: Callable[[Any], list[Cell]]) -> None:
        self._keys, self._build = keys, build
        self._built: dict[int, list[Cell]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def _row(self, index: int) -> list[Cell]:
        if index not in self._built:
            self._built[index] = self._build(self._keys[index])
        return self._built[index]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        return self._row(range(len(self))[index])


def _children(reader: Reader, query_for: Callable[[int], str]) -> Panel:
    """The scope's child units side by side, hardest first by the three-difficulties index."""
    wanted = columns_of(CHILD_FIGURES)
    wanted["cases"].add("started")
    cases, ratings, waits = (reader.sums(s, "child", only=wanted[s]) for s in ("cases", "ratings", "waits"))
    backlog = rectification_backlog(reader)
    online = online_availability(reader)
    target = wait_target_minutes()
    empty: dict[str, Any] = {}
    scored = [
        (
            pk,
            difficulty_score(
                cases.get(pk, empty),
                ratings.get(pk, empty),
                waits.get(pk, empty),
                wait_target_minutes=target,
                online=online.get(pk),
            ),
        )
        for pk in set(cases) | set(ratings) | set(waits)
        if pk in reader.tree.units
    ]
    # Hardest first: the page shows where service is slow or unloved; units without a score come last.
    scored.sort(key=lambda e: (e[1] is None, -(e[1] or 0.0), reader.tree.paths[e[0]]))

    def name_of(pk: int) -> str:
        return unit_name(reader.tree.units[pk]) + (_(" (itself)") if pk == reader.filters.unit.pk else "")

    def row(entry: tuple[int, float | None]) -> list[Cell]:
        pk, score = entry
        found = figures_of(cases.get(pk, empty), ratings.get(pk, empty), waits.get(pk, empty), CHILD_FIGURES)
        good = found["good_review_rate"]
        started = int(cases.get(pk, empty).get("started", 0))
        open_, overdue = (backlog[pk]["open"], backlog[pk]["overdue"]) if pk in backlog else (0, 0)
        name = name_of(pk)
        return [
            Cell(name, name, f"?{query_for(pk)}" if pk != reader.filters.unit.pk else ""),
            Cell(str(started), started),
            Cell.of(found["on_time_completion_rate"], "%"),
            Cell.of(good, "%"),
            Cell(str(good.n), good.n),
            Cell.of(found["bad_review_rate"], "%"),
            Cell.of(found["run_at_most_once_rate"], "%"),
            Cell.of(found["mean_wait"], "min"),
            Cell(_score(score), score if score is not None else ""),
            Cell(str(open_), open_),
            Cell(str(overdue), overdue),
        ]

    bars: list[tuple[str, float | None, str]] = []
    for pk, _score_of in scored[:30]:
        good = figure("good_review_rate", ratings.get(pk, empty))
        bars.append((name_of(pk), None if good.insufficient else good.value, show(good, "%")))
    title = _("By unit")
    return Panel(
        "units",
        title,
        [
            _("Unit"),
            _("Cases received"),
            measure_name("on_time_completion_rate"),
            measure_name("good_review_rate"),
            _("Ratings (n)"),
            measure_name("bad_review_rate"),
            measure_name("run_at_most_once_rate"),
            measure_name("mean_wait"),
            _("Three-difficulties index"),
            _("Open rectifications"),
            _("Overdue rectifications"),
        ],
        _Rows(scored, row),
        chart=charts.bars_svg(bars, title=_("Good-review rate of the hardest units"), maximum=1.0)
        if bars
        else "",
        note=_(
            "Hardest first, by the three-difficulties index. A case received at a hall window counts for the"
            " department that answers for it and for the hall."
        ),
        limit=50,
    )


def _csv(value: IndicatorValue) -> Any:
    return "" if value.value is None else round(value.value, 6)


def _channels(reader: Reader) -> Panel:
    cases = reader.sums("cases", "channel")
    ratings = reader.sums("ratings", "rating_channel")
    from civicpulse.cases.enums import Channel
    from civicpulse.evaluations.enums import EvalChannel

    rows = []
    for channel in Channel:
        sums = cases.get(channel.value, {})
        found = {code: figure(code, sums) for code in ("on_time_completion_rate", "run_at_most_once_rate")}
        rows.append(
            [
                Cell(_("Application: %(c)s") % {"c": channel.label}, str(channel.label)),
                Cell(str(int(sums.get("started", 0))), int(sums.get("started", 0))),
                Cell.of(found["on_time_completion_rate"], "%"),
                Cell.of(found["run_at_most_once_rate"], "%"),
                Cell("", ""),
                Cell("", ""),
            ]
        )
    bars = []
    for rating_channel in EvalChannel:
        sums = ratings.get(rating_channel.value, {})
        good = figure("good_review_rate", sums)
        rows.append(
            [
                Cell(_("Rating: %(c)s") % {"c": rating_channel.label}, str(rating_channel.label)),
                Cell("", ""),
                Cell("", ""),
                Cell("", ""),
                Cell(str(good.n), good.n),
                Cell.of(good, "%"),
            ]
        )
        bars.append((str(rating_channel.label), None if good.insufficient else good.value, show(good, "%")))
    return Panel(
        "channels",
        _("By channel"),
        [
            _("Channel"),
            _("Cases received"),
            measure_name("on_time_completion_rate"),
            measure_name("run_at_most_once_rate"),
            _("Ratings (n)"),
            measure_name("good_review_rate"),
        ],
        rows,
        chart=charts.bars_svg(bars, title=_("Good-review rate by rating channel"), maximum=1.0),
        note=_("Pad and phone ratings run higher than web ratings: compare channels with that in mind."),
    )


def _services(reader: Reader, *, worst_first: bool = False, limit: int = 20) -> Panel:
    shown = reader.ranked_services(worst_first=worst_first, limit=limit, min_sample=MIN_SAMPLE_RATE)
    cases = reader.sums("cases", "service", services=shown)
    ratings = reader.sums("ratings", "service", services=shown)
    names = {s.pk: s for s in Service.objects.filter(pk__in=shown).only("pk", "code", "name_zh", "name_en")}
    rows = []
    for pk in shown:
        service, sums = names[pk], cases.get(pk, {})
        found = figures_of(sums, ratings.get(pk, {}), {})
        name = service.name_zh if _zh() else service.name_en
        rows.append(
            [
                Cell(f"{service.code} {name}", f"{service.code} {name}"),
                Cell(str(int(sums.get("started", 0))), int(sums.get("started", 0))),
                Cell.of(found["on_time_completion_rate"], "%"),
                Cell.of(found["speed_adjusted"], "ratio"),
                Cell.of(found["good_review_rate"], "%"),
                Cell.of(found["bad_review_rate"], "%"),
                Cell(str(found["good_review_rate"].n), found["good_review_rate"].n),
            ]
        )
    title = _("Services with the most bad reviews") if worst_first else _("Busiest services")
    return Panel(
        "services",
        title,
        [
            _("Service"),
            _("Cases received"),
            measure_name("on_time_completion_rate"),
            measure_name("speed_adjusted"),
            measure_name("good_review_rate"),
            measure_name("bad_review_rate"),
            _("Ratings (n)"),
        ],
        rows,
        note=_("%(n)d services shown; filter by a service code to see any other.") % {"n": len(rows)},
    )


def _windows(reader: Reader, allowed: set[int] | None = None) -> Panel:
    waits = reader.sums("waits", "window")
    ratings = reader.sums("ratings", "window")
    keys = [
        pk
        for pk in set(waits) | set(ratings)
        if pk in reader.tree.units and (allowed is None or pk in allowed)
    ]

    def longest_first(pk: int) -> tuple[float, str]:
        sums = waits.get(pk, {})
        return (
            -(sums.get("wait_micros", 0) / sums["called"] if sums.get("called") else 0.0),
            reader.tree.paths[pk],
        )

    keys.sort(key=longest_first)
    rows, bars = [], []
    for pk in keys:
        unit = reader.tree.units.get(pk)
        if unit is None:
            continue
        found = figures_of({}, ratings.get(pk, {}), waits.get(pk, {}))
        rows.append(
            [
                Cell(unit_name(unit), unit_name(unit)),
                Cell(str(int(waits.get(pk, {}).get("called", 0))), int(waits.get(pk, {}).get("called", 0))),
                Cell.of(found["mean_wait"], "min"),
                Cell.of(found["wait_within_target_rate"], "%"),
                Cell.of(found["good_review_rate"], "%"),
                Cell(str(found["good_review_rate"].n), found["good_review_rate"].n),
            ]
        )
        mean = found["mean_wait"]
        bars.append((unit_name(unit), None if mean.insufficient else mean.value, show(mean, "min")))
    return Panel(
        "windows",
        _("By window"),
        [
            _("Window"),
            _("Tickets called"),
            measure_name("mean_wait"),
            measure_name("wait_within_target_rate"),
            measure_name("good_review_rate"),
            _("Ratings (n)"),
        ],
        rows,
        chart=charts.bars_svg(bars[:30], title=_("Mean wait by window (minutes)")) if bars else "",
        note=_("Longest waits first."),
        limit=50,
    )


def _difficulty_panel(index: DifficultyIndex) -> Panel:
    rows = []
    for part in index.parts:
        rows.append(
            [
                Cell(str(part.name), str(part.name), css="strong"),
                Cell("", ""),
                Cell(_score(part.score), part.score if part.score is not None else ""),
            ]
        )
        for component in part.components:
            value = component.figure
            unit = "%" if component.code == "online_availability" else unit_of(component.code)
            rows.append(
                [
                    Cell("· " + str(component.name), str(component.name)),
                    Cell(
                        show(value, unit),
                        "" if value is None or value.value is None else round(value.value, 6),
                    ),
                    Cell(_score(component.score), component.score if component.score is not None else ""),
                ]
            )
    bars = [(str(p.name), p.score, _score(p.score)) for p in index.parts]
    return Panel(
        "difficulty",
        _("Three difficulties: hard to get in, hard faces, hard to get things done"),
        [_("Part and component"), _("Figure"), _("Difficulty (0 to 100)")],
        rows,
        chart=charts.bars_svg(bars, title=_("Difficulty, 0 (none) to 100"), maximum=100.0),
        note=_(
            "Each component scores from 0 (no difficulty) to 100; a part is the mean of its scored components"
            " and the index the mean of the parts. Components with too few records are left out."
        ),
    )


def _backlog_panel(reader: Reader) -> Panel:
    backlog = rectification_backlog(reader)
    rows = []
    for pk, counts in sorted(
        ((k, v) for k, v in backlog.items() if k is not None), key=lambda kv: reader.tree.paths.get(kv[0], "")
    ):
        unit = reader.tree.units.get(pk)
        if unit is None:
            continue
        rows.append(
            [
                Cell(unit_name(unit), unit_name(unit)),
                Cell(str(counts["open"]), counts["open"]),
                Cell(str(counts["overdue"]), counts["overdue"]),
            ]
        )
    return Panel(
        "rectifications",
        _("Open and overdue rectifications now"),
        [_("Unit"), _("Open rectifications"), _("Overdue rectifications")],
        rows,
        note=_("Orders not yet closed, whatever month they were opened in."),
        limit=50,
    )


def _staff_board(board: Board, reader: Reader, user: User) -> None:
    cases, ratings, waits = (reader.staff_sums(s, user.pk) for s in ("cases", "ratings", "waits"))
    found = figures_of(total(cases), total(ratings), total(waits))
    codes = (
        "good_review_rate",
        "bad_review_rate",
        "attitude_rating",
        "on_time_completion_rate",
        "run_at_most_once_rate",
        "mean_wait",
        "p90_wait",
        "wait_within_target_rate",
    )
    board.kpis = _kpis(codes, found, "")
    for kpi in board.kpis:
        kpi.href = ""
    months = reader.filters.months
    labels = [f"{m:%Y-%m}" for m in months]
    per_month = {m: figures_of(cases.get(m, {}), ratings.get(m, {}), waits.get(m, {})) for m in months}
    trend_codes = ("good_review_rate", "wait_within_target_rate")
    series = [
        (measure_name(c), [None if per_month[m][c].insufficient else per_month[m][c].value for m in months])
        for c in trend_codes
    ]
    rows = [
        [
            Cell(label, label),
            Cell(str(int(ratings.get(m, {}).get("valid", 0))), int(ratings.get(m, {}).get("valid", 0))),
        ]
        + [Cell.of(per_month[m][c], "%") for c in trend_codes]
        for label, m in zip(labels, months, strict=True)
    ]
    board.panels.append(_kpi_panel(board.kpis))
    board.panels.append(
        Panel(
            "my_trend",
            _("My month by month"),
            [_("Month"), _("Ratings (n)"), *[measure_name(c) for c in trend_codes]],
            rows,
            chart=charts.lines_svg(labels, series, title=_("My month by month")),
        )
    )


def board(lens: str, *, user: User | None, filters: Filters) -> Board:
    reader = Reader(filters)
    query = query_of(filters)
    result = Board(lens, str(LENSES[lens]), filters, unit_name(filters.unit), refreshed_at=freshness())

    def query_for(pk: int) -> str:
        values = dict(part.split("=", 1) for part in query.split("&") if part)
        values["unit"] = str(pk)
        return urlencode(values)

    if lens == "my":
        if user is None:
            raise ValueError("the 'my service' board is a person's own")
        _staff_board(result, reader, user)
        windows = {pk for pk in reader.ids if reader.tree.kinds.get(pk) == UnitKind.WINDOW}
        mine = {
            pk
            for pk in windows
            if any(reader.tree.paths[pk].startswith(p) for p in covered_paths(user, Perm.DASHBOARD_VIEW))
        }
        if mine:
            result.panels.append(_windows(reader, allowed=mine))
        return result

    cases, ratings, waits = (total(reader.sums(s, histogram=True)) for s in ("cases", "ratings", "waits"))
    found = figures_of(cases, ratings, waits)
    online = online_availability(reader).get(None)
    result.difficulty = _difficulty(found, online)
    backlog = rectification_backlog(reader).get(None, {"open": 0, "overdue": 0})
    if lens == "quality":
        codes = (
            "bad_review_rate",
            "good_review_rate",
            "attitude_bad_rate",
            "attitude_rating",
            "active_evaluation_rate",
            "run_at_most_once_rate",
        )
        result.kpis = _kpis(codes, found, query)
        result.panels.append(_kpi_panel(result.kpis))
        result.panels.append(
            _trend(reader, ("bad_review_rate", "attitude_bad_rate"), title=_("Bad reviews by month"))[0]
        )
        result.panels.append(_children(reader, query_for))
        result.panels.append(_services(reader, worst_first=True))
        result.panels.append(_backlog_panel(reader))
    elif lens == "difficulty":
        result.kpis = []
        result.panels.append(_difficulty_panel(result.difficulty))
        _unused, per_month = _trend(reader, TREND, key="figures_trend")
        online_now = online
        months = filters.months
        labels = [f"{m:%Y-%m}" for m in months]
        indexes = {m: _difficulty(per_month[m], online_now) for m in months}
        series = [
            (
                str(part.name),
                [None if (score := indexes[m].parts[i].score) is None else score / 100 for m in months],
            )
            for i, part in enumerate(result.difficulty.parts)
        ]
        rows = [
            [Cell(label, label)]
            + [
                Cell(
                    _score(indexes[m].parts[i].score),
                    indexes[m].parts[i].score if indexes[m].parts[i].score is not None else "",
                )
                for i in range(3)
            ]
            + [Cell(_score(indexes[m].score), indexes[m].score if indexes[m].score is not None else "")]
            for label, m in zip(labels, months, strict=True)
        ]
        result.panels.append(
            Panel(
                "difficulty_trend",
                _("Three difficulties by month"),
                [_("Month"), *[str(p.name) for p in result.difficulty.parts], _("Index")],
                rows,
                chart=charts.lines_svg(
                    labels, series, title=_("Three difficulties by month (100 % = hardest)")
                ),
            )
        )
        result.panels.append(_children(reader, query_for))
    else:
        result.kpis = _kpis(HEADLINE, found, query)
        result.panels.append(_kpi_panel(result.kpis))
        result.panels.append(_difficulty_panel(result.difficulty))
        result.panels.append(_trend(reader, TREND)[0])
        result.panels.append(_children(reader, query_for))
        if lens == "unit" or filters.unit.kind == UnitKind.HALL:
            result.panels.append(_windows(reader))
        result.panels.append(_channels(reader))
        result.panels.append(_services(reader))
        result.panels.append(_backlog_panel(reader))
    result.notes.append(_("Open rectifications now: %(open)d, of which overdue: %(overdue)d.") % backlog)
    return result
