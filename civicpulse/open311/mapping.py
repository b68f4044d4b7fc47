"""The mapping between CivicPulse and Open311 GeoReport v2, as pure functions: facts in, dicts out.

No ORM and no clock here: selectors turn rows into the frozen facts below, the caller passes "now", and
every rule of the standard that can be stated without a database (statuses, date windows, locations,
attributes, names) is tested exhaustively in tests/open311/test_mapping.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from civicpulse.cases.enums import OPEN_STATUSES, CaseStatus, Decision, PauseKind
from civicpulse.catalogue.enums import MaterialForm, MaterialSource, PowerKind, ServiceMode
from civicpulse.core.errors import ValidationFailed

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml", "json": "application/json"}
# Every service request is turned into a case inside the POST itself, so the id is known at once.
SERVICE_TYPE = "realtime"
# The standard's ceiling for one GET requests window and for one answer ("90 days or 1000 requests").
MAX_SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000
DESCRIPTION_MAX = 4000
ID_NUMBER_CODE = "id_number"
_W3_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# --- facts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialFacts:
    position: int
    name_zh: str
    name_en: str
    form: str = MaterialForm.ORIGINAL
    copies: int = 1
    source: str = MaterialSource.APPLICANT
    required: bool = True
    notes: str = ""


@dataclass(frozen=True)
class ServiceFacts:
    code: str
    name_zh: str
    name_en: str
    power_kind: str
    service_mode: str
    promised_limit_days: int
    statutory_limit_days: int
    fee_yuan: Decimal = Decimal(0)
    run_at_most_once: bool = True
    department_zh: str = ""
    department_en: str = ""
    materials: tuple[MaterialFacts, ...] = ()


@dataclass(frozen=True)
class RequestFacts:
    number: str
    status: str
    decision: str
    service_code: str
    service_name_zh: str
    service_name_en: str
    unit_name_zh: str
    unit_name_en: str
    limit_days: int
    requested_at: dt.datetime
    updated_at: dt.datetime
    expected_at: dt.datetime | None
    open_pause_kind: str = ""
    missing_materials: tuple[str, ...] = ()
    description: str = ""
    address_string: str = ""
    address_id: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None


@dataclass(frozen=True)
class Location:
    lat: Decimal | None = None
    long: Decimal | None = None
    address_string: str = ""
    address_id: str = ""


@dataclass(frozen=True)
class SubmissionIn:
    """A POST requests body once parsed: everything the standard and the intake need, nothing else."""

    service_code: str
    location: Location
    applicant_name: str
    phone: str
    email: str
    description: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestQuery:
    """GET requests, parsed: either explicit ids (which override every other argument) or a window."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = MAX_REQUESTS


# --- small pure rules -------------------------------------------------------------------------------------


def open311_status(case_status: str) -> str:
    """Open while the department still owes the applicant something; closed once decided or ended."""
    if case_status not in CaseStatus.values:
        raise ValueError(f"unknown case status {case_status!r}")
    return "open" if case_status in OPEN_STATUSES else "closed"


def case_statuses(open311_statuses: Iterable[str]) -> set[str]:
    """The case statuses behind a set of Open311 statuses (the inverse of open311_status)."""
    wanted = set(open311_statuses)
    return {s for s in CaseStatus.values if open311_status(s) in wanted}


def person_name(first_name: str, last_name: str) -> str:
    """Open311 splits names; a Chinese name is written family name first and without a space."""
    first, last = first_name.strip(), last_name.strip()
    if not first or not last:
        return first or last
    if _CJK.search(first) or _CJK.search(last):
        return f"{last}{first}"
    return f"{first} {last}"


def localized(zh: str, en: str, english: bool) -> str:
    return (en if english and en else zh) or en


def w3_datetime(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """A w3 datetime with its offset, in the installation's time zone (e.g. 2025-10-14T17:30:00+08:00)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(tz).isoformat(timespec="seconds")


def parse_w3_datetime(text: str) -> dt.datetime:
    """The standard requires a time zone (Z or an offset); anything else is refused, never guessed."""
    value = text.strip()
    if not _W3_DATETIME.match(value):
        raise ValueError(value)
    return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def expected_datetime(due: dt.date | None, office_close: str, tz: dt.tzinfo) -> dt.datetime | None:
    """The promised limit ends with the due date's office hours: that is when the result is expected."""
    if due is None:
        return None
    hour, minute = (int(part) for part in office_close.split(":"))
    return dt.datetime.combine(due, dt.time(hour, minute), tzinfo=tz)


def resolve_window(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime, span: dt.timedelta = MAX_SPAN
) -> tuple[dt.datetime, dt.datetime]:
    """The requested_datetime window of GET requests: the last 90 days unless told, never more than 90."""
    if start is None and end is None:
        return now - span, now
    if start is None:
        assert end is not None
        return end - span, end
    if end is None:
        return start, start + span
    if end < start:
        raise ValidationFailed(_("end_date is before start_date."), code="end_before_start")
    if end - start > span:
        raise ValidationFailed(
            _("The dates may not span more than %(days)s days.") % {"days": span.days}, code="span_too_long"
        )
    return start, end


def comma_list(value: str | None) -> tuple[str, ...]:
    """Comma-delimited arguments, trimmed, empty items dropped, first occurrence kept in order."""
    if not value:
        return ()
    seen: dict[str, None] = {}
    for item in value.split(","):
        if item.strip():
            seen.setdefault(item.strip(), None)
    return tuple(seen)


def parse_request_query(params: Mapping[str, str], *, maximum: int = MAX_REQUESTS) -> RequestQuery:
    """GET requests' arguments; every problem is reported at once, as the standard's error array allows."""
    problems: list[str] = []
    numbers = comma_list(params.get("service_request_id"))
    if len(numbers) > maximum:
        problems.append(
            _("At most %(count)s service_request_id values may be asked for at once.") % {"count": maximum}
        )
    statuses = comma_list(params.get("status"))
    unknown = [s for s in statuses if s not in ("open", "closed")]
    if unknown:
        problems.append(
            _("Unknown status: %(values)s (use open or closed).") % {"values": ", ".join(unknown)}
        )
    moments: dict[str, dt.datetime | None] = {}
    for name in ("start_date", "end_date"):
        raw = (params.get(name) or "").strip()
        moments[name] = None
        if raw:
            try:
                moments[name] = parse_w3_datetime(raw)
            except ValueError:
                problems.append(
                    _("%(name)s must be a w3 datetime with a time zone, e.g. 2010-01-01T00:00:00Z.")
                    % {"name": name}
                )
    limit = maximum
    raw_limit = (params.get("limit") or "").strip()
    if raw_limit:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= maximum:
            problems.append(_("limit must be a whole number from 1 to %(max)s.") % {"max": maximum})
        else:
            limit = int(raw_limit)
    if problems:
        raise ValidationFailed(problems[0], code="invalid_query", detail=problems)
    return RequestQuery(
        numbers=numbers,
        service_codes=comma_list(params.get("service_code")),
        statuses=statuses,
        start=moments["start_date"],
        end=moments["end_date"],
        limit=limit,
    )


def parse_coordinate(text: str, bound: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or not -bound <= value <= bound:
        raise ValueError(text)
    return value.quantize(Decimal("0.0000001"))


def parse_location(lat: str, long: str, address_string: str, address_id: str) -> Location:
    """One of lat & long, address_string or address_id; lat and long only ever together (WGS84)."""
    lat, long = lat.strip(), long.strip()
    address_string, address_id = address_string.strip(), address_id.strip()
    if bool(lat) != bool(long):
        raise ValidationFailed(_("lat and long must be sent together."), code="lat_long_pair")
    point_lat = point_long = None
    if lat:
        try:
            point_lat, point_long = parse_coordinate(lat, 90), parse_coordinate(long, 180)
        except ValueError:
            raise ValidationFailed(
                _("lat and long must be WGS84 degrees (lat -90 to 90, long -180 to 180)."),
                code="invalid_coordinates",
            ) from None
    if point_lat is None and not address_string and not address_id:
        raise ValidationFailed(
            _("A location is required: lat and long, address_string or address_id."),
            code="location_required",
        )
    if len(address_string) > 255 or len(address_id) > 100:
        raise ValidationFailed(_("The address is too long."), code="address_too_long")
    return Location(lat=point_lat, long=point_long, address_string=address_string, address_id=address_id)


def parse_attributes(params: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """attribute[code]=value, and attribute[code][]=v1&attribute[code][]=v2 for a multivaluelist."""
    found: dict[str, tuple[str, ...]] = {}
    for key, values in params.items():
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        kept = tuple(v.strip() for v in values if v.strip())
        if kept:
            found[match.group(1)] = found.get(match.group(1), ()) + kept
    return found


def parse_submission(params: Mapping[str, Sequence[str]], service: ServiceFacts) -> SubmissionIn:
    """A POST requests body for one service, checked against its definition; all problems told at once."""

    def one(name: str) -> str:
        values = params.get(name) or [""]
        return (values[-1] or "").strip()

    problems: list[str] = []
    location: Location | None = None
    try:
        location = parse_location(one("lat"), one("long"), one("address_string"), one("address_id"))
    except ValidationFailed as error:
        problems.append(str(error.message))
    name = person_name(one("first_name"), one("last_name"))
    if not name:
        problems.append(_("The applicant's name is required: send first_name and last_name."))
    elif len(name) > 100:
        problems.append(_("The applicant's name is too long."))
    phone = one("phone")
    if not phone:
        problems.append(_("The applicant's phone is required: send phone."))
    elif len(phone) > 20:
        problems.append(_("The phone number is too long."))
    email = one("email")
    if len(email) > 254 or (email and "@" not in email):
        problems.append(_("The email address is not valid."))
    description = one("description")
    if len(description) > DESCRIPTION_MAX:
        problems.append(_("The description is limited to %(count)s characters.") % {"count": DESCRIPTION_MAX})
    attributes = parse_attributes(params)
    definition = {a["code"]: a for a in attribute_list(service, english=False) if a["variable"]}
    for code, attribute in definition.items():
        if attribute["required"] and not attributes.get(code):
            problems.append(_("The attribute %(code)s is required.") % {"code": code})
    for code in attributes:
        if code not in definition:
            problems.append(_("Unknown attribute: %(code)s.") % {"code": code})
    id_number = attributes.get(ID_NUMBER_CODE, ("",))
    if len(id_number) > 1 or len(id_number[0]) > 30:
        problems.append(
            _("The attribute %(code)s takes one value of at most 30 characters.") % {"code": ID_NUMBER_CODE}
        )
    if problems or location is None:
        raise ValidationFailed(problems[0], code="invalid_request", detail=problems)
    return SubmissionIn(
        service_code=service.code,
        location=location,
        applicant_name=name,
        phone=phone,
        email=email,
        description=description,
        attributes=attributes,
    )


# --- services ---------------------------------------------------------------------------------------------


def _days(count: int) -> str:
    return _("%(count)s working days") % {"count": count}


def service_description(facts: ServiceFacts) -> str:
    parts = [
        (
            _("Immediate service: decided on the spot.")
            if facts.service_mode == ServiceMode.IMMEDIATE
            else _("Promised limit %(promised)s, statutory limit %(statutory)s.")
            % {"promised": _days(facts.promised_limit_days), "statutory": _days(facts.statutory_limit_days)}
        ),
        _("Free of charge.") if not facts.fee_yuan else _("Fee: %(fee)s yuan.") % {"fee": facts.fee_yuan},
    ]
    if facts.run_at_most_once:
        parts.append(_("Run at most once."))
    return " ".join(parts)


def keywords(facts: ServiceFacts, english: bool) -> str:
    """Synonyms for searching: the name in the other language, the kind of power, the service mode."""
    other = facts.name_zh if english else facts.name_en
    words = [other, str(_label(PowerKind, facts.power_kind)), str(_label(ServiceMode, facts.service_mode))]
    seen: dict[str, None] = {}
    for word in words:
        if word and word != localized(facts.name_zh, facts.name_en, english):
            seen.setdefault(word.replace(",", " "), None)
    return ", ".join(seen)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def material_description(material: MaterialFacts, english: bool) -> str:
    name = localized(material.name_zh, material.name_en, english)
    details = [_label(MaterialForm, material.form)]
    if material.copies > 1:
        details.append(_("%(count)s copies") % {"count": material.copies})
    if not material.required:
        details.append(_("if applicable"))
    if material.source != MaterialSource.APPLICANT:
        details.append(_label(MaterialSource, material.source))
    text = f"{name}: {', '.join(details)}"
    return f"{text}. {material.notes}" if material.notes else text


def attribute_list(facts: ServiceFacts, english: bool) -> list[dict[str, Any]]:
    """The service definition's attributes: the identity number the intake requires, then the materials.

    The materials cannot be handed in through Open311 (media_url is one link, not documents), so they are
    informational attributes (variable=false): the client shows them as the list of what to prepare.
    """
    attributes: list[dict[str, Any]] = [
        {
            "variable": True,
            "code": ID_NUMBER_CODE,
            "datatype": "string",
            "required": True,
            "datatype_description": _("Identity document number, e.g. an 18-character resident ID."),
            "order": 1,
            "description": _("The applicant's identity document number."),
        }
    ]
    for index, material in enumerate(sorted(facts.materials, key=lambda m: m.position), start=2):
        attributes.append(
            {
                "variable": False,
                "code": f"material_{material.position}",
                "datatype": "string",
                "required": False,
                "datatype_description": None,
                "order": index,
                "description": material_description(material, english),
            }
        )
    return attributes


def service_item(facts: ServiceFacts, english: bool) -> dict[str, Any]:
    return {
        "service_code": facts.code,
        "service_name": localized(facts.name_zh, facts.name_en, english),
        "description": service_description(facts),
        "metadata": bool(attribute_list(facts, english)),
        "type": SERVICE_TYPE,
        "keywords": keywords(facts, english),
        "group": localized(facts.department_zh, facts.department_en, english) or None,
    }


def service_definition(facts: ServiceFacts, english: bool) -> dict[str, Any]:
    return {"service_code": facts.code, "attributes": attribute_list(facts, english)}


def materials_to_prepare(facts: ServiceFacts, english: bool) -> list[str]:
    """What the applicant still has to hand in: required materials they prepare themselves."""
    return [
        localized(m.name_zh, m.name_en, english)
        for m in sorted(facts.materials, key=lambda m: m.position)
        if m.required and m.source in (MaterialSource.APPLICANT, MaterialSource.OTHER)
    ]


def receipt_notice(
    facts: ServiceFacts, *, number: str, due: dt.date | None, verification_code: str, english: bool
) -> str:
    """The answer to a POST: what happens next, every material to prepare at once (一次性告知)."""
    parts = [_("Received as case %(number)s.") % {"number": number}]
    if due is not None:
        parts.append(
            _("Promised limit %(days)s, due %(date)s.")
            % {"days": _days(facts.promised_limit_days), "date": due.isoformat()}
        )
    prepare = materials_to_prepare(facts, english)
    if prepare:
        parts.append(_("Materials to prepare: %(names)s.") % {"names": "; ".join(prepare)})
    if verification_code:
        parts.append(
            _("Verification code %(code)s: with the case number it follows the case on the portal.")
            % {"code": verification_code}
        )
    else:
        parts.append(_("The verification code was given in the first answer to this request only."))
    return " ".join(parts)


# --- requests ---------------------------------------------------------------------------------------------


def status_notes(facts: RequestFacts) -> str:
    """The case status in words, with what the applicant needs to know: decision, pause, missing papers."""
    label = _label(CaseStatus, facts.status)
    label = label[:1].upper() + label[1:]
    if facts.status in (CaseStatus.DECIDED, CaseStatus.DELIVERED, CaseStatus.CLOSED) and facts.decision:
        return _("%(status)s: %(detail)s") % {"status": label, "detail": _label(Decision, facts.decision)}
    if facts.status == CaseStatus.PAUSED and facts.open_pause_kind:
        detail = _label(PauseKind, facts.open_pause_kind)
        if facts.missing_materials:
            detail = _("%(kind)s, missing: %(names)s") % {
                "kind": detail,
                "names": "; ".join(facts.missing_materials),
            }
        return _("%(status)s: %(detail)s") % {"status": label, "detail": detail}
    return label


def request_item(facts: RequestFacts, *, tz: dt.tzinfo, english: bool, reveal: bool) -> dict[str, Any]:
    """One service request. What the submitter typed (description, location) is only for their own key.

    Never in it: the applicant's name, phone, e-mail or identity number, nor staff's free-text reasons.
    """
    return {
        "service_request_id": facts.number,
        "status": open311_status(facts.status),
        "status_notes": status_notes(facts),
        "service_name": localized(facts.service_name_zh, facts.service_name_en, english),
        "service_code": facts.service_code,
        "description": (facts.description or None) if reveal else None,
        "agency_responsible": localized(facts.unit_name_zh, facts.unit_name_en, english),
        "service_notice": _("Promised limit %(days)s.") % {"days": _days(facts.limit_days)},
        "requested_datetime": w3_datetime(facts.requested_at, tz),
        "updated_datetime": w3_datetime(facts.updated_at, tz),
        "expected_datetime": w3_datetime(facts.expected_at, tz) if facts.expected_at else None,
        "address": (facts.address_string or None) if reveal else None,
        "address_id": (facts.address_id or None) if reveal else None,
        "zipcode": None,
        "lat": float(facts.lat) if reveal and facts.lat is not None else None,
        "long": float(facts.long) if reveal and facts.long is not None else None,
    }
