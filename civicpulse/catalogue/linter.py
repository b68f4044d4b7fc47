"""The duty linter: unclear or overlapping duties and impossible time limits in the catalogue.

Pure functions over plain data (no ORM), so the same rules run for `civicpulse catalogue lint`, the staff
pages, the API and the publishing check, and are tested exhaustively. Errors block publishing; warnings
are listed.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class StepFacts:
    key: str
    name: str
    unit_id: int | None
    role: str
    budget_days: int
    next_keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MaterialFacts:
    name: str
    source: str = "applicant"


@dataclass(frozen=True)
class VersionFacts:
    number: int
    status: str
    service_mode: str
    statutory_limit_days: int
    promised_limit_days: int
    steps: tuple[StepFacts, ...]
    materials: tuple[MaterialFacts, ...]


@dataclass(frozen=True)
class ServiceFacts:
    code: str
    name: str
    unit_id: int
    owner_id: int | None
    versions: tuple[VersionFacts, ...] = ()
    # Registration order: in an overlap the first-registered service keeps its duty, later ones are errors.
    seniority: int = 0


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    service_code: str
    version: int | None = None
    step_key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(RULE_MESSAGES[self.rule]) % self.params

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "service_code": self.service_code,
            "version": self.version,
            "step_key": self.step_key,
            "message": self.message,
        }


RULE_MESSAGES = {
    "service.no_owner": _("The service has no process owner."),
    "service.overlapping_units": _(
        "The same service is also listed as %(other)s under another unit: one duty, two owners."
    ),
    "version.no_steps": _("The procedure has no steps."),
    "version.no_materials": _("The procedure lists no materials."),
    "version.promised_above_statutory": _(
        "The promised limit (%(promised)s working days) is above the statutory limit (%(statutory)s)."
    ),
    "version.budget_above_promised": _(
        "The step budgets add up to %(total)s working days on the longest path, "
        "above the promised limit (%(promised)s)."
    ),
    "version.promised_service_without_limit": _(
        "A promised service needs a promised limit of at least one working day."
    ),
    "version.immediate_with_limit": _(
        "An immediate service is decided on the spot, yet has a promised limit of %(promised)s working days."
    ),
    "version.no_compression": _("The promised limit equals the statutory limit: no time compression."),
    "version.cycle": _("The steps loop back on themselves (%(keys)s)."),
    "step.no_unit": _("Step %(step)s has no responsible unit."),
    "step.no_role": _("Step %(step)s names no responsible role."),
    "step.duplicate_key": _("Step key %(step)s is used twice."),
    "step.duplicate_name": _("Step %(step)s appears twice under the same unit."),
    "step.overlapping_units": _("Step %(step)s is owned by two different units."),
    "step.unknown_next": _("Step %(step)s leads to %(next)s, which does not exist."),
    "step.unreachable": _("Step %(step)s cannot be reached from the first step."),
}


def _normalise(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if not ch.isspace())


def successors(steps: Sequence[StepFacts]) -> dict[str, tuple[str, ...]]:
    """Each step's next steps: explicit `next_keys`, else the following step by position."""
    result: dict[str, tuple[str, ...]] = {}
    for index, step in enumerate(steps):
        if step.next_keys is not None:
            result[step.key] = tuple(step.next_keys)
        else:
            result[step.key] = (steps[index + 1].key,) if index + 1 < len(steps) else ()
    return result


def _reachable(start: str, graph: dict[str, tuple[str, ...]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt in graph and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    parent: dict[str, str] = {}
    for root in graph:
        if colour[root] != white:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(graph[root]))]
        colour[root] = grey
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if colour[child] == grey:
                    cycle = [child]
                    cursor = node
                    while cursor != child:
                        cycle.append(cursor)
                        cursor = parent[cursor]
                    return list(reversed(cycle))
                if colour[child] == white:
                    colour[child] = grey
                    parent[child] = node
                    stack.append((child, iter(graph[child])))
                    advanced = True
                    break
            if not advanced:
                colour[node] = black
                stack.pop()
    return None


def longest_budget(steps: Sequence[StepFacts]) -> int:
    """Largest sum of step budgets along any path from the first step (the graph must be acyclic)."""
    if not steps:
        return 0
    graph = successors(steps)
    budget = {step.key: step.budget_days for step in steps}
    # Iterative post-order: a long procedure must not hit Python's recursion limit.
    best: dict[str, int] = {}
    stack: list[tuple[str, bool]] = [(steps[0].key, False)]
    while stack:
        key, children_done = stack.pop()
        if key in best:
            continue
        nexts = [n for n in graph[key] if n in graph]
        if children_done:
            best[key] = budget[key] + max((best[n] for n in nexts), default=0)
        else:
            stack.append((key, True))
            stack.extend((n, False) for n in nexts if n not in best)
    return best[steps[0].key]


def lint_version(service: ServiceFacts, version: VersionFacts) -> list[Finding]:
    findings: list[Finding] = []

    def add(severity: Severity, rule: str, step_key: str | None = None, **params: Any) -> None:
        findings.append(Finding(severity, rule, service.code, version.number, step_key, params))

    if version.promised_limit_days > version.statutory_limit_days:
        add(
            Severity.ERROR,
            "version.promised_above_statutory",
            promised=version.promised_limit_days,
            statutory=version.statutory_limit_days,
        )
    elif version.promised_limit_days == version.statutory_limit_days and version.statutory_limit_days > 0:
        add(Severity.WARNING, "version.no_compression")
    if version.service_mode == "promised" and version.promised_limit_days < 1:
        add(Severity.ERROR, "version.promised_service_without_limit")
    if version.service_mode == "immediate" and version.promised_limit_days > 0:
        add(Severity.WARNING, "version.immediate_with_limit", promised=version.promised_limit_days)
    if not version.materials:
        add(Severity.ERROR, "version.no_materials")
    if not version.steps:
        add(Severity.ERROR, "version.no_steps")
        return findings

    keys_seen: set[str] = set()
    units_by_name: dict[str, set[int | None]] = defaultdict(set)
    names_seen: set[tuple[str, int | None]] = set()
    for step in version.steps:
        if step.key in keys_seen:
            add(Severity.ERROR, "step.duplicate_key", step.key, step=step.key)
        keys_seen.add(step.key)
        if step.unit_id is None:
            add(Severity.ERROR, "step.no_unit", step.key, step=step.name)
        if not step.role:
            add(Severity.WARNING, "step.no_role", step.key, step=step.name)
        name = _normalise(step.name)
        if (name, step.unit_id) in names_seen:
            add(Severity.WARNING, "step.duplicate_name", step.key, step=step.name)
        names_seen.add((name, step.unit_id))
        units_by_name[name].add(step.unit_id)
    reported_overlap: set[str] = set()
    for step in version.steps:
        name = _normalise(step.name)
        owners = {unit for unit in units_by_name[name] if unit is not None}
        if len(owners) > 1 and name not in reported_overlap:
            reported_overlap.add(name)
            add(Severity.ERROR, "step.overlapping_units", step.key, step=step.name)

    graph = successors(version.steps)
    for step in version.steps:
        for nxt in graph[step.key]:
            if nxt not in graph:
                add(Severity.ERROR, "step.unknown_next", step.key, step=step.name, next=nxt)
    reachable = _reachable(version.steps[0].key, graph)
    for step in version.steps:
        if step.key not in reachable:
            add(Severity.ERROR, "step.unreachable", step.key, step=step.name)
    cycle = _find_cycle(graph)
    if cycle:
        add(Severity.ERROR, "version.cycle", keys=" > ".join([*cycle, cycle[0]]))
    else:
        total = longest_budget(version.steps)
        if total > version.promised_limit_days and version.service_mode == "promised":
            add(
                Severity.ERROR,
                "version.budget_above_promised",
                total=total,
                promised=version.promised_limit_days,
            )
    return findings


def lint_service(service: ServiceFacts) -> list[Finding]:
    findings: list[Finding] = []
    if service.owner_id is None:
        findings.append(Finding(Severity.ERROR, "service.no_owner", service.code))
    return findings


def lint_overlaps(services: Sequence[ServiceFacts]) -> list[Finding]:
    """Two services with the same name under different units: one duty claimed by two owners."""
    by_name: dict[str, list[ServiceFacts]] = defaultdict(list)
    for service in services:
        by_name[_normalise(service.name)].append(service)
    findings: list[Finding] = []
    for group in by_name.values():
        if len({s.unit_id for s in group}) < 2:
            continue
        # The first registration keeps its duty (a warning to settle it); later claims by other units are
        # errors. So nobody can block another unit's publishing by registering a same-named service.
        first = min(group, key=lambda s: (s.seniority, s.code))
        for service in group:
            others = ", ".join(
                o.code for o in group if o.code != service.code and o.unit_id != service.unit_id
            )
            if not others:
                continue
            severity = Severity.WARNING if service.unit_id == first.unit_id else Severity.ERROR
            findings.append(
                Finding(severity, "service.overlapping_units", service.code, params={"other": others})
            )
    return findings


def lint_catalogue(
    services: Sequence[ServiceFacts], *, overlap_pool: Sequence[ServiceFacts] | None = None
) -> list[Finding]:
    """Lint services and their versions; overlaps are sought across `overlap_pool` (default: `services`)."""
    pool = overlap_pool if overlap_pool is not None else services
    codes = {s.code for s in services}
    findings = [f for f in lint_overlaps(pool) if f.service_code in codes]
    for service in services:
        findings.extend(lint_service(service))
        for version in service.versions:
            findings.extend(lint_version(service, version))
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.ERROR]


def tally(findings: Iterable[Finding]) -> dict[str, int]:
    """{"error": n, "warning": m} over the findings."""
    counts = {str(Severity.ERROR): 0, str(Severity.WARNING): 0}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return counts


def tally_by_service(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.service_code].append(finding)
    return {code: tally(group) for code, group in grouped.items()}


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by service and version: the order people fix things in."""
    return sorted(findings, key=lambda f: (f.severity != Severity.ERROR, f.service_code, f.version or 0))
