from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from civicpulse.catalogue import services as cat
from civicpulse.catalogue.services import MaterialInput
from civicpulse.open311 import services as open311
from tests import factories

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "/open311/v2"
ID_NUMBER = "110101199003071234"


def _load(name: str) -> Any:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _w3_datetime(value: object) -> bool:
    """jsonschema checks date-time only with an optional package; the standard's rule is stated here."""
    if not isinstance(value, str):
        return True
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return True


def _registry() -> Registry:
    resources = [
        (name, Resource.from_contents(_load(name), default_specification=DRAFT4))
        for name in (
            "service.json",
            "services.json",
            "service-definition.json",
            "request.json",
            "requests.json",
        )
    ]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft4Validator:
    """A validator for one published schema file, its $refs resolved among the copied files."""
    return Draft4Validator(_load(name), registry=_registry(), format_checker=_FORMATS)


def swagger_validator(definition: str, *, array: bool = True) -> Draft4Validator:
    swagger = _load("swagger.json")
    schema = {"$ref": f"#/definitions/{definition}"}
    if array:
        schema = {"type": "array", "items": schema}
    return Draft4Validator({**schema, "definitions": swagger["definitions"]}, format_checker=_FORMATS)


def parse_xml(body: bytes) -> ET.Element:
    # Only ever this server's own output, written by ElementTree: no untrusted document reaches it.
    return ET.fromstring(body)  # noqa: S314


def schema_properties(name: str) -> set[str]:
    return set(_load(name)["properties"])


@dataclass
class World:
    county: factories.County
    key: str
    key_b: str
    service_code: str = "SVC-1"


@pytest.fixture
def world(county: factories.County) -> World:
    factories.published_service(county, "SVC-1")
    factories.published_service(
        county, "SVC-2", "食品经营许可", unit=county.dept_b, promised=10, statutory=20
    )
    _, key = open311.api_key_issue(actor=None, name="city-app", unit=county.region)
    _, key_b = open311.api_key_issue(actor=None, name="dept-b-kiosk", unit=county.dept_b)
    return World(county=county, key=key, key_b=key_b)


def hall_only(county: factories.County, code: str = "SVC-HALL") -> None:
    service, _ = factories.published_service(county, code)
    draft = cat.version_create(actor=county.quality_a, service=service)
    cat.version_update(actor=county.quality_a, version=draft, fields={"channels": "hall"})
    cat.version_transition(actor=county.quality_a, version=draft, transition="submit")
    cat.version_transition(actor=county.head_a, version=draft, transition="approve")


def with_materials(county: factories.County, code: str, materials: list[MaterialInput]) -> None:
    service, _ = factories.published_service(county, code)
    draft = cat.version_create(actor=county.quality_a, service=service)
    cat.version_update(actor=county.quality_a, version=draft, fields={}, materials=materials)
    cat.version_transition(actor=county.quality_a, version=draft, transition="submit")
    cat.version_transition(actor=county.head_a, version=draft, transition="approve")


def post_body(key: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "api_key": key,
        "service_code": "SVC-1",
        "lat": "39.9087",
        "long": "116.3975",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhang@example.cn",
        "description": "开一家小面馆",
        f"attribute[{'id_number'}]": ID_NUMBER,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def api() -> Client:
    """An Open311 client: no session, no CSRF token, English unless told otherwise."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def submit(api: Client, key: str, fmt: str = "json", headers: dict[str, str] | None = None, **overrides: Any):
    return api.post(f"{BASE}/requests.{fmt}", post_body(key, **overrides), headers=headers or {})
