"""The public results pages and open data: live publications only, in both languages, with small counts
withheld the same way on the pages, in the CSV and in the JSON."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from civicpulse.core import clock
from civicpulse.publication import opendata, services
from civicpulse.publication.indicators import CODES
from tests.publication.conftest import at, county_world, desk, rated, world  # noqa: F401
from tests.publication.test_publishing import _rectified

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"


@pytest.fixture
def published(county_world, settings):  # noqa: F811
    """November 2025: dept-a rated 14 times (12 good), dept-b 9 times, a town rated 11 times; one bad review
    of dept-a rectified to the citizen's satisfaction."""
    settings.CIVICPULSE = {**settings.CIVICPULSE, "PUBLICATION_MIN_SAMPLE": 10}
    w = county_world
    town = desk(w, "town-1", category="town")
    rated(w.desk_a, "2025-11-03", [5] * 12 + [1, 2], text="窗口王小明态度差，电话13812345678")
    rated(w.desk_b, "2025-11-04", [5] * 9)
    rated(town, "2025-11-05", [5] * 10 + [4])
    _rectified(w, "satisfied")
    with clock.frozen(at("2025-12-05")):
        w.period = services.period_publish(actor=w.office, scope=w.region, period="2025-11")
    return w


def _row(html: str, code: str) -> str:
    found = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert found, code
    return found.group(1)


def test_anyone_reads_the_list_of_live_publications(published, client_for):
    page = client_for(None).get("/results/")
    assert page.status_code == 200
    assert f'href="/results/{published.period.slug}/"' in page.content.decode()


def test_the_period_page_ranks_departments_within_categories_in_english(published, client_for):
    text = client_for(None, language="en").get(f"/results/{published.period.slug}/").content.decode()
    assert 'lang="en"' in text and "Good-review rate" in text
    assert "Approval departments" in text and "Town category" in text
    dept_a, dept_b, town = _row(text, "dept-a"), _row(text, "dept-b"), _row(text, "town-1")
    assert (
        "dept-a unit" in dept_a
        and "85.7%" in dept_a
        and "n = 14" in dept_a
        and "<strong>1</strong>" in dept_a
    )
    # 9 ratings: withheld, shown as under 10, and not ranked.
    assert "n = &lt;10" in dept_b and "%" not in dept_b and "not ranked" in dept_b
    assert "<strong>1</strong>" in town and "100.0%" in town
    assert "<svg" in text and "<script" not in text.split("</header>")[1]


def test_the_period_page_reads_in_chinese(published, client_for):
    text = client_for(None, language="zh-hans").get(f"/results/{published.period.slug}/").content.decode()
    assert 'lang="zh-CN"' in text and "好评率" in text and "按时办结率" in text
    assert "dept-a单位" in _row(text, "dept-a") and "审批部门" in text
    assert "dept-a unit" not in text


def test_services_link_their_guide(published, client_for):
    text = client_for(None).get(f"/results/{published.period.slug}/").content.decode()
    assert 'href="/services/SVC-1/"' in _row(text, "SVC-1")
    assert 'href="/services/SVC-DEPT-B/"' in _row(text, "SVC-DEPT-B")


def test_the_examples_shown_are_anonymised(published, client_for):
    text = client_for(None, language="zh-hans").get(f"/results/{published.period.slug}/").content.decode()
    assert "窗口王**态度差，电话***" in text
    assert "王小明" not in text and "13812345678" not in text and "已向王**致歉" in text


def test_a_department_page_shows_its_figures_services_and_examples(published, client_for):
    client = client_for(None)
    text = client.get(f"/results/{published.period.slug}/departments/dept-a/").content.decode()
    assert "rank 1 of 1 ranked departments" in text
    assert "85.7%" in text and 'href="/services/SVC-1/"' in text and "王**" in text
    other = client.get(f"/results/{published.period.slug}/departments/dept-b/").content.decode()
    assert "not ranked" in other and "王**" not in other
    assert client.get(f"/results/{published.period.slug}/departments/nowhere/").status_code == 404


def test_withdrawn_and_unknown_publications_are_not_found(published, client_for):
    w = published
    slug = w.period.slug
    with clock.frozen(at("2025-12-06")):
        services.period_withdraw(actor=w.office, period=w.period, reason="Recounted.")
    client = client_for(None)
    for path in (
        f"/results/{slug}/",
        f"/results/{slug}/departments/dept-a/",
        f"/open-data/{slug}/departments.csv",
        f"/open-data/{slug}/services.json",
        "/results/2025-10-county/",
        f"/open-data/{slug}/people.csv",
    ):
        assert client.get(path).status_code == 404, path
    assert slug not in client.get("/results/").content.decode()
    assert slug not in client.get("/open-data/index.json").content.decode()


def _csv(client, slug: str, name: str) -> list[dict[str, str]]:
    response = client.get(f"/open-data/{slug}/{name}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.splitlines()[0] == ",".join(opendata.NAMES)
    return list(csv.DictReader(io.StringIO(text)))


def test_open_data_csv_and_json_carry_the_pages_figures(published, client_for):
    client = client_for(None)
    slug = published.period.slug
    page = client.get(f"/results/{slug}/").content.decode()
    for name in ("departments", "services"):
        rows = _csv(client, slug, name)
        document = client.get(f"/open-data/{slug}/{name}.json").json()
        assert document["columns"] == list(opendata.NAMES)
        assert len(rows) == len(document["rows"]) > 0
        for row, item in zip(rows, document["rows"], strict=True):
            assert row == {
                k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in item.items()
            }
            shown = _row(page, row["subject_code"])
            if row["unit"] == "proportion" and row["value"]:
                assert f"{float(row['value']) * 100:.1f}%" in shown
            if row["n_suppressed"] == "true":
                assert row["n"] == "" and "&lt;10" in shown
            else:
                assert f"n = {row['n']}" in shown
    dept_b = {r["indicator"]: r for r in _csv(client, slug, "departments") if r["subject_code"] == "dept-b"}
    assert set(dept_b) == set(CODES)
    for row in dept_b.values():
        assert (row["value"], row["interval_low"], row["numerator"], row["n"]) == ("", "", "", "")
        assert (row["suppressed"], row["n_suppressed"], row["suppressed_below"]) == ("true", "true", "10")
    dept_a = {r["indicator"]: r for r in _csv(client, slug, "departments") if r["subject_code"] == "dept-a"}
    good = dept_a["good_review_rate"]
    assert (good["numerator"], good["n"], good["rank"], good["ranked_in_category"]) == ("12", "14", "1", "1")
    assert float(good["interval_low"]) < float(good["value"]) < float(good["interval_high"])
    # 2 bad reviews of 14: the sample is shown, the rate withheld.
    bad = dept_a["bad_review_rate"]
    assert (bad["value"], bad["numerator"], bad["n"], bad["suppressed"]) == ("", "", "14", "true")
    service = next(r for r in _csv(client, slug, "services") if r["subject_code"] == "SVC-1")
    assert service["guide_url"].endswith("/services/SVC-1/") and service["department_code"] == "dept-a"


def test_the_open_data_index_lists_live_publications_at_stable_addresses(published, client_for):
    client = client_for(None)
    index = client.get("/open-data/index.json").json()
    (entry,) = index["publications"]
    assert entry["departments_csv"].endswith(f"/open-data/{published.period.slug}/departments.csv")
    assert entry["cutoff"] == "2025-12-05T10:00:00+08:00" and entry["suppressed_below"] == 10
    page = client.get("/open-data/").content.decode()
    assert f"/open-data/{published.period.slug}/services.json" in page


def test_the_data_dictionary_describes_every_column_in_both_languages(client_for):
    dictionary = client_for(None).get("/open-data/dictionary.json").json()
    assert [c["name"] for c in dictionary["columns"]] == list(opendata.NAMES)
    assert all(c["description"]["en"] and c["description"]["zh-hans"] for c in dictionary["columns"])
    assert [i["code"] for i in dictionary["indicators"]] == list(CODES)
    page = client_for(None).get("/open-data/dictionary/").content.decode()
    assert all(f"<code>{name}</code>" in page for name in opendata.NAMES)


def test_the_documented_dictionary_matches_the_files():
    documented = DOCS.read_text()
    missing = [name for name in (*opendata.NAMES, *CODES) if f"`{name}`" not in documented]
    assert missing == []


def test_the_period_page_reads_a_fixed_number_of_queries(
    published, client_for, django_assert_max_num_queries
):
    client = client_for(None)
    with django_assert_max_num_queries(8):
        assert client.get(f"/results/{published.period.slug}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/open-data/{published.period.slug}/departments.json").status_code == 200
