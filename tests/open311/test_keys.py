"""API keys: issued once on the command line, revoked for good, switched off in the back office."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from civicpulse.accounts.models import User
from civicpulse.core.errors import NotFound
from civicpulse.core.models import AuditEvent
from civicpulse.open311 import services as open311
from civicpulse.open311.models import ApiKey
from tests.open311.conftest import submit

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    """The command in English: its messages are translated, and the installation's default is Chinese."""
    out = StringIO()
    with translation.override("en"):
        call_command("open311", *args, stdout=out)
    return out.getvalue()


def _issued_key(output: str) -> str:
    match = re.search(r"(o311_\S+)", output)
    assert match is not None, output
    return match.group(1)


def test_key_add_prints_a_working_key_once_and_stores_only_its_digest(api, county):
    from tests import factories

    factories.published_service(county, "SVC-1")
    key = _issued_key(_run("key-add", "--name", "hotline", "--unit", "county"))
    stored = ApiKey.objects.get(name="hotline")
    assert stored.unit == county.region and stored.is_active
    assert key not in stored.key_digest and stored.key_digest == open311.digest(key)
    assert AuditEvent.objects.filter(action="georeport.api_key.issued", target_id=str(stored.pk)).exists()
    assert submit(api, key).status_code == 200
    listing = _run("key-list")
    assert "hotline\tcounty\tactive" in listing and key not in listing


def test_key_add_refuses_an_unknown_unit_and_a_taken_name(county):
    with pytest.raises(CommandError, match="nowhere"):
        _run("key-add", "--name", "hotline", "--unit", "nowhere")
    _run("key-add", "--name", "hotline", "--unit", "county")
    with pytest.raises(CommandError, match="already exists"):
        _run("key-add", "--name", "hotline", "--unit", "dept-a")
    assert ApiKey.objects.count() == 1


def test_key_revoke_stops_the_key_for_good(api, county):
    key = _issued_key(_run("key-add", "--name", "hotline", "--unit", "county"))
    assert "revoked" in _run("key-revoke", "hotline")
    stored = ApiKey.objects.get(name="hotline")
    assert not stored.is_active and stored.revoked_at is not None
    assert AuditEvent.objects.filter(action="georeport.api_key.revoked", target_id=str(stored.pk)).exists()
    assert submit(api, key).status_code == 403
    with pytest.raises(CommandError, match="already revoked"):
        _run("key-revoke", "hotline")
    with pytest.raises(CommandError):
        _run("key-revoke", "nobody")


def test_only_holders_of_open311_manage_over_the_unit_may_issue(county):
    with pytest.raises(NotFound):
        open311.api_key_issue(actor=county.head_a, name="mine", unit=county.dept_a)
    api_key, _ = open311.api_key_issue(actor=county.admin, name="mine", unit=county.dept_a)
    with pytest.raises(NotFound):
        open311.api_key_revoke(actor=county.head_b, name="mine")
    assert open311.api_key_revoke(actor=county.admin, name="mine").pk == api_key.pk


def test_the_back_office_switches_a_key_off_but_never_adds_or_deletes(county, client_for):
    api_key, _ = open311.api_key_issue(actor=None, name="hotline", unit=county.region)
    root = User.objects.create_superuser(username="root", password="a-long-test-password", kind="staff")
    client = client_for(root)
    assert client.get("/admin/open311/apikey/").status_code == 200
    assert client.get("/admin/open311/apikey/add/").status_code == 403
    assert client.post(f"/admin/open311/apikey/{api_key.pk}/delete/").status_code == 403
    response = client.post(f"/admin/open311/apikey/{api_key.pk}/change/", {})
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert not api_key.is_active and api_key.revoked_at is not None
    assert AuditEvent.objects.filter(action="core.record.saved", target_id=str(api_key.pk)).exists()
    page = client.get(f"/admin/open311/apikey/{api_key.pk}/change/").content.decode()
    assert 'name="is_active"' not in page
    assert client.get("/admin/open311/submission/").status_code == 200
