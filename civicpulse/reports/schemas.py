"""Schemas of the reports API."""

import datetime as dt
from typing import Any

from django.urls import reverse
from ninja import Field, Schema


class ReportIn(Schema):
    unit: str = Field(..., max_length=40, description="the unit's code")
    month: str = Field(..., max_length=7, description="2026-10")
    language: str = Field("", description="zh-hans or en; empty: the installation's language")
    cutoff_kind: str = Field(
        "routine", description="routine: as of the routine working day after the month; current: as of now"
    )


class ReportOut(Schema):
    id: int
    unit: str
    unit_name_zh: str
    unit_name_en: str
    month: str
    language: str
    cutoff_kind: str
    cutoff: dt.datetime
    version: int
    live: bool
    status: str
    error: str
    requested_by: str | None
    requested_at: dt.datetime
    generated_at: dt.datetime | None
    digest: str
    pdf_sha256: str
    xlsx_sha256: str
    pdf_url: str | None
    xlsx_url: str | None

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return str(obj.unit.code)

    @staticmethod
    def resolve_unit_name_zh(obj: Any) -> str:
        return str(obj.unit.name_zh)

    @staticmethod
    def resolve_unit_name_en(obj: Any) -> str:
        return str(obj.unit.name_en)

    @staticmethod
    def resolve_requested_by(obj: Any) -> str | None:
        return str(obj.requested_by.username) if obj.requested_by_id else None

    @staticmethod
    def resolve_pdf_url(obj: Any) -> str | None:
        return reverse("api:report_pdf", args=[obj.pk]) if obj.status == "done" else None

    @staticmethod
    def resolve_xlsx_url(obj: Any) -> str | None:
        return reverse("api:report_xlsx", args=[obj.pk]) if obj.status == "done" else None


class ReportDetailOut(ReportOut):
    figures: dict[str, Any] | None
