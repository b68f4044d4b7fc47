"""The pages that matter, driven in a real Chromium against the live server."""

from __future__ import annotations

import pytest

from civicpulse.catalogue import services as cat
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_finds_a_service_guide_and_reads_it_in_both_languages(live_server, page, screenshots):
    county = factories.county()
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    factories.published_service(county, "SVC-2", "失业保险金申领")

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "办事指南"
    page.fill("input[name=q]", "失业")
    page.wait_for_function("() => !document.querySelector('#results').innerText.includes('SVC-1')")
    page.click("text=失业保险金申领")
    page.wait_for_url("**/services/SVC-2/")
    assert "需要携带的材料" in page.content() or "材料1" in page.content()
    page.screenshot(path=str(screenshots / "service-guide-zh.png"), full_page=True)

    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_selector("text=Materials to bring")
    assert "Material 1" in page.content()


def test_staff_submit_a_draft_and_see_the_panel_update_without_a_reload(live_server, page, screenshots):
    county = factories.county()
    service, _ = factories.published_service(county, "SVC-1")
    draft = cat.version_create(actor=county.quality_a, service=service)

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "quality_a")
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/staff/catalogue/SVC-1/versions/{draft.number}/")
    page.evaluate("window.__marker = 'still here'")
    page.click("text=提交审核")
    page.wait_for_selector("#version-panel >> text=审核中")
    assert page.evaluate("window.__marker") == "still here"
    page.screenshot(path=str(screenshots / "version-panel-zh.png"), full_page=True)


def test_the_service_guide_fits_a_phone_screen(live_server, browser, screenshots):
    county = factories.county()
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(live_server.url + "/services/SVC-1/")
        phone.wait_for_selector("text=需要携带的材料")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
        phone.screenshot(path=str(screenshots / "service-guide-phone.png"), full_page=True)
    finally:
        context.close()
