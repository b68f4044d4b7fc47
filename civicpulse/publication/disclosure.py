"""Small-count suppression: what of a published figure the public may see. Pure functions, no Django.

The rule (decision 0009): a figure whose sample n, or for a rate whose numerator, is under the threshold
(10 by default) has its value, interval, numerator and adjusted/raw companion withheld; the sample n is
withheld too when it is itself under the threshold. The numerator of a mean or a ratio (a sum of days or
of ratios) counts no people, so only n decides there. Ranks need a visible n: a unit whose n is withheld
is never shown with a rank. Stored figures keep every number; only what leaves through `disclose` is cut,
and the pages, the CSV and the JSON all take their numbers from it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THRESHOLD = 10


def value_withheld(*, kind: str, n: int, numerator: float, threshold: int) -> bool:
    """Whether the value (and its interval and numerator) is withheld: n, or a rate's numerator, is
    under the threshold."""
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, not {threshold}")
    if n < 0 or numerator < 0:
        raise ValueError("counts must not be negative")
    return n < threshold or (kind == "rate" and numerator < threshold)


def n_withheld(*, n: int, threshold: int) -> bool:
    """Whether the sample size itself is withheld (shown as "<threshold")."""
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, not {threshold}")
    return n < threshold


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One stored figure: everything the engine measured, before suppression."""

    indicator: str
    kind: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    numerator: float
    raw: float | None
    insufficient: bool
    rank: int | None


@dataclass(frozen=True, kw_only=True)
class Disclosed:
    """What may be published of one figure: withheld numbers are None, and the flags say why."""

    indicator: str
    kind: str
    value: float | None
    low: float | None
    high: float | None
    n: int | None
    numerator: float | None
    raw: float | None
    insufficient: bool
    rank: int | None
    suppressed: bool
    n_suppressed: bool
    threshold: int


def disclose(figure: Figure, *, threshold: int = DEFAULT_THRESHOLD) -> Disclosed:
    withheld = value_withheld(kind=figure.kind, n=figure.n, numerator=figure.numerator, threshold=threshold)
    n_hidden = n_withheld(n=figure.n, threshold=threshold)
    return Disclosed(
        indicator=figure.indicator,
        kind=figure.kind,
        value=None if withheld else figure.value,
        low=None if withheld else figure.low,
        high=None if withheld else figure.high,
        n=None if n_hidden else figure.n,
        numerator=None if withheld else figure.numerator,
        raw=None if withheld else figure.raw,
        insufficient=figure.insufficient,
        rank=None if n_hidden or figure.insufficient else figure.rank,
        suppressed=withheld,
        n_suppressed=n_hidden,
        threshold=threshold,
    )
