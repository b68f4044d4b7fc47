"""The staff desk in a real Chromium: a window officer accepts a case and the panel updates in place."""

from __future__ import annotations

import pytest

from civicpulse.cases import services as cases
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_window_officer_accepts_a_case_from_the_desk(live_server, page, screenshots):
    county = factories.county()
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    case = cases.case_intake(
        actor=county.window_officer,
        service_code="SVC-1",
        channel="hall",
        window=county.window,
        applicant=cases.Applicant(name="王小明", id_number="110101199003071234", phone="13812345678"),
        submitted_positions=[1],
    )
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "window_officer")
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/staff/desk/")
    page.click(f"text={case.number}")
    page.evaluate("window.__marker = 'same page'")
    page.click("#case-panel button:has-text('受理')")
    page.wait_for_selector("#case-panel >> text=办理中")
    assert page.evaluate("window.__marker") == "same page"
    assert "王小明" not in page.content()  # the applicant's name is masked on staff pages
    page.screenshot(path=str(screenshots / "desk-case-zh.png"), full_page=True)
