"""The public results in a real Chromium: a publication read in Chinese and English, on a desktop and a
phone, with every request answered and nothing loaded from elsewhere."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.publication import services
from tests.publication.conftest import at, county_world, desk, rated, world  # noqa: F401
from tests.publication.test_publishing import _rectified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(county_world, settings):  # noqa: F811
    settings.CIVICPULSE = {**settings.CIVICPULSE, "PUBLICATION_MIN_SAMPLE": 10}
    w = county_world
    town = desk(w, "town-1", category="town")
    rated(w.desk_a, "2025-11-03", [5] * 12 + [1, 2], text="等了很久")
    rated(w.desk_b, "2025-11-04", [5] * 9)
    rated(town, "2025-11-05", [5] * 10 + [4])
    _rectified(w, "satisfied")
    with clock.frozen(at("2025-12-05")):
        return services.period_publish(actor=w.office, scope=w.region, period="2025-11")


def _watch(page) -> list[str]:
    """Failed requests and answers of 400 or more, and any request to another host."""
    problems: list[str] = []
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else problems.append(f"outside {request.url}")
        ),
    )
    return problems


def test_the_results_read_in_chinese_and_english(live_server, page, screenshots, published):
    problems = _watch(page)
    page.goto(f"{live_server.url}/results/")
    page.click(f"a[href='/results/{published.slug}/']")
    page.wait_for_url(f"**/results/{published.slug}/")
    assert "好评率" in page.inner_text("table.results >> nth=0")
    assert page.locator("svg.rate-bars").count() == 2
    dept_a = page.inner_text("tr[data-code='dept-a']")
    assert "85.7%" in dept_a and "dept-a单位" in dept_a
    assert "<10" in page.inner_text("tr[data-code='dept-b']")
    assert "已向王**致歉" in page.inner_text("article.example")
    page.screenshot(path=str(screenshots / "results-zh.png"), full_page=True)

    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_selector("text=Good-review rate")
    assert "dept-a unit" in page.inner_text("tr[data-code='dept-a']")
    page.click("tr[data-code='dept-a'] >> text=dept-a unit")
    page.wait_for_url("**/departments/dept-a/")
    assert "rank 1 of 1" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "results-department-en.png"), full_page=True)

    page.goto(f"{live_server.url}/open-data/")
    page.click(f"a[href='/open-data/{published.slug}/departments.json']")
    assert '"rows"' in page.content()
    assert problems == []


def test_the_results_fit_a_phone_screen(live_server, browser, screenshots, published):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        problems = _watch(phone)
        phone.goto(f"{live_server.url}/results/{published.slug}/")
        phone.wait_for_selector("tr[data-code='dept-a']")
        assert "好评率" in phone.inner_text("table.results >> nth=0")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
        phone.screenshot(path=str(screenshots / "results-phone.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
