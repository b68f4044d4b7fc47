"""Fair ranking of departments within their category, by the assessment's own pure scoring functions.

A department is ranked on the lower bound of the 95 % Wilson interval of its good-review rate (domain.md
§7): a unit with few ratings cannot come top on luck. Ranks are competition ranks (1, 2, 2, 4) within one
category, computed by `assessment.scoring.score_group` with a one-indicator table whose rule maps the
scored value straight onto the score, so the published order is the one a "wilson" scheme would give.
Units marked insufficient (below the minimum sample, or with a sample the public may not see) are not
ranked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from civicpulse.assessment import scoring

_TABLE = scoring.WeightTable(
    (
        scoring.WeightItem(
            indicator="rate",
            weight=scoring.WEIGHT_TOTAL,
            rule=scoring.Linear(floor=0.0, target=1.0),
            direction="higher",
            min_sample=0,
        ),
    )
)
_NO_ADJUSTMENTS = scoring.BonusCaps(bonus_cap=0.0, penalty_cap=0.0)


@dataclass(frozen=True)
class Candidate:
    """One unit's rate in its category: `insufficient` keeps it out of the ranking."""

    id: int
    group: str
    successes: int
    n: int
    insufficient: bool


def rank_within_groups(candidates: Iterable[Candidate]) -> dict[int, int | None]:
    """Every candidate's rank within its group on the Wilson lower bound; None for the unranked."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.group].append(candidate)
    ranks: dict[int, int | None] = {}
    for group, members in sorted(groups.items()):
        subjects = [
            scoring.Subject(
                id=c.id,
                group=group,
                probation=False,
                values={
                    "rate": scoring.Measured(
                        value=c.successes / c.n if c.n else None,
                        n=c.n,
                        successes=c.successes,
                        insufficient=c.insufficient,
                    )
                },
            )
            for c in members
        ]
        for score in scoring.score_group(
            subjects, _TABLE, redistribute="proportional", ranking="wilson", caps=_NO_ADJUSTMENTS
        ):
            ranks[score.id] = score.rank
    return ranks
