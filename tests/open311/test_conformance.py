"""Conformance of every GeoReport v2 endpoint: the published JSON schemas, the XML element names, the
JSON and XML carrying the same data, and the specification's rules (locations, date windows, errors)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.open311.render import ITEM_TAGS
from tests import factories
from tests.open311.conftest import (
    BASE,
    World,
    hall_only,
    parse_xml,
    schema_properties,
    submit,
    swagger_validator,
    validator,
)

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def _json(response) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def _xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return parse_xml(response.content)


def _spark(element: ET.Element) -> Any:
    """XML read back by the Spark convention, with leaf values as text: to compare with the JSON."""
    children = list(element)
    if not children:
        return element.text
    if element.tag in ITEM_TAGS:
        assert all(child.tag == ITEM_TAGS[element.tag] for child in children)
        return [_spark(child) for child in children]
    return {child.tag: _spark(child) for child in children}


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return None if value is None or value == "" else str(value)


def _same_in_both(api: Client, path: str, root: str) -> Any:
    """Fetch .json and .xml; the XML has the spec's root element and the same data as the JSON."""
    as_json = _json(api.get(f"{BASE}/{path}.json"))
    tree = _xml(api.get(f"{BASE}/{path}.xml"))
    assert tree.tag == root
    empty = [] if isinstance(as_json, list) else {}
    assert (_spark(tree) or empty) == _as_text(as_json)
    return as_json


# --- discovery and services -------------------------------------------------------------------------------


def test_discovery_names_the_v2_endpoint_with_both_formats(api, world: World):
    body = _same_in_both(api, "discovery", "discovery")
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["contact"] and body["key_service"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] in ("production", "test")
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]
    assert body["changeset"] == endpoint["changeset"]
    assert dt.datetime.fromisoformat(body["changeset"]).tzinfo is not None


def test_discovery_changeset_moves_when_a_service_is_published(api, world: World):
    before = _json(api.get(f"{BASE}/discovery.json"))["changeset"]
    with clock.frozen(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        hall_only(world.county, "SVC-NEW")
    after = _json(api.get(f"{BASE}/discovery.json"))["changeset"]
    assert after > before


def test_services_validate_against_the_published_schema(api, world: World):
    body = _same_in_both(api, "services", "services")
    validator("services.json").validate(body)
    assert {s["service_code"] for s in body} == {"SVC-1", "SVC-2"}
    for service in body:
        assert set(service) <= schema_properties("service.json")
        assert service["type"] == "realtime"
        assert service["metadata"] is True
    by_code = {s["service_code"]: s for s in body}
    assert by_code["SVC-1"]["group"] == "dept-a unit"
    assert by_code["SVC-2"]["group"] == "dept-b unit"
    assert by_code["SVC-1"]["service_name"] == "SVC-1 service"
    assert "个体工商户设立登记" in by_code["SVC-1"]["keywords"]


def test_services_speak_the_clients_language(world: World):
    body = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(f"{BASE}/services.json").json()
    assert {s["service_name"] for s in body} == {"个体工商户设立登记", "食品经营许可"}


def test_hall_only_services_and_draft_only_services_are_not_offered(api, world: World):
    hall_only(world.county, "SVC-HALL")
    codes = {s["service_code"] for s in _json(api.get(f"{BASE}/services.json"))}
    assert "SVC-HALL" not in codes
    assert api.get(f"{BASE}/services/SVC-HALL.json").status_code == 404


def test_service_definition_validates_and_lists_the_materials(api, world: World):
    body = _same_in_both(api, "services/SVC-1", "service_definition")
    validator("service-definition.json").validate(body)
    assert body["service_code"] == "SVC-1"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["id_number", "material_1", "material_2"]
    orders = [a["order"] for a in body["attributes"]]
    assert orders == sorted(set(orders)) and min(orders) == 1
    identity, *materials = body["attributes"]
    assert identity["variable"] is True and identity["required"] is True
    assert all(m["variable"] is False and m["required"] is False for m in materials)
    assert materials[0]["description"].startswith("Material 1")


def test_service_definition_for_an_unknown_code_is_404_in_both_formats(api, world: World):
    response = api.get(f"{BASE}/services/NOPE.json")
    assert response.status_code == 404
    assert _json(response) == [{"code": 404, "description": "Unknown service_code: NOPE."}]
    tree = _xml(api.get(f"{BASE}/services/NOPE.xml"))
    assert tree.tag == "errors"
    assert [c.tag for c in tree[0]] == ["code", "description"]


def test_unsupported_format_is_a_400(api):
    response = api.get(f"{BASE}/services.csv")
    assert response.status_code == 400
    assert _xml(response).tag == "errors"


def test_a_resource_without_suffix_answers_in_xml(api):
    assert _xml(api.get(f"{BASE}/services")).tag == "services"


def test_wrong_method_is_refused_with_the_error_array(api):
    response = api.delete(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert _json(response)[0]["code"] == 405


def test_a_wrong_jurisdiction_is_404_and_the_right_one_or_none_is_served(api, world: World, settings):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "OPEN311_JURISDICTION_ID": "county.gov.cn"}
    assert api.get(f"{BASE}/services.json?jurisdiction_id=elsewhere.gov").status_code == 404
    assert api.get(f"{BASE}/services.json?jurisdiction_id=county.gov.cn").status_code == 200
    assert api.get(f"{BASE}/services.json").status_code == 200


# --- POST requests and tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_answers_with_the_request_id_and_a_token_resolves_to_it(api, world: World, fmt: str):
    response = submit(api, world.key, fmt)
    assert response.status_code == 200
    if fmt == "json":
        body = _json(response)
        swagger_validator("RequestResponse").validate(body)
    else:
        tree = _xml(response)
        assert tree.tag == "service_requests"
        body = _spark(tree)
    (receipt,) = body
    assert set(receipt) == {"service_request_id", "service_notice"}
    case = Case.objects.get(number=receipt["service_request_id"])
    token = response["Open311-Token"]
    tokens = _same_in_both(api, f"tokens/{token}", "service_requests")
    swagger_validator("TokenResponse").validate(tokens)
    assert tokens == [{"service_request_id": case.number, "token": token}]


def test_unknown_token_is_404(api):
    assert api.get(f"{BASE}/tokens/not-a-token.json").status_code == 404


@pytest.mark.parametrize(
    "overrides",
    [
        {"lat": None, "long": None},
        {"lat": "", "long": "", "address_string": " ", "address_id": ""},
        {"long": None},
        {"lat": "91", "long": "116.4"},
        {"lat": "abc", "long": "116.4"},
    ],
)
def test_post_without_a_full_location_is_a_400_and_creates_nothing(api, world: World, overrides):
    response = submit(api, world.key, **overrides)
    assert response.status_code == 400
    assert all(e["code"] == 400 for e in _json(response))
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "location",
    [
        {"lat": None, "long": None, "address_string": "北京市东城区东华门街道1号"},
        {"lat": None, "long": None, "address_id": "BJ-000123"},
    ],
)
def test_an_address_alone_is_a_full_location(api, world: World, location):
    assert submit(api, world.key, **location).status_code == 200


def test_post_for_an_unknown_service_is_404(api, world: World):
    response = submit(api, world.key, service_code="NOPE")
    assert response.status_code == 404
    assert _json(response)[0]["description"] == "Unknown service_code: NOPE."


def test_post_without_service_code_is_400(api, world: World):
    assert submit(api, world.key, service_code=None).status_code == 400


@pytest.mark.parametrize("key", [None, "", "o311_wrong"])
def test_post_without_a_valid_api_key_is_403(api, world: World, key):
    response = submit(api, key or "", api_key=key)
    assert response.status_code == 403
    assert _json(response)[0]["code"] == 403
    assert not Case.objects.exists()


def test_all_missing_fields_are_told_at_once(api, world: World):
    response = submit(
        api,
        world.key,
        first_name=None,
        last_name=None,
        phone=None,
        lat=None,
        long=None,
        **{"attribute[id_number]": None},
    )
    assert response.status_code == 400
    descriptions = [e["description"] for e in _json(response)]
    assert len(descriptions) == 4
    assert any("id_number" in d for d in descriptions)
    assert any("location" in d for d in descriptions)


# --- GET requests -----------------------------------------------------------------------------------------


def _submitted(
    api: Client, world: World, count: int, *, at: dt.datetime, step=dt.timedelta(days=1)
) -> list[str]:
    numbers = []
    for i in range(count):
        with clock.frozen(at + i * step):
            response = submit(api, world.key, **{"attribute[id_number]": f"11010119900307{i:04d}"})
        numbers.append(response.json()[0]["service_request_id"])
    return numbers


def test_requests_validate_against_the_published_schema_in_both_formats(api, world: World):
    _submitted(api, world, 2, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    body = _same_in_both(api, "requests", "service_requests")
    validator("requests.json").validate(body)
    assert len(body) == 2
    for item in body:
        assert set(item) <= schema_properties("request.json")
        assert item["status"] == "open"
        assert item["agency_responsible"] == "dept-a unit"
        assert item["expected_datetime"] > item["requested_datetime"]


def test_request_by_id_validates_and_unknown_ids_are_404(api, world: World):
    (number,) = _submitted(api, world, 1, at=dt.datetime.now(dt.UTC))
    body = _same_in_both(api, f"requests/{number}", "service_requests")
    validator("requests.json").validate(body)
    assert [r["service_request_id"] for r in body] == [number]
    response = api.get(f"{BASE}/requests/20990101000000.json")
    assert response.status_code == 404
    assert _json(response)[0]["code"] == 404


def test_cases_that_did_not_come_through_open311_are_never_listed(api, world: World):
    county = world.county
    case = cases.case_intake(
        actor=county.window_officer,
        service_code="SVC-1",
        channel="hall",
        window=county.window,
        applicant=cases.Applicant(name="李四", id_number="110101199003079999", phone="13900000000"),
        submitted_positions=[1, 2],
    )
    assert _json(api.get(f"{BASE}/requests.json")) == []
    assert api.get(f"{BASE}/requests/{case.number}.json").status_code == 404
    assert _json(api.get(f"{BASE}/requests.json?service_request_id={case.number}")) == []


def test_default_window_is_the_last_90_days(api, world: World):
    now = dt.datetime.now(dt.UTC)
    _old, recent = _submitted(api, world, 2, at=now - dt.timedelta(days=100), step=dt.timedelta(days=95))
    listed = [r["service_request_id"] for r in _json(api.get(f"{BASE}/requests.json"))]
    assert listed == [recent]


def test_start_and_end_dates_select_by_requested_datetime(api, world: World):
    start = dt.datetime(2025, 3, 3, 10, 0, tzinfo=TZ)
    numbers = _submitted(api, world, 4, at=start)
    query = "start_date=2025-03-04T00:00:00%2B08:00&end_date=2025-03-05T23:59:59Z"
    listed = [r["service_request_id"] for r in _json(api.get(f"{BASE}/requests.json?{query}"))]
    assert listed == [numbers[2], numbers[1]]
    only_start = _json(api.get(f"{BASE}/requests.json?start_date=2025-03-05T00:00:00Z"))
    assert [r["service_request_id"] for r in only_start] == [numbers[3], numbers[2]]
    only_end = _json(api.get(f"{BASE}/requests.json?end_date=2025-03-03T23:00:00Z"))
    assert [r["service_request_id"] for r in only_end] == [numbers[0]]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2025-01-01T00:00:00Z&end_date=2025-04-02T00:00:00Z",
        "start_date=2025-03-02T00:00:00Z&end_date=2025-03-01T00:00:00Z",
        "start_date=2025-03-01",
        "start_date=2025-03-01T00:00:00",
        "end_date=yesterday",
        "status=pending",
        "limit=0",
        "limit=many",
    ],
)
def test_bad_filters_are_a_400(api, query):
    response = api.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400
    assert _json(response)[0]["code"] == 400


def test_a_span_of_exactly_90_days_is_allowed(api):
    query = "start_date=2025-01-01T00:00:00Z&end_date=2025-04-01T00:00:00Z"
    assert api.get(f"{BASE}/requests.json?{query}").status_code == 200


def test_status_filter_separates_open_and_closed(api, world: World):
    county = world.county
    first, second = _submitted(api, world, 2, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    case = Case.objects.get(number=first)
    cases.case_transition(actor=county.head_a, case=case, transition="refuse", reason="不属于本部门职责")
    closed = _json(api.get(f"{BASE}/requests.json?status=closed"))
    assert [(r["service_request_id"], r["status"]) for r in closed] == [(first, "closed")]
    opened = _json(api.get(f"{BASE}/requests.json?status=open"))
    assert [r["service_request_id"] for r in opened] == [second]
    both = _json(api.get(f"{BASE}/requests.json?status=open,closed"))
    assert {r["service_request_id"] for r in both} == {first, second}
    assert closed[0]["updated_datetime"] >= closed[0]["requested_datetime"]
    assert "不属于本部门职责" not in str(closed)


def test_service_code_filter_and_service_request_id_override(api, world: World):
    now = dt.datetime.now(dt.UTC)
    numbers = _submitted(api, world, 2, at=now - dt.timedelta(days=1))
    with clock.frozen(now - dt.timedelta(hours=1)):
        other = submit(api, world.key, service_code="SVC-2").json()[0]["service_request_id"]
    by_code = _json(api.get(f"{BASE}/requests.json?service_code=SVC-2"))
    assert [r["service_request_id"] for r in by_code] == [other]
    assert len(_json(api.get(f"{BASE}/requests.json?service_code=SVC-1,SVC-2"))) == 3
    # service_request_id overrides every other argument, the date window and the status included.
    ids = f"{numbers[0]},{other}"
    listed = _json(api.get(f"{BASE}/requests.json?service_request_id={ids}&status=closed&service_code=X"))
    assert {r["service_request_id"] for r in listed} == {numbers[0], other}


def test_limit_is_respected_newest_first(api, world: World, settings):
    numbers = _submitted(api, world, 4, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
    listed = _json(api.get(f"{BASE}/requests.json?limit=2"))
    assert [r["service_request_id"] for r in listed] == [numbers[3], numbers[2]]
    settings.CIVICPULSE = {**settings.CIVICPULSE, "OPEN311_MAX_REQUESTS": 3}
    assert len(_json(api.get(f"{BASE}/requests.json"))) == 3
    assert api.get(f"{BASE}/requests.json?limit=4").status_code == 400


def test_listing_requests_takes_a_constant_number_of_queries(
    api, world: World, django_assert_max_num_queries
):
    _submitted(api, world, 5, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=6))
    with django_assert_max_num_queries(4):
        assert len(_json(api.get(f"{BASE}/requests.json"))) == 5


def test_listing_services_takes_a_constant_number_of_queries(
    api, world: World, django_assert_max_num_queries
):
    county = world.county
    for code, name, unit in (
        ("SVC-3", "建设工程规划许可", county.dept_a),
        ("SVC-4", "排水许可", county.dept_b),
        ("SVC-5", "户外广告设置许可", county.section_a1),
    ):
        factories.published_service(county, code, name, unit=unit)
    with django_assert_max_num_queries(3):
        body = _json(api.get(f"{BASE}/services.json"))
    assert len(body) == 5
    # A service of a section is grouped under the section's department.
    assert {s["service_code"]: s["group"] for s in body}["SVC-5"] == "dept-a unit"
