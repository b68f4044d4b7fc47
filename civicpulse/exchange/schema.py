"""The record schema: its file is the single source of the field list, its order and its version."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1.0"
SCHEMA_NAME = "evaluation-v1.json"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / SCHEMA_NAME


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def fields() -> tuple[str, ...]:
    """The record's fields in schema order: the order of JSON keys and of CSV columns."""
    return tuple(schema()["properties"])
