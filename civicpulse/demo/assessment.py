"""The demo's assessment: a published departments scheme (one weight table per unit category, by quarter)
and a finalized run for every whole quarter of the history, made through the assessment services."""

from __future__ import annotations

import datetime as dt

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import RoleAssignment, User
from civicpulse.assessment import services as assess
from civicpulse.assessment.models import Run, Scheme

SCHEME = "departments"


def _linear(floor: float, target: float) -> dict[str, object]:
    return {"kind": "linear", "floor": floor, "target": target}


# Differentiated by category (domain.md §7): windows are judged on the counter, approvals on speed.
TABLES: dict[str, list[tuple[str, float, dict[str, object]]]] = {
    "window": [
        ("good_review_rate", 25, _linear(0.6, 0.95)),
        ("on_time_completion_rate", 25, _linear(0.6, 0.95)),
        ("run_at_most_once_rate", 20, _linear(0.5, 0.9)),
        ("active_evaluation_rate", 10, _linear(0.3, 0.8)),
        ("rectification_rate", 10, _linear(0.5, 1.0)),
        ("wait_within_target_rate", 10, _linear(0.6, 0.95)),
    ],
    "approval": [
        ("on_time_completion_rate", 35, _linear(0.6, 0.95)),
        ("speed_adjusted", 20, _linear(1.5, 0.8)),
        ("good_review_rate", 25, _linear(0.6, 0.95)),
        ("zero_visit_rate", 20, {"kind": "bands", "bands": [[0.5, 1.0], [0.3, 0.6], [0.1, 0.3]]}),
    ],
    "town": [
        ("good_review_rate", 40, _linear(0.6, 0.95)),
        ("on_time_completion_rate", 40, _linear(0.6, 0.95)),
        ("run_at_most_once_rate", 20, _linear(0.5, 0.9)),
    ],
    "enforcement": [
        ("on_time_completion_rate", 50, _linear(0.6, 0.95)),
        ("good_review_rate", 30, _linear(0.6, 0.95)),
        ("completion_rate", 20, {"kind": "percentile"}),
    ],
}
# A demo county has a few cases per department a quarter; a real one sets these near the library's.
MIN_SAMPLE = 5


def _region_user(role: str) -> User:
    return (
        RoleAssignment.objects.filter(role=role, unit__parent__isnull=True)
        .select_related("user")
        .order_by("user__username")
        .first()
        .user  # type: ignore[union-attr]
    )


def whole_quarters(start: dt.date, end: dt.date) -> list[str]:
    """The quarters that lie wholly within [start, end)."""
    found: list[str] = []
    year, quarter = start.year, (start.month - 1) // 3 + 1
    while True:
        first = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        after = dt.date(year + last_month // 12, last_month % 12 + 1, 1)
        if after > end:
            return found
        if first >= start:
            found.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def build(*, start: dt.date, now: dt.datetime) -> list[Run]:
    quality, leader = _region_user(Role.QUALITY_OFFICER), _region_user(Role.LEADER)
    scheme = Scheme.objects.create(
        code=SCHEME, name_zh="部门绩效考核", name_en="Department performance", subject="unit"
    )
    version = assess.scheme_version_draft(actor=quality, scheme=scheme)
    # Shrinkage toward the category mean: a department with 8 ratings is neither best nor worst by luck.
    version.period_kind = "quarter"
    version.ranking = "shrinkage"
    version.save(update_fields=["period_kind", "ranking"])
    items = [
        assess.ItemInput(group=group, indicator=code, weight=weight, rule=rule, min_sample=MIN_SAMPLE)
        for group, rows in TABLES.items()
        for code, weight, rule in rows
    ]
    assess.scheme_items_set(actor=quality, version=version, items=items)
    assess.scheme_version_transition(actor=quality, version=version, transition="submit")
    version = assess.scheme_version_transition(actor=leader, version=version, transition="approve")
    runs = []
    for quarter in whole_quarters(start, now.date()):
        run = assess.run_compute(actor=quality, version=version, period=quarter, cutoff=now)
        runs.append(assess.run_finalize(actor=leader, run=run))
    return runs
