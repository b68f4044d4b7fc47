from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema


class UnitRef(Schema):
    code: str
    name_zh: str
    name_en: str


class StepOut(Schema):
    position: int
    key: str
    name_zh: str
    name_en: str
    responsible_unit: UnitRef | None
    responsible_role: str
    budget_days: int
    pause_allowed: bool
    next_keys: list[str] | None


class MaterialOut(Schema):
    position: int
    name_zh: str
    name_en: str
    form: str
    copies: int
    source: str
    required: bool
    notes: str


class VersionSummaryOut(Schema):
    number: int
    status: str
    service_mode: str
    statutory_limit_days: int
    promised_limit_days: int
    channels: str
    run_at_most_once: bool
    published_at: datetime | None


class VersionOut(VersionSummaryOut):
    legal_basis: str
    fee_yuan: Decimal
    fee_basis: str
    change_note: str
    submitted_at: datetime | None
    retired_at: datetime | None
    steps: list[StepOut]
    materials: list[MaterialOut]


class ServiceListItem(Schema):
    code: str
    name_zh: str
    name_en: str
    power_kind: str
    responsible_unit: UnitRef
    version: VersionSummaryOut


class ServiceDetailOut(Schema):
    code: str
    name_zh: str
    name_en: str
    power_kind: str
    responsible_unit: UnitRef
    version: VersionOut


class StaffServiceOut(Schema):
    code: str
    name_zh: str
    name_en: str
    power_kind: str
    responsible_unit: UnitRef
    process_owner_id: int | None
    versions: list[VersionSummaryOut]


class ServiceIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name_zh: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field(..., min_length=1, max_length=200)
    power_kind: str
    responsible_unit_code: str
    process_owner_id: int | None = None


class ServicePatch(Schema):
    name_zh: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    power_kind: str | None = None
    responsible_unit_code: str | None = None
    process_owner_id: int | None = None


class StepIn(Schema):
    key: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)
    name_zh: str = Field(..., min_length=1, max_length=100)
    name_en: str = Field(..., min_length=1, max_length=100)
    responsible_unit_code: str | None = None
    responsible_role: str = ""
    budget_days: int = Field(0, ge=0, le=1000)
    pause_allowed: bool = False
    next_keys: list[str] | None = None


class MaterialIn(Schema):
    name_zh: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field(..., min_length=1, max_length=200)
    form: str = "original"
    copies: int = Field(1, ge=1, le=100)
    source: str = "applicant"
    required: bool = True
    notes: str = Field("", max_length=255)


class VersionIn(Schema):
    legal_basis: str | None = None
    service_mode: str | None = None
    statutory_limit_days: int | None = Field(None, ge=0, le=3650)
    promised_limit_days: int | None = Field(None, ge=0, le=3650)
    channels: str | None = None
    run_at_most_once: bool | None = None
    fee_yuan: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    fee_basis: str | None = Field(None, max_length=255)
    change_note: str | None = Field(None, max_length=255)
    steps: list[StepIn] | None = Field(None, max_length=100)
    materials: list[MaterialIn] | None = Field(None, max_length=100)


class TransitionIn(Schema):
    reason: str = Field("", max_length=1000)


class FindingOut(Schema):
    severity: str
    rule: str
    service_code: str
    version: int | None
    step_key: str | None
    message: str


class LintReportOut(Schema):
    errors: int
    warnings: int
    findings: list[FindingOut]


class ErrorOut(Schema):
    code: str
    message: str
    detail: object | None = None
