"""Schemas of the quality API: documents, nonconformities, actions."""

import datetime as dt
from typing import Any

from ninja import Field, Schema


class DocumentIn(Schema):
    code: str = Field(..., max_length=40)
    title_zh: str = Field(..., max_length=200)
    title_en: str = Field(..., max_length=200)
    kind: str
    owner_unit: str = Field(..., description="the owner unit's code")
    roles: list[str] = Field(default_factory=list, description="roles that must acknowledge it")
    body: str = Field(..., max_length=100_000)
    change_reason: str = Field("", max_length=4000)


class DraftIn(Schema):
    body: str = Field(..., max_length=100_000)
    change_reason: str = Field(..., max_length=4000)


class ApproveIn(Schema):
    effective_on: dt.date | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=4000)


class VersionOut(Schema):
    number: int
    status: str
    body: str
    change_reason: str
    author: str
    approver: str | None
    approved_at: dt.datetime | None
    effective_on: dt.date | None
    review_due: dt.date | None

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author.display_name)

    @staticmethod
    def resolve_approver(obj: Any) -> str | None:
        return str(obj.approver.display_name) if obj.approver_id else None


class DocumentOut(Schema):
    code: str
    title_zh: str
    title_en: str
    kind: str
    owner_unit: str
    roles: list[str]
    versions: list[VersionOut]

    @staticmethod
    def resolve_owner_unit(obj: Any) -> str:
        return str(obj.owner_unit.code)

    @staticmethod
    def resolve_versions(obj: Any) -> list[Any]:
        return list(obj.versions.select_related("author", "approver").order_by("-number"))


class AcknowledgementsOut(Schema):
    version: int
    acknowledged: list[str]
    missing: list[str]


class NonconformityIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field(..., max_length=4000)
    source: str = Field(..., description="complaint or manual")
    severity: str
    unit: str | None = Field(None, description="the unit's code")
    service: str | None = Field(None, description="the service's code")
    indicator: str = Field("", description="an indicator code to re-measure, if any")


class AnalysisIn(Schema):
    containment: str = Field(..., max_length=4000)
    whys: list[str] = Field(..., min_length=1, max_length=5)
    cause_category: str
    root_cause: str = Field(..., max_length=4000)
    owner: str | None = Field(None, description="the owner's username")


class ActionIn(Schema):
    kind: str
    description: str = Field(..., max_length=4000)
    owner: str = Field(..., description="the owner's username")
    working_days: int = Field(..., ge=1, le=250)


class ActionDoneIn(Schema):
    result: str = Field(..., max_length=4000)
    procedure_service: str | None = Field(None, description="the service whose procedure changed")
    procedure_version: int | None = Field(None, description="the new version's number")


class CloseIn(Schema):
    note: str = Field(..., max_length=4000)


class ActionOut(Schema):
    id: int
    kind: str
    description: str
    owner: str
    due_on: dt.date
    status: str
    result: str
    overdue: bool
    done_at: dt.datetime | None
    procedure: str | None

    @staticmethod
    def resolve_owner(obj: Any) -> str:
        return str(obj.owner.display_name)

    @staticmethod
    def resolve_procedure(obj: Any) -> str | None:
        version = obj.procedure_version
        return f"{version.service.code} v{version.number}" if version is not None else None


class RecordOut(Schema):
    kind: str
    object_id: int


class NonconformityOut(Schema):
    number: str
    title: str
    description: str
    source: str
    severity: str
    status: str
    unit: str | None
    service: str | None
    period: str
    raised_at: dt.datetime
    owner: str | None
    indicator: str
    baseline_value: float | None
    baseline_n: int | None
    check_due: dt.date | None
    effect_value: float | None
    effect_n: int | None
    effective: bool | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_unit(obj: Any) -> str | None:
        return obj.unit.code if obj.unit_id else None

    @staticmethod
    def resolve_service(obj: Any) -> str | None:
        return obj.service.code if obj.service_id else None

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return str(obj.owner.display_name) if obj.owner_id else None


class NonconformityDetailOut(NonconformityOut):
    containment: str
    whys: list[str]
    cause_category: str
    root_cause: str
    closing_note: str
    actions: list[ActionOut]
    records: list[RecordOut]

    @staticmethod
    def resolve_actions(obj: Any) -> list[Any]:
        return list(
            obj.actions.select_related("owner", "procedure_version__service").order_by("due_on", "pk")
        )

    @staticmethod
    def resolve_records(obj: Any) -> list[Any]:
        return list(obj.records.order_by("kind", "object_id"))


class ReviewIn(Schema):
    unit: str = Field(..., description="the organisation's unit code")
    title: str = Field(..., max_length=200)
    period_start: dt.date
    period_end: dt.date


class ReviewOutputIn(Schema):
    kind: str = Field(..., description="decision or action")
    text: str = Field(..., max_length=4000)
    owner: str | None = Field(None, description="the owner's username (an action)")
    due_on: dt.date | None = None


class ReviewHoldIn(Schema):
    held_on: dt.date
    chair: str = Field(..., description="the chair's username")
    attendees: str = Field("", max_length=4000)


class FigureOut(Schema):
    code: str
    name: str
    value: float | None
    n: int
    low: float | None
    high: float | None
    insufficient: bool


class ReviewOutputOut(Schema):
    id: int
    kind: str
    text: str
    owner: str | None
    due_on: dt.date | None
    status: str

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return str(obj.owner.display_name) if obj.owner_id else None


class ReviewOut(Schema):
    id: int
    unit: str
    title: str
    period_start: dt.date
    period_end: dt.date
    status: str
    held_on: dt.date | None

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return str(obj.unit.code)


class PackOut(Schema):
    review: ReviewOut
    previous_actions: list[ReviewOutputOut]
    satisfaction: list[FigureOut]
    process: list[FigureOut]
    nonconformities: dict[str, Any]
    outputs: list[ReviewOutputOut]
