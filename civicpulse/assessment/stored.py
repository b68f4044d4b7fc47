"""Counts kept per closed month and per unit, so that a unit scheme's run folds them instead of scanning.

The engine's counts add up: a period's counts for a subject are the sums (and histograms) of the counts of
the records that name each of its units, month by month. `store_month` counts a closed month with the
engine's own queries, one unit at a time as the records name them (a section, a window), and keeps the
result; `load` answers a run's counts from those rows, folded by the run's resolver, when they still hold.

They hold for a cut-off when the month was counted as of an earlier moment and no record of the month
changed in between. Every write leaves an audit event naming its record, and `months_of` maps events to
the months their records count in. A month's rectification orders are kept only once every order of it
was past both its deadlines when it was counted (until then whether an order was contacted or answered on
time depends on the cut-off's date, not only on what was written), else counted fresh. Staff schemes
are counted from the raw tables: a person's counts need the audit trail of who handled each case.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from array import array
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from civicpulse.assessment import digests
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.facts import expected_days_before
from civicpulse.core import collector

if TYPE_CHECKING:
    from civicpulse.assessment.models import StoredSpan

# What a stored month holds; its rectifications only once every order of the month is past its deadlines.
STORED_SOURCES = ("cases", "evaluations", "interactions", "tickets")
WATCHED = ("cases.case", "evaluations.evaluation", "rectification.rectificationorder", "rectification.appeal")
# Histogram fields whose keys are tuples (the others are keyed by one value).
_TUPLE_KEYS = {"valid", "limits", "speeds"}
# Histograms are kept by column, not as a JSON pair per key: a year of a region's waits is a pair per ticket
# and its speeds a triple per service and limit, and parsing so many small lists cost more than the rest of
# a run (bench/assessment_bench.py). Tuple keys keep a JSON list per part of the key; waits keep float64
# keys and int64 counts as little-endian arrays in base64, read without parsing a number.
_PACKED = {"waits"}
_HISTOGRAMS = _TUPLE_KEYS | _PACKED


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def whole_months(start: dt.date, end: dt.date) -> list[dt.date] | None:
    """The months [start, end] spans exactly, or None when it does not start and end on month bounds."""
    if start.day != 1 or month_end(end) != end or end < start:
        return None
    months, month = [], start
    while month <= end:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def encode(counts: lib.Counts) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in lib.fields_of(counts).items():
        if isinstance(value, dict):
            data[name] = _histogram(name, [value])
        elif value:
            data[name] = value
    return data


def encode_fold(source: str, by_subject: Mapping[int, lib.Counts], summed: Mapping[int, int]) -> str:
    """A source's counts of many subjects as one JSON text (StoredFold.data): the subject ids, their digests,
    and each field as a column over the subjects, a histogram's pairs subject after subject with each
    subject's number of pairs."""
    subjects = sorted(by_subject)
    data: dict[str, Any] = {
        "subjects": subjects,
        "digests": b64encode(b"".join(digests.to_bytes(summed[s]) for s in subjects)).decode("ascii"),
    }
    for f in fields(lib.COUNTS_OF[source]):
        values = [getattr(by_subject[s], f.name) for s in subjects]
        if f.name in _HISTOGRAMS:
            data[f.name] = {**_histogram(f.name, values), "sizes": [len(h) for h in values]}
        else:
            data[f.name] = values
    return json.dumps(data, separators=(",", ":"))


def _histogram(name: str, histograms: list[dict[Any, int]]) -> dict[str, Any]:
    """Histograms by column, one after another, each in a fixed order of its keys."""
    if name in _PACKED:
        # Straight into arrays: a year's fold of a province's waits is millions of pairs.
        values, counts = array("d"), array("q")
        for histogram in histograms:
            keys = sorted(histogram)
            values.extend(keys)
            counts.extend(map(histogram.__getitem__, keys))
        if sys.byteorder == "big":
            values.byteswap()
            counts.byteswap()
        return {
            "keys": b64encode(values.tobytes()).decode("ascii"),
            "counts": b64encode(counts.tobytes()).decode("ascii"),
        }
    pairs = [(k, h[k]) for h in histograms for k in sorted(h, key=repr)]
    keys = [k for k, _n in pairs]
    parts = [list(part) for part in zip(*keys, strict=True)] if name in _TUPLE_KEYS else [keys]
    return {"columns": parts, "counts": [n for _k, n in pairs]}


def _pairs(name: str, kept: dict[str, Any]) -> Iterator[tuple[Any, int]]:
    """A kept histogram's (key, count) pairs, built in C (zip) rather than key by key."""
    if name in _PACKED:
        values, counts = array("d"), array("q")
        values.frombytes(b64decode(kept["keys"]))
        counts.frombytes(b64decode(kept["counts"]))
        if sys.byteorder == "big":
            values.byteswap()
            counts.byteswap()
        return zip(values, counts, strict=True)
    columns = kept["columns"]
    keys = zip(*columns, strict=True) if name in _TUPLE_KEYS else columns[0]
    return zip(keys, kept["counts"], strict=True)


def decoded(data: dict[str, Any]) -> dict[str, Any]:
    """Stored counts as field -> count or field -> histogram, as `encode` was given them."""
    return {
        name: dict(_pairs(name, value)) if isinstance(value, dict) else value for name, value in data.items()
    }


def decode_into(tally: Any, data: dict[str, Any], digest: bytes | memoryview) -> None:
    """Add stored counts and their digest to a tally being summed (counts._Tally)."""
    # Summed unreduced (the tally reduces it modulo 2**1024 once, in digest()).
    tally.kept = (tally.kept or 0) + digests.from_bytes(digest)
    values = tally.values
    for name, value in data.items():
        if isinstance(value, dict):
            _merge(values, name, _pairs(name, value))
        else:
            values[name] = values.get(name, 0) + value


def _merge(values: dict[str, Any], name: str, pairs: Iterable[tuple[Any, int]]) -> None:
    """Add (key, count) pairs to the histogram `name` of a tally's values."""
    histogram = values.get(name)
    if histogram is None:
        values[name] = dict(pairs)
        return
    # dict.update runs in C; only keys the histogram already holds (a service two sections both handle, a
    # wait two windows share to the microsecond) need adding up, one by one.
    more = dict(pairs)
    before = {k: histogram[k] for k in histogram.keys() & more.keys()}
    histogram.update(more)
    for k, n in before.items():
        histogram[k] += n


def decode_fold_into(
    tally_of: Callable[[str, int], Any], source: str, text: str
) -> dict[tuple[str, str], int]:
    """Add a StoredFold's counts and digests to the tallies of its subjects (`tally_of(source, subject)`);
    answers, for evaluations, the valid ones per (channel, grade) of all its subjects."""
    data = json.loads(text)
    tallies = [tally_of(source, subject) for subject in data.pop("subjects")]
    packed, size = b64decode(data.pop("digests")), digests.SIZE
    for i, tally in enumerate(tallies):
        digest = digests.from_bytes(packed[i * size : (i + 1) * size])
        tally.kept = digest if tally.kept is None else tally.kept + digest
    values_of = [tally.values for tally in tallies]
    reference: dict[tuple[str, str], int] = {}
    for name, column in data.items():
        if isinstance(column, dict):
            pairs = _pairs(name, column)
            for values, pairs_of_one in zip(values_of, column["sizes"], strict=True):
                _merge(values, name, islice(pairs, pairs_of_one))
            if next(pairs, None) is not None:
                raise ValueError(f"a kept fold of {source} has more {name} than its subjects' sizes say")
            if name == "valid":
                for key, n in _pairs(name, column):
                    reference[key] = reference.get(key, 0) + n
            continue
        for values, value in zip(values_of, column, strict=True):
            if value:
                values[name] = values.get(name, 0) + value
    return reference


def months_of(events: Iterable[tuple[str, str]]) -> set[dt.date]:
    """The months the records named by (target type, target id) audit events count in: a case its intake
    month; an evaluation its submission month and its case's; an order or an appeal its evaluation's."""
    from civicpulse.cases.models import Case
    from civicpulse.evaluations.models import Evaluation
    from civicpulse.rectification.models import Appeal, RectificationOrder

    ids: dict[str, set[int]] = {}
    for target_type, target_id in events:
        if target_id.isdigit():
            ids.setdefault(target_type, set()).add(int(target_id))
    evaluation_ids = set(ids.get("evaluations.evaluation", set()))
    orders = ids.get("rectification.rectificationorder", set())
    evaluation_ids |= set(_in_batches(RectificationOrder.objects.values_list("evaluation_id"), orders))
    appeals = ids.get("rectification.appeal", set())
    evaluation_ids |= set(_in_batches(Appeal.objects.values_list("order__evaluation_id"), appeals))
    months: set[dt.date] = set()
    case_ids = set(ids.get("cases.case", set()))
    evaluations = Evaluation.objects.values_list("submitted_at", "case_id")
    for submitted, case_id in _in_batches(evaluations, evaluation_ids, flat=False):
        months.add(first_of_month(timezone.localdate(submitted)))
        if case_id is not None:
            case_ids.add(case_id)
    intake = _in_batches(Case.objects.values_list("intake_date"), case_ids)
    return months | {first_of_month(day) for day in intake}


def _in_batches(rows: Any, ids: set[int], *, flat: bool = True) -> Iterator[Any]:
    """`rows` of the records whose primary key is in `ids`, a few hundred ids a query: SQLite caps the
    variables of a statement, and a refresh may follow thousands of changed records."""
    listed = sorted(ids)
    for first in range(0, len(listed), 500):
        for row in rows.filter(pk__in=listed[first : first + 500]):
            yield row[0] if flat else row


@collector.paused()
def store_month(month: dt.date, cutoff: dt.datetime) -> bool:
    """Count a closed month unit by unit as of `cutoff` and keep it; False (nothing kept) for a month that
    had not ended by the cut-off's date."""
    from civicpulse.assessment.counts import count
    from civicpulse.assessment.models import StoredCounts, StoredFold, StoredMonth

    month = first_of_month(month)
    if month_end(month) >= timezone.localdate(cutoff):
        return False
    began = time.perf_counter()
    with transaction.atomic():
        counted = count(
            start=month,
            end=month_end(month),
            cutoff=cutoff,
            resolve=lambda pk: pk,
            by_staff=False,
            members=[],
            use_stored=False,
        )
        StoredCounts.objects.filter(month=month, months=1).delete()
        StoredFold.objects.filter(month=month, months=1).delete()
        settled = _rectifications_settled(month, cutoff)
        sources = (*STORED_SOURCES, "rectifications") if settled else STORED_SOURCES
        by_unit = {source: counted.by_subject[source] for source in sources}
        summed = {
            source: {
                unit_id: digests.of_counts(source, counts) for unit_id, counts in by_unit[source].items()
            }
            for source in sources
        }
        StoredCounts.objects.bulk_create(_kept_rows(by_unit, summed, month=month), batch_size=2000)
        folds = _unit_mappings()
        for key, resolve in folds.items():
            StoredFold.objects.bulk_create(_folded(by_unit, summed, resolve, month=month, fold=key))
        StoredMonth.objects.update_or_create(
            month=month,
            defaults={
                "cutoff": cutoff,
                "seconds": time.perf_counter() - began,
                "with_rectifications": settled,
                "expected_days": expected_days_before(month, cutoff),
                "folds": sorted(folds),
            },
        )
    for first, length in spans_of(month):
        fold_span(first, length, folds)
    return True


def _unit_mappings() -> dict[str, Callable[[int | None], int | None]]:
    """The unit mappings of the published unit schemes, by key: a month is kept folded by each as well, so
    that the routine run of a scheme reads a row per assessed unit and source, not one per unit its
    records name (a department's sections, the windows serving it)."""
    from civicpulse.assessment import services
    from civicpulse.assessment.enums import SchemeStatus, Subject
    from civicpulse.assessment.facts import unit_resolver
    from civicpulse.assessment.models import SchemeVersion
    from civicpulse.core.errors import ValidationFailed

    found: dict[str, Callable[[int | None], int | None]] = {}
    published = SchemeVersion.objects.filter(status=SchemeStatus.PUBLISHED, scheme__subject=Subject.UNIT)
    for version in published.select_related("scheme"):
        try:
            groups = list(services.weight_tables(version))
        except ValidationFailed:
            continue  # a run of it fails the same way
        resolver = unit_resolver(member.id for member in services._members(version, groups))
        found.setdefault(resolver.key(), resolver)
    return found


_BySource = dict[str, dict[int, lib.Counts]]


def _folded(
    by_unit: _BySource,
    summed: dict[str, dict[int, int]],
    resolve: Callable[[int | None], int | None],
    *,
    month: dt.date,
    months: int = 1,
    fold: str,
) -> list[Any]:
    """StoredFold rows, one per source: the counts kept per unit as the records name it folded into assessed
    units by `resolve`, as a run folds them, with digests summed from the units'."""
    from civicpulse.assessment.counts import _Folder
    from civicpulse.assessment.models import StoredFold

    folder = _Folder(resolve)
    for source, counts_of in by_unit.items():
        for unit_id, counts in counts_of.items():
            tally = folder.tally(source, unit_id)
            if tally is None:
                continue
            tally.kept = (tally.kept or 0) + summed[source][unit_id]
            for name, value in lib.fields_of(counts).items():
                if isinstance(value, dict):
                    _merge(tally.values, name, value.items())
                elif value:
                    tally.values[name] = tally.values.get(name, 0) + value
    result, folded = folder.result(), folder.digests()
    return [
        StoredFold(
            month=month,
            months=months,
            fold=fold,
            source=source,
            data=encode_fold(source, result[source], folded[source]),
        )
        for source in by_unit
    ]


def _kept_rows(
    by_unit: _BySource, summed: dict[str, dict[int, int]], *, month: dt.date, months: int = 1
) -> list[Any]:
    """StoredCounts rows of counts per unit and source, each with its digest."""
    from civicpulse.assessment.models import StoredCounts

    return [
        StoredCounts(
            month=month,
            months=months,
            unit_id=unit_id,
            source=source,
            data=encode(counts),
            digest=digests.to_bytes(summed[source][unit_id]),
        )
        for source, counts_of in by_unit.items()
        for unit_id, counts in counts_of.items()
    ]


# The periods folded ahead: a quarter and a year (a month is its own row).
SPAN_LENGTHS = (3, 12)


def spans_of(month: dt.date) -> list[tuple[dt.date, int]]:
    """The quarter and the year a month belongs to, as (first month, months)."""
    quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)
    return [(quarter, 3), (month.replace(month=1, day=1), 12)]


def _span_months(first: dt.date, length: int) -> list[dt.date]:
    # Quarters and years start in their own year, so the last month is in it too.
    return whole_months(first, month_end(first.replace(month=first.month + length - 1))) or []


def _basis(months: list[dt.date]) -> dict[str, str] | None:
    """Each month and the cut-off its kept counts were counted as of; None unless every month is kept."""
    from civicpulse.assessment.models import StoredMonth

    kept = dict(StoredMonth.objects.filter(month__in=months).values_list("month", "cutoff"))
    if set(kept) != set(months):
        return None
    return {f"{month:%Y-%m}": kept[month].isoformat() for month in months}


@collector.paused()
def fold_span(
    first: dt.date, length: int, mappings: dict[str, Callable[[int | None], int | None]] | None = None
) -> bool:
    """Keep a quarter's or a year's counts folded from its kept months, unit by unit as the records name
    them and by each of `mappings` (the published unit schemes' unless given); False (nothing kept, any
    older fold dropped) while a month of it is not kept."""
    from civicpulse.assessment.counts import _Folder
    from civicpulse.assessment.models import StoredCounts, StoredFold, StoredSpan

    months = _span_months(first, length)
    began = time.perf_counter()
    with transaction.atomic():
        StoredCounts.objects.filter(month=first, months=length).delete()
        StoredFold.objects.filter(month=first, months=length).delete()
        StoredSpan.objects.filter(first=first, months=length).delete()
        basis = _basis(months)
        if basis is None:
            return False
        folder = _Folder(lambda pk: pk)
        settled = with_rectifications(months)
        _load_rows(months, None, folder.tally, rectifications=settled)
        result, summed = folder.result(), folder.digests()
        by_unit = {source: result[source] for source in result if settled or source != "rectifications"}
        StoredCounts.objects.bulk_create(
            _kept_rows(by_unit, summed, month=first, months=length), batch_size=2000
        )
        # The month just kept passes the mappings it was folded by, rather than have them built again.
        folds = _unit_mappings() if mappings is None else mappings
        for key, resolve in folds.items():
            StoredFold.objects.bulk_create(
                _folded(by_unit, summed, resolve, month=first, months=length, fold=key)
            )
        StoredSpan.objects.create(
            first=first,
            months=length,
            basis=basis,
            with_rectifications=settled,
            seconds=time.perf_counter() - began,
            folds=sorted(folds),
        )
    return True


def _rectifications_settled(month: dt.date, cutoff: dt.datetime) -> bool:
    """Whether every order opened in the month was past both its deadlines on the cut-off's date: from then
    on, whether it was contacted and answered on time changes only by what is written (audited), not by
    the date."""
    from civicpulse.rectification.models import RectificationOrder

    today = timezone.localdate(cutoff)
    opened = RectificationOrder.objects.filter(opened_on__gte=month, opened_on__lte=month_end(month))
    return not opened.filter(Q(contact_due__gte=today) | Q(rectify_due__gte=today)).exists()


def expected_days(start: dt.date, cutoff: dt.datetime) -> dict[str, float] | None:
    """The case-mix reference of a period starting on `start`, as kept with its first month, if no case of
    the year before it changed between the keeping and `cutoff`; None otherwise (count it afresh)."""
    from civicpulse.assessment.models import StoredMonth
    from civicpulse.core.models import AuditEvent

    kept = StoredMonth.objects.filter(month=start, cutoff__lte=cutoff).values_list("cutoff", "expected_days")
    found = kept.first()
    if found is None:
        return None
    at, expected = found
    history = whole_months(first_of_month(start - dt.timedelta(days=366)), start - dt.timedelta(days=1)) or []
    changed = AuditEvent.objects.filter(
        occurred_at__gt=at, occurred_at__lte=cutoff, target_type__in=WATCHED
    ).values_list("target_type", "target_id")
    if months_of(changed) & set(history):
        return None
    return {code: float(days) for code, days in expected.items()}


def with_rectifications(months: list[dt.date]) -> bool:
    """Whether the kept months hold their rectification orders' counts too."""
    from civicpulse.assessment.models import StoredMonth

    kept = StoredMonth.objects.filter(month__in=months, with_rectifications=True).count()
    return kept == len(months)


def holds(months: list[dt.date], cutoff: dt.datetime) -> bool:
    """Whether every month was kept as of a moment not after `cutoff` and no record of it changed since."""
    from civicpulse.assessment.models import StoredMonth
    from civicpulse.core.models import AuditEvent

    kept = dict(StoredMonth.objects.filter(month__in=months).values_list("month", "cutoff"))
    if set(kept) != set(months) or any(at > cutoff for at in kept.values()):
        return False
    since = min(kept.values())
    changed = (
        AuditEvent.objects.filter(occurred_at__gt=since, occurred_at__lte=cutoff, target_type__in=WATCHED)
        .values_list("target_type", "target_id")
        .distinct()
    )
    # Exact per month: an event after one month's count but before another's touches only the first.
    touched = months_of(changed)
    if not touched & set(months):
        return True
    for month in touched & set(months):
        later = AuditEvent.objects.filter(
            occurred_at__gt=kept[month], occurred_at__lte=cutoff, target_type__in=WATCHED
        ).values_list("target_type", "target_id")
        if month in months_of(later):
            return False
    return True


def load(
    months: list[dt.date],
    tally_of: Callable[[str, int], Any],
    *,
    rectifications: bool,
    fold: tuple[str, Callable[[str, int], Any]] | None = None,
) -> dict[tuple[str, str], int]:
    """Add the kept counts of `months` to the run's tallies (`tally_of(source, raw unit)` answers the tally of
    the subject the unit folds into, or None), the rectification orders' only if `rectifications` (every
    month kept them; otherwise the run counts the orders itself); answers the valid evaluations per
    (channel, grade) of the units that fold into a subject: the reference of the channel-mix adjustment.

    With `fold` (the key of the run's unit mapping and the tally of a subject), a quarter or a year, or
    else every month, kept folded by that same mapping is read as a row per source (StoredFold). Else a
    quarter or a year folded from the same versions of its months is read as one row per unit, and
    otherwise each month's rows per unit."""
    span = _span(months, rectifications)
    if fold is not None:
        key, subject_tally = fold
        if span is not None and key in span.folds and _whole(key, [span.first], span.months, rectifications):
            return _load_folds(subject_tally, key, [span.first], span.months, rectifications=rectifications)
        if _folded_by(months, key) and _whole(key, months, 1, rectifications):
            return _load_folds(subject_tally, key, months, 1, rectifications=rectifications)
    return _load_rows(months, span, tally_of, rectifications=rectifications)


def _whole(key: str, firsts: list[dt.date], months: int, rectifications: bool) -> bool:
    """Whether every fold row a read needs is there: one per period and source. They are written and
    deleted with the rows they fold, in one transaction, so a gap means the months were being kept again
    while the run looked; it then reads the rows per unit rather than count a source as empty."""
    found = _fold_rows(key, firsts, months, rectifications).count()
    return found == len(firsts) * (len(STORED_SOURCES) + (1 if rectifications else 0))


def _fold_rows(key: str, firsts: list[dt.date], months: int, rectifications: bool) -> QuerySet[Any]:
    """The StoredFold rows a run reads: by the mapping `key`, of the periods of `months` months starting on
    `firsts`, the rectification orders' only if the run reads them kept."""
    from civicpulse.assessment.models import StoredFold

    kept = StoredFold.objects.filter(month__in=firsts, months=months, fold=key)
    return kept if rectifications else kept.exclude(source="rectifications")


def _folded_by(months: list[dt.date], key: str) -> bool:
    from civicpulse.assessment.models import StoredMonth

    kept = StoredMonth.objects.filter(month__in=months).values_list("folds", flat=True)
    return len(kept) == len(months) and all(key in folds for folds in kept)


def _span(months: list[dt.date], rectifications: bool) -> StoredSpan | None:
    """The StoredSpan of exactly these months, if it was folded from their kept versions."""
    from civicpulse.assessment.models import StoredSpan

    if len(months) not in SPAN_LENGTHS:
        return None
    found = StoredSpan.objects.filter(first=months[0], months=len(months)).first()
    if found is None or (rectifications and not found.with_rectifications):
        return None
    return found if found.basis == _basis(months) else None


def _load_folds(
    tally_of: Callable[[str, int], Any],
    key: str,
    firsts: list[dt.date],
    months: int,
    *,
    rectifications: bool,
) -> dict[tuple[str, str], int]:
    kept = _fold_rows(key, firsts, months, rectifications)
    reference: dict[tuple[str, str], int] = {}
    # One row at a time: a year's fold of a province's waits is tens of megabytes of text.
    for source, text in kept.values_list("source", "data").iterator(chunk_size=1):
        for channel_grade, n in decode_fold_into(tally_of, source, text).items():
            reference[channel_grade] = reference.get(channel_grade, 0) + n
    return reference


def _load_rows(
    months: list[dt.date],
    span: StoredSpan | None,
    tally_of: Callable[[str, int], Any],
    *,
    rectifications: bool,
) -> dict[tuple[str, str], int]:
    from civicpulse.assessment.models import StoredCounts

    reference: dict[tuple[str, str], int] = {}
    if span is None:
        kept = StoredCounts.objects.filter(month__in=months, months=1)
    else:
        kept = StoredCounts.objects.filter(month=span.first, months=span.months)
    if not rectifications:
        kept = kept.exclude(source="rectifications")
    # A plain cursor: the ORM's converters would cost more than the rows; JSON arrives as text on both
    # engines (Django reads PostgreSQL's jsonb as text too). Chunked: on PostgreSQL a server-side cursor,
    # so a year of a province's kept rows is never in memory at once.
    sql, params = kept.values_list("unit_id", "source", "data", "digest").query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            for unit_id, source, text, digest in chunk:
                tally = tally_of(source, unit_id)
                if tally is None:
                    continue
                data = json.loads(text) if isinstance(text, str) else text
                decode_into(tally, data, digest)
                if source == "evaluations":
                    for key, n in _pairs("valid", data["valid"]) if "valid" in data else ():
                        reference[key] = reference.get(key, 0) + n
    return reference
