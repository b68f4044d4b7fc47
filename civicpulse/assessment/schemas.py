import datetime as dt
from typing import Any

from ninja import Field, Schema


class IndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    min_sample: int
    source: str
    kind: str


class ItemIn(Schema):
    group: str = Field(..., max_length=40)
    indicator: str = Field(..., max_length=40)
    weight: float
    rule: dict[str, Any]
    min_sample: int | None = None


class ItemsIn(Schema):
    items: list[ItemIn] = Field(..., max_length=500)


class ItemOut(Schema):
    group: str
    indicator: str
    weight: float
    rule: dict[str, Any]
    min_sample: int


class VersionOut(Schema):
    id: int
    scheme: str
    number: int
    status: str
    period_kind: str
    ranking: str
    redistribute: str
    quota: float
    items: list[ItemOut]

    @staticmethod
    def resolve_scheme(obj: Any) -> str:
        return str(obj.scheme.code)

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())


class ProblemsOut(Schema):
    problems: list[str]


class RunIn(Schema):
    scheme: str
    period: str
    cutoff: dt.datetime | None = None


class RunOut(Schema):
    id: int
    scheme: str
    version: int
    period: str
    number: int
    status: str
    cutoff: dt.datetime
    digest: str
    # Digests of different formats do not compare (decision 0006).
    digest_format: int

    @staticmethod
    def resolve_scheme(obj: Any) -> str:
        return str(obj.version.scheme.code)

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)


class ReviewIn(Schema):
    reason: str = Field(..., max_length=4000)


class ReviewAnswerIn(Schema):
    correct: bool
    answer: str = Field(..., max_length=4000)


class ReviewOut(Schema):
    id: int
    run: int
    subject: int
    status: str
    reason: str
    answer: str
    answer_due: dt.date
    correction: int | None

    @staticmethod
    def resolve_run(obj: Any) -> int:
        return int(obj.subject.run_id)

    @staticmethod
    def resolve_subject(obj: Any) -> int:
        return int(obj.subject_id)

    @staticmethod
    def resolve_correction(obj: Any) -> int | None:
        return obj.correction_id


class AdjustmentItemIn(Schema):
    code: str = Field(..., max_length=40)
    name_zh: str = Field(..., max_length=100)
    name_en: str = Field(..., max_length=100)
    points: float


class AdjustmentItemsIn(Schema):
    items: list[AdjustmentItemIn] = Field(..., max_length=100)


class AdjustmentIn(Schema):
    scheme: str
    code: str = Field(..., max_length=40)
    occurred_on: dt.date
    reason: str = Field(..., max_length=4000)
    evidence: str = Field("", max_length=200)
    # Exactly one of: the unit's code, or the person's employee number.
    unit: str | None = None
    staff: str | None = None


class AdjustmentOut(Schema):
    id: int
    scheme: str
    code: str
    unit: str | None
    staff: str | None
    occurred_on: dt.date
    reason: str
    evidence: str
    recorded_at: dt.datetime
    withdrawn_at: dt.datetime | None

    @staticmethod
    def resolve_scheme(obj: Any) -> str:
        return str(obj.scheme.code)

    @staticmethod
    def resolve_unit(obj: Any) -> str | None:
        return obj.unit.code if obj.unit_id else None

    @staticmethod
    def resolve_staff(obj: Any) -> str | None:
        return obj.staff.employee_number if obj.staff_id else None


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=4000)


class MoveIn(Schema):
    subject: int
    grade: str
    reason: str = Field(..., max_length=4000)


class CalibrateIn(Schema):
    moves: list[MoveIn] = Field(..., min_length=1, max_length=500)


class ValueOut(Schema):
    indicator: str
    value: float | None
    raw: float | None
    n: int
    numerator: float
    low: float | None
    high: float | None
    insufficient: bool
    weight: float
    effective_weight: float
    points: float
    funnel: str
    # The ids of the records behind the number; their source (cases, evaluations...) is the indicator's.
    source: str
    record_ids: list[int]

    @staticmethod
    def resolve_source(obj: Any) -> str:
        from civicpulse.assessment.indicators import INDICATORS

        indicator = INDICATORS.get(obj.indicator)
        return indicator.source if indicator else ""


class SubjectOut(Schema):
    id: int
    group: str
    unit: str | None
    staff: str | None
    name: str
    probation: bool
    coverage: float
    base: float | None
    bonus: float
    penalty: float
    final: float | None
    rank: int | None
    grade: str
    computed_grade: str
    incentive: float

    @staticmethod
    def resolve_unit(obj: Any) -> str | None:
        return obj.unit.code if obj.unit_id else None

    @staticmethod
    def resolve_staff(obj: Any) -> str | None:
        return obj.staff.employee_number if obj.staff_id else None

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.unit.name_zh) if obj.unit_id else str(obj.staff.display_name)


class SubjectDetailOut(SubjectOut):
    values: list[ValueOut]

    @staticmethod
    def resolve_values(obj: Any) -> list[Any]:
        from civicpulse.assessment.selectors import values_behind

        # Runs keep counts; the records behind each one are read again as of the run's cut-off.
        behind = values_behind(obj)
        values = list(obj.values.order_by("indicator"))
        for value in values:
            ids = behind[value.indicator].record_ids if value.indicator in behind else ()
            setattr(value, "record_ids", list(ids))  # noqa: B010 - not a field: read for this answer
        return values
