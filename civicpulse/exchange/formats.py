"""Encoding records as JSON Lines and CSV. Pure functions: the same records always give the same bytes.

JSON Lines: one compact JSON object per line, UTF-8 without BOM, "\\n" after every line, keys in schema
order. CSV: RFC 4180 with "\\r\\n", UTF-8 with a BOM so that Excel in a Chinese locale does not read it as
GBK; a header row of field names; null as an empty cell, booleans as true/false, objects and arrays as
compact JSON; a text cell that a spreadsheet would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

BOM = "\ufeff".encode()
# Cells starting with these are formulas to Excel and LibreOffice (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def jsonl_line(record: dict[str, Any], fields: Sequence[str]) -> bytes:
    ordered = {name: record[name] for name in fields}
    return (json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        return _json(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_row(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode()


def csv_header(fields: Sequence[str]) -> bytes:
    return BOM + _csv_row(list(fields))


def csv_line(record: dict[str, Any], fields: Sequence[str]) -> bytes:
    return _csv_row([csv_cell(record[name]) for name in fields])


def encode(records: Iterable[dict[str, Any]], fields: Sequence[str], fmt: str) -> Iterator[bytes]:
    """The file's bytes in chunks: a CSV header first (also for an empty batch), then one line per record."""
    if fmt == "csv":
        yield csv_header(fields)
        for record in records:
            yield csv_line(record, fields)
    elif fmt == "jsonl":
        for record in records:
            yield jsonl_line(record, fields)
    else:
        raise ValueError(f"unknown format {fmt!r}")
