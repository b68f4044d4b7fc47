"""Builders for test data, through the same service functions the application uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.catalogue import services as cat
from civicpulse.catalogue.models import ProcedureVersion, Service

_seq = itertools.count(1)
PASSWORD = "a-long-test-password"


def unit(code: str, kind: str, parent: OrgUnit | None, **kwargs: object) -> OrgUnit:
    return org.org_unit_create(
        actor=None,
        code=code,
        name_zh=f"{code}单位",
        name_en=f"{code} unit",
        kind=kind,
        parent=parent,
        **kwargs,
    )  # type: ignore[arg-type]


def staff(username: str, at: OrgUnit, roles: list[str], *, covers: OrgUnit | None = None) -> User:
    user = org.staff_create(
        actor=None,
        username=username,
        full_name=username.title(),
        org_unit=at,
        roles=[],
        employee_number=f"E{next(_seq):05d}",
        password=PASSWORD,
        phone="13812345678",
    )
    for role in roles:
        org.role_assign(actor=None, user=user, role=role, unit=covers or at)
    return user


@dataclass
class County:
    region: OrgUnit
    dept_a: OrgUnit
    section_a1: OrgUnit
    dept_b: OrgUnit
    hall: OrgUnit
    window: OrgUnit
    admin: User
    head_a: User
    quality_a: User
    approver_a: User
    head_b: User
    window_officer: User
    supervisor: User
    leader: User
    owner_a: User
    citizen: User


def county() -> County:
    region = unit("county", UnitKind.REGION, None)
    dept_a = unit("dept-a", UnitKind.DEPARTMENT, region)
    section_a1 = unit("dept-a-1", UnitKind.SECTION, dept_a)
    dept_b = unit("dept-b", UnitKind.DEPARTMENT, region)
    hall = unit("hall", UnitKind.HALL, region)
    window = unit("window-1", UnitKind.WINDOW, hall, serving_unit=dept_a)
    return County(
        region=region,
        dept_a=dept_a,
        section_a1=section_a1,
        dept_b=dept_b,
        hall=hall,
        window=window,
        admin=staff("admin", region, [Role.ADMINISTRATOR]),
        head_a=staff("head_a", dept_a, [Role.DEPARTMENT_HEAD]),
        quality_a=staff("quality_a", dept_a, [Role.QUALITY_OFFICER]),
        approver_a=staff("approver_a", section_a1, [Role.APPROVER]),
        head_b=staff("head_b", dept_b, [Role.DEPARTMENT_HEAD]),
        window_officer=staff("window_officer", window, [Role.WINDOW_OFFICER]),
        supervisor=staff("supervisor", region, [Role.SUPERVISOR]),
        leader=staff("leader", region, [Role.LEADER]),
        owner_a=staff("owner_a", section_a1, []),
        citizen=org.citizen_create(username="citizen", full_name="Citizen", password=PASSWORD),
    )


def step_inputs(unit_code: str, budgets: tuple[int, ...] = (1, 3, 1)) -> list[cat.StepInput]:
    names = [
        ("受理", "Intake"),
        ("审查", "Review"),
        ("决定", "Decision"),
        ("送达", "Delivery"),
        ("归档", "Filing"),
    ]
    return [
        cat.StepInput(
            key=f"s{i + 1}",
            name_zh=names[i][0],
            name_en=names[i][1],
            responsible_unit_code=unit_code,
            responsible_role=Role.APPROVER,
            budget_days=budget,
        )
        for i, budget in enumerate(budgets)
    ]


def material_inputs(count: int = 2) -> list[cat.MaterialInput]:
    return [cat.MaterialInput(name_zh=f"材料{i}", name_en=f"Material {i}") for i in range(1, count + 1)]


def published_service(
    c: County,
    code: str = "SVC-1",
    name_zh: str = "个体工商户设立登记",
    *,
    unit: OrgUnit | None = None,
    promised: int = 5,
    statutory: int = 15,
) -> tuple[Service, ProcedureVersion]:
    target = unit or c.dept_a
    service = cat.service_create(
        actor=c.head_a if target == c.dept_a else c.admin,
        code=code,
        name_zh=name_zh,
        name_en=f"{code} service",
        power_kind="licensing",
        responsible_unit=target,
        process_owner=c.owner_a if target == c.dept_a else None,
    )
    if target != c.dept_a:
        owner = staff(f"owner-{code.lower()}", target, [])
        service = cat.service_update(actor=c.admin, service=service, process_owner=owner)
    author = c.quality_a if target == c.dept_a else c.admin
    approver = c.head_a if target == c.dept_a else c.leader
    version = cat.version_create(actor=author, service=service)
    version = cat.version_update(
        actor=author,
        version=version,
        fields={
            "statutory_limit_days": statutory,
            "promised_limit_days": promised,
            "service_mode": "promised",
            "legal_basis": "《中华人民共和国行政许可法》",
        },
        steps=step_inputs(target.code),
        materials=material_inputs(),
    )
    cat.version_transition(actor=author, version=version, transition="submit")
    version = cat.version_transition(actor=approver, version=version, transition="approve")
    return service, version
