"""Dashboard pages at scale: each page of the dashboards answered over the assessment benchmark's synthetic
region (1M or 10M interactions, 2,000 departments, a year), timed request by request through Django's
test client (views, queries and templates), with the 90th percentile reported against the 300 ms goal.

Beside them, in the same run, the reference: the same region's year counted from the raw tables by the
assessment engine (what a page would cost without the cells). Also measured: rebuilding every month's
cells, which is what the worker's refresh does a month at a time.

    .venv/bin/python bench/dashboards_bench.py [--interactions 10000000] [--database-url postgres://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import assessment_bench as ab

YEAR = ("2025-01", "2025-12")
GOAL_MS = 300


def _setup() -> None:
    ab._django()
    from django.conf import settings

    # Production settings, but static URLs without collectstatic's manifest (nothing is served here).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As a served process does once loaded (config/wsgi.py).
    from civicpulse.core.startup import settle

    settle()


def child_cells(p: dict[str, Any]) -> dict[str, Any]:
    _setup()
    from civicpulse.core import clock
    from civicpulse.dashboards import rollup
    from civicpulse.dashboards.models import MonthState

    started = time.perf_counter()
    with clock.frozen(ab.cutoff()):
        rollup.rebuild(progress=lambda month: print(f"  cells {month:%Y-%m} counted", flush=True))
    months = [
        {"month": f"{month:%Y-%m}", "seconds": seconds}
        for month, seconds in MonthState.objects.values_list("month", "seconds")
    ]
    return {"seconds": time.perf_counter() - started, "months": months}


def _people() -> dict[str, Any]:
    from django.db.models import Count

    from civicpulse.accounts.enums import Role, UnitKind
    from civicpulse.accounts.models import OrgUnit, RoleAssignment

    def holder(role: str, **unit: Any) -> int:
        found = RoleAssignment.objects.filter(role=role, **{f"unit__{k}": v for k, v in unit.items()})
        return found.order_by("pk").values_list("user_id", flat=True)[0]

    root = OrgUnit.objects.get(parent__isnull=True)
    county = (
        OrgUnit.objects.filter(parent=root)
        .annotate(n=Count("children"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[0]
    )
    department = holder(Role.DEPARTMENT_HEAD, kind=UnitKind.DEPARTMENT)
    return {
        "leader": holder(Role.LEADER),
        "quality": holder(Role.QUALITY_OFFICER),
        "head": department,
        "window": holder(Role.WINDOW_OFFICER, kind=UnitKind.WINDOW),
        "county": county,
        "root": root.pk,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def child_pages(p: dict[str, Any]) -> dict[str, Any]:
    _setup()
    from django.test import Client

    from civicpulse.accounts.models import User
    from civicpulse.catalogue.models import Service
    from civicpulse.dashboards.models import RenderedBoard

    people = _people()
    span = f"start={YEAR[0]}&end={YEAR[1]}"
    busiest = Service.objects.order_by("pk").values_list("code", flat=True)[0]
    scenarios = [
        ("leader", "overview, region, year", f"/staff/dashboards/overview/?{span}"),
        ("leader", "overview, region, June", "/staff/dashboards/overview/?start=2025-06&end=2025-06"),
        ("leader", "overview, region, a service", f"/staff/dashboards/overview/?{span}&service={busiest}"),
        ("leader", "overview, region, online", f"/staff/dashboards/overview/?{span}&channel=online"),
        ("leader", "three difficulties, region", f"/staff/dashboards/difficulty/?{span}"),
        ("leader", "overview, a county", f"/staff/dashboards/overview/?unit={people['county']}&{span}"),
        ("quality", "quality office, region", f"/staff/dashboards/quality/?{span}"),
        ("head", "unit head, department", f"/staff/dashboards/unit/?{span}"),
        ("window", "my service", f"/staff/dashboards/my/?{span}"),
        (
            "head",
            "records behind on-time rate",
            f"/staff/dashboards/records/?{span}&measure=on_time_completion_rate",
        ),
    ]
    results = []
    for who, label, url in scenarios:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(pk=people[who]))
        first = client.get(url)
        if first.status_code != 200:
            raise RuntimeError(f"{label}: HTTP {first.status_code}")
        # Cold: no rendered board kept (the first request after a refresh, or filters nobody asked for
        # yet); warm: the board rendered since the last refresh.
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        for _i in range(p["repeats"]):
            for kind in ("cold", "warm"):
                if kind == "cold":
                    RenderedBoard.objects.all().delete()
                began = time.perf_counter()
                response = client.get(url)
                timings[kind].append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
        entry: dict[str, Any] = {"scenario": label, "url": url, "bytes": len(first.content)}
        for kind, times in timings.items():
            entry[kind] = {
                "p50_ms": _percentile(times, 0.5),
                "p90_ms": _percentile(times, 0.9),
                "max_ms": max(times),
            }
        results.append(entry)
        print(f"  {label}: p90 cold {entry['cold']['p90_ms']:.0f} ms, warm {entry['warm']['p90_ms']:.0f} ms")
    return {"pages": results}


def child_reference(p: dict[str, Any]) -> dict[str, Any]:
    """The region's year counted from the raw tables by the engine: what the overview would cost uncached."""
    _setup()
    from civicpulse.accounts.models import OrgUnit
    from civicpulse.assessment.counts import count
    from civicpulse.assessment.facts import unit_resolver

    root = OrgUnit.objects.get(parent__isnull=True)
    times = []
    for _i in range(p["repeats"]):
        began = time.perf_counter()
        count(
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 12, 31),
            cutoff=ab.cutoff(),
            resolve=unit_resolver([root.pk]),
            by_staff=False,
            members=[],
        )
        times.append((time.perf_counter() - began) * 1000)
    return {"ms": times}


CHILDREN = {"cells": child_cells, "pages": child_pages, "reference": child_reference}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(ab.run_child(sys.argv[2], sys.argv[3], CHILDREN))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per page")
    parser.add_argument("--skip-cells", action="store_true", help="keep the cells of an earlier run")
    args = parser.parse_args()
    db = ab.Database(args.database_url, args.interactions, args.seed)
    meta = ab.ensure_database(db, False)
    env = db.env()
    result: dict[str, Any] = {
        "engine": db.engine,
        "interactions": args.interactions,
        "generation": {k: meta.get(k) for k in ("seconds", "summary")},
    }
    if not args.skip_cells:
        print("rebuilding every month's cells ...", flush=True)
        cells = ab.spawn("cells", {}, env, script=__file__)
        if cells["error"]:
            raise SystemExit(f"cells failed: {cells['error']}")
        result["cells"] = cells
        print(f"  {cells['seconds']:.0f} s, peak {ab.gib(cells['peak_rss_bytes'])}")
    print("timing the pages ...", flush=True)
    pages = ab.spawn("pages", {"repeats": args.repeats}, env, script=__file__)
    if pages["error"]:
        raise SystemExit(f"pages failed: {pages['error']}")
    result["pages"] = pages["pages"]
    print("the reference: the region's year counted from the raw tables ...", flush=True)
    reference = ab.spawn("reference", {"repeats": 3}, env, script=__file__)
    if reference["error"]:
        raise SystemExit(f"reference failed: {reference['error']}")
    result["reference_ms"] = min(reference["ms"])
    label = f"{db.engine}-{ab.size_label(args.interactions)}"
    print(f"\nDashboards, {label} ({args.repeats} timed requests a page; goal: p90 under {GOAL_MS} ms)")
    print(f"{'page':<36} {'cold p50':>9} {'cold p90':>9} {'warm p50':>9} {'warm p90':>9}")
    for page in result["pages"]:
        cold, warm = page["cold"], page["warm"]
        flag = "" if cold["p90_ms"] < GOAL_MS else "  cold over the goal"
        print(
            f"{page['scenario']:<36} {cold['p50_ms']:>9.0f} {cold['p90_ms']:>9.0f}"
            f" {warm['p50_ms']:>9.0f} {warm['p90_ms']:>9.0f}{flag}"
        )
    worst = max(page["cold"]["p90_ms"] for page in result["pages"])
    print(
        f"reference: the region's year from the raw tables {result['reference_ms']:.0f} ms;"
        f" the slowest page's cold p90 is {worst / result['reference_ms']:.3f} of it"
    )
    ab.RESULTS.mkdir(exist_ok=True)
    path = ab.RESULTS / f"dashboards-{label}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {path.relative_to(ab.ROOT)}")


if __name__ == "__main__":
    main()
