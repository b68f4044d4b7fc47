"""The dashboards over the demo county: every figure of every department and month equals the assessment
engine's for the same records; every lens renders for every role in both languages, scoped; tables download
as CSV; the drill-down lists as many records as the figure counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import count, wait_target_minutes
from civicpulse.assessment.facts import expected_days_before, unit_resolver
from civicpulse.cases.models import Case
from civicpulse.core.masking import mask_name
from civicpulse.dashboards import rollup
from civicpulse.dashboards.models import CaseCell, Grain, MonthState, RatingCell, WaitCell
from civicpulse.dashboards.panels import figures_of
from civicpulse.dashboards.rollup import month_end
from civicpulse.dashboards.selectors import Filters, Reader, total
from civicpulse.demo import builder

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5)]
# Figures whose definition is the engine's, record for record (the active-evaluation rate differs on
# purpose: see docs/decisions/0008-dashboards.md).
SAME_AS_ENGINE = (
    "good_review_rate",
    "bad_review_rate",
    "on_time_completion_rate",
    "speed",
    "speed_adjusted",
    "run_at_most_once_rate",
    "zero_visit_rate",
    "digital_take_up",
    "mean_wait",
    "wait_within_target_rate",
)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        builder.build(seed=2026)
        yield
        transaction.set_rollback(True)


def test_the_demo_counts_its_months_into_cells(demo: None) -> None:
    months = set(MonthState.objects.values_list("month", flat=True))
    assert set(MONTHS) <= months
    for grain in Grain:
        assert CaseCell.objects.filter(grain=grain).exists(), grain


@pytest.mark.parametrize("month", MONTHS)
def test_every_departments_figures_equal_the_engines(demo: None, month: dt.date) -> None:
    departments = list(OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT))
    cutoff = MonthState.objects.get(month=month).refreshed_at
    counted = count(
        start=month,
        end=month_end(month),
        cutoff=cutoff,
        resolve=unit_resolver([d.pk for d in departments]),
        by_staff=False,
        members=[],
    )
    expected = expected_days_before(month, cutoff)
    checked = 0
    for department in departments:
        reader = Reader(Filters(unit=department, start=month, end=month))
        mine = figures_of(*(total(reader.sums(s)) for s in ("cases", "ratings", "waits")))
        for code in SAME_AS_ENGINE:
            indicator = lib.INDICATORS[code]
            counts = (
                counted.by_subject[indicator.source].get(department.pk) or lib.COUNTS_OF[indicator.source]()
            )
            reference: Any = {
                "speed_adjusted": expected,
                "wait_within_target_rate": wait_target_minutes(),
            }.get(code, counted.channel_rates)
            engine = lib.from_counts(code, counts, reference, min_sample=indicator.min_sample)
            assert (mine[code].n, mine[code].insufficient) == (engine.n, engine.insufficient), (
                department,
                code,
            )
            if engine.value is None:
                assert mine[code].value is None
            else:
                assert mine[code].value == pytest.approx(engine.value, rel=1e-12), (department, code)
            checked += engine.n > 0
    assert checked > 100


def test_the_regions_summaries_add_up_to_its_base_cells(demo: None) -> None:
    region = OrgUnit.objects.get(kind=UnitKind.REGION)
    whole = Reader(Filters(unit=region, start=MONTHS[0], end=MONTHS[-1]))
    assert whole.grain("cases", None) == Grain.CHANNEL
    by_channel = total(whole.sums("cases"))
    by_unit = total(whole.sums("cases", "child"))
    base = CaseCell.objects.filter(grain=Grain.BASE, month__gte=MONTHS[0], month__lte=MONTHS[-1])
    assert by_channel["started"] == sum(base.values_list("started", flat=True)) > 0
    # Children overlap where a hall window serves a department: a child's figure counts its own records.
    assert by_unit["started"] >= by_channel["started"]


def _fold_of_base_cells(
    source: str, scope: OrgUnit, channel: str, span: tuple[dt.date, dt.date]
) -> dict[int, dict[str, float]]:
    """Each child of `scope` (and the scope itself, for its own records) with the base cells whose unit or
    window lies in its subtree, each cell once: worked out here from the cells, apart from the reader."""
    model: Any = {"cases": CaseCell, "ratings": RatingCell, "waits": WaitCell}[source]
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    columns = rollup._sums(model)

    def child(pk: int | None) -> int | None:
        if pk is None or not paths[pk].startswith(scope.path):
            return None
        rest = paths[pk][len(scope.path) :].strip("/")
        return int(rest.split("/")[0]) if rest else scope.pk

    cells = model.objects.filter(grain=Grain.BASE, month__gte=span[0], month__lte=span[1])
    if channel:
        cells = cells.filter(channel=channel)
    if source == "waits":
        cells = cells.filter(minute=rollup.ALL_MINUTES)
    result: dict[int, dict[str, float]] = {}
    for cell in cells:
        for key in {child(cell.unit_id), child(cell.window_id)} - {None}:
            sums = result.setdefault(key, dict.fromkeys(columns, 0))  # type: ignore[arg-type]
            for c in columns:
                sums[c] += getattr(cell, c)
    return result


# The whole demo, and a span after its first month (two months' running totals apart).
@pytest.mark.parametrize("span", [(MONTHS[0], MONTHS[-1]), (MONTHS[2], MONTHS[3])])
@pytest.mark.parametrize("channel", ["", "online", "hall"])
@pytest.mark.parametrize("source", ["cases", "ratings", "waits"])
def test_every_units_children_read_from_the_tree_cells_equal_a_fold_of_the_base_cells(
    demo: None, source: str, channel: str, span: tuple[dt.date, dt.date]
) -> None:
    scopes = [u for u in OrgUnit.objects.all() if OrgUnit.objects.filter(parent=u).exists()]
    assert len(scopes) > 5
    compared = 0
    for scope in scopes:
        reader = Reader(Filters(unit=scope, start=span[0], end=span[1], channel=channel))
        assert reader._by_tree("child", False, None)
        # Children whose cells add up to nothing (quarantined ratings only, say) may be left out.
        mine = {pk: sums for pk, sums in reader.sums(source, "child").items() if any(sums.values())}
        by_fold = _fold_of_base_cells(source, scope, channel, span)
        expected = {pk: sums for pk, sums in by_fold.items() if any(sums.values())}
        assert set(mine) == set(expected), scope
        for pk, sums in expected.items():
            for column, value in sums.items():
                # Running totals subtract: sums of days and ratios agree to rounding, counts exactly.
                exact = isinstance(value, int)
                assert mine[pk][column] == (value if exact else pytest.approx(value, rel=1e-9)), (pk, column)
                compared += bool(value)
        # The scope's own totals and months (a region's come from its channel summaries) agree too.
        if scope.parent_id is not None:
            whole = total(reader.sums(source))
            by_month = total(reader.sums(source, "month"))
            for column in whole:
                assert whole[column] == pytest.approx(by_month[column], rel=1e-12)
            base = Reader(Filters(unit=scope, start=span[0], end=span[1], channel=channel))
            folded = total(base.sums(source, histogram=True))  # the base cells, by minute for waits
            for column in whole:
                assert whole[column] == pytest.approx(folded[column], rel=1e-12), (scope, column)
    # Hall tickets are waited for at the hall only.
    least = 100 if span == (MONTHS[0], MONTHS[-1]) else 10
    assert compared == 0 if (source, channel) == ("waits", "online") else compared > least


def _ranking_from_service_cells(start: dt.date, end: dt.date, channel: str, worst_first: bool) -> list[int]:
    """The services ranked from their monthly summaries, worked out here apart from the running totals."""
    sums: dict[int, list[int]] = {}
    for model, columns in ((CaseCell, ("started",)), (RatingCell, ("valid", "bad"))):
        cells = model.objects.filter(grain=Grain.SERVICE, month__gte=start, month__lte=end)
        if channel:
            cells = cells.filter(channel=channel)
        for cell in cells.exclude(service_id=None):
            entry = sums.setdefault(cell.service_id, [0, 0, 0])
            for column in columns:
                entry[("started", "valid", "bad").index(column)] += getattr(cell, column)
    if worst_first:
        rated = [(pk, b / v) for pk, (_n, v, b) in sums.items() if v >= 5]
        return [pk for pk, _rate in sorted(rated, key=lambda e: (-e[1], e[0]))][:20]
    busiest = [(pk, n) for pk, (n, _v, _b) in sums.items() if n > 0]
    return [pk for pk, _n in sorted(busiest, key=lambda e: (-e[1], e[0]))][:20]


@pytest.mark.parametrize("channel", ["", "online"])
@pytest.mark.parametrize("span", [(MONTHS[0], MONTHS[-1]), (MONTHS[1], MONTHS[1]), (MONTHS[2], MONTHS[3])])
def test_the_regions_services_rank_from_running_totals_as_from_their_months(
    demo: None, span: tuple[dt.date, dt.date], channel: str
) -> None:
    region = OrgUnit.objects.get(kind=UnitKind.REGION)
    reader = Reader(Filters(unit=region, start=span[0], end=span[1], channel=channel))
    for worst_first in (False, True):
        # A minimum sample of 5 ratings: the demo's services have too few for 30 to rank any.
        ranked = reader.ranked_services(worst_first=worst_first, limit=20, min_sample=5)
        assert ranked == _ranking_from_service_cells(*span, channel, worst_first)
        # The demo's busiest services have cases in every span; the whole span has enough ratings to rank.
        assert ranked or (worst_first and span != (MONTHS[0], MONTHS[-1]))


def _client(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    return client


SPAN = "start=2026-01&end=2026-05"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("username", ["leader", "head", "window", "quality"])
def test_every_lens_renders_for_every_role(demo: None, username: str, language: str) -> None:
    client = _client(username, language)
    landing = client.get("/staff/dashboards/")
    assert landing.status_code == 302
    for lens in ("overview", "unit", "my", "quality", "difficulty"):
        response = client.get(f"/staff/dashboards/{lens}/?{SPAN}")
        assert response.status_code == 200, (username, lens)
        body = response.content.decode()
        assert "<svg" in body
        if lens != "my":
            assert ("进门难" if language == "zh-hans" else "Hard to get in") in body


def test_a_leader_sees_the_region_and_a_head_only_their_department(demo: None) -> None:
    leader, head = _client("leader"), _client("head")
    region = OrgUnit.objects.get(kind=UnitKind.REGION)
    body = leader.get(f"/staff/dashboards/overview/?{SPAN}").content.decode()
    assert region.name_en in body
    head_user = User.objects.get(username="head")
    own = head_user.role_assignments.first().unit  # type: ignore[union-attr]
    other = OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).exclude(pk=own.pk).first()
    assert other is not None
    refused = head.get(f"/staff/dashboards/unit/?unit={other.pk}&{SPAN}").content.decode()
    assert "You do not have access to this unit." in refused
    assert other.name_en not in refused.split("<main")[-1].split("</form>")[-1]


def test_a_citizen_and_a_stranger_get_no_dashboard(demo: None) -> None:
    assert Client().get("/staff/dashboards/overview/").status_code == 302
    assert _client("citizen").get("/staff/dashboards/overview/").status_code == 404


def test_each_table_downloads_as_csv_with_the_pages_numbers(demo: None) -> None:
    client = _client("leader")
    response = client.get(f"/staff/dashboards/overview/?{SPAN}&csv=figures")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Figure", "Value", "n"]
    region = OrgUnit.objects.get(kind=UnitKind.REGION)
    reader = Reader(Filters(unit=region, start=MONTHS[0], end=MONTHS[-1]))
    found = figures_of(*(total(reader.sums(s)) for s in ("cases", "ratings", "waits")))
    by_name = {row[0]: row for row in rows[1:]}
    good = by_name["Good-review rate"]
    assert float(good[1]) == pytest.approx(found["good_review_rate"].value, abs=1e-6)
    assert int(good[2]) == found["good_review_rate"].n
    assert client.get(f"/staff/dashboards/overview/?{SPAN}&csv=nothing").status_code == 404


@pytest.mark.parametrize(
    "measure", ["on_time_completion_rate", "good_review_rate", "run_at_most_once_rate", "mean_wait"]
)
def test_the_drill_down_lists_the_records_a_figure_counts(demo: None, measure: str) -> None:
    head = User.objects.get(username="head")
    unit = head.role_assignments.first().unit  # type: ignore[union-attr]
    reader = Reader(Filters(unit=unit, start=MONTHS[0], end=MONTHS[-1]))
    found = figures_of(*(total(reader.sums(s)) for s in ("cases", "ratings", "waits")))
    response = _client("head").get(f"/staff/dashboards/records/?unit={unit.pk}&{SPAN}&measure={measure}")
    assert response.status_code == 200
    listing = response.context["listing"]
    assert listing.total == found[measure].n > 0
    if listing.hits is not None:
        assert listing.hits == found[measure].numerator
    if listing.source == "cases":
        body = response.content.decode()
        shown = Case.objects.filter(number__in=[row[0] for row in listing.rows])
        assert shown.exists()
        for case in shown:
            assert case.applicant_name not in body
            assert mask_name(case.applicant_name) in body


def test_an_unknown_figure_is_refused_with_a_message(demo: None) -> None:
    response = _client("leader").get(f"/staff/dashboards/records/?{SPAN}&measure=nonsense")
    assert response.status_code == 400
    assert "There is no such figure." in response.content.decode()


def test_a_region_page_reads_few_rows(demo: None, django_assert_max_num_queries: Any) -> None:
    client = _client("leader")
    client.get(f"/staff/dashboards/overview/?{SPAN}")
    with django_assert_max_num_queries(40):
        assert client.get(f"/staff/dashboards/overview/?{SPAN}").status_code == 200
