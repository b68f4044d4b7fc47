"""Every user-facing string exists in Simplified Chinese, and the compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parent.parent / "civicpulse"
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

_STRING = r'"((?:[^"\\]|\\.)*)"'


def _joined(block: str, keyword: str) -> str | None:
    match = re.search(rf"^{re.escape(keyword)} {_STRING}((?:\n{_STRING})*)", block, re.MULTILINE)
    if match is None:
        return None
    parts = [match.group(1), *re.findall(_STRING, match.group(2))]
    return "".join(parts)


def entries(text: str) -> list[dict[str, str | bool | None]]:
    result = []
    for block in text.split("\n\n"):
        msgid = _joined(block, "msgid")
        if msgid is None or msgid == "":
            continue
        msgstr = _joined(block, "msgstr") if "msgstr[0]" not in block else _joined(block, "msgstr[0]")
        result.append({"msgid": msgid, "msgstr": msgstr, "fuzzy": "#, fuzzy" in block})
    return result


def test_every_message_has_a_chinese_translation():
    missing = [e["msgid"] for e in entries(PO.read_text()) if not e["msgstr"] or e["fuzzy"]]
    assert missing == []


def test_placeholders_survive_translation():
    pattern = re.compile(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}")
    wrong = [
        e["msgid"]
        for e in entries(PO.read_text())
        if sorted(pattern.findall(str(e["msgid"]))) != sorted(pattern.findall(str(e["msgstr"])))
    ]
    assert wrong == []


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    source = {
        str(e["msgid"]).encode().decode("unicode_escape").encode("latin-1").decode()
        for e in entries(PO.read_text())
    }
    # A msgid with a context (pgettext) is catalogued as "context\x04msgid".
    catalogued = {
        (key if isinstance(key, str) else key[0]).split("\x04")[-1]
        for key in compiled._catalog  # type: ignore[attr-defined]
        if key
    }
    assert source <= catalogued


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path, monkeypatch, settings):
    copy = tmp_path / "civicpulse"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    regenerated = entries((copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text())
    untranslated = [e["msgid"] for e in regenerated if not e["msgstr"] or e["fuzzy"]]
    assert untranslated == [], "run `make messages` and translate these"
