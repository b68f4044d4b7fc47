"""JSON and XML bodies from one payload (pure)."""

from __future__ import annotations

import json

import pytest

from civicpulse.open311.render import render, to_json, to_xml, xml_safe
from tests.open311.conftest import parse_xml


def test_xml_follows_the_spark_convention():
    payload = {
        "service_code": "A",
        "attributes": [{"code": "x", "values": [{"key": "1", "name": "One"}]}, {"code": "y", "values": []}],
        "flag": True,
        "off": False,
        "nothing": None,
        "order": 2,
        "lat": 39.5,
    }
    body = to_xml("service_definition", payload)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<service_definition>')
    tree = parse_xml(body)
    assert [c.tag for c in tree] == ["service_code", "attributes", "flag", "off", "nothing", "order", "lat"]
    first, second = tree.find("attributes")
    assert first.tag == second.tag == "attribute"
    assert [(v.findtext("key"), v.findtext("name")) for v in first.find("values")] == [("1", "One")]
    assert list(second.find("values")) == []
    assert [tree.findtext(t) for t in ("flag", "off", "order", "lat")] == ["true", "false", "2", "39.5"]
    assert tree.find("nothing").text is None


@pytest.mark.parametrize(
    ("root", "item"),
    [("services", "service"), ("service_requests", "request"), ("errors", "error")],
)
def test_top_level_arrays_get_the_standards_item_element(root, item):
    tree = parse_xml(to_xml(root, [{"a": "1"}, {"a": "2"}]))
    assert tree.tag == root and [c.tag for c in tree] == [item, item]


def test_a_list_with_no_known_item_element_is_a_programming_error():
    with pytest.raises(ValueError):
        to_xml("service_requests", [{"media": ["a"]}])


def test_text_is_escaped_and_characters_xml_cannot_carry_are_dropped():
    tree = parse_xml(to_xml("errors", [{"description": 'a < b & "c" \x01\x0b\ufffe 中文\n\tend'}]))
    assert tree[0].findtext("description") == 'a < b & "c"  中文\n\tend'
    assert xml_safe("ok\x00\x1f") == "ok"


def test_json_is_utf8_without_escapes():
    body = to_json([{"service_name": "食品经营许可", "lat": None, "metadata": True}])
    assert "食品经营许可".encode() in body
    assert json.loads(body) == [{"service_name": "食品经营许可", "lat": None, "metadata": True}]


def test_render_picks_the_format():
    assert render("json", "services", []) == b"[]"
    assert parse_xml(render("xml", "services", [])).tag == "services"
