from __future__ import annotations

from tests import factories


def test_the_service_guide_shows_materials_steps_limits_and_the_unit(county, client_for):
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    page = client_for(None, language="zh-hans").get("/services/SVC-1/")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "个体工商户设立登记",
        "材料1",
        "材料2",
        "受理",
        "审查",
        "dept-a单位",
        "5 个工作日",
        "15 个工作日",
        "免费",
    ):
        assert expected in text, expected
    assert 'name="viewport"' in text


def test_the_guide_reads_in_english_too(county, client_for):
    factories.published_service(county, "SVC-1")
    text = client_for(None, language="en").get("/services/SVC-1/").content.decode()
    for expected in (
        "SVC-1 service",
        "Material 1",
        "Intake",
        "dept-a unit",
        "5 working days",
        "free of charge",
    ):
        assert expected in text, expected


def test_a_service_without_a_published_version_has_no_guide(county, client_for):
    assert client_for(None).get("/services/NOPE/").status_code == 404


def test_search_answers_htmx_with_just_the_results(county, client_for):
    factories.published_service(county, "SVC-1", "个体工商户设立登记")
    factories.published_service(county, "SVC-2", "失业保险金申领")
    response = client_for(None).get("/?q=失业", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "SVC-2" in text and "SVC-1" not in text and "<html" not in text


def test_the_header_offers_both_languages(county, client_for):
    text = client_for(None).get("/").content.decode()
    assert 'value="zh-hans"' in text and 'value="en"' in text


def test_switching_language_changes_the_page(county, client_for):
    client = client_for(None, language="en")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "办事指南" in client.get("/").content.decode()


def test_staff_publish_a_version_from_the_page_with_htmx(county, client_for):
    from civicpulse.catalogue import services as cat

    service, _ = factories.published_service(county, "SVC-1")
    draft = cat.version_create(actor=county.quality_a, service=service)
    client = client_for(county.quality_a)
    panel = client.post(f"/staff/catalogue/SVC-1/versions/{draft.number}/submit/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and "in review" in panel.content.decode()
    own = client_for(county.head_a).post(
        f"/staff/catalogue/SVC-1/versions/{draft.number}/approve/", HTTP_HX_REQUEST="true"
    )
    assert "badge published" in own.content.decode()


def test_the_staff_catalogue_flags_services_with_linter_errors(county, client_for):
    from civicpulse.catalogue.models import Service

    factories.published_service(county, "SVC-1")
    Service.objects.filter(code="SVC-1").update(process_owner=None)
    text = client_for(county.head_a).get("/staff/catalogue/").content.decode()
    assert "1 error" in text
    lint = client_for(county.head_a).get("/staff/catalogue/lint/").content.decode()
    assert "The service has no process owner." in lint


def test_staff_list_pages_do_not_query_per_row(county, client_for, django_assert_max_num_queries):
    for i in range(8):
        factories.published_service(county, f"SVC-{i}", f"事项{i}")
    client = client_for(county.head_a)
    with django_assert_max_num_queries(20):
        assert client.get("/staff/catalogue/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
