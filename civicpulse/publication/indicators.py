"""The indicators a publication carries, in one place: the pages, the open data, the data dictionary and
the publishing service all read this list. Values come from the assessment engine's indicator library,
so a published figure is the number a run of the same period and cut-off gives."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.assessment import indicators as lib


@dataclass(frozen=True)
class PublishedIndicator:
    code: str
    explanation: Promise

    @property
    def definition(self) -> lib.Indicator:
        return lib.INDICATORS[self.code]

    @property
    def kind(self) -> str:
        return self.definition.kind

    @property
    def unit(self) -> str:
        return self.definition.unit


PUBLISHED: tuple[PublishedIndicator, ...] = (
    PublishedIndicator(
        "good_review_rate",
        _(
            "Good reviews (levels 4 and 5) out of the valid evaluations of the period, with the 95 % Wilson "
            "interval."
        ),
    ),
    PublishedIndicator(
        "bad_review_rate",
        _(
            "Bad reviews (levels 1 and 2) out of the valid evaluations of the period, with the 95 % Wilson "
            "interval."
        ),
    ),
    PublishedIndicator(
        "on_time_completion_rate",
        _(
            "Cases received in the period and completed within the promised time limit, out of those "
            "completed."
        ),
    ),
    PublishedIndicator(
        "speed",
        _(
            "Working days used divided by the promised limit, averaged over completed cases: 1.0 uses the "
            "whole limit."
        ),
    ),
    PublishedIndicator(
        "speed_adjusted",
        _(
            "Working days used divided by the working days expected for the same services (their mean "
            "over the year before): below 1.0 is faster than usual for that mix of services."
        ),
    ),
)
CODES: tuple[str, ...] = tuple(i.code for i in PUBLISHED)
BY_CODE: dict[str, PublishedIndicator] = {i.code: i for i in PUBLISHED}
# Departments are ranked within their category on the lower bound of this rate's Wilson interval.
RANKED_BY = "good_review_rate"
