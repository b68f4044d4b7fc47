"""The back office shows orders and appeals read-only: they change only through the services."""

from __future__ import annotations

from civicpulse.accounts.models import User
from tests.rectification.conftest import APPLICANT, bad_review


def test_orders_and_appeals_are_read_only_in_the_admin(world, client_for):
    order = bad_review(world)
    root = User.objects.create_superuser(username="root", password="a-long-test-password", kind="staff")
    client = client_for(root)
    listing = client.get("/admin/rectification/rectificationorder/")
    assert listing.status_code == 200
    detail = client.get(f"/admin/rectification/rectificationorder/{order.pk}/change/")
    assert detail.status_code == 200 and APPLICANT.name not in detail.content.decode()
    assert client.get("/admin/rectification/rectificationorder/add/").status_code == 403
    assert client.get("/admin/rectification/appeal/").status_code == 200
    assert client.post(f"/admin/rectification/rectificationorder/{order.pk}/delete/").status_code == 403
