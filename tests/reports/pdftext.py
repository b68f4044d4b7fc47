"""The text a PDF shows, read back without a PDF library: enough of the format to read what WeasyPrint
writes (compressed object streams, Type 0 fonts with a ToUnicode map, text drawn with Tj and TJ)."""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.DOTALL)
_STREAM = re.compile(rb"^(<<.*?>>)\s*stream\r?\n", re.DOTALL)
_LENGTH = re.compile(rb"/Length (\d+)")


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None), object streams unpacked."""
    found: dict[int, tuple[bytes, bytes | None]] = {}
    for match in _OBJECT.finditer(pdf):
        number, body = int(match[1]), match[2]
        stream = _STREAM.match(body)
        if stream is None:
            found[number] = (body, None)
            continue
        head = stream[1]
        length = _LENGTH.search(head)
        assert length is not None
        data = body[stream.end() : stream.end() + int(length[1])]
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        found[number] = (head, data)
    for head, data in list(found.values()):
        if data is None or b"/ObjStm" not in head:
            continue
        first = int(re.search(rb"/First (\d+)", head)[1])  # type: ignore[index]
        pairs = [int(n) for n in data[:first].split()]
        offsets = list(zip(pairs[::2], pairs[1::2], strict=True))
        for i, (number, offset) in enumerate(offsets):
            end = offsets[i + 1][1] if i + 1 < len(offsets) else len(data) - first
            found[number] = (data[first + offset : first + end].strip(), None)
    return found


def _cmap(data: bytes) -> dict[bytes, str]:
    mapping: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for source, target in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[bytes.fromhex(source.decode())] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for low, high, target in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first, last = int(low, 16), int(high, 16)
            start = int.from_bytes(bytes.fromhex(target.decode()), "big")
            width = len(low) // 2
            for code in range(first, last + 1):
                mapping[code.to_bytes(width, "big")] = chr(start + code - first)
    return mapping


def text_of(pdf: bytes) -> str:
    """Every run of text the pages draw, one per line."""
    objects = _objects(pdf)
    maps: dict[int, dict[bytes, str]] = {}
    for number, (head, _data) in objects.items():
        unicode_map = re.search(rb"/ToUnicode (\d+) 0 R", head)
        if unicode_map is not None:
            maps[number] = _cmap(objects[int(unicode_map[1])][1] or b"")
    fonts: dict[bytes, dict[bytes, str]] = {}
    for head, _data in objects.values():
        for name, number in re.findall(rb"/([A-Za-z0-9_+-]+) (\d+) 0 R", head):
            if int(number) in maps:
                fonts[name] = maps[int(number)]
    lines: list[str] = []
    for head, data in objects.values():
        if data is None or b"BT" not in data or b"/Subtype" in head:
            continue
        current: dict[bytes, str] = {}
        for token in re.finditer(
            rb"/([A-Za-z0-9_+-]+) [\d.]+ Tf|\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj", data, re.DOTALL
        ):
            if token[1] is not None:
                current = fonts.get(token[1], {})
                continue
            hexes = re.findall(rb"<([0-9a-fA-F]*)>", token[2]) if token[2] is not None else [token[3]]
            glyphs = b"".join(bytes.fromhex(h.decode()) for h in hexes)
            lines.append("".join(current.get(glyphs[i : i + 2], "") for i in range(0, len(glyphs), 2)))
    return "\n".join(lines)
