from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.core.errors import Conflict, NotFound, ValidationFailed
from civicpulse.core.masking import mask_email, mask_id_number, mask_name, mask_phone
from tests import factories


def test_units_know_their_subtree_by_path(county):
    assert county.section_a1.path.startswith(county.dept_a.path)
    assert county.section_a1.depth == 2 and county.region.depth == 0
    assert set(OrgUnit.objects.filter(path__startswith=county.dept_a.path)) == {
        county.dept_a,
        county.section_a1,
    }


def test_moving_a_unit_moves_its_whole_subtree(county):
    other = factories.unit("other-region", UnitKind.REGION, None)
    county.dept_a.parent = other
    county.dept_a.save()
    section = OrgUnit.objects.get(pk=county.section_a1.pk)
    assert section.path == f"{other.path}{county.dept_a.pk}/{section.pk}/" and section.depth == 2


def test_a_unit_cannot_move_under_itself(county):
    county.dept_a.parent = county.section_a1
    with pytest.raises(ValueError):
        county.dept_a.save()


@pytest.mark.parametrize(
    ("kind", "parent"),
    [("window", "dept_a"), ("section", "region"), ("department", "hall"), ("hall", "dept_a")],
)
def test_the_tree_only_takes_sensible_shapes(county, kind, parent):
    with pytest.raises(ValidationFailed):
        factories.unit("bad", kind, getattr(county, parent))


def test_only_regions_may_be_roots_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.create(code="loose", name_zh="x", name_en="x", kind="department", path="/x/")


def test_staff_need_a_unit_and_citizens_have_none(county):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=county.citizen.pk).update(org_unit=county.dept_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=county.head_a.pk).update(org_unit=None)


def test_duplicate_codes_and_names_are_refused_cleanly(county):
    with pytest.raises(Conflict):
        factories.unit("dept-a", UnitKind.DEPARTMENT, county.region)
    with pytest.raises(Conflict):
        org.staff_create(actor=None, username="head_a", full_name="x", org_unit=county.dept_a, roles=[])
    with pytest.raises(ValidationFailed):
        org.staff_create(actor=None, username="new", full_name="x", org_unit=county.dept_a, roles=["emperor"])
    assert not User.objects.filter(username="new").exists()


def test_managing_the_organisation_needs_org_manage_over_the_parent(county):
    with pytest.raises(NotFound):
        org.org_unit_create(
            actor=county.head_a, code="s2", name_zh="x", name_en="x", kind="section", parent=county.dept_a
        )
    unit = org.org_unit_create(
        actor=county.admin, code="s2", name_zh="x", name_en="x", kind="section", parent=county.dept_a
    )
    assert unit.parent == county.dept_a


def test_a_role_over_a_unit_covers_its_subtree_only(county, client_for):
    org.role_assign(
        actor=county.admin, user=county.approver_a, role=Role.DEPARTMENT_HEAD, unit=county.section_a1
    )
    units = client_for(county.approver_a).get("/api/v1/org/units").json()["items"]
    assert [u["code"] for u in units] == ["dept-a-1"]


def test_staff_lists_mask_phone_numbers(county, client_for):
    items = client_for(county.admin).get("/api/v1/org/staff").json()["items"]
    assert items and all(i["phone_masked"] in ("138****5678", "") for i in items)
    assert "13812345678" not in client_for(county.admin).get("/api/v1/org/staff").content.decode()


@pytest.mark.parametrize(
    ("function", "value", "masked"),
    [
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "12345", "*****"),
        (mask_phone, "6234567", "*****67"),
        (mask_phone, "0571-8888 1234", "057*****1234"),
        (mask_phone, "+86 138 1234 5678", "861******5678"),
        (mask_phone, "", ""),
        (mask_id_number, "110101199003071234", "1101**********1234"),
        (mask_id_number, "1234", "****"),
        (mask_name, "张三丰", "张**"),
        (mask_name, "王", "*"),
        (mask_name, "", ""),
        (mask_email, "wang@example.org", "w***@example.org"),
        (mask_email, "nobody", "n*****"),
    ],
)
def test_masking_hides_all_but_the_edges(function, value, masked):
    assert function(value) == masked


def test_only_the_system_or_a_superuser_adds_a_top_region(county):
    with pytest.raises(NotFound):
        org.org_unit_create(
            actor=county.admin, code="r2", name_zh="x", name_en="x", kind="region", parent=None
        )
    county.admin.is_superuser = True
    assert org.org_unit_create(
        actor=county.admin, code="r2", name_zh="x", name_en="x", kind="region", parent=None
    )


def test_the_back_office_refuses_a_bad_tree_with_a_form_error(county, client_for):
    county.admin.is_staff = county.admin.is_superuser = True
    county.admin.save()
    client = client_for(county.admin)
    form = {"code": "dept-a", "name_zh": "x", "name_en": "x", "kind": "department", "is_active": "on"}
    under_itself = client.post(
        f"/admin/accounts/orgunit/{county.dept_a.pk}/change/", {**form, "parent": county.section_a1.pk}
    )
    under_a_hall = client.post(
        f"/admin/accounts/orgunit/{county.dept_a.pk}/change/", {**form, "parent": county.hall.pk}
    )
    for response in (under_itself, under_a_hall):
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert OrgUnit.objects.get(pk=county.dept_a.pk).parent_id == county.region.pk


def test_installation_wide_events_are_only_for_those_who_cover_every_region(county, client_for):
    factories.unit("other-region", UnitKind.REGION, None)
    actions = {
        e["action"] for e in client_for(county.supervisor).get("/api/v1/audit?limit=500").json()["items"]
    }
    assert "accounts.user.created" in actions  # staff of the county, tied to county units
    citizen_events = (
        client_for(county.supervisor)
        .get(f"/api/v1/audit?target_type=accounts.user&target_id={county.citizen.pk}")
        .json()
    )
    assert citizen_events["count"] == 0
