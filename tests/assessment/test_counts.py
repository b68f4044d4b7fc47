"""The engine counts in the database (counts.py); the facts (facts.py) are the readable specification and
the drill-down. On every subject of the demo's schemes, for finalized periods and for cut-offs caught half
way through a period, both must give the same counts, and so the same value of every indicator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from civicpulse.assessment import indicators as lib
from civicpulse.assessment import stored
from civicpulse.assessment.counts import RunCounts, count
from civicpulse.assessment.facts import expected_days_before, load, period_bounds, unit_resolver
from civicpulse.assessment.models import Run, RunValue, SchemeVersion
from civicpulse.assessment.selectors import values_behind
from civicpulse.assessment.services import _members, weight_tables
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.demo import builder
from civicpulse.demo.assessment import SCHEME, STAFF_SCHEME

pytestmark = pytest.mark.django_db

# (scheme, period, cut-off): each scheme's finalized periods as the demo cut them off, and one period
# cut off in the middle, with cases open, ratings under review and orders not yet answered.
MID = dt.datetime(2026, 5, 20, 12, 0, tzinfo=builder.TIME_ZONE)
CASES = [
    (SCHEME, "2026-Q1", None),
    (SCHEME, "2026-Q2", MID),
    (STAFF_SCHEME, "2026-Q1", None),
    (STAFF_SCHEME, "2026-Q2", MID),
]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        builder.build(seed=2026)
        yield
        transaction.set_rollback(True)


def _both(
    scheme: str, period: str, cutoff: dt.datetime | None
) -> tuple[RunCounts, dict[str, dict[int, Any]]]:
    version = SchemeVersion.objects.get(scheme__code=scheme, status="published")
    start, end = period_bounds(period)
    if cutoff is None:
        cutoff = Run.objects.filter(version=version, period=period).order_by("number").first().cutoff  # type: ignore[union-attr]
    members = _members(version, list(weight_tables(version)))
    by_staff = version.scheme.subject == "staff"
    resolve = (lambda pk: pk) if by_staff else unit_resolver(m.id for m in members)
    counted = count(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=resolve,
        by_staff=by_staff,
        members=[m.id for m in members],
    )
    facts = load(start=start, end=end, cutoff=cutoff, resolve=resolve, with_staff=by_staff)
    ids = {m.id for m in members}
    tallied: dict[str, dict[int, Any]] = {}
    for source in lib.COUNTS_OF:
        grouped: dict[int, list[Any]] = {}
        for fact in getattr(facts, source):
            for subject in fact.staff_ids if by_staff else (fact.unit_id,):
                if subject in ids:
                    grouped.setdefault(subject, []).append(fact)
        tallied[source] = {subject: lib.tally(source, rows) for subject, rows in grouped.items()}
    # The reference the channel-mix adjustment compares with: every evaluation the facts hold.
    tallied["channel_rates"] = {0: lib.channel_good_rates(facts.evaluations)}
    return counted, tallied


def _empty(counts: Any) -> bool:
    return counts == type(counts)()


@pytest.mark.parametrize(("scheme", "period", "cutoff"), CASES)
def test_the_database_counts_what_the_facts_count_for_every_subject(demo, scheme, period, cutoff):
    counted, tallied = _both(scheme, period, cutoff)
    compared = 0
    for source in lib.COUNTS_OF:
        mine = {k: v for k, v in counted.by_subject[source].items() if not _empty(v)}
        theirs = {k: v for k, v in tallied[source].items() if not _empty(v)}
        assert mine == theirs, source
        compared += len(theirs)
    assert compared > 20, "the demo must give the comparison something to compare"
    assert counted.channel_rates == tallied["channel_rates"][0]


def test_the_comparison_notices_a_count_read_differently(demo):
    counted, tallied = _both(SCHEME, "2026-Q1", None)
    subject, counts = next(iter(sorted(tallied["cases"].items())))
    tallied["cases"][subject] = lib.CaseCounts(
        **{**lib.fields_of(counts), "ended_zero_visits": counts.ended_zero_visits + 1}
    )
    assert counted.by_subject["cases"] != tallied["cases"]


def test_the_drill_down_reads_again_exactly_the_records_each_stored_value_counted(demo):
    checked = 0
    for value in RunValue.objects.filter(subject__run__status="finalized").select_related("subject__run")[
        :400
    ]:
        behind = values_behind(value.subject)[value.indicator]
        assert (behind.n, float(behind.numerator)) == (value.n, value.numerator), value
        if lib.INDICATORS[value.indicator].kind == "rate":
            assert len(behind.record_ids) == value.n
        checked += value.n > 0
    assert checked > 100


def _kept_and_raw(members: list[int], **kwargs: Any) -> tuple[RunCounts, RunCounts]:
    """A unit scheme's counts read as a run reads them (kept where they hold), and from the raw tables."""
    kept = count(**kwargs, by_staff=False, members=members)
    return kept, count(**kwargs, by_staff=False, members=members, use_stored=False)


def _unit_scheme() -> tuple[Any, Any]:
    version = SchemeVersion.objects.get(scheme__code=SCHEME, status="published")
    members = _members(version, list(weight_tables(version)))
    return unit_resolver(m.id for m in members), [m.id for m in members]


@pytest.mark.parametrize("period", ["2026-03", "2026-Q1", "2026-05"])
def test_counts_kept_per_month_give_a_run_the_same_counts_as_the_raw_tables(demo, period):
    start, end = period_bounds(period)
    months = stored.whole_months(start, end)
    assert months is not None
    # The demo keeps every closed month as of its last moment, as the worker's refresh does.
    assert stored.holds(months, builder.DEMO_NOW)
    resolve, members = _unit_scheme()
    kwargs = {"start": start, "end": end, "cutoff": builder.DEMO_NOW, "resolve": resolve, "by_staff": False}
    with CaptureQueriesContext(connection) as queries:
        kept = count(**kwargs, members=members)
    raw = count(**kwargs, members=members, use_stored=False)
    # Read from the rows kept folded by the scheme's own mapping, not from the rows per unit.
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "assessment_storedfold" in read and "assessment_storedcounts" not in read
    # The counts themselves, and the digests kept with them (summed, not recomputed from the counts).
    assert kept.by_subject == raw.by_subject
    assert list(kept.fingerprint()) == list(raw.fingerprint())
    assert kept.digests["cases"] and not raw.digests["cases"]
    assert kept.channel_rates == raw.channel_rates
    assert sum(len(v) for v in kept.by_subject.values()) > 20
    # Orders opened in the last days of May were not past their deadlines when May was counted: the run
    # counts May's orders itself; earlier months kept theirs.
    assert stored.with_rectifications(months) == (period != "2026-05")
    assert kept.by_subject["rectifications"] == raw.by_subject["rectifications"]
    # The case-mix reference was kept with the period's first month.
    assert stored.expected_days(start, builder.DEMO_NOW) == expected_days_before(start, builder.DEMO_NOW)
    # A whole quarter is kept folded, one row per unit and source, and a row per source folded by the
    # scheme's own unit mapping (what the run read); a month, folded by that mapping when it was kept.
    span = stored._span(months, stored.with_rectifications(months))
    if period == "2026-Q1":
        assert span is not None and (span.first, span.months) == (start, 3)
        assert span.folds == [resolve.key()]
    else:
        assert span is None
    assert stored._folded_by(months, resolve.key())


def test_a_quarter_is_folded_again_when_one_of_its_months_is_kept_again(demo):
    from civicpulse.assessment.models import StoredCounts, StoredSpan

    # Undone afterwards: the module's other tests read the demo's kept months as the demo left them.
    with transaction.atomic():
        q1 = [dt.date(2026, m, 1) for m in (1, 2, 3)]
        span = StoredSpan.objects.get(first=q1[0], months=3)
        assert set(span.basis) == {"2026-01", "2026-02", "2026-03"}
        rows = StoredCounts.objects.filter(month=q1[0], months=3)
        assert 0 < rows.count() < StoredCounts.objects.filter(month__in=q1, months=1).count()
        later = builder.DEMO_NOW + dt.timedelta(hours=3)
        with clock.frozen(later):
            assert stored.store_month(q1[2], later)
        span = StoredSpan.objects.get(first=q1[0], months=3)
        assert dt.datetime.fromisoformat(span.basis["2026-03"]) == later
        assert stored._span(q1, span.with_rectifications) == span
        # A fold that no longer matches its months (March kept again behind its back) is not read.
        stale = {**span.basis, "2026-03": builder.DEMO_NOW.isoformat()}
        StoredSpan.objects.filter(pk=span.pk).update(basis=stale)
        assert stored._span(q1, span.with_rectifications) is None
        resolve, members = _unit_scheme()
        kwargs = {"start": q1[0], "end": dt.date(2026, 3, 31), "cutoff": later, "resolve": resolve}
        kept, raw = _kept_and_raw(members, **kwargs)
        assert kept.by_subject == raw.by_subject
        assert list(kept.fingerprint()) == list(raw.fingerprint())
        transaction.set_rollback(True)


def test_kept_counts_are_not_used_once_a_record_of_the_month_changed_or_before_they_were_counted(demo):
    march = [dt.date(2026, 3, 1)]
    assert stored.holds(march, builder.DEMO_NOW)
    # A cut-off before the month was counted cannot use what was counted later.
    assert not stored.holds(march, builder.DEMO_NOW - dt.timedelta(days=1))
    # The month under way is never kept.
    assert not stored.holds([dt.date(2026, 6, 1)], builder.DEMO_NOW + dt.timedelta(days=40))
    case = Case.objects.filter(intake_date__month=3, intake_date__year=2026).first()
    assert case is not None
    with clock.frozen(builder.DEMO_NOW + dt.timedelta(hours=1)):
        audit_record(actor=None, action="cases.case.reassigned", target=case, data={"to": "someone"})
    later = builder.DEMO_NOW + dt.timedelta(hours=2)
    assert not stored.holds(march, later)
    assert stored.holds([dt.date(2026, 4, 1)], later)
    # March is in the year before May, whose case-mix reference is counted again; February's is not.
    assert stored.expected_days(dt.date(2026, 5, 1), later) is None
    assert stored.expected_days(dt.date(2026, 2, 1), later) is not None
    # The run falls back to the raw tables and still counts the same.
    resolve, members = _unit_scheme()
    kwargs = {"start": march[0], "end": dt.date(2026, 3, 31), "cutoff": later, "resolve": resolve}
    kept, raw = _kept_and_raw(members, **kwargs)
    assert kept.by_subject == raw.by_subject
    assert list(kept.fingerprint()) == list(raw.fingerprint())


def test_every_kept_row_carries_the_digest_of_its_counts_and_the_migration_writes_the_same(demo):
    import importlib

    from django.apps import apps

    from civicpulse.assessment import digests
    from civicpulse.assessment.models import StoredCounts

    rows = list(StoredCounts.objects.values_list("pk", "months", "source", "data", "digest"))
    assert {months for _pk, months, *_rest in rows} == {1, 3}
    for _pk, _months, source, data, digest in rows:
        # Folds included: a quarter's digest was added up from its months', and still is its counts'.
        assert digests.from_bytes(digest) == digests.of_values(source, stored.decoded(data))
    pk, _months, source, data, digest = next(r for r in rows if r[2] == "tickets" and r[3].get("waits"))
    waits = stored.decoded(data)["waits"]
    # As rows were kept before migration 0010: waits as JSON pairs, and no digest to speak of.
    legacy = {**data, "waits": [[wait, n] for wait, n in sorted(waits.items())]}
    migration = importlib.import_module("civicpulse.assessment.migrations.0010_digests")
    with transaction.atomic():
        StoredCounts.objects.filter(pk=pk).update(data=legacy, digest=b"\0" * digests.SIZE)
        migration.keep_digests(apps, None)
        row = StoredCounts.objects.get(pk=pk)
        assert (row.data, bytes(row.digest)) == (data, bytes(digest))
        assert isinstance(row.data["waits"], dict)
        transaction.set_rollback(True)
    # Going back past 0010 forgets the kept counts; runs then count the raw tables.
    with transaction.atomic():
        migration.forget_kept_counts(apps, None)
        assert not StoredCounts.objects.exists()
        assert not stored.holds([dt.date(2026, 3, 1)], builder.DEMO_NOW)
        transaction.set_rollback(True)


def test_a_month_kept_folded_by_another_unit_mapping_is_read_unit_by_unit(demo):
    from civicpulse.accounts.enums import UnitKind
    from civicpulse.accounts.models import OrgUnit

    march = [dt.date(2026, 3, 1)]
    with transaction.atomic():
        resolve, members = _unit_scheme()
        assert stored._folded_by(march, resolve.key())
        # A window now serves another department: the scheme's mapping is no longer the one March was
        # kept folded by, so the run folds March's rows per unit itself, with the mapping of today.
        window = OrgUnit.objects.filter(kind=UnitKind.WINDOW, serving_unit__isnull=False).first()
        assert window is not None
        other = OrgUnit.objects.filter(pk__in=members).exclude(pk=window.serving_unit_id).first()
        OrgUnit.objects.filter(pk=window.pk).update(serving_unit=other)
        moved, _members_again = _unit_scheme()
        assert moved.key() != resolve.key()
        assert not stored._folded_by(march, moved.key())
        kwargs = {
            "start": march[0],
            "end": dt.date(2026, 3, 31),
            "cutoff": builder.DEMO_NOW,
            "resolve": moved,
        }
        kept, raw = _kept_and_raw(members, **kwargs)
        assert kept.by_subject == raw.by_subject
        assert list(kept.fingerprint()) == list(raw.fingerprint())
        transaction.set_rollback(True)


def test_the_unit_resolver_answers_what_walking_each_units_path_answers(demo):
    from civicpulse.accounts.enums import UnitKind
    from civicpulse.accounts.models import OrgUnit

    resolve, members = _unit_scheme()
    subjects = set(members)
    units = list(OrgUnit.objects.values_list("pk", "path", "kind", "serving_unit_id"))
    assert {kind for _pk, _path, kind, _serving in units} >= {UnitKind.WINDOW, UnitKind.SECTION}
    answered = set()
    for pk, path, kind, serving in units:
        expected = None
        if kind == UnitKind.WINDOW and serving in subjects:
            expected = serving
        else:
            for ancestor in reversed([int(part) for part in path.strip("/").split("/")]):
                if ancestor in subjects:
                    expected = ancestor
                    break
        assert resolve(pk) == expected, path
        answered.add(expected)
    # Units fold into every subject, and some into none (the region above the departments).
    assert answered == subjects | {None}
    assert resolve(None) is None and resolve(max(pk for pk, *_rest in units) + 1) is None


def test_a_fold_missing_a_source_is_not_read_and_the_rows_per_unit_are(demo):
    from civicpulse.assessment.models import StoredFold

    march = [dt.date(2026, 3, 1)]
    resolve, members = _unit_scheme()
    kwargs = {"start": march[0], "end": dt.date(2026, 3, 31), "cutoff": builder.DEMO_NOW, "resolve": resolve}
    with transaction.atomic():
        assert stored._whole(resolve.key(), march, 1, stored.with_rectifications(march))
        StoredFold.objects.filter(month=march[0], months=1, fold=resolve.key(), source="tickets").delete()
        assert stored._folded_by(march, resolve.key())
        assert not stored._whole(resolve.key(), march, 1, stored.with_rectifications(march))
        with CaptureQueriesContext(connection) as queries:
            kept = count(**kwargs, by_staff=False, members=members)
        read = " ".join(query["sql"] for query in queries.captured_queries)
        assert "assessment_storedcounts" in read
        raw = count(**kwargs, by_staff=False, members=members, use_stored=False)
        # Tickets were not counted as empty: the run read March unit by unit.
        assert kept.by_subject == raw.by_subject and kept.by_subject["tickets"]
        assert list(kept.fingerprint()) == list(raw.fingerprint())
        transaction.set_rollback(True)
