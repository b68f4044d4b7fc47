"""The demo's assessment, made through the assessment services: two published schemes, departments (one
weight table per unit category) and staff (one per role, with bonus and penalty items), each by quarter,
with a finalized run for every whole quarter of the history; a few bonus and penalty items, a grade the
committee moved, and review requests (one answered, one waiting)."""

from __future__ import annotations

import datetime as dt

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import RoleAssignment, User
from civicpulse.assessment import services as assess
from civicpulse.assessment.facts import period_bounds
from civicpulse.assessment.models import Run, RunSubject, Scheme, SchemeVersion
from civicpulse.core import clock

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

STAFF_SCHEME = "staff"
# Front-line staff by what the citizen meets; approvers by time and outcome (domain.md §7: per role).
STAFF_TABLES: dict[str, list[tuple[str, float, dict[str, object]]]] = {
    Role.WINDOW_OFFICER: [
        ("good_review_rate", 40, _linear(0.6, 0.95)),
        ("active_evaluation_rate", 20, _linear(0.3, 0.8)),
        ("run_at_most_once_rate", 20, _linear(0.5, 0.9)),
        ("wait_within_target_rate", 20, _linear(0.6, 0.95)),
    ],
    Role.APPROVER: [
        ("on_time_completion_rate", 50, _linear(0.6, 0.95)),
        ("speed_adjusted", 25, _linear(1.5, 0.8)),
        ("good_review_rate", 25, _linear(0.6, 0.95)),
    ],
}
# A person meets a handful of applicants a month in the demo: a quarter holds enough for most of them.
STAFF_MIN_SAMPLE = 3
ADJUSTMENT_ITEMS = [
    {
        "code": "commended",
        "name_zh": "上级通报表扬",
        "name_en": "Commended by a higher authority",
        "points": 3,
    },
    {"code": "thanks_letter", "name_zh": "群众感谢信", "name_en": "Letter of thanks", "points": 1},
    {"code": "complaint_upheld", "name_zh": "投诉经核实", "name_en": "Complaint upheld", "points": -2},
    {"code": "misconduct", "name_zh": "违反工作纪律", "name_en": "Verified misconduct", "points": -5},
]


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


def _publish(
    scheme: Scheme,
    tables: dict[str, list[tuple[str, float, dict[str, object]]]],
    min_sample: int,
    **settings: object,
) -> SchemeVersion:
    quality, leader = _region_user(Role.QUALITY_OFFICER), _region_user(Role.LEADER)
    version = assess.scheme_version_draft(actor=quality, scheme=scheme)
    for name, value in settings.items():
        setattr(version, name, value)
    version.save(update_fields=list(settings))
    items = [
        assess.ItemInput(group=group, indicator=code, weight=weight, rule=rule, min_sample=min_sample)
        for group, rows in tables.items()
        for code, weight, rule in rows
    ]
    assess.scheme_items_set(actor=quality, version=version, items=items)
    if scheme.subject == "staff":
        assess.scheme_adjustment_items_set(actor=quality, version=version, items=ADJUSTMENT_ITEMS)
    assess.scheme_version_transition(actor=quality, version=version, transition="submit")
    return assess.scheme_version_transition(actor=leader, version=version, transition="approve")


def _adjustments(scheme: Scheme, quarters: list[str], now: dt.datetime) -> None:
    """A few items per quarter for window officers, recorded by the quality office near the quarter's end."""
    quality = _region_user(Role.QUALITY_OFFICER)
    officers = list(
        User.objects.filter(role_assignments__role=Role.WINDOW_OFFICER, is_active=True)
        .distinct()
        .order_by("username")
    )
    plan = [
        (0, "commended", "在省政务服务“好差评”通报中受到表扬", "苏政务办〔{year}〕{n}号"),
        (3, "thanks_letter", "群众来信感谢其耐心指导办理", ""),
        (5, "complaint_upheld", "群众投诉答复不一致，经核实属实", "投诉编号 TS{year}{n:04d}"),
        (8, "misconduct", "上班时间脱岗，经督查核实", "督查通报〔{year}〕{n}号"),
    ]
    for q, quarter in enumerate(quarters):
        first, last = period_bounds(quarter)
        for offset, code, reason, evidence in plan:
            if not officers:
                return
            officer = officers[(offset + 7 * q) % len(officers)]
            day = last - dt.timedelta(days=10 + offset)
            with clock.frozen(min(now, dt.datetime.combine(last, dt.time(16), now.tzinfo))):
                assess.adjustment_record(
                    actor=quality,
                    scheme=scheme,
                    code=code,
                    occurred_on=max(first, day),
                    reason=reason,
                    evidence=evidence.format(year=first.year, n=17 + offset),
                    staff=officer,
                )


_ONE_DOWN = {"outstanding": "competent", "competent": "basic", "basic": "incompetent"}


def _calibrate(run: Run) -> None:
    """The committee moves the weakest graded window officer down one grade, with its reason (moving down
    never breaks the quota)."""
    leader = _region_user(Role.LEADER)
    weakest = (
        RunSubject.objects.filter(run=run, group=Role.WINDOW_OFFICER, grade__in=list(_ONE_DOWN))
        .order_by("final", "pk")
        .first()
    )
    if weakest is None:
        return
    assess.run_calibrate(
        actor=leader,
        run=run,
        moves=[
            assess.Move(
                weakest.pk, _ONE_DOWN[weakest.grade], "本季度两次窗口服务投诉经核实，考核委员会研究调整"
            )
        ],
    )


def _reviews(runs: list[Run]) -> None:
    """Two heads ask for a review of their department's result: one is answered, one waits."""
    leader, supervisor = _region_user(Role.LEADER), _region_user(Role.SUPERVISOR)
    asked = []
    for subject in (
        RunSubject.objects.filter(run__in=runs, unit__isnull=False, rank__isnull=False)
        .select_related("unit")
        .order_by("-rank", "pk")[:2]
    ):
        head = (
            RoleAssignment.objects.filter(role=Role.DEPARTMENT_HEAD, unit=subject.unit)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if head is None:
            continue
        asked.append(
            assess.review_request(
                actor=head.user,
                subject=subject,
                reason="本部门一季度有多件即办件因系统故障未能及时办结，申请剔除后重新核算",
            )
        )
    if asked:
        assess.review_answer(
            actor=supervisor if asked[0].requested_by_id == leader.pk else leader,
            request=asked[0],
            correct=False,
            answer="经核查，系统故障期间已按规定暂停计时，相关件办理超时与系统无关，维持原结果",
        )


def build(*, start: dt.date, now: dt.datetime) -> list[Run]:
    quality, leader = _region_user(Role.QUALITY_OFFICER), _region_user(Role.LEADER)
    quarters = whole_quarters(start, now.date())
    departments = Scheme.objects.create(
        code=SCHEME, name_zh="部门绩效考核", name_en="Department performance", subject="unit"
    )
    # Shrinkage toward the category mean: a department with 8 ratings is neither best nor worst by luck.
    version = _publish(departments, TABLES, MIN_SAMPLE, period_kind="quarter", ranking="shrinkage")
    staff = Scheme.objects.create(
        code=STAFF_SCHEME, name_zh="窗口与审批人员考核", name_en="Window and approval staff", subject="staff"
    )
    staff_version = _publish(
        staff, STAFF_TABLES, STAFF_MIN_SAMPLE, period_kind="quarter", ranking="shrinkage"
    )
    _adjustments(staff, quarters, now)
    runs = []
    for quarter in quarters:
        run = assess.run_compute(actor=quality, version=version, period=quarter, cutoff=now)
        runs.append(assess.run_finalize(actor=leader, run=run))
        staff_run = assess.run_compute(actor=quality, version=staff_version, period=quarter, cutoff=now)
        _calibrate(staff_run)
        runs.append(assess.run_finalize(actor=leader, run=staff_run))
    _reviews([r for r in runs if r.version_id == version.pk])
    return runs
