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
