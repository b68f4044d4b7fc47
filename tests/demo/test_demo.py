"""The demo county: deterministic from its seed, realistic in size, and flawed only where planted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models, transaction
from django.test import Client
from django.utils import translation

from civicpulse.accounts.enums import Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, UnitCategory, User
from civicpulse.cases.enums import CaseStatus, SlaState
from civicpulse.cases.models import Case, CasePause, QueueLine, Ticket, Visit
from civicpulse.catalogue import linter
from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.models import Material, ProcedureVersion, Service, Step
from civicpulse.catalogue.selectors import catalogue_lint
from civicpulse.core.models import AuditEvent, WorkCalendar
from civicpulse.demo import builder, history
from civicpulse.quality.models import Action, Document, DocumentVersion, Nonconformity

pytestmark = pytest.mark.django_db

# Fields that hold primary keys or random salts: everything else must come out the same for the same seed.
# Case numbers and verification codes are drawn by `secrets`: cases are known by service and intake time.
# A rule key names the unit by its primary key, which differs between databases.
_SKIPPED_FIELDS = {
    "id",
    "password",
    "path",
    "target_id",
    "last_login",
    "number",
    "verification_digest",
    "rule_key",
}


@dataclass
class Demo:
    summary: builder.DemoSummary
    command_output: str
    digest_by_command: dict[str, str]
    digest_by_build: dict[str, str]
    progress: list[tuple[int, int, str]]


def _natural_keys() -> dict[type[models.Model], dict[Any, str]]:
    return {
        OrgUnit: dict(OrgUnit.objects.values_list("pk", "code")),
        UnitCategory: dict(UnitCategory.objects.values_list("pk", "code")),
        WorkCalendar: dict(WorkCalendar.objects.values_list("pk", "code")),
        User: dict(User.objects.values_list("pk", "username")),
        Service: dict(Service.objects.values_list("pk", "code")),
        ProcedureVersion: {
            pk: f"{code} v{number}"
            for pk, code, number in ProcedureVersion.objects.values_list("pk", "service__code", "number")
        },
        Case: {
            pk: f"{code} {at.isoformat()}"
            for pk, code, at in Case.objects.values_list("pk", "service__code", "intake_at")
        },
        QueueLine: {
            pk: f"{hall} {prefix}"
            for pk, hall, prefix in QueueLine.objects.values_list("pk", "hall__code", "prefix")
        },
        Document: dict(Document.objects.values_list("pk", "code")),
        Nonconformity: dict(Nonconformity.objects.values_list("pk", "number")),
    }


def _digest() -> dict[str, str]:
    """A hash of every demo row by natural fields: primary keys (which differ by database) are left out."""
    keys = _natural_keys()
    # Case numbers are random; events about a case's rating or rectification are labelled with it.
    by_number = {number: keys[Case][pk] for pk, number in Case.objects.values_list("pk", "number")}
    tables = {}
    for model in (
        UnitCategory,
        OrgUnit,
        User,
        RoleAssignment,
        Service,
        ProcedureVersion,
        Step,
        Material,
        AuditEvent,
        Case,
        CasePause,
        Visit,
        Ticket,
        # The quality year: documents, nonconformities raised by the rules and their actions.
        Document,
        DocumentVersion,
        Nonconformity,
        Action,
    ):
        rows = []
        for obj in model.objects.all():
            row = {}
            for f in model._meta.concrete_fields:
                if f.name in _SKIPPED_FIELDS:
                    continue
                value = getattr(obj, f.attname)
                if f.is_relation and value is not None:
                    value = keys[f.related_model][value]
                elif f.name == "contributor_ids":
                    value = sorted(keys[User][pk] for pk in value)
                elif f.name == "target_label" and getattr(obj, "target_type", "") == "cases.case":
                    value = keys[Case][int(obj.target_id)]
                elif f.name == "target_label" and value in by_number:
                    value = by_number[value]
                row[f.name] = value
            rows.append(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False))
        tables[model.__name__] = sorted(rows)
    # One digest per table, so a failure names the table that differs.
    return {
        name: hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
        for name, rows in tables.items()
    }


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Demo]:
    """Build the county twice into an empty database (once by the command, once by `build`), keep the second.

    Building takes seconds, so the module shares one county; every test still runs in its own savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        empty = transaction.savepoint()
        out = StringIO()
        call_command("demo", "--seed", "2026", "--today", "2026-06-05", stdout=out, stderr=StringIO())
        by_command = _digest()
        transaction.savepoint_rollback(empty)
        assert not OrgUnit.objects.exists()
        progress: list[tuple[int, int, str]] = []
        summary = builder.build(
            seed=2026, progress=lambda done, total, stage: progress.append((done, total, stage))
        )
        yield Demo(summary, out.getvalue(), by_command, _digest(), progress)
        transaction.set_rollback(True)


def _published_versions() -> dict[str, int]:
    return dict(
        ProcedureVersion.objects.filter(status=VersionStatus.PUBLISHED).values_list("service__code", "number")
    )


def test_the_same_seed_builds_the_same_county(demo: Demo) -> None:
    assert demo.digest_by_command == demo.digest_by_build


def test_a_different_seed_draws_different_people() -> None:
    import random

    first = builder._County(random.Random(1), None, builder.Timeline(builder.DEMO_NOW))
    second = builder._County(random.Random(2), None, builder.Timeline(builder.DEMO_NOW))
    assert [first._person() for _ in range(20)] != [second._person() for _ in range(20)]


def test_the_county_has_the_expected_shape(demo: Demo) -> None:
    units = OrgUnit.objects.all()
    departments = units.filter(kind=UnitKind.DEPARTMENT)
    assert units.filter(kind=UnitKind.REGION).get().calendar.code == "CN"
    assert 22 <= departments.count() <= 28
    assert UnitCategory.objects.count() == 4
    assert set(departments.values_list("category__code", flat=True)) == set(
        UnitCategory.objects.values_list("code", flat=True)
    )
    for department in departments:
        assert 1 <= department.children.filter(kind=UnitKind.SECTION).count() <= 3, department.code
    assert units.filter(kind=UnitKind.HALL).count() == 2
    windows = units.filter(kind=UnitKind.WINDOW)
    assert 35 <= windows.count() <= 45
    assert not windows.exclude(serving_unit__kind=UnitKind.DEPARTMENT).exists()


def test_staff_sit_where_their_roles_are(demo: Demo) -> None:
    staff = User.objects.filter(kind=UserKind.STAFF)
    assert 280 <= staff.count() <= 320
    assert staff.exclude(employee_number=None).count() == staff.count()
    assert 0 < staff.filter(on_probation=True).count() <= 0.1 * staff.count()
    kinds_by_role = {
        Role.WINDOW_OFFICER: {UnitKind.WINDOW},
        Role.APPROVER: {UnitKind.SECTION},
        Role.DEPARTMENT_HEAD: {UnitKind.DEPARTMENT},
        Role.QUALITY_OFFICER: {UnitKind.REGION},
        Role.SUPERVISOR: {UnitKind.REGION},
        Role.LEADER: {UnitKind.REGION},
        Role.ADMINISTRATOR: {UnitKind.REGION},
    }
    for role, kinds in kinds_by_role.items():
        assert set(RoleAssignment.objects.filter(role=role).values_list("unit__kind", flat=True)) == kinds, (
            role
        )
    names = Counter(staff.values_list("full_name", flat=True))
    assert len(names) > 0.9 * staff.count()
    assert User.objects.filter(kind=UserKind.CITIZEN).count() == 1 + history.CITIZENS


def test_the_catalogue_is_published_with_revisions(demo: Demo) -> None:
    published = _published_versions()
    assert 140 <= len(published) <= 160
    assert demo.summary.published_services == len(published)
    assert sum(1 for number in published.values() if number == 2) >= 15
    assert ProcedureVersion.objects.filter(status=VersionStatus.RETIRED, number=1).count() >= 15
    assert ProcedureVersion.objects.filter(status=VersionStatus.IN_REVIEW).exists()
    assert not ProcedureVersion.objects.filter(author=None).exists()
    versions = ProcedureVersion.objects.filter(status=VersionStatus.PUBLISHED)
    assert versions.filter(promised_limit_days=0).count() >= 20  # immediate services
    assert versions.exclude(fee_yuan=0).count() < versions.count() / 5  # most are free
    for version in versions.prefetch_related("steps", "materials"):
        assert 2 <= len(version.steps.all()) <= 6, version
        assert 2 <= len(version.materials.all()) <= 8, version
    names = Counter(Service.objects.values_list("responsible_unit", "name_zh"))
    assert max(names.values()) == 1


def test_every_published_version_passes_the_error_rules(demo: Demo) -> None:
    published = _published_versions()
    findings = catalogue_lint(services=Service.objects.all())
    failing = [
        f.as_dict()
        for f in linter.blocking(findings)
        if f.version is not None and published.get(f.service_code) == f.version
    ]
    assert failing == []


def test_the_linter_finds_the_planted_flaws(demo: Demo) -> None:
    findings = catalogue_lint(services=Service.objects.all())
    errors = {f.rule for f in findings if f.severity == linter.Severity.ERROR}
    warnings = {f.rule for f in findings if f.severity == linter.Severity.WARNING}
    assert errors == {
        "service.no_owner",
        "service.overlapping_units",
        "version.budget_above_promised",
        "version.promised_above_statutory",
        "version.no_materials",
        "version.cycle",
        "step.unreachable",
        "step.no_unit",
    }
    assert {"step.no_role", "version.no_compression"} <= warnings
    assert 10 <= len({f.service_code for f in findings}) <= 16
    assert (demo.summary.lint_errors, demo.summary.lint_warnings) == (
        len(linter.blocking(findings)),
        len(findings) - len(linter.blocking(findings)),
    )


def test_the_history_follows_the_frozen_clock(demo: Demo) -> None:
    times = AuditEvent.objects.values_list("occurred_at", flat=True)
    assert min(times) >= builder.DEMO_NOW.replace(year=2025, month=11, day=1)
    assert max(times) <= builder.DEMO_NOW
    assert max(User.objects.values_list("date_joined", flat=True)) <= builder.DEMO_NOW


def test_progress_reaches_the_announced_total(demo: Demo) -> None:
    done, total, _stage = demo.progress[-1]
    assert done == total == builder.work_total()
    assert [d for d, _t, _s in demo.progress] == list(range(1, total + 1))


@pytest.mark.parametrize(("username", "role"), builder.DEMO_LOGINS)
def test_each_demo_login_can_sign_in(demo: Demo, username: str, role: str) -> None:
    assert Client().login(username=username, password=builder.DEMO_PASSWORD)
    assert username in demo.command_output


def test_the_admin_login_opens_the_back_office(demo: Demo) -> None:
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.role_codes() == {Role.ADMINISTRATOR}


def test_the_command_prints_counts_and_logins(demo: Demo) -> None:
    assert builder.DEMO_PASSWORD in demo.command_output
    assert f"{demo.summary.staff}" in demo.command_output


def test_the_command_refuses_a_database_with_units(demo: Demo) -> None:
    units = OrgUnit.objects.count()
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO(), stderr=StringIO())
    assert OrgUnit.objects.count() == units


def test_if_empty_skips_a_database_with_units(demo: Demo) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("demo", "--if-empty", stdout=out, stderr=StringIO())
    assert "skipped" in out.getvalue()
    assert Service.objects.count() == demo.summary.services


def test_the_case_history_has_every_status(demo: Demo) -> None:
    cases = Case.objects.all()
    assert 0.9 * builder.CASES_TOTAL <= cases.count() <= builder.CASES_TOTAL
    assert demo.summary.cases == cases.count()
    statuses = set(cases.values_list("status", flat=True))
    assert {CaseStatus.IN_PROGRESS, CaseStatus.DELIVERED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN} <= statuses
    assert cases.filter(decision="denied").exists()
    assert 0.5 < cases.filter(channel="hall").count() / cases.count() < 0.9
    assert CasePause.objects.filter(kind="supplement").exists()
    assert not cases.filter(intake_at__gt=builder.DEMO_NOW).exists()
    assert min(cases.values_list("intake_at", flat=True)) >= builder.DEMO_NOW.replace(
        year=2025, month=12, day=1
    )


def test_the_time_limit_scan_left_warnings_and_overdue_cases(demo: Demo) -> None:
    open_cases = Case.objects.filter(
        status__in=[CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.PAUSED]
    )
    assert demo.summary.open_cases == open_cases.count() > 0
    assert open_cases.filter(sla_state=SlaState.WARNING).exists()
    assert demo.summary.overdue_cases == open_cases.filter(sla_state=SlaState.OVERDUE).count() > 0


def test_visits_and_tickets_follow_the_hall_cases(demo: Demo) -> None:
    hall = Case.objects.filter(channel="hall")
    assert not Visit.objects.filter(case__channel="online").exists()
    assert Visit.objects.filter(kind="intake").count() == hall.count()
    assert Visit.objects.filter(kind="pickup").exists()
    visits = Counter(Visit.objects.values_list("case_id", flat=True))
    at_most_once = sum(1 for pk in Case.objects.values_list("pk", flat=True) if visits[pk] <= 1)
    assert at_most_once / Case.objects.count() > 0.8
    assert Ticket.objects.filter(status="done").count() == hall.count()
    assert not Ticket.objects.filter(status__in=["waiting", "called", "serving"]).exists()


@pytest.mark.parametrize(
    ("today", "monday"),
    [("2026-11-29", "2026-11-23"), ("2026-11-30", "2026-11-30"), ("2026-12-04", "2026-11-30")],
)
def test_the_demo_history_ends_on_the_monday_of_this_week(today: str, monday: str) -> None:
    now = builder.demo_now(dt.date.fromisoformat(today))
    assert now.date() == dt.date.fromisoformat(monday) and (now.hour, now.minute) == (9, 0)
    assert builder.Timeline(now).org_start == now - dt.timedelta(weeks=30)


def test_a_timeline_must_end_on_a_monday() -> None:
    with pytest.raises(ValueError):
        builder.Timeline(builder.DEMO_NOW + dt.timedelta(days=1))


def test_the_history_has_ratings_on_every_channel_and_pads_rate_higher_than_the_web(demo: Demo) -> None:
    from django.db.models import Avg

    from civicpulse.evaluations.models import Evaluation, FraudFlag

    channels = dict(Evaluation.objects.values_list("channel").annotate(avg=Avg("level")))
    assert set(channels) == {"pad", "portal", "link", "kiosk", "hotline"}
    assert channels["pad"] > channels["portal"]
    assert (
        Evaluation.objects.filter(grade="bad").exists() and Evaluation.objects.filter(grade="good").exists()
    )
    # The planted fraud (a kiosk burst, officers rating their own cases) waits in quarantine.
    assert set(FraudFlag.objects.values_list("code", flat=True)) >= {"burst_device", "staff_self"}
    assert Evaluation.objects.filter(status="quarantined").exists()


def test_the_history_has_rectifications_in_every_state_and_appeals(demo: Demo) -> None:
    from civicpulse.rectification.enums import OrderStatus
    from civicpulse.rectification.models import Appeal, RectificationOrder

    assert set(RectificationOrder.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert set(Appeal.objects.values_list("status", flat=True)) >= {"pending", "upheld", "rejected"}
    from civicpulse.evaluations.models import Evaluation

    # An upheld appeal takes the review out of the indicators; the row stays.
    assert Evaluation.objects.filter(status="excluded", exclusion="appeal").exists()


def test_the_demo_has_a_published_scheme_and_a_finalized_run_per_whole_quarter(demo: Demo) -> None:
    from civicpulse.assessment.models import Run, SchemeVersion

    version = SchemeVersion.objects.get(scheme__code="departments")
    assert version.status == "published" and version.approver != version.author
    runs = Run.objects.filter(version=version)
    assert [r.period for r in runs] == ["2026-Q1"]  # December 2025 to May 2026 holds one whole quarter
    run = runs.get()
    assert run.status == "finalized" and run.subjects.filter(rank__isnull=False).exists()
    assert {s.group for s in run.subjects.all()} == {"window", "approval", "town", "enforcement"}


@pytest.mark.parametrize(
    ("start", "end", "quarters"),
    [
        ("2025-12-01", "2026-06-01", ["2026-Q1"]),
        ("2026-05-25", "2026-11-23", ["2026-Q3"]),
        ("2026-01-01", "2027-01-01", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
        ("2026-01-02", "2026-03-31", []),
    ],
)
def test_the_demo_runs_every_quarter_wholly_inside_its_history(
    start: str, end: str, quarters: list[str]
) -> None:
    from civicpulse.demo.assessment import whole_quarters

    assert whole_quarters(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == quarters


def test_the_demo_assesses_staff_by_role_with_items_a_calibration_and_review_requests(demo: Demo) -> None:
    from civicpulse.assessment.models import (
        Adjustment,
        Calibration,
        ReviewRequest,
        Run,
        RunSubject,
        SchemeVersion,
    )

    version = SchemeVersion.objects.get(scheme__code="staff", status="published")
    assert version.approver != version.author and len(version.adjustment_items) == 4
    run = Run.objects.get(version=version)
    assert run.period == "2026-Q1" and run.status == "finalized"
    rows = RunSubject.objects.filter(run=run)
    assert {s.group for s in rows} == {"window_officer", "approver"}
    assert not rows.filter(unit__isnull=False).exists()
    officers = rows.filter(group="window_officer")
    # The busy counters' officers met enough applicants in a quarter to be ranked (back-office officers of
    # the branch windows did not: shown as insufficient data); probationers are never graded.
    assert officers.filter(rank__isnull=False).count() >= 20
    assert officers.filter(rank__isnull=True).exists()
    assert not rows.filter(probation=True).exclude(grade="").exists()
    assert rows.filter(staff__on_probation=True).exists()
    assert Adjustment.objects.filter(scheme__code="staff").count() == 4
    assert rows.exclude(bonus=0).exists() and rows.exclude(penalty=0).exists()
    [moved] = Calibration.objects.filter(subject__run=run)
    grades = ["outstanding", "competent", "basic", "incompetent"]
    assert grades.index(moved.to_grade) == grades.index(moved.from_grade) + 1 and moved.reason
    assert (moved.subject.computed_grade, moved.subject.grade) == (moved.from_grade, moved.to_grade)
    statuses = sorted(ReviewRequest.objects.values_list("status", flat=True))
    assert statuses == ["pending", "rejected"]


def test_the_quality_year_is_a_living_system(demo: Demo) -> None:
    from civicpulse.quality.models import ManagementReview
    from civicpulse.quality.models.internal_audits import InternalAudit
    from civicpulse.quality.models.self_assessment import CafAssessment, Diagnostic

    raised = Nonconformity.objects.exclude(source__in=["manual", "complaint"])
    assert raised.filter(source="bad_reviews").exists(), "the rules found repeated bad reviews in the history"
    assert all(nc.records.exists() for nc in raised)
    assert Action.objects.filter(status="done").exists() and Action.objects.filter(status="open").exists()
    assert Nonconformity.objects.filter(source="audit").count() == 1
    assert (
        Nonconformity.objects.filter(status="closed").exists()
        and Nonconformity.objects.filter(checked_at__isnull=False).exists()
    )
    assert ManagementReview.objects.filter(status="held").exists()
    assert InternalAudit.objects.filter(status="reported").count() == 1
    assert CafAssessment.objects.filter(status="completed").count() == 2
    assert Diagnostic.objects.filter(status="completed").count() == 1
    assert DocumentVersion.objects.filter(status="superseded").count() == 2
    # Built in the order things happened: numbers follow the days they were raised.
    numbers = list(Nonconformity.objects.order_by("raised_at", "pk").values_list("number", flat=True))
    assert numbers == sorted(numbers)
