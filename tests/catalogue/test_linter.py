"""The duty linter, rule by rule, as a pure function."""

from __future__ import annotations

import pytest

from civicpulse.catalogue.linter import (
    MaterialFacts,
    ServiceFacts,
    Severity,
    StepFacts,
    VersionFacts,
    blocking,
    lint_catalogue,
    lint_overlaps,
    lint_version,
    longest_budget,
    ordered,
    tally,
    tally_by_service,
)

SERVICE = ServiceFacts(code="S", name="登记", unit_id=1, owner_id=7)


def step(
    key: str,
    budget: int = 1,
    unit: int | None = 1,
    role: str = "approver",
    name: str | None = None,
    nxt: tuple[str, ...] | None = None,
) -> StepFacts:
    return StepFacts(key=key, name=name or key, unit_id=unit, role=role, budget_days=budget, next_keys=nxt)


TWO_STEPS = (step("a"), step("b"))


def version(
    steps=TWO_STEPS, promised: int = 5, statutory: int = 10, materials=1, mode: str = "promised"
) -> VersionFacts:
    return VersionFacts(
        number=1,
        status="draft",
        service_mode=mode,
        statutory_limit_days=statutory,
        promised_limit_days=promised,
        steps=tuple(steps),
        materials=tuple(MaterialFacts(name=f"m{i}") for i in range(materials)),
    )


def rules(findings) -> set[tuple[str, str]]:
    return {(f.rule, str(f.severity)) for f in findings}


def test_a_clean_version_has_no_findings():
    assert lint_version(SERVICE, version()) == []


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (version(promised=12, statutory=10), ("version.promised_above_statutory", "error")),
        (version(promised=10, statutory=10), ("version.no_compression", "warning")),
        (version(materials=0), ("version.no_materials", "error")),
        (version(steps=()), ("version.no_steps", "error")),
        (version(steps=(step("a", 3), step("b", 3))), ("version.budget_above_promised", "error")),
        (
            version(promised=0, mode="promised", steps=(step("a", 0),)),
            ("version.promised_service_without_limit", "error"),
        ),
        (version(promised=2, mode="immediate"), ("version.immediate_with_limit", "warning")),
        (version(steps=(step("a"), step("b", unit=None))), ("step.no_unit", "error")),
        (version(steps=(step("a"), step("b", role=""))), ("step.no_role", "warning")),
        (version(steps=(step("a"), step("a"))), ("step.duplicate_key", "error")),
        (
            version(steps=(step("a", name="审查"), step("b", name="审 查"))),
            ("step.duplicate_name", "warning"),
        ),
        (
            version(steps=(step("a", name="审查"), step("b", name="审查", unit=2))),
            ("step.overlapping_units", "error"),
        ),
        (version(steps=(step("a", nxt=("zz",)), step("b"))), ("step.unknown_next", "error")),
        (version(steps=(step("a", nxt=()), step("b"))), ("step.unreachable", "error")),
        (version(steps=(step("a"), step("b", nxt=("a",)))), ("version.cycle", "error")),
    ],
)
def test_each_rule_reports_its_finding(facts, expected):
    assert expected in rules(lint_version(SERVICE, facts))


def test_a_service_without_a_process_owner_is_an_error():
    findings = lint_catalogue([ServiceFacts(code="S", name="x", unit_id=1, owner_id=None)])
    assert rules(findings) == {("service.no_owner", "error")}


def test_the_same_service_under_two_units_is_an_error_for_the_later_claim_only():
    pool = [
        ServiceFacts("B", "个体工商户设立登记", 2, 2, seniority=5),
        ServiceFacts("A", "个体工商户 设立登记", 1, 1, seniority=3),
        ServiceFacts("C", "其他", 3, 3, seniority=1),
    ]
    findings = {f.service_code: f.severity for f in lint_overlaps(pool)}
    assert findings == {"A": Severity.WARNING, "B": Severity.ERROR}


def test_a_very_long_procedure_is_linted_without_recursion_trouble():
    steps = tuple(step(f"s{i}", 1) for i in range(3000))
    assert longest_budget(steps) == 3000
    assert ("version.budget_above_promised", "error") in rules(lint_version(SERVICE, version(steps)))


def test_same_name_within_one_unit_is_not_an_overlap():
    assert lint_overlaps([ServiceFacts("A", "x", 1, 1), ServiceFacts("B", "x", 1, 1)]) == []


def test_branching_budget_counts_the_longest_path_only():
    steps = (step("a", 1, nxt=("b", "c")), step("b", 4, nxt=("d",)), step("c", 1, nxt=("d",)), step("d", 1))
    assert longest_budget(steps) == 6
    assert ("version.budget_above_promised", "error") not in rules(
        lint_version(SERVICE, version(steps, promised=6))
    )
    assert ("version.budget_above_promised", "error") in rules(
        lint_version(SERVICE, version(steps, promised=5))
    )


def test_an_explicit_graph_with_every_step_reachable_is_clean():
    steps = (step("a", nxt=("c",)), step("b", nxt=()), step("c", nxt=("b",)))
    assert lint_version(SERVICE, version(steps)) == []


def test_blocking_keeps_errors_and_drops_warnings():
    findings = lint_version(SERVICE, version(promised=10, statutory=10, materials=0))
    assert [f.rule for f in blocking(findings)] == ["version.no_materials"]


def test_findings_carry_a_readable_message():
    finding = lint_version(SERVICE, version(promised=12, statutory=10))[0]
    assert "12" in finding.message and "10" in finding.message
    assert finding.as_dict()["service_code"] == "S"


def test_tallies_and_order_put_errors_first():
    findings = lint_version(SERVICE, version(promised=10, statutory=10, materials=0))
    assert tally(findings) == {"error": 1, "warning": 1}
    assert [f.severity for f in ordered(findings)] == [Severity.ERROR, Severity.WARNING]
    assert tally_by_service(findings) == {"S": {"error": 1, "warning": 1}}
    assert tally([]) == {"error": 0, "warning": 0}
