"""The demo county (示例县): organisation, staff and catalogue, built from a seed by the service functions.

Everything goes through the same services the application uses, so permissions, audit events and the duty
linter apply. The clock is frozen at fixed office hours and every choice comes from one `random.Random(seed)`:
the same seed gives the same database content (password hashes aside, which are salted at random).

A few services carry deliberate flaws (see `_plant_flaws`), so the duty linter has something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role, UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, UnitCategory, User
from civicpulse.cases.enums import OPEN_STATUSES, SlaState
from civicpulse.cases.models import Case, QueueLine
from civicpulse.cases.services import sla_scan
from civicpulse.catalogue import linter
from civicpulse.catalogue import services as cat
from civicpulse.catalogue.enums import Channels, PowerKind, ServiceMode, VersionStatus
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.catalogue.selectors import catalogue_lint
from civicpulse.core import clock
from civicpulse.core.errors import Conflict
from civicpulse.core.models import WorkCalendar
from civicpulse.dashboards import rollup as dashboards_rollup
from civicpulse.demo import assessment as demo_assessment
from civicpulse.demo import history, names
from civicpulse.demo import quality as demo_quality
from civicpulse.demo.names import DepartmentSpec, MaterialSpec, ServiceSpec
from civicpulse.publication import demo as demo_publication
from civicpulse.rectification.services import rectification_scan
from civicpulse.reports import demo as demo_reports

DEMO_PASSWORD = "civicpulse-demo"  # noqa: S105 - published in the README, for the demo logins only
TIME_ZONE = ZoneInfo("Asia/Shanghai")
# The reference "now" (a Monday) of the tests: the county is set up 30 weeks before it, its cases run over
# the 26 weeks before it. `civicpulse demo` uses the Monday of the current week instead, so that the open
# cases of a fresh demo are current work rather than months overdue.
DEMO_NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=TIME_ZONE)


def demo_now(today: dt.date) -> dt.datetime:
    """09:00 on the Monday of `today`'s week."""
    monday = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(monday, dt.time(9, 0), TIME_ZONE)


@dataclass(frozen=True)
class Timeline:
    now: dt.datetime

    def __post_init__(self) -> None:
        if self.now.weekday() != 0:
            raise ValueError("the demo's now must be a Monday")

    @property
    def org_start(self) -> dt.datetime:
        return self.now - dt.timedelta(weeks=30)

    @property
    def catalogue_start(self) -> dt.datetime:
        return self.now - dt.timedelta(weeks=29)

    @property
    def revisions_start(self) -> dt.datetime:
        return self.now - dt.timedelta(weeks=7)

    @property
    def pending_start(self) -> dt.datetime:
        return self.now - dt.timedelta(weeks=2)


# The sign-in accounts printed by `civicpulse demo`, all with DEMO_PASSWORD.
DEMO_LOGINS: list[tuple[str, Promise]] = [
    ("admin", Role.ADMINISTRATOR.label),
    ("leader", Role.LEADER.label),
    ("supervisor", Role.SUPERVISOR.label),
    ("quality", Role.QUALITY_OFFICER.label),
    ("head", Role.DEPARTMENT_HEAD.label),
    ("approver", Role.APPROVER.label),
    ("window", Role.WINDOW_OFFICER.label),
    ("citizen", UserKind.CITIZEN.label),
]
# The department whose head, approver and window officer are demo logins.
DEMO_DEPARTMENT = "market"

STAFF_TOTAL = 300
PROBATION_SHARE = 0.05
REVISIONS = 20  # services whose v1 is retired and v2 published
IN_REVIEW = 2
SENT_BACK = 1
CASES_TOTAL = 500  # applications over the 26 weeks before the demo's now (about 25 ms each on SQLite)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    regions: int
    categories: int
    departments: int
    sections: int
    halls: int
    windows: int
    staff: int
    citizens: int
    services: int
    published_services: int
    procedure_versions: int
    lint_errors: int
    lint_warnings: int
    cases: int
    open_cases: int
    overdue_cases: int

    def rows(self) -> list[tuple[Promise, int]]:
        return [
            (_("regions"), self.regions),
            (_("departments"), self.departments),
            (_("unit categories"), self.categories),
            (_("sections"), self.sections),
            (_("service halls"), self.halls),
            (_("windows"), self.windows),
            (_("staff"), self.staff),
            (_("citizens"), self.citizens),
            (_("services"), self.services),
            (_("services with a published procedure"), self.published_services),
            (_("procedure versions"), self.procedure_versions),
            (_("duty linter errors"), self.lint_errors),
            (_("duty linter warnings"), self.lint_warnings),
            (_("cases"), self.cases),
            (_("open cases"), self.open_cases),
            (_("overdue cases"), self.overdue_cases),
        ]


def build(
    seed: int = 2026,
    progress: Progress | None = None,
    cases: int = CASES_TOTAL,
    now: dt.datetime = DEMO_NOW,
) -> DemoSummary:
    """Build the demo county in one transaction. Refuses a database that already has organisation units.

    `cases` is the number of applications in the case history (fewer make a quicker county); `now`, a
    Monday, is where the history ends.
    """
    timeline = Timeline(now)
    if OrgUnit.objects.exists():
        raise Conflict(
            _("The database already holds organisation units; the demo county needs an empty one."),
            code="demo_database_not_empty",
        )
    with transaction.atomic(), clock.frozen(now):
        county = _County(random.Random(seed), progress, timeline, cases)
        county.build()
        return _summarise(seed)


def work_total(cases: int = CASES_TOTAL) -> int:
    """How many progress steps `build` reports, known before it starts."""
    units = 1 + len(names.CATEGORIES) + len(names.HALLS)
    units += sum(1 + len(d.sections) + d.main_windows + d.branch_windows for d in names.DEPARTMENTS)
    services = sum(len(d.services) for d in names.DEPARTMENTS)
    flaws = len(_FLAWS_AFTER_PUBLISHING) + len(names.OVERLAPS) + 2  # + the two draft-only new services
    # Each arrival, then the time-limit scan, the assessment, the quality year, the reports and the
    # dashboards.
    history = cases + 5
    return units + STAFF_TOTAL + 1 + services + REVISIONS + IN_REVIEW + SENT_BACK + flaws + 1 + history


# Flaws planted on published services: at publication (warnings, plus "immediate_with_limit" on one
# immediate service) or afterwards (errors, in a service's new draft or on the service itself).
_FLAWS_AT_PUBLISHING = ("no_role", "no_compression")
_FLAWS_AFTER_PUBLISHING = ("owner_removed", "owner_removed", "budget_over", "unreachable", "no_unit", "cycle")
# Common surnames are much more common: weight by rank.
_SURNAME_WEIGHTS = [1 / (rank + 4) for rank in range(len(names.SURNAMES))]
_ENTERPRISE_DEPARTMENTS = {
    "market",
    "devrev",
    "env",
    "water",
    "housing",
    "transport",
    "emergency",
    "culture",
    "fire",
    "urban",
}


class _OfficeClock:
    """Moments within office hours on weekdays, moving forward: each action happens a little later."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def advance(self, minutes: int) -> dt.datetime:
        self.at = self.later(self.at, minutes)
        return self.at

    @staticmethod
    def later(at: dt.datetime, minutes: int) -> dt.datetime:
        at += dt.timedelta(minutes=minutes)
        if at > at.replace(hour=17, minute=30, second=0):
            at = (at + dt.timedelta(days=1)).replace(hour=9, minute=at.minute % 30)
        while at.weekday() >= 5:
            at = (at + dt.timedelta(days=1)).replace(hour=9)
        return at


@dataclass
class _Department:
    spec: DepartmentSpec
    unit: OrgUnit
    sections: list[OrgUnit] = field(default_factory=list)
    windows: list[OrgUnit] = field(default_factory=list)
    heads: list[User] = field(default_factory=list)  # [head, deputy head]
    approvers: list[User] = field(default_factory=list)


@dataclass
class _Published:
    """A service as published, with what is needed to revise it later."""

    department: _Department
    spec: ServiceSpec
    service: Service
    version: ProcedureVersion
    steps: list[cat.StepInput]
    author: User
    approver: User


@dataclass
class _Report:
    done: int = 0
    total: int = 0
    callback: Progress | None = None

    def tick(self, stage: Promise) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total, str(stage))


class _County:
    def __init__(
        self, rng: random.Random, progress: Progress | None, timeline: Timeline, cases: int = CASES_TOTAL
    ) -> None:
        self.rng = rng
        self.timeline = timeline
        # The case history draws from its own stream: its size does not change the rest of the county.
        self.history_rng = random.Random(rng.getrandbits(64))
        self.cases = cases
        self.report = _Report(total=work_total(cases), callback=progress)
        self.halls: list[OrgUnit] = []
        self.clock = _OfficeClock(timeline.org_start)
        self.departments: dict[str, _Department] = {}
        self.region_staff: dict[str, list[User]] = {}
        self.usernames: set[str] = {username for username, _label in DEMO_LOGINS}
        self.joined: list[tuple[User, dt.datetime]] = []
        self.published: dict[str, _Published] = {}

    def build(self) -> None:
        self._organisation()
        self._staff()
        self._catalogue()
        self.report.tick(_("Checking the catalogue"))
        self.history.run_until(self.timeline.now)
        self.history.skip_rest()
        with clock.frozen(self.timeline.now):
            sla_scan()
            rectification_scan()
        self.report.tick(_("Time-limit scan"))
        with clock.frozen(self.timeline.now):
            demo_assessment.build(start=self.history.start, now=self.timeline.now)
        self.report.tick(_("Assessment"))
        # Drawn once the history is done, so the quality year never shifts what came before it.
        demo_quality.build(
            start=self.history.start, now=self.timeline.now, seed=self.history_rng.getrandbits(64)
        )
        self.report.tick(_("Quality system"))
        demo_publication.build(start=self.history.start, now=self.timeline.now)
        demo_reports.build(now=self.timeline.now, department=DEMO_DEPARTMENT)
        self.report.tick(_("Monthly reports"))
        # Last, so the dashboards count everything the demo wrote, as the worker would within minutes.
        with clock.frozen(self.timeline.now):
            dashboards_rollup.rebuild()
        self.report.tick(_("Dashboards"))

    def _start_history(self) -> None:
        services = [
            history.ServiceInfo(
                code=item.service.code,
                unit=item.department.unit,
                heads=item.department.heads,
                version=lambda item=item: item.version,  # type: ignore[misc]
            )
            for item in sorted(self.published.values(), key=lambda p: p.service.code)
        ]
        self.history = history.History(
            rng=self.history_rng,
            services=services,
            windows_by_department={d.unit.pk: d.windows for d in self.departments.values()},
            halls=self.halls,
            total=self.cases,
            surname_weights=_SURNAME_WEIGHTS,
            tick=self.report.tick,
            free_username=self._free_username,
            end=self.timeline.now.date(),
        )
        citizens: list[tuple[User, dt.datetime]] = []
        self.history.prepare(citizens)
        for user, at in citizens:
            user.date_joined = at
        User.objects.bulk_update([user for user, _at in citizens], ["date_joined"])

    # --- organisation -------------------------------------------------------------------------------------

    def _unit(
        self,
        code: str,
        name_zh: str,
        name_en: str,
        kind: str,
        parent: OrgUnit | None,
        *,
        category: UnitCategory | None = None,
        serving_unit: OrgUnit | None = None,
    ) -> OrgUnit:
        with clock.frozen(self.clock.advance(2)):
            unit = org.org_unit_create(
                actor=None,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kind=kind,
                parent=parent,
                category=category,
                serving_unit=serving_unit,
            )
        self.report.tick(_("Organisation units"))
        return unit

    def _organisation(self) -> None:
        code, name_zh, name_en = names.REGION
        self.region = self._unit(code, name_zh, name_en, UnitKind.REGION, None)
        # org_unit_create has no calendar argument: only a region carries one.
        OrgUnit.objects.filter(pk=self.region.pk).update(calendar=WorkCalendar.objects.get(code="CN"))
        categories = {}
        for code, name_zh, name_en, description in names.CATEGORIES:
            categories[code] = UnitCategory.objects.create(
                code=code, name_zh=name_zh, name_en=name_en, description=description
            )
            self.report.tick(_("Organisation units"))
        for spec in names.DEPARTMENTS:
            unit = self._unit(
                spec.code,
                spec.name_zh,
                spec.name_en,
                UnitKind.DEPARTMENT,
                self.region,
                category=categories[spec.category],
            )
            department = _Department(spec, unit)
            for suffix, section_zh, section_en in spec.sections:
                department.sections.append(
                    self._unit(f"{spec.code}-{suffix}", section_zh, section_en, UnitKind.SECTION, unit)
                )
            self.departments[spec.code] = department
        for index, (code, name_zh, name_en, prefix) in enumerate(names.HALLS):
            hall = self._unit(code, name_zh, name_en, UnitKind.HALL, self.region)
            self.halls.append(hall)
            # One general queue per hall that every window calls from (综合受理, 一窗受理).
            line = QueueLine.objects.create(
                hall=hall, prefix="A", name_zh="综合受理", name_en="General intake"
            )
            hall_windows: list[OrgUnit] = []
            number = 0
            for department in self.departments.values():
                spec = department.spec
                for _n in range(spec.branch_windows if index else spec.main_windows):
                    number += 1
                    label = f"{prefix}{number:02d}"
                    hall_windows.append(
                        self._unit(
                            f"{code}-{label.lower()}",
                            f"{label} {spec.window_zh}窗口",
                            f"{label} {spec.window_en} window",
                            UnitKind.WINDOW,
                            hall,
                            serving_unit=department.unit,
                        )
                    )
                    department.windows.append(hall_windows[-1])
            line.windows.add(*hall_windows)

    # --- people -------------------------------------------------------------------------------------------

    def _person(self) -> tuple[str, str]:
        return history.random_person(self.rng, _SURNAME_WEIGHTS)

    def _free_username(self, base: str) -> str:
        username, n = base, 1
        while username in self.usernames:
            n += 1
            username = f"{base}{n}"
        self.usernames.add(username)
        return username

    def _staff_member(
        self, unit: OrgUnit, roles: list[str], *, username: str | None = None, regular: bool = False
    ) -> User:
        full_name, pinyin = self._person()
        number = len(self.joined) + 1
        on_probation = not regular and username is None and self.rng.random() < PROBATION_SHARE
        phone = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
        at = self.clock.advance(self.rng.randint(1, 4))
        with clock.frozen(at):
            user = org.staff_create(
                actor=None,
                username=username or self._free_username(pinyin),
                full_name=full_name,
                org_unit=unit,
                roles=roles,
                employee_number=f"EX{number:05d}",
                on_probation=on_probation,
                phone=phone,
            )
        self.joined.append((user, at))
        self.report.tick(_("Staff"))
        return user

    def _staff(self) -> None:
        self.clock = _OfficeClock(self.timeline.org_start + dt.timedelta(days=1))
        region_roles = [
            (Role.ADMINISTRATOR, ["admin", None]),
            (Role.LEADER, ["leader", None, None]),
            (Role.SUPERVISOR, ["supervisor", None, None]),
            (Role.QUALITY_OFFICER, ["quality", None]),
        ]
        for role, usernames in region_roles:
            self.region_staff[role] = [
                self._staff_member(self.region, [role], username=u, regular=True) for u in usernames
            ]
        for department in self.departments.values():
            demo = department.spec.code == DEMO_DEPARTMENT
            department.heads = [
                self._staff_member(
                    department.unit, [Role.DEPARTMENT_HEAD], username="head" if demo else None, regular=True
                ),
                self._staff_member(department.unit, [Role.DEPARTMENT_HEAD], regular=True),
            ]
            for index, section in enumerate(department.sections):
                for n in range(2):
                    username = "approver" if demo and index == 0 and n == 0 else None
                    department.approvers.append(
                        self._staff_member(section, [Role.APPROVER], username=username)
                    )
            for index, window in enumerate(department.windows):
                for n in range(2):
                    username = "window" if demo and index == 0 and n == 0 else None
                    self._staff_member(window, [Role.WINDOW_OFFICER], username=username)
        # The rest of the head count: more window officers and approvers where the work is.
        departments = list(self.departments.values())
        while len(self.joined) < STAFF_TOTAL:
            department = self.rng.choice(departments)
            if department.windows and self.rng.random() < 0.6:
                self._staff_member(self.rng.choice(department.windows), [Role.WINDOW_OFFICER])
            else:
                department.approvers.append(
                    self._staff_member(self.rng.choice(department.sections), [Role.APPROVER])
                )
        admin = self.region_staff[Role.ADMINISTRATOR][0]
        org.user_grant_back_office(actor=None, user=admin)
        with clock.frozen(self.clock.advance(5)):
            citizen = org.citizen_create(
                username="citizen", full_name="林小雨", password=DEMO_PASSWORD, phone="13900001234"
            )
        self.joined.append((citizen, self.clock.at))
        self.report.tick(_("Staff"))
        # Hashing is slow by design: hash the shared demo password once for the staff logins.
        User.objects.filter(username__in=[u for u, _label in DEMO_LOGINS if u != "citizen"]).update(
            password=make_password(DEMO_PASSWORD)
        )
        # date_joined defaults to the wall clock; the demo's history follows its own frozen clock.
        for user, at in self.joined:
            user.date_joined = at
        User.objects.bulk_update([user for user, _at in self.joined], ["date_joined"], batch_size=500)

    # --- catalogue ----------------------------------------------------------------------------------------

    def _catalogue(self) -> None:
        specs = {s.name_zh: s for d in names.DEPARTMENTS for s in d.services}
        overlapped = {name for _code, name in names.OVERLAPS}
        # Service names, shuffled: the first ones drawn carry the flaws, the next ones get a second version.
        drawn = [name for name in specs if name not in overlapped]
        self.rng.shuffle(drawn)
        promised = [n for n in drawn if not specs[n].immediate and specs[n].statutory_days >= 15]
        immediate = [n for n in drawn if specs[n].immediate]
        flaw_at = dict(zip(promised, _FLAWS_AT_PUBLISHING, strict=False))
        flaw_at[immediate[0]] = "immediate_with_limit"
        flaw_after = dict(zip(promised[2:], _FLAWS_AFTER_PUBLISHING, strict=False))
        untouched = [n for n in drawn if n not in flaw_at and n not in flaw_after]

        self.clock = _OfficeClock(self.timeline.catalogue_start)
        for department in self.departments.values():
            for spec in department.spec.services:
                self._publish(department, spec, flaw_at.get(spec.name_zh, ""))
                self.report.tick(_("Services"))
        # Cases arrive from December; the revisions below take effect for the applications after them.
        self._start_history()
        self.history.run_until(self.timeline.revisions_start)

        # One service in review sits in the demo department, so the demo head has something to approve.
        first = next(n for n in untouched if self.published[n].department.spec.code == DEMO_DEPARTMENT)
        pending = [first, *[n for n in untouched if n != first][: IN_REVIEW + SENT_BACK - 1]]
        revised = [n for n in untouched if n not in pending][:REVISIONS]
        self.clock = _OfficeClock(self.timeline.revisions_start)
        for name in sorted(revised, key=lambda n: self.published[n].service.code):
            self._revise(self.published[name], until="approve")
            self.report.tick(_("Revisions"))
        self.clock = _OfficeClock(self.timeline.pending_start)
        for index, name in enumerate(pending):
            self._revise(self.published[name], until="submit" if index < IN_REVIEW else "reject")
            self.report.tick(_("Revisions"))
        self._plant_flaws(flaw_after)

    def _actors(self, department: _Department) -> tuple[User, User]:
        """An author who may edit the department's catalogue and a different person who may approve it."""
        deputy, head = department.heads[1], department.heads[0]
        author = self.rng.choice([deputy, deputy, deputy, *self.region_staff[Role.QUALITY_OFFICER]])
        approver = self.rng.choice([head, head, head, *self.region_staff[Role.LEADER]])
        return author, approver

    def _limits(self, spec: ServiceSpec, flaw: str) -> tuple[str, int]:
        if spec.immediate:
            return ServiceMode.IMMEDIATE, 1 if flaw == "immediate_with_limit" else 0
        if flaw == "no_compression":
            return ServiceMode.PROMISED, spec.statutory_days
        factor = self.rng.choice([0.25, 0.33, 0.4, 0.5, 0.5, 0.5, 0.6])
        return ServiceMode.PROMISED, max(1, min(spec.statutory_days - 1, round(spec.statutory_days * factor)))

    def _draft_fields(
        self,
        department: _Department,
        spec: ServiceSpec,
        mode: str,
        promised: int,
        *,
        laws: Sequence[str] = (),
    ) -> dict[str, object]:
        basis = (laws or department.spec.laws)[spec.law]
        if spec.power_kind == PowerKind.LICENSING:
            basis = "《中华人民共和国行政许可法》；" + basis
        return {
            "legal_basis": basis,
            "service_mode": mode,
            "statutory_limit_days": spec.statutory_days,
            "promised_limit_days": promised,
            "channels": self.rng.choices(
                [Channels.BOTH, Channels.HALL, Channels.ONLINE], weights=[65, 25, 10]
            )[0],
            "run_at_most_once": self.rng.random() < 0.9,
            "fee_yuan": Decimal(spec.fee_yuan),
            "fee_basis": spec.fee_basis,
        }

    def _new_service(self, department: _Department, spec: ServiceSpec, author: User) -> Service:
        number = Service.objects.filter(responsible_unit=department.unit).count() + 1
        code = f"{department.spec.code}-{number:03d}"
        return cat.service_create(
            actor=author,
            code=code,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            power_kind=spec.power_kind,
            responsible_unit=department.unit,
            process_owner=self.rng.choice(department.approvers),
        )

    def _publish(self, department: _Department, spec: ServiceSpec, flaw: str) -> None:
        author, approver = self._actors(department)
        with clock.frozen(self.clock.advance(self.rng.randint(15, 45))):
            service = self._new_service(department, spec, author)
            version = cat.version_create(actor=author, service=service)
            mode, promised = self._limits(spec, flaw)
            fields = self._draft_fields(department, spec, mode, promised)
            steps = self._steps(department, spec, promised, without_role=flaw == "no_role")
            cat.version_update(
                actor=author,
                version=version,
                fields=fields,
                steps=steps,
                materials=self._materials(department, spec),
            )
            cat.version_transition(actor=author, version=version, transition="submit")
        with clock.frozen(_OfficeClock.later(self.clock.at, self.rng.randint(30, 300))):
            version = cat.version_transition(actor=approver, version=version, transition="approve")
        self.published[spec.name_zh] = _Published(department, spec, service, version, steps, author, approver)

    def _steps(
        self, department: _Department, spec: ServiceSpec, promised: int, *, without_role: bool = False
    ) -> list[cat.StepInput]:
        """Intake and delivery at the department's window, review in a section, decision by the head."""
        window = department.windows[0].code
        section = self.rng.choice(department.sections).code
        head_unit = department.unit.code
        intake = ("intake", "受理", "Intake", window, Role.WINDOW_OFFICER, 0, False)
        if spec.immediate:
            plan = [intake]
            if self.rng.random() < 0.3:
                plan.append(("check", "审核", "Check", section, Role.APPROVER, 0, False))
            plan.append(("decide", "当场办结", "Decision on the spot", window, Role.WINDOW_OFFICER, 0, False))
        else:
            # (key, name, English, unit, role, weight of the time budget, statutory pause may occur)
            plan = [intake]
            if promised <= 2 and self.rng.random() < 0.5:
                plan.append(
                    ("decide", "审批", "Review and decision", head_unit, Role.DEPARTMENT_HEAD, 4, False)
                )
            else:
                plan.append(("review", "审查", "Review", section, Role.APPROVER, 4, False))
                if promised >= 5 and self.rng.random() < 0.5:
                    if spec.power_kind == PowerKind.LICENSING:
                        plan.append(
                            ("inspect", "现场核查", "On-site inspection", section, Role.APPROVER, 3, True)
                        )
                    elif spec.power_kind in (PowerKind.PAYMENT, PowerKind.CONFIRMATION):
                        plan.append(
                            ("notice", "公示", "Public notice", head_unit, Role.DEPARTMENT_HEAD, 3, True)
                        )
                plan.append(("decide", "决定", "Decision", head_unit, Role.DEPARTMENT_HEAD, 2, False))
                if spec.power_kind == PowerKind.LICENSING and self.rng.random() < 0.5:
                    plan.append(("issue", "制证", "Certificate issuance", section, Role.APPROVER, 1, False))
            plan.append(("deliver", "送达", "Delivery", window, Role.WINDOW_OFFICER, 1, False))
        slack = self.rng.choice([0, 0, 1]) if promised >= 5 else 0
        budgets = _share(0 if spec.immediate else promised - slack, [p[5] for p in plan])
        unroled = self.rng.choice([p[0] for p in plan[1:-1]]) if without_role else ""
        return [
            cat.StepInput(
                key=key,
                name_zh=zh,
                name_en=en,
                responsible_unit_code=unit,
                responsible_role="" if key == unroled else role,
                budget_days=budget,
                pause_allowed=pause,
            )
            for (key, zh, en, unit, role, _weight, pause), budget in zip(plan, budgets, strict=True)
        ]

    def _materials(self, department: _Department, spec: ServiceSpec) -> list[cat.MaterialInput]:
        enterprise = department.spec.code in _ENTERPRISE_DEPARTMENTS and not any(
            word in spec.name_zh for word in ("设立", "个体", "驾驶员", "教师")
        )
        chosen: list[MaterialSpec] = [
            names.APPLICATION_FORM,
            names.BUSINESS_LICENCE if enterprise else names.PERSONAL_ID,
        ]
        pool = [m for m in department.spec.materials if m not in chosen]
        picked = set(self.rng.sample(range(len(pool)), self.rng.randint(0, min(4, len(pool)))))
        chosen += [m for index, m in enumerate(pool) if index in picked]
        inputs = [
            cat.MaterialInput(
                name_zh=m.name_zh, name_en=m.name_en, form=m.form, source=m.source, copies=m.copies
            )
            for m in chosen
        ]
        if self.rng.random() < 0.5:
            m = names.POWER_OF_ATTORNEY
            inputs.append(
                cat.MaterialInput(
                    name_zh=m.name_zh,
                    name_en=m.name_en,
                    form=m.form,
                    required=False,
                    notes="委托他人办理的提供",
                )
            )
        return inputs

    def _revise(self, item: _Published, *, until: str) -> None:
        """A second version: shorter promised limit, an online channel or fewer papers, then review."""
        current = item.version
        fields: dict[str, object] = {}
        steps: list[cat.StepInput] | None = None
        materials: list[cat.MaterialInput] | None = None
        promised = current.promised_limit_days
        if current.service_mode == ServiceMode.PROMISED and promised >= 2:
            shorter = max(1, round(promised * 0.6))
            budgets = _share(shorter, [s.budget_days for s in item.steps])
            steps = [replace(s, budget_days=b) for s, b in zip(item.steps, budgets, strict=True)]
            fields = {
                "promised_limit_days": shorter,
                "change_note": f"承诺时限由{promised}个工作日压缩至{shorter}个工作日",
            }
        elif current.channels != Channels.BOTH:
            fields = {"channels": Channels.BOTH, "change_note": "新增网上办理渠道"}
        else:
            listed = list(current.materials.order_by("position"))
            # The application form and the identity document stay; the last other required paper goes.
            dropped = next((m for m in reversed(listed[2:]) if m.required), None)
            materials = [
                cat.MaterialInput(
                    name_zh=m.name_zh,
                    name_en=m.name_en,
                    form=m.form,
                    copies=m.copies,
                    source=m.source,
                    required=m.required,
                    notes=m.notes,
                )
                for m in listed
                if m != dropped
            ]
            note = f"精简申请材料：取消{dropped.name_zh}" if dropped else "优化办事指南表述"
            fields = {"change_note": note}
        with clock.frozen(self.clock.advance(self.rng.randint(60, 180))):
            draft = cat.version_create(actor=item.author, service=item.service)
            cat.version_update(
                actor=item.author, version=draft, fields=fields, steps=steps, materials=materials
            )
            cat.version_transition(actor=item.author, version=draft, transition="submit")
        if until == "submit":
            return
        with clock.frozen(_OfficeClock.later(self.clock.at, self.rng.randint(30, 240))):
            if until == "reject":
                cat.version_transition(
                    actor=item.approver,
                    version=draft,
                    transition="reject",
                    reason="法律依据引用的条款已修订，请核对后重新提交。",
                )
            else:
                item.version = cat.version_transition(
                    actor=item.approver, version=draft, transition="approve"
                )

    def _plant_flaws(self, flaw_after: dict[str, str]) -> None:
        """Errors the duty linter should find: a lost process owner, overlaps, and drafts gone wrong."""
        for name, flaw in sorted(flaw_after.items(), key=lambda kv: self.published[kv[0]].service.code):
            item = self.published[name]
            with clock.frozen(self.clock.advance(self.rng.randint(30, 120))):
                if flaw == "owner_removed":
                    # The owner moved to another post and nobody took the service over.
                    cat.service_update(
                        actor=item.department.heads[0], service=item.service, process_owner=None
                    )
                else:
                    fields, steps = _broken_revision(flaw, item)
                    draft = cat.version_create(actor=item.author, service=item.service)
                    cat.version_update(actor=item.author, version=draft, fields=fields, steps=steps)
            self.report.tick(_("Planted flaws"))
        for code, name in names.OVERLAPS:
            # The second department copied the first one's guide, legal basis included.
            first = self.published[name]
            self._draft_only(self.departments[code], first.spec, "overlap", laws=first.department.spec.laws)
        code, spec = names.PROMISED_ABOVE_STATUTORY
        self._draft_only(self.departments[code], spec, "promised_above_statutory")
        code, spec = names.NO_MATERIALS
        self._draft_only(self.departments[code], spec, "no_materials")

    def _draft_only(
        self, department: _Department, spec: ServiceSpec, flaw: str, *, laws: Sequence[str] = ()
    ) -> None:
        """A new service whose first draft the linter will not let through."""
        author = department.heads[1]
        with clock.frozen(self.clock.advance(self.rng.randint(30, 120))):
            service = self._new_service(department, spec, author)
            draft = cat.version_create(actor=author, service=service)
            mode, promised = self._limits(spec, "")
            if flaw == "promised_above_statutory":
                promised = spec.statutory_days + 10
            fields = self._draft_fields(department, spec, mode, promised, laws=laws)
            materials = [] if flaw == "no_materials" else self._materials(department, spec)
            steps = self._steps(department, spec, promised)
            cat.version_update(actor=author, version=draft, fields=fields, steps=steps, materials=materials)
        self.report.tick(_("Planted flaws"))


def _broken_revision(flaw: str, item: _Published) -> tuple[dict[str, object], list[cat.StepInput]]:
    steps = list(item.steps)
    keys = [s.key for s in steps]
    review = keys.index("review") if "review" in keys else 1
    if flaw == "budget_over":
        # The limit was cut in the draft, the step budgets were not.
        shorter = max(1, item.version.promised_limit_days // 2)
        return {"promised_limit_days": shorter, "change_note": f"承诺时限压缩至{shorter}个工作日"}, steps
    if flaw == "unreachable":
        steps[0] = replace(steps[0], next_keys=["decide"])
        return {"change_note": "受理后直接提交决定（试行）"}, steps
    if flaw == "no_unit":
        expert = cat.StepInput(
            key="expert",
            name_zh="专家评审",
            name_en="Expert review",
            responsible_unit_code=None,
            responsible_role=Role.APPROVER,
            budget_days=0,
            pause_allowed=True,
        )
        return {"change_note": "增加专家评审环节"}, [*steps[: review + 1], expert, *steps[review + 1 :]]
    # cycle: a request for missing papers modelled as a step that leads back to the review.
    supplement = cat.StepInput(
        key="supplement",
        name_zh="补正",
        name_en="Supplement request",
        responsible_unit_code=steps[0].responsible_unit_code,
        responsible_role=Role.WINDOW_OFFICER,
        next_keys=[keys[review]],
    )
    steps[review] = replace(steps[review], next_keys=["supplement", keys[review + 1]])
    return {"change_note": "增加补正环节"}, [*steps[: review + 1], supplement, *steps[review + 1 :]]


def _share(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` working days by weight (largest remainder), so the parts add up to exactly `total`."""
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


def _summarise(seed: int) -> DemoSummary:
    findings = catalogue_lint(services=Service.objects.all())
    errors = len(linter.blocking(findings))
    units = OrgUnit.objects.all()
    return DemoSummary(
        seed=seed,
        regions=units.filter(kind=UnitKind.REGION).count(),
        categories=UnitCategory.objects.count(),
        departments=units.filter(kind=UnitKind.DEPARTMENT).count(),
        sections=units.filter(kind=UnitKind.SECTION).count(),
        halls=units.filter(kind=UnitKind.HALL).count(),
        windows=units.filter(kind=UnitKind.WINDOW).count(),
        staff=User.objects.filter(kind=UserKind.STAFF).count(),
        citizens=User.objects.filter(kind=UserKind.CITIZEN).count(),
        services=Service.objects.count(),
        published_services=Service.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .distinct()
        .count(),
        procedure_versions=ProcedureVersion.objects.count(),
        lint_errors=errors,
        lint_warnings=len(findings) - errors,
        cases=Case.objects.count(),
        open_cases=Case.objects.filter(status__in=OPEN_STATUSES).count(),
        overdue_cases=Case.objects.filter(status__in=OPEN_STATUSES, sla_state=SlaState.OVERDUE).count(),
    )
