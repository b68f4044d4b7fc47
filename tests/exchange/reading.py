"""Reading an export back, as a receiving platform would, with nothing but the published schema file:
CSV cells are typed by the schema's declared types."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from civicpulse.exchange.schema import SCHEMA_PATH

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _types(name: str) -> list[str]:
    declared = SCHEMA["properties"][name]["type"]
    return declared if isinstance(declared, list) else [declared]


def _cell(name: str, text: str) -> Any:
    types = _types(name)
    if text == "" and "null" in types:
        return None
    if "integer" in types:
        return int(text)
    if "boolean" in types:
        return {"true": True, "false": False}[text]
    if "object" in types or "array" in types:
        return json.loads(text)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def parse(data: bytes, fmt: str) -> list[dict[str, Any]]:
    if fmt == "jsonl":
        assert not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
        assert text == "" or text.endswith("\n")
        return [json.loads(line) for line in text.splitlines()]
    assert data.startswith(b"\xef\xbb\xbf"), "CSV starts with a UTF-8 byte-order mark"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == list(SCHEMA["properties"])
    return [{name: _cell(name, text) for name, text in zip(header, row, strict=True)} for row in body]


_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}
_PYTHON = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _check(value: Any, rule: dict[str, Any], where: str) -> list[str]:
    """The subset of JSON Schema the record schema uses: type, enum, pattern, minLength, minimum, maximum,
    format (date, date-time), items and additionalProperties."""
    types = rule.get("type", [])
    types = types if isinstance(types, list) else [types]
    if types and not any(_PYTHON[t](value) for t in types):
        return [f"{where}: {value!r} is not {types}"]
    problems = []
    if "enum" in rule and value not in rule["enum"]:
        problems.append(f"{where}: {value!r} not in {rule['enum']}")
    if isinstance(value, str):
        if "pattern" in rule and not re.search(rule["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {rule['pattern']}")
        if len(value) < rule.get("minLength", 0):
            problems.append(f"{where}: too short")
        if rule.get("format") in _FORMATS and not _FORMATS[rule["format"]].match(value):
            problems.append(f"{where}: {value!r} is not a {rule['format']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in rule and value < rule["minimum"]:
            problems.append(f"{where}: below {rule['minimum']}")
        if "maximum" in rule and value > rule["maximum"]:
            problems.append(f"{where}: above {rule['maximum']}")
    if isinstance(value, list) and "items" in rule:
        for i, item in enumerate(value):
            problems += _check(item, rule["items"], f"{where}[{i}]")
    if isinstance(value, dict) and isinstance(rule.get("additionalProperties"), dict):
        for key, item in value.items():
            problems += _check(item, rule["additionalProperties"], f"{where}.{key}")
    return problems


def schema_problems(record: dict[str, Any]) -> list[str]:
    problems = [f"missing {name}" for name in SCHEMA["required"] if name not in record]
    if SCHEMA.get("additionalProperties") is False:
        problems += [f"unexpected {name}" for name in record if name not in SCHEMA["properties"]]
    for name, rule in SCHEMA["properties"].items():
        if name in record:
            problems += _check(record[name], rule, name)
    return problems
