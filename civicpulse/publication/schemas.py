"""Schemas of the publication API (the quality office's)."""

import datetime as dt

from ninja import Field, Schema


class PublishIn(Schema):
    period: str = Field(..., max_length=10, description="2026-05 (a month), 2026-Q2 (a quarter) or 2026")
    scope: str = Field(..., max_length=40, description="the code of the organisation unit")
    examples: list[int] | None = Field(
        None, description="ids of the offered examples to publish (from the preview); omitted: all of them"
    )


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=2000)


class FigureOut(Schema):
    indicator: str
    value: float | None
    interval_low: float | None
    interval_high: float | None
    n: int | None
    numerator: float | None
    insufficient_data: bool
    suppressed: bool
    n_suppressed: bool
    rank: int | None


class SubjectOut(Schema):
    kind: str
    code: str
    name_zh: str
    name_en: str
    category_code: str
    department_code: str
    figures: list[FigureOut]


class ExampleOut(Schema):
    order: int | None
    month: dt.date
    service_code: str
    department_code: str
    tags: list[str]
    complaint: str
    outcome: str
    answer: str
    satisfaction: str


class PeriodOut(Schema):
    slug: str
    period: str
    kind: str
    start: dt.date
    end: dt.date
    cutoff: dt.datetime
    scope: str
    status: str
    min_sample: int | None
    suppressed_below: int
    digest: str
    published_by: str
    published_at: dt.datetime
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str


class PeriodDetailOut(PeriodOut):
    subjects: list[SubjectOut]
    examples: list[ExampleOut]


class PreviewOut(Schema):
    period: str
    kind: str
    start: dt.date
    end: dt.date
    cutoff: dt.datetime
    scope: str
    suppressed_below: int
    subjects: list[SubjectOut]
    examples: list[ExampleOut]
