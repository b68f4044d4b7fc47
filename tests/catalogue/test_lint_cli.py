from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from civicpulse.catalogue.models import Service
from tests import factories


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("catalogue", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_clean_catalogue_lints_clean(county):
    factories.published_service(county, "SVC-1")
    code, out = run("lint")
    assert code == 0 and "1 services checked: 0 errors" in out


def test_errors_fail_the_command_and_are_listed(county):
    factories.published_service(county, "SVC-1")
    Service.objects.filter(code="SVC-1").update(process_owner=None)
    code, out = run("lint")
    assert code == 1 and "SVC-1" in out and "service.no_owner" in out
    assert run("lint", "--no-fail")[0] == 0


def test_json_output_lists_findings(county):
    factories.published_service(county, "SVC-1")
    factories.published_service(county, "SVC-2", promised=15, statutory=15)
    code, out = run("lint", "--format", "json")
    findings = json.loads(out)
    assert code == 0 and [(f["service_code"], f["rule"]) for f in findings] == [
        ("SVC-2", "version.no_compression")
    ]


def test_lint_can_be_limited_to_a_unit(county):
    factories.published_service(county, "SVC-1")
    Service.objects.filter(code="SVC-1").update(process_owner=None)
    assert run("lint", "--unit", "dept-b")[0] == 0
    with pytest.raises(CommandError):
        call_command("catalogue", "lint", "--unit", "ghost")


def test_createadmin_makes_an_administrator_over_the_region(county, monkeypatch, client_for):
    monkeypatch.setenv("NEW_ADMIN_PASSWORD", "a-very-long-passphrase-2026")
    call_command("createadmin", "chief", "--password-env", "NEW_ADMIN_PASSWORD", stdout=io.StringIO())
    from civicpulse.accounts.models import User

    chief = User.objects.get(username="chief")
    assert chief.is_superuser and chief.check_password("a-very-long-passphrase-2026")
    assert client_for(chief).get("/api/v1/org/units").json()["count"] == 6


def test_createadmin_refuses_weak_passwords_and_unknown_regions(county, monkeypatch):
    monkeypatch.setenv("WEAK", "123")
    with pytest.raises(CommandError):
        call_command("createadmin", "chief", "--password-env", "WEAK")
    monkeypatch.setenv("OK", "a-very-long-passphrase-2026")
    with pytest.raises(CommandError):
        call_command("createadmin", "chief", "--password-env", "OK", "--region", "atlantis")


@pytest.fixture(autouse=True)
def _english():
    """These tests read the commands' messages in English; the installation default is Chinese."""
    with translation.override("en"):
        yield
