import datetime as dt
from typing import Any

from ninja import Field, Schema

from civicpulse.core.masking import mask_name


class TransitionIn(Schema):
    """Each step reads the fields it needs (see civicpulse.rectification.transitions)."""

    call_notes: str = Field("", max_length=4000)
    finding: str = Field("", max_length=10)
    verification_notes: str = Field("", max_length=4000)
    outcome: str = Field("", max_length=20)
    outcome_notes: str = Field("", max_length=4000)
    ledger_entry: str = Field("", max_length=4000)
    ledger_due: dt.date | None = None
    explanation: str = Field("", max_length=4000)
    answer: str = Field("", max_length=4000)
    satisfaction: str = Field("", max_length=20)
    reason: str = Field("", max_length=2000)


class AppealIn(Schema):
    kind: str = Field(..., max_length=10)
    reason: str = Field(..., max_length=4000)


class AppealDecisionIn(Schema):
    outcome: str = Field(..., max_length=10, description="upheld or rejected")
    reason: str = Field(..., max_length=4000)


class OrderFilter(Schema):
    status: str = ""
    overdue: bool | None = None


class AppealOut(Schema):
    id: int
    order_id: int
    case_number: str
    kind: str
    reason: str
    status: str
    filed_by: str
    filed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str

    @staticmethod
    def resolve_case_number(obj: Any) -> str:
        return str(obj.order.evaluation.case.number)

    @staticmethod
    def resolve_filed_by(obj: Any) -> str:
        return str(obj.filed_by.display_name)

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return obj.decided_by.display_name if obj.decided_by_id else None


class OrderOut(Schema):
    """The citizen leaves the system masked only: no phone, no ID number, the name masked."""

    id: int
    case_number: str
    service_code: str
    unit_code: str
    window_code: str | None
    stage: str
    level: int
    tags: list[str]
    applicant_name: str
    status: str
    finding: str
    outcome: str
    satisfaction: str
    opened_at: dt.datetime
    contact_due: dt.date
    rectify_due: dt.date
    appeal_due: dt.date
    contact_overdue: bool
    rectify_overdue: bool

    @staticmethod
    def resolve_case_number(obj: Any) -> str:
        return str(obj.evaluation.case.number)

    @staticmethod
    def resolve_service_code(obj: Any) -> str:
        return str(obj.evaluation.service.code)

    @staticmethod
    def resolve_unit_code(obj: Any) -> str:
        return str(obj.unit.code)

    @staticmethod
    def resolve_window_code(obj: Any) -> str | None:
        window = obj.evaluation.window
        return window.code if window is not None else None

    @staticmethod
    def resolve_stage(obj: Any) -> str:
        return str(obj.evaluation.stage)

    @staticmethod
    def resolve_level(obj: Any) -> int:
        return int(obj.evaluation.level)

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return list(obj.evaluation.tags)

    @staticmethod
    def resolve_applicant_name(obj: Any) -> str:
        return mask_name(obj.evaluation.case.applicant_name)


class TimelineEntry(Schema):
    at: dt.datetime
    action: str
    text: str


class OrderDetailOut(OrderOut):
    comment: str
    call_notes: str
    verification_notes: str
    outcome_notes: str
    ledger_entry: str
    ledger_due: dt.date | None
    explanation: str
    answer: str
    appeals: list[AppealOut]
    timeline: list[TimelineEntry]

    @staticmethod
    def resolve_comment(obj: Any) -> str:
        return str(obj.evaluation.text)

    @staticmethod
    def resolve_appeals(obj: Any) -> list[Any]:
        return list(obj.appeals.select_related("filed_by", "decided_by", "order__evaluation__case"))

    @staticmethod
    def resolve_timeline(obj: Any) -> list[dict[str, Any]]:
        from civicpulse.core.audit import render_event
        from civicpulse.rectification.selectors import order_timeline

        return [
            {"at": e.occurred_at, "action": e.action, "text": render_event(e)}
            for e in order_timeline(order=obj)
        ]


class RepeatedRow(Schema):
    code: str
    name_zh: str
    name_en: str
    count: int


class RepeatedOut(Schema):
    month: str
    threshold: int
    services: list[RepeatedRow]
    units: list[RepeatedRow]

    @staticmethod
    def resolve_month(obj: Any) -> str:
        return str(obj.month)
