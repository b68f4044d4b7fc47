"""The pure rules of publishing: small-count suppression at its boundary, fair ranking within categories,
anonymisation of free text, the periods offered, and the text the pages show for a figure."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from civicpulse.assessment.indicators import wilson
from civicpulse.publication.anonymise import REMOVED, anonymise, gist
from civicpulse.publication.compute import bounds, complete_periods
from civicpulse.publication.disclosure import Figure, disclose, n_withheld, value_withheld
from civicpulse.publication.display import cell
from civicpulse.publication.ranking import Candidate, rank_within_groups

# --- suppression ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "numerator", "withheld"),
    [
        (9, 9, True),
        (10, 9, True),
        (11, 9, True),
        (10, 10, False),
        (11, 10, False),
        (11, 11, False),
        (9, 0, True),
        (0, 0, True),
        (100, 9, True),
        (100, 10, False),
    ],
)
def test_a_rate_is_withheld_when_its_sample_or_its_numerator_is_under_ten(n, numerator, withheld):
    assert value_withheld(kind="rate", n=n, numerator=numerator, threshold=10) is withheld


@pytest.mark.parametrize("kind", ["mean", "ratio", "quantile"])
@pytest.mark.parametrize(("n", "withheld"), [(9, True), (10, False), (11, False)])
def test_a_mean_is_withheld_on_its_sample_alone(kind, n, withheld):
    # The numerator of a mean is a sum of days or ratios: it counts no people.
    assert value_withheld(kind=kind, n=n, numerator=0.5, threshold=10) is withheld


def test_the_rule_holds_for_every_count_around_the_threshold():
    for threshold, n, numerator in itertools.product((1, 5, 10, 11), range(0, 14), range(0, 14)):
        if numerator > n:
            continue
        assert value_withheld(kind="rate", n=n, numerator=numerator, threshold=threshold) == (
            n < threshold or numerator < threshold
        )
        assert n_withheld(n=n, threshold=threshold) == (n < threshold)


@pytest.mark.parametrize("bad", [{"threshold": 0}, {"n": -1}, {"numerator": -1}])
def test_nonsense_counts_and_thresholds_are_refused(bad):
    arguments = {"kind": "rate", "n": 10, "numerator": 5, "threshold": 10, **bad}
    with pytest.raises(ValueError):
        value_withheld(**arguments)


def _rate(successes: int, n: int, *, insufficient: bool = False, rank: int | None = None) -> Figure:
    low, high = wilson(successes, n)
    return Figure(
        indicator="good_review_rate",
        kind="rate",
        value=successes / n if n else None,
        low=low,
        high=high,
        n=n,
        numerator=successes,
        raw=None,
        insufficient=insufficient,
        rank=rank,
    )


@pytest.mark.parametrize("n", [9, 10, 11])
def test_disclosing_a_rate_at_the_boundary(n):
    shown = disclose(_rate(n, n, rank=1), threshold=10)
    if n < 10:
        assert (shown.value, shown.low, shown.high, shown.numerator, shown.n, shown.rank) == (
            None,
            None,
            None,
            None,
            None,
            None,
        )
        assert shown.suppressed and shown.n_suppressed
    else:
        assert (shown.value, shown.n, shown.numerator, shown.rank) == (1.0, n, n, 1)
        assert shown.low is not None and shown.high == 1.0
        assert not shown.suppressed and not shown.n_suppressed


def test_a_small_numerator_withholds_the_value_but_shows_the_sample():
    shown = disclose(_rate(9, 40, rank=3), threshold=10)
    assert (shown.value, shown.low, shown.high, shown.numerator) == (None, None, None, None)
    assert (shown.n, shown.suppressed, shown.n_suppressed) == (40, True, False)
    # The rank stays: hiding it would hide exactly the worst-rated units.
    assert shown.rank == 3


def test_an_insufficient_or_hidden_sample_is_never_shown_with_a_rank():
    assert disclose(_rate(20, 25, insufficient=True, rank=2), threshold=10).rank is None
    assert disclose(_rate(5, 5, rank=2), threshold=10).rank is None


def test_an_adjusted_value_hides_its_raw_companion_too():
    figure = Figure(
        indicator="speed_adjusted",
        kind="ratio",
        value=0.8,
        low=None,
        high=None,
        n=9,
        numerator=12.0,
        raw=0.7,
        insufficient=True,
        rank=None,
    )
    assert disclose(figure, threshold=10).raw is None
    assert disclose(figure, threshold=9).raw == 0.7


@pytest.mark.parametrize(
    ("n", "numerator", "value_text", "n_text"),
    [(9, 9, "—", "<10"), (10, 10, "100.0%", "10"), (11, 10, "90.9%", "11"), (40, 9, "—", "40")],
)
def test_the_page_shows_withheld_counts_as_under_the_threshold(n, numerator, value_text, n_text):
    shown = cell(disclose(_rate(numerator, n), threshold=10), "%")
    assert (shown.value, shown.n) == (value_text, n_text)
    assert bool(shown.interval) is (value_text != "—")


# --- ranking ----------------------------------------------------------------------------------------------


def test_departments_are_ranked_on_the_wilson_lower_bound_not_the_raw_rate():
    # 10 of 10 (100 %) has a lower bound of 72 %; 95 of 100 (95 %) has 89 %: the larger sample ranks first.
    ranks = rank_within_groups(
        [
            Candidate(1, "window", successes=10, n=10, insufficient=False),
            Candidate(2, "window", successes=95, n=100, insufficient=False),
            Candidate(3, "window", successes=60, n=100, insufficient=False),
        ]
    )
    assert ranks == {1: 2, 2: 1, 3: 3}
    assert wilson(10, 10)[0] < wilson(95, 100)[0]


def test_ranks_are_counted_within_each_category_only():
    ranks = rank_within_groups(
        [
            Candidate(1, "window", successes=90, n=100, insufficient=False),
            Candidate(2, "window", successes=80, n=100, insufficient=False),
            Candidate(3, "town", successes=50, n=100, insufficient=False),
            Candidate(4, "town", successes=70, n=100, insufficient=False),
        ]
    )
    assert ranks == {1: 1, 2: 2, 3: 2, 4: 1}


def test_insufficient_units_are_not_ranked_and_take_no_place():
    ranks = rank_within_groups(
        [
            Candidate(1, "window", successes=29, n=29, insufficient=True),
            Candidate(2, "window", successes=80, n=100, insufficient=False),
            Candidate(3, "window", successes=70, n=100, insufficient=False),
            Candidate(4, "window", successes=0, n=0, insufficient=False),
        ]
    )
    assert ranks == {1: None, 2: 1, 3: 2, 4: None}


def test_equal_evidence_shares_a_rank():
    ranks = rank_within_groups(
        [
            Candidate(1, "window", successes=40, n=50, insufficient=False),
            Candidate(2, "window", successes=40, n=50, insufficient=False),
            Candidate(3, "window", successes=30, n=50, insufficient=False),
        ]
    )
    assert ranks == {1: 1, 2: 1, 3: 3}


# --- anonymisation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请回电13812345678", f"请回电{REMOVED}"),
        ("电话138-1234-5678。", f"电话{REMOVED}。"),
        ("call +86 139 1234 5678 today", f"call {REMOVED} today"),
        ("号码8613912345678", f"号码{REMOVED}"),
        ("身份证110101199003071234", f"身份证{REMOVED}"),
        ("证件11010119900307123X有误", f"证件{REMOVED}有误"),
        ("老证号110101900307123", f"老证号{REMOVED}"),
        ("邮箱wang.xm@example.com。", f"邮箱{REMOVED}。"),
        ("mail me at a_b+c@mail.example.org", f"mail me at {REMOVED}"),
        ("案件20260511123456太慢", f"案件{REMOVED}太慢"),
        ("投诉编号TS20260017", f"投诉编号{REMOVED}"),
        ("工号EX00012的人", f"工号{REMOVED}的人"),
        ("座机025-83251234", f"座机{REMOVED}"),
        ("座机(025) 8325 1234", f"座机{REMOVED}"),
        ("我住在人民路12号3栋2单元301室，请上门", f"我住在{REMOVED}，请上门"),
        ("江苏省南京市玄武区中山路18号", REMOVED),
        ("家在张家村5组", f"家在{REMOVED}"),
        ("I live at 12 Main Street, call me", f"I live at {REMOVED}, call me"),
        ("My name is John Smith.", f"My name is {REMOVED}."),
        ("Mr. Brown was rude", "Mr. B**** was rude"),
        ("我叫李四，请联系", "我叫李*，请联系"),
        ("联系人：赵六", "联系人：赵*"),
    ],
)
def test_personal_data_is_removed(text, expected):
    assert anonymise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "说好五个工作日，结果拖了很久也没人解释。",
        "2026年5月3日去办事，等了两个小时",
        "今天10点到，5个工作日，排了第3号",
        "已向群众致歉，并调整窗口排班，高峰时段增开窗口。",
        "The form asked for 3 copies.",
        "",
    ],
)
def test_ordinary_words_and_small_numbers_stay(text):
    assert anonymise(text) == text


def test_known_names_are_masked_wherever_they_appear_and_known_numbers_go():
    text = "窗口王小明态度差，王小明说案件不归他管。Officer Wang Xiaoming; 身份证后四位1234，电话尾号5678"
    result = anonymise(
        text,
        names=["王小明", "Wang Xiaoming", " "],
        known=["110101199003071234", "1234", "5678", ""],
    )
    assert "王小明" not in result and result.count("王**") == 2
    assert "Wang Xiaoming" not in result and "W************" in result
    assert "1234" not in result and "5678" not in result


def test_a_longer_known_name_is_masked_before_a_shorter_one_inside_it():
    assert anonymise("欧阳小明和欧阳", names=["欧阳", "欧阳小明"]) == "欧***和欧*"


def test_anonymising_twice_changes_nothing_more():
    text = "王小明 13812345678 wang@example.com 人民路12号 20260511123456"
    once = anonymise(text, names=["王小明"])
    assert anonymise(once, names=["王小明"]) == once


def test_a_gist_is_one_line_cut_with_an_ellipsis():
    assert gist("  a\n b\tc ") == "a b c"
    assert gist("x" * 10, 10) == "x" * 10
    assert gist("x" * 11, 10) == "x" * 9 + "…"
    with pytest.raises(ValueError):
        gist("text", 1)


# --- periods ----------------------------------------------------------------------------------------------


def test_only_complete_periods_are_offered():
    offered = complete_periods(dt.date(2026, 6, 1), months=3, quarters=2, years=1)
    assert offered == ["2026-05", "2026-04", "2026-03", "2026-Q1", "2025-Q4", "2025"]
    assert complete_periods(dt.date(2026, 1, 15), months=1, quarters=1, years=0) == ["2025-12", "2025-Q4"]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026-02", ("month", dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("2026-q2", ("quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
        ("2025", ("year", dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ],
)
def test_period_labels(label, expected):
    assert bounds(label) == expected


@pytest.mark.parametrize("label", ["2026-13", "2026-Q5", "26", "May 2026", ""])
def test_other_labels_are_refused(label):
    with pytest.raises(ValueError):
        bounds(label)
