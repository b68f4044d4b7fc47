"""The multiset digest of counts (digests.py). Pure: no database, no settings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicpulse.assessment import digests
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.stored import decoded
from civicpulse.assessment.stored import encode as encode_counts


def encode(counts: Any) -> Any:
    # Through JSON text, as the database keeps it.
    return json.loads(json.dumps(encode_counts(counts)))


waits = st.dictionaries(st.floats(0, 600, allow_nan=False), st.integers(1, 50), max_size=30)
speeds = st.dictionaries(
    st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.integers(0, 30), st.integers(1, 20)),
    st.integers(1, 9),
    max_size=20,
)
cases = st.builds(
    lib.CaseCounts,
    n=st.integers(0, 500),
    ended=st.integers(0, 500),
    timed=st.integers(0, 500),
    speeds=speeds,
    limits=st.dictionaries(st.tuples(st.integers(1, 20), st.integers(1, 40)), st.integers(1, 9), max_size=8),
)


def _merged(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for values in (a, b):
        for name, value in values.items():
            if isinstance(value, dict):
                histogram = merged.setdefault(name, {})
                for key, n in value.items():
                    histogram[key] = histogram.get(key, 0) + n
            else:
                merged[name] = merged.get(name, 0) + value
    return merged


@given(cases, cases)
def test_the_digest_of_summed_counts_is_the_sum_of_their_digests(a, b):
    summed = _merged(lib.fields_of(a), lib.fields_of(b))
    assert digests.of_values("cases", summed) == digests.add(
        digests.of_counts("cases", a), digests.of_counts("cases", b)
    )


@given(waits, waits)
def test_waits_add_up_too_and_the_order_of_a_histogram_does_not_matter(a, b):
    summed = _merged({"waits": a}, {"waits": b})
    assert digests.of_values("tickets", summed) == digests.add(
        digests.of_values("tickets", {"waits": a}), digests.of_values("tickets", {"waits": b})
    )
    backwards = {"waits": dict(reversed(list(summed["waits"].items())))} if summed else {}
    assert digests.of_values("tickets", backwards) == digests.of_values("tickets", summed)


@given(cases, st.sampled_from(["n", "ended", "timed"]), st.integers(1, 1000))
def test_changing_any_count_changes_the_digest(counts, name, more):
    values = lib.fields_of(counts)
    changed = {**values, name: values[name] + more}
    assert digests.of_values("cases", changed) != digests.of_values("cases", values)


@given(speeds.filter(bool))
def test_moving_a_count_to_another_key_changes_the_digest(histogram):
    (code, days, promised), n = next(iter(histogram.items()))
    moved = dict(histogram)
    del moved[(code, days, promised)]
    other = (code, days + 1, promised)
    moved[other] = moved.get(other, 0) + n
    assert digests.of_values("cases", {"speeds": moved}) != digests.of_values("cases", {"speeds": histogram})


@given(cases, waits)
def test_counts_kept_as_json_read_back_as_they_were_and_hash_alike(counts, histogram):
    # A kept row's digest is written from the counts; a migration recomputes it from the JSON.
    # Counts of zero are left out; histograms are kept even when empty.
    assert decoded(encode(counts)) == {
        k: v for k, v in lib.fields_of(counts).items() if v or isinstance(v, dict)
    }
    assert digests.of_values("cases", decoded(encode(counts))) == digests.of_counts("cases", counts)
    tickets = lib.TicketCounts(waits=histogram)
    # Waits are packed as float64 arrays: every float comes back to the bit.
    back = decoded(encode(tickets)).get("waits", {})
    assert back == histogram
    assert [k.hex() for k in back] == [k.hex() for k in sorted(histogram)]
    assert digests.of_values("tickets", decoded(encode(tickets))) == digests.of_counts("tickets", tickets)


def test_no_counts_and_counts_of_zero_hash_alike_and_digests_differ_by_source_field_and_key_type():
    assert digests.of_values("cases", {}) == 0
    assert digests.of_counts("cases", lib.CaseCounts()) == 0
    assert digests.of_values("cases", {"n": 0, "limits": {}}) == 0
    one = digests.of_values("cases", {"n": 1})
    assert one != digests.of_values("interactions", {"n": 1})
    assert one != digests.of_values("cases", {"ended": 1})
    # A wait of 3 minutes read as a whole number is not the same input as one read as 3.0.
    as_float, as_int = {"waits": {3.0: 1}}, {"waits": {3: 1}}
    assert digests.of_values("tickets", as_float) != digests.of_values("tickets", as_int)


def test_an_element_is_the_shake_256_of_its_repr_and_digests_wrap_at_the_modulus():
    expected = hashlib.shake_256(repr(("cases", "n")).encode()).digest(128)
    assert digests.to_bytes(digests.element("cases", "n")) == expected
    assert digests.from_bytes(memoryview(expected)) == digests.element("cases", "n")
    # The count multiplies: n cases of one kind are n times its element, reduced modulo 2**1024.
    assert digests.of_values("cases", {"n": 5}) == (5 * digests.element("cases", "n")) % digests.MODULUS
    top = digests.MODULUS - 1
    assert digests.add(top, 1) == 0
    assert len(digests.to_bytes(top)) == digests.SIZE == 128


@given(waits, waits, cases, cases)
def test_kept_rows_fold_into_a_tally_as_their_sum_with_the_sum_of_their_digests(a, b, first, second):
    from civicpulse.assessment.counts import _Tally
    from civicpulse.assessment.stored import decode_into

    for source, rows in (
        ("tickets", [lib.TicketCounts(waits=a), lib.TicketCounts(waits=b)]),
        ("cases", [first, second]),
    ):
        tally = _Tally(source)
        for counts in rows:
            decode_into(tally, encode(counts), digests.to_bytes(digests.of_counts(source, counts)))
        summed = _merged(lib.fields_of(rows[0]), lib.fields_of(rows[1]))
        # Counts of zero are not kept; an empty histogram is.
        assert tally.values == {k: v for k, v in summed.items() if v or isinstance(v, dict)}
        assert tally.digest() == digests.of_values(source, summed)


def test_a_tally_refuses_a_digest_once_kept_and_raw_counts_were_mixed():
    from civicpulse.assessment.counts import _Tally
    from civicpulse.assessment.stored import decode_into

    tally = _Tally("interactions")
    counts = lib.InteractionCounts(n=3, rated=1)
    decode_into(tally, encode(counts), digests.to_bytes(digests.of_counts("interactions", counts)))
    assert tally.digest() == digests.of_counts("interactions", counts)
    tally.add("n", 1)
    with pytest.raises(RuntimeError, match="mixed"):
        tally.digest()
    # Counted from the raw tables only: no kept digest, the fingerprint hashes the counts.
    raw = _Tally("interactions")
    raw.add("n", 3)
    assert raw.digest() is None


evaluations = st.builds(
    lib.EvaluationCounts,
    valid=st.dictionaries(
        st.tuples(st.sampled_from(["pad", "web", "phone"]), st.sampled_from(["good", "neutral", "bad"])),
        st.integers(1, 40),
        max_size=9,
    ),
)


def _folded_back(source: str, months: list[dict[int, Any]]) -> tuple[dict[int, Any], dict[Any, int]]:
    """Each month's counts per subject kept as one fold row, read back into tallies as a run reads them."""
    from civicpulse.assessment.counts import _Folder
    from civicpulse.assessment.stored import decode_fold_into, encode_fold

    folder = _Folder(lambda pk: pk)
    reference: dict[Any, int] = {}
    for by_subject in months:
        summed = {s: digests.of_counts(source, c) for s, c in by_subject.items()}
        for key, n in decode_fold_into(
            folder.tally_of, source, encode_fold(source, by_subject, summed)
        ).items():
            reference[key] = reference.get(key, 0) + n
    return folder.tallies[source], reference


@given(
    st.lists(st.dictionaries(st.integers(1, 30), cases, max_size=6), min_size=1, max_size=3),
    st.lists(st.dictionaries(st.integers(1, 30), waits.map(lambda w: lib.TicketCounts(waits=w)), max_size=6)),
    st.lists(st.dictionaries(st.integers(1, 30), evaluations, max_size=6), max_size=3),
)
def test_folds_of_many_subjects_read_back_as_each_subjects_sum_with_its_digest(
    case_months, ticket_months, evals
):
    for source, months in (("cases", case_months), ("tickets", ticket_months), ("evaluations", evals)):
        tallies, reference = _folded_back(source, months)
        assert set(tallies) == {s for by_subject in months for s in by_subject}
        for subject, tally in tallies.items():
            summed: dict[str, Any] = {}
            for by_subject in months:
                if subject in by_subject:
                    summed = _merged(summed, lib.fields_of(by_subject[subject]))
            # Histograms come back even when empty, counts of zero not at all: as from rows per unit.
            assert tally.values == {k: v for k, v in summed.items() if v or isinstance(v, dict)}
            assert tally.digest() == digests.of_values(source, summed)
            if source == "tickets":
                # Packed as float64: every wait comes back to the bit.
                assert [k.hex() for k in sorted(tally.values["waits"])] == [
                    k.hex() for k in sorted(summed["waits"])
                ]
        # The channel-mix reference: every valid evaluation of every subject, per (channel, grade).
        expected: dict[Any, int] = {}
        if source == "evaluations":
            for by_subject in months:
                for counts in by_subject.values():
                    expected = _merged({"valid": expected}, {"valid": counts.valid})["valid"]
        assert reference == expected


def test_a_fold_whose_histograms_do_not_match_its_sizes_is_refused():
    from civicpulse.assessment.counts import _Folder
    from civicpulse.assessment.stored import decode_fold_into, encode_fold

    by_subject = {7: lib.TicketCounts(waits={1.5: 2, 3.0: 1}), 9: lib.TicketCounts(waits={2.0: 4})}
    summed = {s: digests.of_counts("tickets", c) for s, c in by_subject.items()}
    data = json.loads(encode_fold("tickets", by_subject, summed))
    assert data["subjects"] == [7, 9] and data["waits"]["sizes"] == [2, 1]
    data["waits"]["sizes"] = [1, 1]
    with pytest.raises(ValueError, match="more waits"):
        decode_fold_into(_Folder(lambda pk: pk).tally_of, "tickets", json.dumps(data))
