"""Personal data out of free text before it is published: a complaint and its answer become an example
anyone may read. Pure functions, no Django.

What goes (decision 0009): e-mail addresses, ID card numbers (18 and 15 digits), mobile and landline
numbers, case and reference numbers (any run of seven or more digits, with or without a letter prefix, and
whatever follows a cue such as 工号 or 案号), street addresses with a house number, and names: the names
the caller knows (the applicant, the staff involved) wherever they appear, names after a cue (我叫, 姓名,
"my name is") and English titles (Mr Smith). Known names are masked the way staff lists mask them
(`core.masking.mask_name`: the surname stays, 王**), which reads as anonymous in Chinese practice; every
other item is replaced by ``***``. Removing too much is the safe side: a date written as eight digits goes
too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from civicpulse.core.masking import mask_name

REMOVED = "***"

_HAN = r"\u4e00-\u9fff"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 18-digit resident ID (the last may be X) and the old 15-digit one.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mainland mobile numbers, with or without +86 and with spaces or dashes in the usual 3-4-4 places.
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
# Landlines with an area code: 025-83251234, (025) 8325 1234, 0512 6523 1234.
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)")
# Case numbers (20260511123456), complaint numbers (TS20260017), bank cards, local phone numbers.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{0,4}\d{7,}(?![0-9])")
_CUED_NUMBER = re.compile(
    r"((?:工号|编号|单号|案号|件号|受理号|流水号|身份证号?|证件号码?|手机号?|电话|联系方式)\s*[:：是为]?\s*)"
    r"[A-Za-z0-9][A-Za-z0-9-]*"
)
# A street address down to the house number: [place names] road/street/village ... 12号 (栋, 单元, 室).
_ADDRESS_ZH = re.compile(
    rf"[{_HAN}]{{0,20}}?[{_HAN}](?:路|街|大道|大街|巷|弄|胡同|村|组|小区|花园|大厦|公寓|苑)"
    rf"\s*[0-9０-９一二三四五六七八九十百-]+\s*(?:号|栋|幢|弄|组)"
    rf"(?:\s*[0-9０-９一二三四五六七八九十-]+\s*(?:号楼|号|栋|幢|单元|室|楼|层))*"
)
# The lazy match may start on the words before an address ("我住在人民路12号", "家在张家村5组"): the address
# begins after the last of these, and a pronoun left in front of it stays too.
_BEFORE_PLACE = "在住于到从向往去来的是了"
_PRONOUNS = "我你他她们咱家"
_ADDRESS_EN = re.compile(
    r"\b(?:No\.\s*)?\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z]+\s+){1,4}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct)\b\.?"
)
_NAME_CUE_ZH = re.compile(
    rf"((?:我叫|名叫|叫做|姓名|名字|联系人|申请人|经办人)\s*[:：是为]?\s*)([{_HAN}]{{2,4}})"
)
_NAME_CUE_EN = re.compile(r"((?:[Mm]y name is|[Nn]ame:)\s*)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_TITLE_EN = re.compile(r"\b((?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)([A-Z][a-z]+)")


def _address_zh(match: re.Match[str]) -> str:
    found = match.group(0)
    start = max((i + 1 for i, ch in enumerate(found) if ch in _BEFORE_PLACE), default=0)
    while start < len(found) and found[start] in _PRONOUNS:
        start += 1
    if start >= len(found) or not re.match(rf"[{_HAN}]", found[start]):
        return found
    return found[:start] + REMOVED


def anonymise(text: str, *, names: Iterable[str] = (), known: Iterable[str] = ()) -> str:
    """`text` with personal data removed. `names` are people's names known to the caller (masked, the
    surname kept); `known` are other strings known to be personal (the applicant's ID number, phone and
    e-mail, the case number), removed wherever they appear whatever their shape."""
    result = text or ""
    for secret in sorted({k.strip() for k in known if k and len(k.strip()) >= 3}, key=len, reverse=True):
        result = result.replace(secret, REMOVED)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        result = result.replace(name, mask_name(name))
    result = _EMAIL.sub(REMOVED, result)
    result = _CUED_NUMBER.sub(lambda m: m.group(1) + REMOVED, result)
    result = _ID_CARD.sub(REMOVED, result)
    result = _MOBILE.sub(REMOVED, result)
    result = _LANDLINE.sub(REMOVED, result)
    result = _LONG_NUMBER.sub(REMOVED, result)
    result = _ADDRESS_ZH.sub(_address_zh, result)
    result = _ADDRESS_EN.sub(REMOVED, result)
    result = _NAME_CUE_ZH.sub(lambda m: m.group(1) + mask_name(m.group(2)), result)
    result = _NAME_CUE_EN.sub(lambda m: m.group(1) + REMOVED, result)
    result = _TITLE_EN.sub(lambda m: m.group(1) + mask_name(m.group(2)), result)
    return result


def gist(text: str, limit: int = 240) -> str:
    """The text on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    if limit < 2:
        raise ValueError("the limit must leave room for a character and the ellipsis")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
