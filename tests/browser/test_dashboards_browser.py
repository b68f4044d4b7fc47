"""Every dashboard in a real Chromium, in Chinese and English: it loads with no failed request, its charts
are drawn (served by the project, nothing from elsewhere), a filter redraws the board in place, and it fits
a phone. Screenshots are kept as test artifacts."""

from __future__ import annotations

import pytest

from civicpulse.core import clock
from civicpulse.dashboards import rollup
from civicpulse.evaluations import services as ev
from tests import factories
from tests.dashboards.conftest import at, case_accepted, case_decided, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LENSES = ("overview", "unit", "my", "quality", "difficulty")


@pytest.fixture
def county_with_months(world):  # noqa: F811
    for day, level in (("2025-10-06", 5), ("2025-10-13", 1), ("2025-11-03", 4), ("2025-11-10", 2)):
        case = case_decided(world, day, day.replace("-06", "-08").replace("-13", "-16").replace("-03", "-05"))
        with clock.frozen(at(day, 16)):
            ev.evaluation_submit(
                case=case,
                stage="completion",
                channel="link",
                rating=ev.Rating(level, {}, ["attitude"] if level <= 3 else []),
                as_applicant=True,
            )
    case_accepted(world, "2025-11-12")
    rollup.refresh()
    return world


def _sign_in(page, live_server, username: str) -> list[str]:
    problems: list[str] = []
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}"),
    )
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return problems


@pytest.mark.parametrize(("username", "locale"), [("leader", "zh-CN"), ("head_a", "en-GB")])
def test_every_dashboard_loads_and_draws_its_charts(
    live_server, browser, screenshots, county_with_months, username, locale
):
    context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        problems = _sign_in(page, live_server, username)
        for lens in LENSES:
            page.goto(f"{live_server.url}/staff/dashboards/{lens}/?start=2025-10&end=2025-11")
            page.wait_for_selector("#board")
            charts = page.locator("#board figure.chart svg")
            if lens != "my":
                assert charts.count() > 0, lens
                box = charts.first.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50
            # Chinese labels are laid out in a Chinese font, not as empty boxes of zero width.
            if locale.startswith("zh") and lens == "overview":
                width = page.evaluate(
                    "() => { const t = [...document.querySelectorAll('#board svg text')]"
                    ".find(e => /[\\u4e00-\\u9fff]/.test(e.textContent)); return t ? t.getBBox().width : -1 }"
                )
                assert width > 10
            page.screenshot(path=str(screenshots / f"dashboard-{lens}-{locale}.png"), full_page=True)
        assert problems == []
        # Scripts and styles come from the project itself.
        sources = page.evaluate(
            "() => [...document.scripts].map(s => s.src).concat([...document.styleSheets].map(s => s.href))"
        )
        assert all(not s or s.startswith(live_server.url) for s in sources), sources
    finally:
        context.close()


def test_a_filter_redraws_the_board_in_place(live_server, page, county_with_months):
    problems = _sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/staff/dashboards/overview/?start=2025-10&end=2025-11")
    page.evaluate("window.__marker = 'still here'")
    page.select_option("form.filters select[name=channel]", "online")
    page.wait_for_function("() => location.search.includes('channel=online')")
    page.wait_for_selector("#board figure.chart svg")
    assert page.evaluate("window.__marker") == "still here"
    assert problems == []


def test_the_dashboard_fits_a_phone(live_server, browser, screenshots, county_with_months):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        _sign_in(phone, live_server, "leader")
        phone.goto(f"{live_server.url}/staff/dashboards/overview/?start=2025-10&end=2025-11")
        phone.wait_for_selector("#board .kpi")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
        phone.screenshot(path=str(screenshots / "dashboard-phone.png"), full_page=True)
    finally:
        context.close()
