"""The pure mapping between CivicPulse and Open311, rule by rule (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from civicpulse.cases.enums import CaseStatus
from civicpulse.catalogue.enums import MaterialSource, ServiceMode
from civicpulse.core.errors import ValidationFailed
from civicpulse.open311 import mapping as m
from tests.open311.conftest import validator

UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _service(**overrides) -> m.ServiceFacts:
    values = {
        "code": "SVC-1",
        "name_zh": "个体工商户设立登记",
        "name_en": "Sole trader registration",
        "power_kind": "licensing",
        "service_mode": ServiceMode.PROMISED,
        "promised_limit_days": 5,
        "statutory_limit_days": 15,
        "department_zh": "市场监管局",
        "department_en": "Market Regulation",
        "materials": (
            m.MaterialFacts(2, "营业执照申请书", "Application form", copies=2),
            m.MaterialFacts(1, "身份证", "Identity card", form="copy"),
            m.MaterialFacts(3, "场所证明", "Premises proof", required=False, notes="租赁合同亦可"),
            m.MaterialFacts(4, "户籍信息", "Household record", source=MaterialSource.SHARED),
        ),
    }
    values.update(overrides)
    return m.ServiceFacts(**values)


def _request(**overrides) -> m.RequestFacts:
    values = {
        "number": "20250601123456",
        "status": CaseStatus.SUBMITTED,
        "decision": "",
        "service_code": "SVC-1",
        "service_name_zh": "个体工商户设立登记",
        "service_name_en": "Sole trader registration",
        "unit_name_zh": "市场监管局",
        "unit_name_en": "Market Regulation",
        "limit_days": 5,
        "requested_at": NOW,
        "updated_at": NOW,
        "expected_at": None,
        "description": "开一家面馆",
        "address_string": "东华门街道1号",
        "address_id": "A-1",
        "lat": Decimal("39.9087000"),
        "long": Decimal("116.3975000"),
    }
    values.update(overrides)
    return m.RequestFacts(**values)


# --- statuses ---------------------------------------------------------------------------------------------

STATUS_TABLE = {
    CaseStatus.SUBMITTED: "open",
    CaseStatus.IN_PROGRESS: "open",
    CaseStatus.PAUSED: "open",
    CaseStatus.REFUSED: "closed",
    CaseStatus.DECIDED: "closed",
    CaseStatus.DELIVERED: "closed",
    CaseStatus.CLOSED: "closed",
    CaseStatus.WITHDRAWN: "closed",
}


def test_the_status_table_covers_every_case_status():
    assert set(STATUS_TABLE) == set(CaseStatus.values)


@pytest.mark.parametrize(("status", "expected"), STATUS_TABLE.items())
def test_open311_status(status, expected):
    assert m.open311_status(status) == expected


def test_an_unknown_case_status_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        m.open311_status("lost")


@pytest.mark.parametrize("wanted", [(), ("open",), ("closed",), ("open", "closed")])
def test_case_statuses_is_the_inverse_of_open311_status(wanted):
    assert m.case_statuses(wanted) == {s for s, o in STATUS_TABLE.items() if o in wanted}


# --- names, languages, datetimes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("三", "张", "张三"),
        ("小明", "欧阳", "欧阳小明"),
        ("John", "Smith", "John Smith"),
        ("  John ", " Smith  ", "John Smith"),
        ("Ming", "王", "王Ming"),
        ("", "张", "张"),
        ("John", "", "John"),
        ("", "", ""),
        ("  ", "\t", ""),
    ],
)
def test_person_name(first, last, expected):
    assert m.person_name(first, last) == expected


@pytest.mark.parametrize(
    ("zh", "en", "english", "expected"),
    [("中", "en", True, "en"), ("中", "en", False, "中"), ("中", "", True, "中"), ("", "en", False, "en")],
)
def test_localized(zh, en, english, expected):
    assert m.localized(zh, en, english) == expected


def test_w3_datetime_is_written_in_the_installation_zone_with_its_offset():
    assert m.w3_datetime(NOW, CST) == "2025-06-01T20:00:00+08:00"
    assert m.w3_datetime(NOW.replace(microsecond=999), UTC) == "2025-06-01T12:00:00+00:00"
    with pytest.raises(ValueError):
        m.w3_datetime(dt.datetime(2025, 6, 1), UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-01-01T00:00:00Z", dt.datetime(2010, 1, 1, tzinfo=UTC)),
        ("2010-01-01t00:00:00z", dt.datetime(2010, 1, 1, tzinfo=UTC)),
        ("1994-11-05T08:15:30-05:00", dt.datetime(1994, 11, 5, 13, 15, 30, tzinfo=UTC)),
        ("1994-11-05T08:15-05:00", dt.datetime(1994, 11, 5, 13, 15, tzinfo=UTC)),
        ("2025-06-01T20:00:00.25+08:00", dt.datetime(2025, 6, 1, 12, 0, 0, 250000, tzinfo=UTC)),
        (" 2025-06-01T20:00:00+08:00 ", NOW),
    ],
)
def test_parse_w3_datetime(text, expected):
    parsed = m.parse_w3_datetime(text)
    assert parsed == expected and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "2010-01-01",
        "2010-01-01T00:00:00",
        "2010-01-01 00:00:00Z",
        "2010-01-01T00:00:00+0800",
        "2010-13-01T00:00:00Z",
        "2010-01-01T25:00:00Z",
        "yesterday",
        "",
    ],
)
def test_parse_w3_datetime_refuses_anything_without_a_zone_or_malformed(text):
    with pytest.raises(ValueError):
        m.parse_w3_datetime(text)


def test_expected_datetime_is_office_close_on_the_due_date():
    assert m.expected_datetime(None, "17:30", CST) is None
    expected = m.expected_datetime(dt.date(2025, 10, 14), "17:30", CST)
    assert expected == dt.datetime(2025, 10, 14, 9, 30, tzinfo=UTC)


# --- the GET requests window ------------------------------------------------------------------------------

DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (NOW - 90 * DAY, NOW)),
        (NOW - 10 * DAY, None, (NOW - 10 * DAY, NOW + 80 * DAY)),
        (None, NOW - 10 * DAY, (NOW - 100 * DAY, NOW - 10 * DAY)),
        (NOW - 90 * DAY, NOW, (NOW - 90 * DAY, NOW)),
        (NOW, NOW, (NOW, NOW)),
    ],
)
def test_resolve_window(start, end, expected):
    assert m.resolve_window(start, end, NOW) == expected


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (NOW - 90 * DAY - dt.timedelta(seconds=1), NOW, "span_too_long"),
        (NOW, NOW - dt.timedelta(seconds=1), "end_before_start"),
    ],
)
def test_resolve_window_refuses(start, end, code):
    with pytest.raises(ValidationFailed) as error:
        m.resolve_window(start, end, NOW)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("a", ("a",)),
        ("a,b", ("a", "b")),
        (" a , b ,, a ,", ("a", "b")),
        (",,,", ()),
    ],
)
def test_comma_list(value, expected):
    assert m.comma_list(value) == expected


def test_parse_request_query_defaults_and_values():
    assert m.parse_request_query({}) == m.RequestQuery(limit=m.MAX_REQUESTS)
    query = m.parse_request_query(
        {
            "service_request_id": "1,2",
            "service_code": "A,B",
            "status": "open",
            "start_date": "2025-01-01T00:00:00Z",
            "end_date": "2025-01-02T00:00:00Z",
            "limit": "7",
        }
    )
    assert query == m.RequestQuery(
        numbers=("1", "2"),
        service_codes=("A", "B"),
        statuses=("open",),
        start=dt.datetime(2025, 1, 1, tzinfo=UTC),
        end=dt.datetime(2025, 1, 2, tzinfo=UTC),
        limit=7,
    )


@pytest.mark.parametrize(
    ("limit", "ok"), [("1", True), ("10", True), ("0", False), ("11", False), ("-1", False), ("x", False)]
)
def test_limit_bounds(limit, ok):
    if ok:
        assert m.parse_request_query({"limit": limit}, maximum=10).limit == int(limit)
    else:
        with pytest.raises(ValidationFailed):
            m.parse_request_query({"limit": limit}, maximum=10)


def test_every_query_problem_is_reported_at_once():
    with pytest.raises(ValidationFailed) as error:
        m.parse_request_query(
            {"status": "pending", "start_date": "2025-01-01", "end_date": "x", "limit": "0"}, maximum=10
        )
    assert len(error.value.detail) == 4


def test_too_many_ids_at_once_are_refused():
    m.parse_request_query({"service_request_id": ",".join(map(str, range(3)))}, maximum=3)
    with pytest.raises(ValidationFailed):
        m.parse_request_query({"service_request_id": ",".join(map(str, range(4)))}, maximum=3)


# --- locations, attributes, the POST body -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "long", "address", "address_id", "expected"),
    [
        ("39.9087", "116.3975", "", "", m.Location(Decimal("39.9087000"), Decimal("116.3975000"))),
        ("90", "180", "", "", m.Location(Decimal("90.0000000"), Decimal("180.0000000"))),
        ("-90", "-180", "", "", m.Location(Decimal("-90.0000000"), Decimal("-180.0000000"))),
        ("1.123456789", "2", "", "", m.Location(Decimal("1.1234568"), Decimal("2.0000000"))),
        ("", "", " 东华门街道1号 ", "", m.Location(address_string="东华门街道1号")),
        ("", "", "", "A-1", m.Location(address_id="A-1")),
        ("1", "2", "here", "A-1", m.Location(Decimal("1.0000000"), Decimal("2.0000000"), "here", "A-1")),
    ],
)
def test_parse_location(lat, long, address, address_id, expected):
    assert m.parse_location(lat, long, address, address_id) == expected


@pytest.mark.parametrize(
    ("lat", "long", "address", "code"),
    [
        ("", "", "", "location_required"),
        (" ", " ", " ", "location_required"),
        ("1", "", "here", "lat_long_pair"),
        ("", "1", "here", "lat_long_pair"),
        ("90.0000001", "0", "", "invalid_coordinates"),
        ("0", "180.1", "", "invalid_coordinates"),
        ("NaN", "0", "", "invalid_coordinates"),
        ("Infinity", "0", "", "invalid_coordinates"),
        ("1e2", "0", "", "invalid_coordinates"),
        ("north", "0", "", "invalid_coordinates"),
        ("", "", "x" * 256, "address_too_long"),
    ],
)
def test_parse_location_refuses(lat, long, address, code):
    with pytest.raises(ValidationFailed) as error:
        m.parse_location(lat, long, address, "")
    assert error.value.code == code


def test_parse_attributes_single_multi_and_noise():
    params = {
        "attribute[id_number]": [" 110 "],
        "attribute[colour][]": ["red", "blue"],
        "attribute[colour]": ["green"],
        "attribute[empty]": [" "],
        "attribute[]": ["x"],
        "attributes[x]": ["y"],
        "lat": ["1"],
    }
    assert m.parse_attributes(params) == {"id_number": ("110",), "colour": ("red", "blue", "green")}


def _body(**overrides):
    body = {
        "service_code": ["SVC-1"],
        "lat": ["39.9"],
        "long": ["116.4"],
        "first_name": ["三"],
        "last_name": ["张"],
        "phone": ["13812345678"],
        "attribute[id_number]": ["110101199003071234"],
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = [value]
    return body


def test_parse_submission_accepts_a_complete_body():
    parsed = m.parse_submission(_body(email="a@b.cn", description="面馆"), _service())
    assert parsed.applicant_name == "张三" and parsed.phone == "13812345678" and parsed.email == "a@b.cn"
    assert parsed.attributes == {"id_number": ("110101199003071234",)}
    assert parsed.description == "面馆" and parsed.location.lat == Decimal("39.9000000")


@pytest.mark.parametrize(
    ("overrides", "problems"),
    [
        ({"first_name": None, "last_name": None}, 1),
        ({"phone": None}, 1),
        ({"phone": "1" * 21}, 1),
        ({"email": "not-an-address"}, 1),
        ({"description": "x" * 4001}, 1),
        ({"attribute[id_number]": None}, 1),
        ({"attribute[colour]": "red"}, 1),
        ({"attribute[material_1]": "yes"}, 1),
        ({"lat": None, "long": None, "phone": None, "attribute[id_number]": None}, 3),
    ],
)
def test_parse_submission_reports_every_problem(overrides, problems):
    with pytest.raises(ValidationFailed) as error:
        m.parse_submission(_body(**overrides), _service())
    assert len(error.value.detail) == problems


def test_the_last_value_of_a_repeated_argument_counts():
    parsed = m.parse_submission({**_body(), "phone": ["1", "13900000000"]}, _service())
    assert parsed.phone == "13900000000"


# --- services ---------------------------------------------------------------------------------------------


def test_service_item():
    item = m.service_item(_service(), english=True)
    validator("service.json").validate(item)
    assert item == {
        "service_code": "SVC-1",
        "service_name": "Sole trader registration",
        "description": "Promised limit 5 working days, statutory limit 15 working days. Free of charge. "
        "Run at most once.",
        "metadata": True,
        "type": "realtime",
        "keywords": "个体工商户设立登记, administrative licensing, promised service",
        "group": "Market Regulation",
    }
    chinese = m.service_item(_service(), english=False)
    assert chinese["service_name"] == "个体工商户设立登记" and chinese["group"] == "市场监管局"
    assert chinese["keywords"].startswith("Sole trader registration, ")


def test_service_without_department_has_no_group_and_an_immediate_one_says_so():
    item = m.service_item(
        _service(
            department_zh="",
            department_en="",
            service_mode=ServiceMode.IMMEDIATE,
            fee_yuan=Decimal("12.50"),
            run_at_most_once=False,
        ),
        english=True,
    )
    assert item["group"] is None
    assert item["description"] == "Immediate service: decided on the spot. Fee: 12.50 yuan."


def test_keywords_never_carry_a_comma_inside_a_word_nor_repeat_the_name():
    facts = _service(name_en="Tea, coffee licence")
    assert m.keywords(facts, english=False).split(", ")[0] == "Tea  coffee licence"
    assert "个体工商户设立登记" not in m.keywords(_service(), english=False)


def test_service_definition_puts_the_identity_number_first_then_materials_by_position():
    definition = m.service_definition(_service(), english=True)
    validator("service-definition.json").validate(definition)
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == [
        "id_number",
        "material_1",
        "material_2",
        "material_3",
        "material_4",
    ]
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5]
    assert [a["variable"] for a in attributes] == [True, False, False, False, False]
    assert [a["description"] for a in attributes[1:]] == [
        "Identity card: copy",
        "Application form: original, 2 copies",
        "Premises proof: original, if applicable. 租赁合同亦可",
        "Household record: original, obtained through data sharing (no need to bring)",
    ]


@given(
    positions=st.lists(st.integers(min_value=1, max_value=500), unique=True, max_size=30),
    english=st.booleans(),
)
def test_any_material_list_gives_a_valid_definition_with_unique_codes_and_orders(positions, english):
    facts = _service(materials=tuple(m.MaterialFacts(p, f"材料{p}", f"Material {p}") for p in positions))
    with translation.override("en"):
        definition = m.service_definition(facts, english)
    validator("service-definition.json").validate(definition)
    codes = [a["code"] for a in definition["attributes"]]
    orders = [a["order"] for a in definition["attributes"]]
    assert len(set(codes)) == len(codes) == len(positions) + 1
    assert orders == list(range(1, len(positions) + 2))


def test_materials_to_prepare_leave_out_optional_and_shared_ones():
    assert m.materials_to_prepare(_service(), english=True) == ["Identity card", "Application form"]
    other = _service(
        materials=(
            m.MaterialFacts(1, "其他", "Other", source=MaterialSource.OTHER),
            m.MaterialFacts(2, "政府", "Gov", source=MaterialSource.GOVERNMENT),
        )
    )
    assert m.materials_to_prepare(other, english=False) == ["其他"]


def test_receipt_notice():
    full = m.receipt_notice(
        _service(), number="N1", due=dt.date(2025, 10, 14), verification_code="123456", english=True
    )
    assert full == (
        "Received as case N1. Promised limit 5 working days, due 2025-10-14. "
        "Materials to prepare: Identity card; Application form. "
        "Verification code 123456: with the case number it follows the case on the portal."
    )
    bare = m.receipt_notice(_service(materials=()), number="N1", due=None, verification_code="", english=True)
    assert (
        bare
        == "Received as case N1. The verification code was given in the first answer to this request only."
    )


# --- requests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Submitted"),
        ({"status": CaseStatus.IN_PROGRESS}, "In progress"),
        ({"status": CaseStatus.REFUSED}, "Refused at intake"),
        ({"status": CaseStatus.WITHDRAWN}, "Withdrawn"),
        ({"status": CaseStatus.DECIDED, "decision": "approved"}, "Decided: approved"),
        ({"status": CaseStatus.DELIVERED, "decision": "denied"}, "Delivered: denied"),
        ({"status": CaseStatus.CLOSED, "decision": "approved"}, "Closed: approved"),
        ({"status": CaseStatus.CLOSED}, "Closed"),
        ({"status": CaseStatus.PAUSED}, "Paused"),
        ({"status": CaseStatus.PAUSED, "open_pause_kind": "expert_review"}, "Paused: expert review"),
        (
            {"status": CaseStatus.PAUSED, "open_pause_kind": "supplement", "missing_materials": ("A", "B")},
            "Paused: supplement request, missing: A; B",
        ),
    ],
)
def test_status_notes(overrides, expected):
    assert m.status_notes(_request(**overrides)) == expected


def test_request_item_reveals_what_was_submitted_only_to_its_submitter():
    expected = dt.datetime(2025, 6, 6, 9, 30, tzinfo=UTC)
    shown = m.request_item(_request(expected_at=expected), tz=CST, english=True, reveal=True)
    validator("request.json").validate(shown)
    assert shown == {
        "service_request_id": "20250601123456",
        "status": "open",
        "status_notes": "Submitted",
        "service_name": "Sole trader registration",
        "service_code": "SVC-1",
        "description": "开一家面馆",
        "agency_responsible": "Market Regulation",
        "service_notice": "Promised limit 5 working days.",
        "requested_datetime": "2025-06-01T20:00:00+08:00",
        "updated_datetime": "2025-06-01T20:00:00+08:00",
        "expected_datetime": "2025-06-06T17:30:00+08:00",
        "address": "东华门街道1号",
        "address_id": "A-1",
        "zipcode": None,
        "lat": 39.9087,
        "long": 116.3975,
    }
    hidden = m.request_item(_request(), tz=CST, english=False, reveal=False)
    validator("request.json").validate(hidden)
    assert [hidden[k] for k in ("description", "address", "address_id", "lat", "long")] == [None] * 5
    assert hidden["expected_datetime"] is None
    assert hidden["service_name"] == "个体工商户设立登记" and hidden["agency_responsible"] == "市场监管局"


def test_an_empty_submission_detail_is_null_not_an_empty_string():
    item = m.request_item(
        _request(description="", address_string="", address_id="", lat=None, long=None),
        tz=CST,
        english=True,
        reveal=True,
    )
    assert [item[k] for k in ("description", "address", "address_id", "lat", "long")] == [None] * 5
