from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from civicpulse.core.masking import mask_id_number, mask_name, mask_phone


class ApplicantIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    id_number: str = Field(..., min_length=4, max_length=30)
    phone: str = Field(..., min_length=5, max_length=20)
    email: str = Field("", max_length=254)


class CaseIn(Schema):
    service_code: str
    channel: str
    window_code: str | None = None
    applicant: ApplicantIn
    submitted_materials: list[int] = Field(default_factory=list, max_length=200)


class TransitionIn(Schema):
    reason: str = Field("", max_length=2000)
    missing_materials: list[int] = Field(default_factory=list, max_length=200)
    pause_kind: str = "expert_review"


class VisitIn(Schema):
    kind: str
    window_code: str


class CaseMaterialOut(Schema):
    position: int
    name_zh: str
    name_en: str
    required: bool
    submitted: bool


class CaseOut(Schema):
    """Applicant details leave the system masked only."""

    number: str
    service_code: str
    version: int
    channel: str
    status: str
    decision: str
    step_position: int | None
    limit_days: int
    intake_at: dt.datetime
    due_date: dt.date | None
    sla_state: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str

    @staticmethod
    def resolve_service_code(obj: object) -> str:
        return obj.service.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_version(obj: object) -> int:
        return obj.version.number  # type: ignore[attr-defined]

    @staticmethod
    def resolve_applicant_name(obj: object) -> str:
        return mask_name(obj.applicant_name)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_applicant_id_number(obj: object) -> str:
        return mask_id_number(obj.applicant_id_number)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_applicant_phone(obj: object) -> str:
        return mask_phone(obj.applicant_phone)  # type: ignore[attr-defined]


class CaseDetailOut(CaseOut):
    materials: list[CaseMaterialOut]


class CaseReceiptOut(CaseDetailOut):
    """The intake answer: the only time the verification code is shown."""

    verification_code: str


class TrackIn(Schema):
    number: str = Field(..., max_length=20)
    code: str = Field(..., max_length=12)


class TimelineEntry(Schema):
    at: dt.datetime
    text: str


class CaseTrackOut(Schema):
    number: str
    service_name_zh: str
    service_name_en: str
    status: str
    status_label: str
    decision: str
    due_date: dt.date | None
    sla_state: str
    missing_materials: list[CaseMaterialOut]
    timeline: list[TimelineEntry]


class TicketIn(Schema):
    prefix: str = Field(..., min_length=1, max_length=2)


class TicketOut(Schema):
    id: int
    label: str
    status: str
    window_code: str | None
    issued_at: dt.datetime
    called_at: dt.datetime | None

    @staticmethod
    def resolve_window_code(obj: object) -> str | None:
        window = getattr(obj, "window", None)
        return window.code if window else None
