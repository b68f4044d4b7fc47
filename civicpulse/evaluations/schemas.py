from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from civicpulse.core.masking import mask_phone
from civicpulse.evaluations.models import TEXT_MAX


class EvaluationIn(Schema):
    case_number: str = Field(..., max_length=20)
    stage: str
    level: int = Field(..., ge=1, le=5)
    dimensions: dict[str, int] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=20)
    text: str = Field("", max_length=TEXT_MAX)
    # Integrations say who rated (the caller's phone for the hotline, the app user's phone); the portal
    # session says it by itself.
    evaluator_phone: str = Field("", max_length=20)
    device: str = Field("", max_length=100)


class EvaluationOut(Schema):
    id: int
    case_number: str
    stage: str
    channel: str
    level: int
    grade: str
    status: str
    template_version: int
    submitted_at: dt.datetime

    @staticmethod
    def resolve_case_number(obj: object) -> str:
        return obj.case.number  # type: ignore[attr-defined]

    @staticmethod
    def resolve_template_version(obj: object) -> int:
        return obj.template.version  # type: ignore[attr-defined]


class EvaluationStaffOut(EvaluationOut):
    """What staff see in lists: the rating and where it applies, the evaluator masked."""

    service_code: str
    unit_code: str
    dimensions: dict[str, int]
    tags: list[str]
    text: str
    evaluator_phone_masked: str
    flags: list[str]

    @staticmethod
    def resolve_service_code(obj: object) -> str:
        return obj.service.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_unit_code(obj: object) -> str:
        return obj.unit.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_evaluator_phone_masked(obj: object) -> str:
        return mask_phone(obj.evaluator_phone)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_flags(obj: object) -> list[str]:
        return [f.code for f in obj.flags.all()]  # type: ignore[attr-defined]


class TemplateItemOut(Schema):
    key: str
    name_zh: str
    name_en: str


class TemplateOut(Schema):
    kind: str
    version: int
    dimensions: list[TemplateItemOut]
    reason_tags: list[TemplateItemOut]


class ReviewIn(Schema):
    outcome: str
    note: str = Field(..., max_length=2000)


class IdentityOut(Schema):
    name: str
    phone: str
    account: str
