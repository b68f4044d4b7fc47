"""An indicator of one unit or one service over any span of days, measured by the assessment engine: the
baseline of a nonconformity and its effectiveness check read the same numbers a run would."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from civicpulse.accounts.models import OrgUnit
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.counts import count, wait_target_minutes
from civicpulse.assessment.facts import Narrowing, expected_days_before, load, unit_resolver
from civicpulse.catalogue.models import Service


def _same_id(pk: int | None) -> int | None:
    return pk


def measure(
    code: str,
    *,
    start: dt.date,
    end: dt.date,
    cutoff: dt.datetime,
    unit: OrgUnit | None = None,
    service: Service | None = None,
    min_sample: int | None = None,
) -> lib.IndicatorValue:
    """Indicator `code` over the records of [start, end] as of the cut-off: for a unit, everything it
    answers for (its sections and windows), counted as a run counts; for a service, its own records."""
    indicator = lib.INDICATORS[code]
    references = {
        "expected_days": expected_days_before(start, cutoff),
        "wait_target_minutes": wait_target_minutes(),
    }
    if unit is not None:
        counted = count(
            start=start, end=end, cutoff=cutoff, resolve=unit_resolver([unit.pk]), by_staff=False, members=[]
        )
        references["channel_rates"] = counted.channel_rates
        found = counted.by_subject[indicator.source].get(unit.pk) or lib.COUNTS_OF[indicator.source]()
    elif service is not None:
        facts = load(
            start=start,
            end=end,
            cutoff=cutoff,
            resolve=_same_id,
            only=Narrowing(
                cases=Q(service=service),
                evaluations=Q(service=service),
                orders=Q(evaluation__service=service),
                tickets=Q(pk__in=[]),
            ),
        )
        references["channel_rates"] = lib.channel_good_rates(facts.evaluations)
        found = lib.tally(indicator.source, getattr(facts, indicator.source))
    else:
        raise ValueError("measure a unit or a service")
    reference = references[indicator.needs] if indicator.needs else None
    return lib.from_counts(code, found, reference, min_sample=min_sample)
