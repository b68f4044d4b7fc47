"""The window pad in a real Chromium on a tablet-sized screen: it waits, offers the case, thanks, resets."""

from __future__ import annotations

import pytest

from civicpulse.cases import services as cases
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_rates_on_the_window_pad_and_the_pad_resets(live_server, page, screenshots, settings):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "PAD_RESET_SECONDS": 1}
    county = factories.county()
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    _pad, token = ev.integration_issue(actor=None, name="pad 1", channel="pad", window=county.window)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(live_server.url + "/pad/")
    page.fill("#token", token)
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#pad-screen >> text=欢迎")
    case = cases.case_intake(
        actor=county.window_officer,
        service_code="SVC-1",
        channel="hall",
        window=county.window,
        applicant=cases.Applicant(name="王小明", id_number="110101199003071234", phone="13811112222"),
        submitted_positions=[1, 2],
    )
    # The pad polls every 3 s: the form appears by itself.
    page.wait_for_selector("#pad-screen >> text=请您评价", timeout=10000)
    assert case.number not in page.inner_text("#pad-screen")  # the citizen sees the service, not the number
    page.screenshot(path=str(screenshots / "pad-zh.png"), full_page=True)
    page.click("label:has-text('非常满意')")
    page.click("#pad-screen button:has-text('提交评价')")
    page.wait_for_selector("#pad-screen >> text=感谢您的评价")
    page.wait_for_selector("#pad-screen >> text=欢迎", timeout=10000)
    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.channel, evaluation.case_id) == (5, "pad", case.pk)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
