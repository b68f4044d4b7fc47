"""Scheme authoring beyond the weight tables: a draft's settings (period, ranking, the outstanding quota and
its approval, grade bands, incentive coefficients, caps), checked and saved as one change."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.assessment.enums import Grade, PeriodKind, Ranking, Redistribute, SchemeStatus
from civicpulse.assessment.models import SchemeVersion
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed

SETTINGS = (
    "period_kind",
    "ranking",
    "redistribute",
    "quota",
    "quota_approved",
    "quota_approval",
    "bands",
    "coefficients",
    "bonus_cap",
    "penalty_cap",
)
# domain.md §7: outstanding for at most 20 % of a peer group, up to 25 % with a recorded approval.
QUOTA_DEFAULT = Decimal("0.20")
QUOTA_MAX = Decimal("0.25")
BAND_KEYS = ("outstanding", "competent", "basic")
QUOTA_APPROVAL_MAX_LENGTH = 2000

_CHOICES = {"period_kind": PeriodKind, "ranking": Ranking, "redistribute": Redistribute}


def _label(name: str, *, first: bool = False) -> str:
    """The field's translated name; `first` for the start of a sentence."""
    label = str(getattr(SchemeVersion._meta.get_field(name), "verbose_name", name))
    return capfirst(label) if first else label


def _float(value: Any) -> float | None:
    """A finite number from a form string or a number; None when it is none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Cleaner:
    """Turns the merged settings into stored values, collecting every problem in words."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.problems: list[str] = []
        self.clean: dict[str, Any] = {}

    def run(self) -> tuple[dict[str, Any], list[str]]:
        for name, choices in _CHOICES.items():
            value = str(self.raw[name] or "")
            if value not in choices.values:
                self.problems.append(
                    _("Choose one of the listed values for %(field)s.") % {"field": _label(name)}
                )
            self.clean[name] = value
        self._quota()
        self.clean["bands"] = self._bands(self.raw["bands"])
        self.clean["coefficients"] = self._coefficients(self.raw["coefficients"])
        for name in ("bonus_cap", "penalty_cap"):
            number = _float(self.raw[name])
            if number is None or number < 0:
                self.problems.append(
                    _("%(field)s must be a number of 0 or more.") % {"field": _label(name, first=True)}
                )
            self.clean[name] = number
        return self.clean, self.problems

    def _share(self, name: str) -> Decimal | None:
        number = _decimal(self.raw[name])
        if number is None:
            self.problems.append(_("%(field)s must be a number.") % {"field": _label(name, first=True)})
            return None
        if not 0 < number <= QUOTA_MAX:
            self.problems.append(
                _("%(field)s must be above 0 and at most %(max)s.")
                % {"field": _label(name, first=True), "max": QUOTA_MAX}
            )
            return None
        if number != number.quantize(Decimal("0.001")):
            self.problems.append(
                _("%(field)s has at most three decimals.") % {"field": _label(name, first=True)}
            )
            return None
        return number

    def _quota(self) -> None:
        quota = self._share("quota")
        approved = None if _blank(self.raw["quota_approved"]) else self._share("quota_approved")
        approval = str(self.raw["quota_approval"] or "").strip()
        if len(approval) > QUOTA_APPROVAL_MAX_LENGTH:
            self.problems.append(
                _("%(field)s is at most %(max)s characters.")
                % {"field": _label("quota_approval", first=True), "max": QUOTA_APPROVAL_MAX_LENGTH}
            )
        if (
            quota is not None
            and quota > QUOTA_DEFAULT
            and (approved is None or approved < quota or not approval)
        ):
            self.problems.append(
                _(
                    "A quota above %(default)s needs an approved quota at least as high and the approval "
                    "recorded (document, date)."
                )
                % {"default": QUOTA_DEFAULT}
            )
        self.clean.update(quota=quota, quota_approved=approved, quota_approval=approval)

    def _bands(self, raw: Any) -> dict[str, float]:
        """Lowest score of each grade; empty means the defaults (90, 75, 60)."""
        if not raw:
            return {}
        values = self._numbers(raw, BAND_KEYS)
        if values is None:
            self.problems.append(_("Give the lowest score of each grade: outstanding, competent, basic."))
            return {}
        if not all(0 <= value <= 100 for value in values.values()):
            self.problems.append(_("Grade bands lie between 0 and 100."))
        if not values["outstanding"] > values["competent"] > values["basic"]:
            self.problems.append(_("Grade bands fall from outstanding to competent to basic."))
        return values

    def _coefficients(self, raw: Any) -> dict[str, float]:
        """An incentive coefficient for every grade; empty means the defaults (1.2, 1.0, 0.8, 0.5)."""
        if not raw:
            return {}
        values = self._numbers(raw, tuple(Grade.values))
        if values is None or any(value < 0 for value in values.values()):
            self.problems.append(_("Give an incentive coefficient of 0 or more for each grade."))
            return {}
        return values

    @staticmethod
    def _numbers(raw: Any, keys: tuple[str, ...]) -> dict[str, float] | None:
        """A number for exactly each of `keys`, or None."""
        if not isinstance(raw, dict) or set(raw) != set(keys):
            return None
        values = {key: _float(raw[key]) for key in keys}
        if any(value is None for value in values.values()):
            return None
        return {key: float(value) for key, value in values.items() if value is not None}


def _stored(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


@transaction.atomic
def scheme_version_settings_set(*, actor: User, version: SchemeVersion, **settings: Any) -> SchemeVersion:
    """Change a draft's settings; the names not given keep their values. Refused, with every problem listed,
    unless the result is valid as a whole (a quota above 20 % is checked against its approval)."""
    if not has_perm(actor, Perm.ASSESSMENT_EDIT):
        raise Forbidden(_("You do not have access to this."), code="forbidden")
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ValidationFailed(
            _("Unknown setting %(name)s.") % {"name": ", ".join(unknown)}, code="unknown_setting"
        )
    version = SchemeVersion.objects.select_for_update().select_related("scheme").get(pk=version.pk)
    if version.status != SchemeStatus.DRAFT:
        raise Conflict(_("Only a draft is edited."), code="not_a_draft")
    current = {name: getattr(version, name) for name in SETTINGS}
    clean, problems = _Cleaner({**current, **settings}).run()
    if problems:
        raise ValidationFailed(
            _("The settings are not valid."), code="invalid_settings", detail={"problems": problems}
        )
    changes = {
        name: [_stored(current[name]), _stored(clean[name])]
        for name in SETTINGS
        if clean[name] != current[name]
    }
    if changes:
        for name in changes:
            setattr(version, name, clean[name])
        version.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="assessment.scheme.settings_edited",
            target=version,
            data={"changes": changes},
        )
    return version
