"""The demo county's quality system, a year of it: controlled documents issued, revised and read (one left
overdue for review), nonconformities raised month by month by the rules over the county's own ratings and
cases, analysed and acted on, checked for effectiveness; and quarterly management reviews with decisions
and actions followed up. Everything goes through the services at the moment it happens (a frozen clock),
so the audit trail tells the year as it would have been lived."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.utils import timezone

from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.core import clock
from civicpulse.demo.assessment import _region_user, whole_quarters
from civicpulse.quality import reviews
from civicpulse.quality import services as quality
from civicpulse.quality.enums import NcStatus
from civicpulse.quality.models import Nonconformity
from civicpulse.quality.reviews import OutputKind

DOCUMENTS = [
    # (code, Chinese title, English title, kind, roles that acknowledge, days before the history, revised)
    ("QM-01", "政务服务质量手册", "Service quality manual", "manual", [], 24, True),
    (
        "POL-01",
        "好差评管理办法",
        "Good and bad review policy",
        "policy",
        [Role.WINDOW_OFFICER, Role.APPROVER, Role.DEPARTMENT_HEAD],
        20,
        False,
    ),
    (
        "WI-01",
        "窗口受理作业指导书",
        "Window intake work instruction",
        "work_instruction",
        [Role.WINDOW_OFFICER],
        10,
        True,
    ),
    ("SS-01", "大厅服务规范", "Service hall standard", "service_standard", [Role.WINDOW_OFFICER], 12, False),
]
# A county of 500 cases in half a year rarely reaches the production thresholds in one unit and month;
# its quality office watches closer, so the rules have something to find.
DEMO_THRESHOLDS = quality.Thresholds(bad_reviews=2, late_cases=2, late_share=0.1)
WHYS = [
    [
        "Citizens waited for materials to be checked",
        "The materials list was unclear",
        "The list was never reviewed",
    ],
    ["Approvals ran late", "One approver held every file", "No deputy was named"],
    ["Replies were curt", "Staff were rushed at peak hours", "Windows were not added at peak hours"],
]
CAUSES = ["materials", "management", "people"]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_default_timezone())


def _head_of(unit: OrgUnit | None) -> User | None:
    """The head of the unit or of its nearest ancestor that has one (a window: the department it serves)."""
    if unit is None:
        return None
    if unit.serving_unit is not None:
        unit = unit.serving_unit
    heads = {
        a.unit.path: a.user
        for a in RoleAssignment.objects.filter(role=Role.DEPARTMENT_HEAD)
        .select_related("unit", "user")
        .order_by("user__username")
    }
    path = unit.path
    while path:
        if path in heads:
            return heads[path]
        path = path[: path.rstrip("/").rfind("/") + 1] if path.rstrip("/").count("/") else ""
    return None


def _documents(rng: random.Random, start: dt.date, now: dt.datetime, office: User, leader: User) -> None:
    """Issued as the county sets up, before its history starts; two revised a hundred days in."""
    region = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert region is not None
    for code, title_zh, title_en, kind, roles, days, revised in DOCUMENTS:
        issued = start - dt.timedelta(days=days)
        with clock.frozen(_at(issued)):
            draft = quality.document_create(
                actor=office,
                code=code,
                title_zh=title_zh,
                title_en=title_en,
                kind=kind,
                owner_unit=region,
                roles=roles,
                body=f"{title_zh}\n\n{title_en}: first issue.",
            )
            quality.document_version_submit(actor=office, version=draft)
        with clock.frozen(_at(issued + dt.timedelta(days=2))):
            version = quality.document_version_approve(actor=leader, version=draft)
        if revised:
            with clock.frozen(_at(start + dt.timedelta(days=100))):
                second = quality.document_version_draft(
                    actor=office,
                    document=version.document,
                    body=f"{title_zh}\n\n{title_en}: revised after the first management review.",
                    change_reason="管理评审决定修订 / Revised as the management review decided.",
                )
                quality.document_version_submit(actor=office, version=second)
            with clock.frozen(_at(start + dt.timedelta(days=103))):
                version = quality.document_version_approve(actor=leader, version=second)
        # Most of those it binds have read it, not all: the office's list of who has not is not empty.
        for reader in quality.bound_readers(version.document):
            if rng.random() < 0.7:
                with clock.frozen(
                    _at(version.effective_on or issued, 15) + dt.timedelta(days=rng.randint(1, 20))
                ):
                    quality.document_acknowledge(actor=reader, version=version)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    found, day = [], dt.date(start.year, start.month, 1)
    while day <= end:
        found.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return found


def _work_on(rng: random.Random, nc: Nonconformity, day: dt.date, office: User, now: dt.datetime) -> None:
    """The quality office analyses a new nonconformity and gives the unit's head an action; the head does
    it within two weeks most of the time."""
    owner = _head_of(quality.nc_subject_unit(nc)) or office
    pick = rng.randrange(len(WHYS))
    with clock.frozen(_at(day)):
        quality.nc_analyse(
            actor=office,
            nc=nc,
            containment="回访每位差评群众并致歉 / Called every citizen back and apologised.",
            whys=WHYS[pick],
            cause_category=CAUSES[pick],
            root_cause=WHYS[pick][-1],
            owner=owner,
        )
        action = quality.action_add(
            actor=office,
            nc=nc,
            kind="corrective",
            description="消除根本原因并更新作业指导书 / Remove the root cause, update the work instruction.",
            owner=owner,
            working_days=10,
        )
    done = _at(day + dt.timedelta(days=rng.randint(3, 12)), 16)
    if rng.random() < 0.8 and done < now:
        with clock.frozen(done):
            quality.action_complete(
                actor=owner, action=action, result="已完成并培训窗口人员 / Done; window staff briefed."
            )


def _nonconformities(
    rng: random.Random,
    start: dt.date,
    now: dt.datetime,
    office: User,
    between: list[tuple[dt.date, Callable[[], None]]],
) -> None:
    """Month by month, in the order things happened: what `between` holds runs on its day, before the
    next scan, so nonconformities are numbered in the order they were raised."""
    pending = sorted(between, key=lambda item: item[0])
    for month in _months(start, now.date()):
        scan_day = month + dt.timedelta(days=2)
        if scan_day >= now.date():
            break
        while pending and pending[0][0] < scan_day:
            pending.pop(0)[1]()
        with clock.frozen(_at(scan_day, 7)):
            quality.quality_scan(thresholds=DEMO_THRESHOLDS)
        for nc in Nonconformity.objects.filter(status=NcStatus.OPEN, root_cause="").order_by("pk"):
            if _at(scan_day + dt.timedelta(days=1)) < now:
                _work_on(rng, nc, scan_day + dt.timedelta(days=1), office, now)
    for _day, happen in pending:
        happen()
    with clock.frozen(now):
        quality.quality_scan(thresholds=DEMO_THRESHOLDS)
        # One the check could not confirm: too few ratings since, and no new bad review. The office closes
        # it with a note rather than leave it open for ever.
        doubtful = Nonconformity.objects.filter(status=NcStatus.ACTIONS, checked_at__isnull=False).order_by(
            "pk"
        )
        for nc in doubtful[:1]:
            if not nc.actions.filter(status="open").exists():
                quality.nc_close(
                    actor=office,
                    nc=nc,
                    note=(
                        "复测样本不足，此后无新差评，予以关闭。 / "
                        "Too few ratings to re-measure and no new bad review since."
                    ),
                )


def _reviews(start: dt.date, now: dt.datetime, office: User, leader: User) -> None:
    region = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert region is not None
    heads = list(
        User.objects.filter(
            pk__in=RoleAssignment.objects.filter(role=Role.DEPARTMENT_HEAD).values("user_id")
        ).order_by("username")[:4]
    )
    for i, quarter in enumerate(whole_quarters(start, now.date())):
        year, q = int(quarter[:4]), int(quarter[-1])
        first = dt.date(year, 3 * q - 2, 1)
        after = dt.date(year + (3 * q) // 12, (3 * q) % 12 + 1, 1)
        held = after + dt.timedelta(days=10)
        with clock.frozen(_at(after + dt.timedelta(days=3))):
            review = reviews.review_create(
                actor=office,
                unit=region,
                title=f"{quarter} 管理评审 / Management review",
                period_start=first,
                period_end=after - dt.timedelta(days=1),
            )
            reviews.review_inputs_set(
                actor=office,
                review=review,
                issues="网办需求上升 / Demand moving online.",
                resources="大厅高峰时段人手不足 / Hall short-staffed at peak hours.",
                risks="差评整改按时率仍需提高 / On-time rectification still to improve.",
            )
        if _at(held) >= now:
            continue  # the quarter ended too recently: the review is planned, not yet held
        with clock.frozen(_at(held)):
            reviews.review_output_add(
                actor=office,
                review=review,
                kind=OutputKind.DECISION,
                text="保持20分钟等候目标 / Keep the 20-minute wait target.",
            )
            reviews.review_output_add(
                actor=office,
                review=review,
                kind=OutputKind.ACTION,
                text="高峰时段增开窗口 / Open more windows at peak hours.",
                owner=heads[i % len(heads)] if heads else leader,
                due_on=held + dt.timedelta(days=60),
            )
            reviews.review_hold(
                actor=office, review=review, held_on=held, chair=leader, attendees="领导班子、各部门负责人"
            )
    for output in reviews.ReviewOutput.objects.filter(kind=OutputKind.ACTION, status="open").order_by("pk")[
        :1
    ]:
        with clock.frozen(
            min(_at(output.due_on or now.date()) - dt.timedelta(days=5), now - dt.timedelta(hours=2))
        ):
            reviews.review_output_done(actor=output.owner or leader, output=output)


def _audits(start: dt.date, now: dt.datetime, office: User, leader: User) -> None:
    """The year's audit programme: one audit of the demo department done (an observation, and a minor
    finding that opened a nonconformity), one planned."""
    from civicpulse.quality import internal_audits as ia
    from civicpulse.quality.models.internal_audits import ChecklistItem

    head = (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HEAD, user__username="head")
        .select_related("unit")
        .first()
    )
    audited = head.unit if head else OrgUnit.objects.filter(kind="department").order_by("pk").first()
    assert audited is not None
    other = OrgUnit.objects.filter(kind="department").exclude(pk=audited.pk).order_by("pk").first()
    assert other is not None
    # Dates follow the demo's timeline (`--today` moves it): drawn up a month into the history.
    drawn = start + dt.timedelta(days=35)
    year, audit_day = drawn.year, start + dt.timedelta(days=80)
    with clock.frozen(_at(drawn)):
        programme = ia.programme_create(
            actor=office, year=year, title=f"{year} 年度内部审核方案 / Internal audits {year}"
        )
        first = ia.audit_plan(
            actor=office,
            programme=programme,
            title="受理与办结过程审核 / Intake and decision process",
            scope=ia.Scope(
                units=[audited],
                services=[],
                clauses=["8.2.1", "8.5.1", "9.1.2"],
                criteria="办事指南与承诺时限 / Service guides and promised limits",
            ),
            planned_on=audit_day if audit_day.year == year else dt.date(year, 12, 1),
        )
        ia.audit_plan(
            actor=office,
            programme=programme,
            title="差评整改过程审核 / Rectification of bad reviews",
            scope=ia.Scope(
                units=[other],
                services=[],
                clauses=["9.1.2", "10.2"],
                criteria="好差评管理办法 / Good and bad review policy",
            ),
            planned_on=dt.date(year, 12, 15),
        )
        ia.audit_team_set(actor=office, audit=first, lead=office, auditors=[])
    with clock.frozen(_at(drawn + dt.timedelta(days=2))):
        ia.programme_approve(actor=leader, programme=programme)
    with clock.frozen(_at(first.planned_on)):
        ia.audit_start(actor=office, audit=first)
        ia.checklist_add(
            actor=office,
            audit=first,
            items=[
                ("8.2.1", "办事指南是否一次告知全部材料？ / Does the guide list every material at once?"),
                ("8.5.1", "是否在承诺时限内办结？ / Are cases decided within the promised limit?"),
                ("9.1.2", "差评是否按时回访？ / Are bad reviews called back on time?"),
            ],
        )
        items = list(ChecklistItem.objects.filter(audit=first).order_by("pk"))
        ia.checklist_record(
            actor=office,
            audit=first,
            answers=[
                ia.Answer(item_id=items[0].pk, result="conformity"),
                ia.Answer(item_id=items[1].pk, result="minor", note="3 件超时 / 3 cases late"),
                ia.Answer(item_id=items[2].pk, result="observation"),
            ],
        )
        ia.finding_record(
            actor=office,
            audit=first,
            clause="8.5.1",
            kind="minor",
            description="抽查 20 件中 3 件超过承诺时限 / 3 of 20 sampled cases went past the promised limit",
            evidence="抽查案卷清单 / List of sampled case files",
            unit=audited,
        )
        ia.finding_record(
            actor=office,
            audit=first,
            clause="9.1.2",
            kind="observation",
            description="回访记录未写明回访人 / Callback notes do not name the caller",
            evidence="",
            unit=audited,
        )
    with clock.frozen(_at(first.planned_on + dt.timedelta(days=2))):
        ia.audit_report_record(
            actor=office,
            audit=first,
            report="总体符合，时限管理需加强。 / Conforms overall; time limits need attention.",
        )


def _self_assessments(rng: random.Random, start: dt.date, now: dt.datetime, office: User) -> None:
    """Two CAF self-assessments of the county half a year apart (the second a little better), and an ISO
    18091 diagnostic."""
    from civicpulse.quality import reference
    from civicpulse.quality import self_assessment as sa

    region = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert region is not None
    base = {s.number: rng.randint(30, 65) for s in reference.CAF_SUBCRITERIA}
    for day, lift in ((start - dt.timedelta(days=5), 0), (now.date() - dt.timedelta(days=10), 8)):
        label = f"{day.year}-H{1 if day.month <= 6 else 2}"
        with clock.frozen(_at(day)):
            assessment = sa.caf_create(actor=office, unit=region, title=f"CAF {label}", period=label)
            for sub in reference.CAF_SUBCRITERIA:
                score = min(100, base[sub.number] + (rng.randint(0, lift) if lift else 0))
                sa.caf_score_set(
                    actor=office,
                    assessment=assessment,
                    sub_criterion=sub.number,
                    score=score,
                    strengths="有明确职责 / Clear duties",
                    areas_for_improvement="数据利用不足 / Data under-used",
                    actions="纳入下一年度计划 / In next year's plan",
                )
            sa.caf_complete(actor=office, assessment=assessment)
    lights = ("green", "yellow", "yellow", "red")
    with clock.frozen(_at(now.date() - dt.timedelta(days=20))):
        diagnostic = sa.diagnostic_create(
            actor=office, unit=region, title="ISO 18091 诊断", assessed_on=now.date() - dt.timedelta(days=20)
        )
        for indicator in reference.ISO18091_INDICATORS:
            sa.diagnostic_rate(
                actor=office,
                diagnostic=diagnostic,
                indicator=indicator.code,
                light=lights[rng.randrange(len(lights))],
                evidence="年度工作报告及统计数据 / Annual report and statistics",
            )
        sa.diagnostic_complete(actor=office, diagnostic=diagnostic)


def build(*, start: dt.date, now: dt.datetime, seed: int) -> None:
    rng = random.Random(seed)
    office, leader = _region_user(Role.QUALITY_OFFICER), _region_user(Role.LEADER)
    _documents(rng, start, now, office, leader)
    # The audit programme is drawn up a month in and its first audit reported 82 days in (_audits): its
    # finding's nonconformity comes after the scans before that day and before those after.
    _nonconformities(
        rng,
        start,
        now,
        office,
        [(start + dt.timedelta(days=82), lambda: _audits(start, now, office, leader))],
    )
    _reviews(start, now, office, leader)
    _self_assessments(rng, start, now, office)
    # A complaint by letter about the demo head's department, raised by hand and still being worked on.
    head = (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HEAD, user__username="head")
        .select_related("unit")
        .first()
    )
    dept = head.unit if head else OrgUnit.objects.filter(kind="department").order_by("pk").first()
    with clock.frozen(now - dt.timedelta(days=6)):
        quality.nc_raise(
            actor=office,
            title="群众来信反映窗口态度生硬 / A letter about a curt reply at a window",
            description=(
                "来信称窗口人员答复生硬，未一次性告知所需材料。 / "
                "The letter says the reply was curt and the materials were not told at once."
            ),
            source="complaint",
            severity="minor",
            unit=dept,
        )
