"""JSON and XML bodies for Open311, one payload shape for both (the standard's "Spark convention").

A list becomes a wrapper element holding one element per item (`<services><service>`), a dict becomes
child elements, None an empty element, booleans `true`/`false`. XML is only written here, never parsed, so
the standard library's ElementTree is enough (defusedxml guards parsing, which this module never does).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

# The element each list item gets inside its wrapper: services > service, attributes > attribute...
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The standard asks for this declaration, encoding="UTF-8" included, before the root element.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, even escaped: they are dropped rather than break the document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(element.tag)
        if item_tag is None:
            raise ValueError(f"no item element known for <{element.tag}>")
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, payload: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, payload)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode()


def to_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def render(fmt: str, root: str, payload: Any) -> bytes:
    return to_json(payload) if fmt == "json" else to_xml(root, payload)
