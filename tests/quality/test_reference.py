"""Reference data of the quality frameworks (ISO 9001, CAF 2020, ISO 18091): shape, coverage, caf_band.

Pure: no database. The counts are the frameworks' own (9 CAF criteria, 28 sub-criteria, 39 ISO 18091
indicators), so a failure here means the data was damaged, not that a test needs updating.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import pytest

from civicpulse.quality.reference import (
    CAF_CRITERIA,
    CAF_SUBCRITERIA,
    CLAUSE_NUMBERS,
    ENABLER_PANEL,
    ISO9001_CLAUSES,
    ISO9001_SECTIONS,
    ISO18091_INDICATORS,
    ISO18091_QUADRANTS,
    RESULT_PANEL,
    TRAFFIC_LIGHT_LABELS,
    TRAFFIC_LIGHTS,
    ScoreBand,
    caf_band,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _bilingual_texts() -> list[tuple[str, str, str]]:
    """(where, English, Chinese) for every bilingual text in the module."""
    texts: list[tuple[str, str, str]] = []
    texts += [(f"ISO 9001 {c.number}", c.title_en, c.title_zh) for c in ISO9001_CLAUSES + ISO9001_SECTIONS]
    texts += [(f"CAF {c.number}", c.name_en, c.name_zh) for c in CAF_CRITERIA]
    texts += [(f"CAF {s.number}", s.text_en, s.text_zh) for s in CAF_SUBCRITERIA]
    for name, panel in (("enabler", ENABLER_PANEL), ("result", RESULT_PANEL)):
        for band in panel:
            where = f"{name} panel {band.low}-{band.high}"
            texts += [(where, band.label_en, band.label_zh), (where, band.text_en, band.text_zh)]
    texts += [(f"ISO 18091 quadrant {code}", en, zh) for code, en, zh in ISO18091_QUADRANTS]
    texts += [(f"ISO 18091 {i.code}", i.name_en, i.name_zh) for i in ISO18091_INDICATORS]
    texts += [(f"light {light}", en, zh) for light, (en, zh) in TRAFFIC_LIGHT_LABELS.items()]
    return texts


@pytest.mark.parametrize(("where", "english", "chinese"), _bilingual_texts())
def test_every_text_is_given_in_both_languages(where: str, english: str, chinese: str) -> None:
    assert english.strip(), where
    assert chinese.strip(), where
    assert english == english.strip() and chinese == chinese.strip(), where
    assert CJK.search(chinese), f"{where}: Chinese text without CJK characters: {chinese!r}"
    assert not CJK.search(english), f"{where}: English text with CJK characters: {english!r}"


# --- CAF 2020 -------------------------------------------------------------------------------------------


def test_caf_has_9_criteria_and_28_subcriteria() -> None:
    assert [c.number for c in CAF_CRITERIA] == [str(n) for n in range(1, 10)]
    assert len(CAF_SUBCRITERIA) == 28


def test_caf_subcriteria_per_criterion() -> None:
    per_criterion = Counter(s.criterion for s in CAF_SUBCRITERIA)
    assert [per_criterion[str(n)] for n in range(1, 10)] == [4, 4, 3, 6, 3, 2, 2, 2, 2]


def test_caf_subcriteria_are_numbered_within_their_criterion_in_order() -> None:
    for criterion in CAF_CRITERIA:
        numbers = [s.number for s in CAF_SUBCRITERIA if s.criterion == criterion.number]
        assert numbers == [f"{criterion.number}.{n}" for n in range(1, len(numbers) + 1)]


def test_caf_kinds_enablers_1_to_5_results_6_to_9() -> None:
    kinds = {c.number: c.kind for c in CAF_CRITERIA}
    assert kinds == {**dict.fromkeys("12345", "enabler"), **dict.fromkeys("6789", "result")}


def test_caf_numbers_are_unique() -> None:
    numbers = [c.number for c in CAF_CRITERIA] + [s.number for s in CAF_SUBCRITERIA]
    assert len(numbers) == len(set(numbers))


def test_caf_first_subcriterion_keeps_the_caf_2020_wording() -> None:
    assert CAF_SUBCRITERIA[0].text_en == (
        "Provide direction for the organisation by developing its mission, vision and values"
    )


@pytest.mark.parametrize("panel", [ENABLER_PANEL, RESULT_PANEL], ids=["enabler", "result"])
def test_panel_covers_0_to_100_without_gaps_or_overlaps(panel: tuple[ScoreBand, ...]) -> None:
    assert panel[0].low == 0
    assert panel[-1].high == 100
    for band in panel:
        assert band.low <= band.high
    for before, after in itertools.pairwise(panel):
        assert after.low == before.high + 1


@pytest.mark.parametrize("panel", [ENABLER_PANEL, RESULT_PANEL], ids=["enabler", "result"])
def test_panel_has_the_six_classical_bands(panel: tuple[ScoreBand, ...]) -> None:
    assert [(b.low, b.high) for b in panel] == [(0, 10), (11, 30), (31, 50), (51, 70), (71, 90), (91, 100)]


def test_enabler_panel_follows_the_pdca_phases() -> None:
    assert [b.label_en for b in ENABLER_PANEL[1:]] == ["Plan", "Do", "Check", "Act", "PDCA"]


BOUNDARIES = [0, 10, 11, 30, 31, 50, 51, 70, 71, 90, 91, 100]


@pytest.mark.parametrize("kind, panel", [("enabler", ENABLER_PANEL), ("result", RESULT_PANEL)])
@pytest.mark.parametrize("score", BOUNDARIES)
def test_caf_band_at_every_boundary(kind: str, panel: tuple[ScoreBand, ...], score: int) -> None:
    band = caf_band(kind, score)
    assert band in panel
    assert band.low <= score <= band.high
    # Band i holds boundaries 2i and 2i+1 of the list: the band's own low and high.
    assert band is panel[BOUNDARIES.index(score) // 2]


def test_caf_band_every_score_lands_in_exactly_one_band() -> None:
    for panel, kind in ((ENABLER_PANEL, "enabler"), (RESULT_PANEL, "result")):
        for score in range(101):
            assert [b for b in panel if b.low <= score <= b.high] == [caf_band(kind, score)]


@pytest.mark.parametrize("kind", ["enabler", "result"])
@pytest.mark.parametrize("score", [-1, 101, 50.5, 50.0, True, False, "50", None])
def test_caf_band_rejects_what_is_not_a_whole_score(kind: str, score: Any) -> None:
    with pytest.raises(ValueError):
        caf_band(kind, score)


@pytest.mark.parametrize("kind", ["", "enablers", "Enabler", "results", "panel"])
def test_caf_band_rejects_an_unknown_kind(kind: str) -> None:
    with pytest.raises(ValueError):
        caf_band(kind, 50)


# --- ISO 18091 ------------------------------------------------------------------------------------------


def test_iso18091_has_39_indicators_in_4_quadrants() -> None:
    assert len(ISO18091_INDICATORS) == 39
    assert [code for code, _en, _zh in ISO18091_QUADRANTS] == ["1", "2", "3", "4"]
    assert {i.quadrant for i in ISO18091_INDICATORS} == {"1", "2", "3", "4"}


def test_iso18091_every_quadrant_has_indicators() -> None:
    per_quadrant = Counter(i.quadrant for i in ISO18091_INDICATORS)
    for code, _en, _zh in ISO18091_QUADRANTS:
        assert per_quadrant[code] > 0, code


def test_iso18091_codes_are_unique_and_follow_their_quadrant() -> None:
    codes = [i.code for i in ISO18091_INDICATORS]
    assert len(codes) == len(set(codes))
    for quadrant, _en, _zh in ISO18091_QUADRANTS:
        in_quadrant = [i.code for i in ISO18091_INDICATORS if i.quadrant == quadrant]
        assert in_quadrant == [f"{quadrant}.{n}" for n in range(1, len(in_quadrant) + 1)]


def test_iso18091_names_are_unique() -> None:
    assert len({i.name_en for i in ISO18091_INDICATORS}) == 39
    assert len({i.name_zh for i in ISO18091_INDICATORS}) == 39


def test_traffic_lights_have_labels() -> None:
    assert TRAFFIC_LIGHTS == ("red", "yellow", "green")
    assert set(TRAFFIC_LIGHT_LABELS) == set(TRAFFIC_LIGHTS)


# --- ISO 9001 -------------------------------------------------------------------------------------------


def test_iso9001_clause_numbers_are_unique() -> None:
    numbers = [c.number for c in ISO9001_CLAUSES]
    assert len(numbers) == len(set(numbers))
    assert frozenset(numbers) == CLAUSE_NUMBERS


def test_iso9001_clauses_lie_within_sections_4_to_10() -> None:
    for number in CLAUSE_NUMBERS:
        assert re.fullmatch(r"\d+(\.\d+)+", number), number
        assert 4 <= int(number.split(".")[0]) <= 10, number
    assert {c.number for c in ISO9001_SECTIONS} == {str(n) for n in range(4, 11)}


def test_iso9001_has_every_clause_of_sections_4_to_10() -> None:
    clauses = {n for n in CLAUSE_NUMBERS if n.count(".") == 1}
    assert clauses == {
        "4.1", "4.2", "4.3", "4.4",
        "5.1", "5.2", "5.3",
        "6.1", "6.2", "6.3",
        "7.1", "7.2", "7.3", "7.4", "7.5",
        "8.1", "8.2", "8.3", "8.4", "8.5", "8.6", "8.7",
        "9.1", "9.2", "9.3",
        "10.1", "10.2", "10.3",
    }  # fmt: skip
    assert {"9.3", "10.2", "7.1.6", "9.3.3", "8.5.6"} <= CLAUSE_NUMBERS


def test_iso9001_sub_clauses_have_their_parent() -> None:
    for number in CLAUSE_NUMBERS:
        if number.count(".") > 1:
            assert number.rsplit(".", 1)[0] in CLAUSE_NUMBERS, number


def test_iso9001_clauses_are_in_document_order() -> None:
    keys = [tuple(int(part) for part in c.number.split(".")) for c in ISO9001_CLAUSES]
    assert keys == sorted(keys)
