"""Fraud screening for citizen evaluations (好差评): pure rules over plain records.

The calling service loads the records and stores the flags; nothing here touches the database, the
clock or settings, so every rule can be proved by unit tests alone. A flag only marks an evaluation
for human review: it never decides that the evaluation is void.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

FLAG_STAFF_SELF = "staff_self"
FLAG_BURST_DEVICE = "burst_device"
FLAG_BURST_IP = "burst_ip"
FLAG_BURST_PHONE = "burst_phone"
FLAG_SPREAD = "spread"
FLAG_NO_INTERACTION = "no_interaction"
FLAG_STAGE_NOT_REACHED = "stage_not_reached"

# Mainland mobile numbers have 11 digits; with the 86 country code in front they have 13. Only then is a
# leading 86 a country code: in a shorter number it is part of the subscriber number.
_COUNTRY_CODE = "86"
_WITH_COUNTRY_CODE = 13


@dataclass(frozen=True)
class Thresholds:
    burst_window_minutes: int = 10
    burst_count: int = 5
    spread_window_days: int = 30
    spread_max_cases: int = 5

    def __post_init__(self) -> None:
        # A zero window or count would flag every evaluation (or none), which is never what a config meant.
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")


@dataclass(frozen=True)
class Submission:
    case_id: int
    submitted_at: dt.datetime
    account_id: int | None
    phone: str
    device: str
    ip: str
    is_applicant: bool

    def __post_init__(self) -> None:
        # Comparing naive and aware times raises deep inside the window filter; fail where the record is made.
        if self.submitted_at.utcoffset() is None:
            raise ValueError("submitted_at must be timezone-aware")


@dataclass(frozen=True)
class Interaction:
    exists: bool
    stage_reached: bool


@dataclass(frozen=True)
class Flag:
    code: str
    params: dict[str, str]


def normalise_phone(phone: str) -> str:
    # NFKC turns full-width digits (typed with a Chinese input method) into ASCII ones.
    digits = "".join(c for c in unicodedata.normalize("NFKC", phone) if c in "0123456789")
    if len(digits) == _WITH_COUNTRY_CODE and digits.startswith(_COUNTRY_CODE):
        return digits[len(_COUNTRY_CODE) :]
    return digits


def burst_keys(submission: Submission) -> dict[str, str]:
    """The non-empty identifiers a burst is counted on, keyed by flag code (in flag order)."""
    keys = {
        FLAG_BURST_DEVICE: submission.device,
        FLAG_BURST_IP: submission.ip,
        FLAG_BURST_PHONE: normalise_phone(submission.phone),
    }
    # An empty value means "not known"; many unrelated people share it, so it must never match.
    return {code: value for code, value in keys.items() if value}


def _evaluator(submission: Submission) -> tuple[str, str] | None:
    # The account is the stronger identity: a logged-in user may give a different phone each time.
    if submission.account_id is not None:
        return ("account", str(submission.account_id))
    phone = normalise_phone(submission.phone)
    return ("phone", phone) if phone else None


def _within(recent: Sequence[Submission], end: dt.datetime, window: dt.timedelta) -> list[Submission]:
    # The caller may load generously; later submissions are ignored so that re-screening an old
    # evaluation gives the same answer it gave at the time.
    return [s for s in recent if end - window <= s.submitted_at <= end]


def screen(
    submission: Submission,
    *,
    interaction: Interaction,
    staff_phones: frozenset[str],
    staff_account_ids: frozenset[int],
    recent: Sequence[Submission],
    thresholds: Thresholds = Thresholds(),
) -> list[Flag]:
    """Every rule that fires, in the order of the FLAG_* constants; [] when clean.

    `recent` holds earlier submissions and must not include `submission` itself, or it counts twice.
    """
    flags: list[Flag] = []
    at = submission.submitted_at

    phone = normalise_phone(submission.phone)
    staff = {normalise_phone(p) for p in staff_phones} - {""}
    if submission.account_id in staff_account_ids or phone in staff:
        flags.append(Flag(FLAG_STAFF_SELF, {}))

    minutes = thresholds.burst_window_minutes
    in_burst = [burst_keys(s) for s in _within(recent, at, dt.timedelta(minutes=minutes))]
    for code, value in burst_keys(submission).items():
        count = 1 + sum(1 for keys in in_burst if keys.get(code) == value)
        if count >= thresholds.burst_count:
            flags.append(Flag(code, {"count": str(count), "minutes": str(minutes)}))

    evaluator = _evaluator(submission)
    if evaluator is not None:
        days = thresholds.spread_window_days
        mine = [s for s in _within(recent, at, dt.timedelta(days=days)) if _evaluator(s) == evaluator]
        cases = {s.case_id for s in [*mine, submission] if not s.is_applicant}
        if len(cases) > thresholds.spread_max_cases:
            flags.append(Flag(FLAG_SPREAD, {"cases": str(len(cases)), "days": str(days)}))

    # Without an interaction there is no stage to reach, so one flag says all there is to say.
    if not interaction.exists:
        flags.append(Flag(FLAG_NO_INTERACTION, {}))
    elif not interaction.stage_reached:
        flags.append(Flag(FLAG_STAGE_NOT_REACHED, {}))
    return flags
