"""Scheme editor pages for staff: the schemes with their versions, and one version's editor: its settings,
its weight tables (one per peer group) checked live through htmx as the user types, and the review cycle.

The weight tables travel as one form: table i posts `group-i` (its peer group) and parallel lists
`i-indicator`, `i-weight`, `i-kind`, `i-floor`, `i-target`, `i-bands`, `i-min_sample`, one entry per row.
Rows and tables are added and removed by the server re-rendering the form (htmx, or a plain POST without
JavaScript), so the indicator names come out in the page's language and nothing typed is lost.

The catalogue of bonus and penalty items travels the same way as a form of its own: parallel lists
`adjustment-code`, `adjustment-name_zh`, `adjustment-name_en`, `adjustment-points`, one entry per row.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import UnitCategory, User
from civicpulse.accounts.permissions import Perm, has_perm
from civicpulse.assessment import authoring, scoring, services
from civicpulse.assessment import indicators as lib
from civicpulse.assessment.enums import Grade, PeriodKind, Ranking, Redistribute, SchemeStatus, Subject
from civicpulse.assessment.models import Adjustment, Scheme, SchemeItem, SchemeVersion
from civicpulse.assessment.transitions import TRANSITIONS
from civicpulse.assessment.views import indicator_name
from civicpulse.core.errors import DomainError, ValidationFailed
from civicpulse.core.selectors import audit_event_list

ROW_FIELDS = ("indicator", "weight", "kind", "floor", "target", "bands", "min_sample")
OPEN_STATUSES = (SchemeStatus.DRAFT, SchemeStatus.IN_REVIEW)
# Longest value kept from one input: enough for any number or code, and for a long list of bands.
FIELD_MAX_LENGTH = 200
BANDS_MAX_LENGTH = 2000
HISTORY_LIMIT = 50

_GROUP_KEY = re.compile(r"group-([0-9]{1,4})")
_WHOLE = re.compile(r"[0-9]{1,9}")


# --- the form of the weight tables ---------------------------------------------------------------------


@dataclass
class RowForm:
    """One row as typed: every value kept as text, so a refused form comes back exactly as it was sent."""

    indicator: str = ""
    weight: str = ""
    kind: str = "linear"
    floor: str = ""
    target: str = ""
    bands: str = ""
    min_sample: str = ""


@dataclass
class GroupForm:
    code: str = ""
    rows: list[RowForm] = field(default_factory=list)


@dataclass(frozen=True)
class Total:
    code: str
    label: str
    total: str
    ok: bool


def _num(value: Any) -> str:
    """A stored number as the user would type it: 60, 0.98, 33.333333333333336."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _float(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def bands_text(bands: Any) -> str:
    """Stored [[threshold, share], ...] as one "threshold, share" line per band."""
    if not isinstance(bands, list):
        return ""
    lines = []
    for band in bands:
        if isinstance(band, list | tuple) and len(band) == 2:
            lines.append(f"{_num(band[0])}, {_num(band[1])}")
    return "\n".join(lines)


def parse_bands(text: str) -> list[list[float]] | None:
    """Bands typed as one "threshold, share" pair per line (or ";"), or as JSON [[0.95, 1], ...]."""
    text = text.strip()
    pairs: list[Any]
    if text.startswith("["):
        try:
            pairs = json.loads(text)
        except ValueError:
            return None
    else:
        pairs = [re.split(r"[,\s]+", line.strip()) for line in re.split(r"[;\n]+", text) if line.strip()]
    result = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            return None
        numbers = [_float(str(value)) if not isinstance(value, bool) else None for value in pair]
        if numbers[0] is None or numbers[1] is None:
            return None
        result.append([numbers[0], numbers[1]])
    return result or None


def groups_from_items(items: Iterable[SchemeItem]) -> list[GroupForm]:
    groups: dict[str, GroupForm] = {}
    for item in items:
        group = groups.setdefault(item.group, GroupForm(code=item.group))
        rule = item.rule if isinstance(item.rule, dict) else {}
        group.rows.append(
            RowForm(
                indicator=item.indicator,
                weight=_num(item.weight),
                kind=str(rule.get("kind", "")),
                floor=_num(rule.get("floor")),
                target=_num(rule.get("target")),
                bands=bands_text(rule.get("bands")),
                min_sample=str(item.min_sample),
            )
        )
    return list(groups.values())


def groups_from_post(post: QueryDict) -> list[GroupForm]:
    indexes = sorted({int(m.group(1)) for key in post if (m := _GROUP_KEY.fullmatch(key))})
    groups = []
    for i in indexes:
        columns = {name: post.getlist(f"{i}-{name}") for name in ROW_FIELDS}
        rows = []
        for r in range(len(columns["indicator"])):
            values = {
                name: (column[r] if r < len(column) else "")[
                    : BANDS_MAX_LENGTH if name == "bands" else FIELD_MAX_LENGTH
                ]
                for name, column in columns.items()
            }
            rows.append(RowForm(**values))
        groups.append(GroupForm(code=post.get(f"group-{i}", "").strip()[:FIELD_MAX_LENGTH], rows=rows))
    return groups


def _edit(groups: list[GroupForm], op: str) -> None:
    """Apply one add/remove button to the tables as posted; an out-of-range position changes nothing."""
    name, _sep, rest = op.partition(":")
    positions = [int(p) for p in rest.split(":") if p.isdigit()] if rest else []
    if name == "add_group":
        groups.append(GroupForm(rows=[RowForm()]))
    elif name == "remove_group" and len(positions) == 1 and positions[0] < len(groups):
        del groups[positions[0]]
    elif name == "add_row" and len(positions) == 1 and positions[0] < len(groups):
        groups[positions[0]].rows.append(RowForm())
    elif (
        name == "remove_row"
        and len(positions) == 2
        and positions[0] < len(groups)
        and positions[1] < len(groups[positions[0]].rows)
    ):
        del groups[positions[0]].rows[positions[1]]


def _read_row(group: str, row: RowForm, where: dict[str, Any]) -> tuple[services.ItemInput | None, list[str]]:
    problems = []
    if not row.indicator:
        problems.append(_("Table %(group)s, row %(row)s: choose an indicator.") % where)
    weight = _float(row.weight)
    if weight is None:
        problems.append(_("Table %(group)s, row %(row)s: the weight must be a number.") % where)
    min_sample = None
    if row.min_sample.strip():
        if _WHOLE.fullmatch(row.min_sample.strip()):
            min_sample = int(row.min_sample.strip())
        else:
            problems.append(
                _("Table %(group)s, row %(row)s: the minimum sample must be a whole number of 0 or more.")
                % where
            )
    # An unknown kind goes to the engine as it is, which names it among the problems.
    rule: dict[str, Any] = {"kind": row.kind}
    if row.kind == "linear":
        floor, target = _float(row.floor), _float(row.target)
        if floor is None or target is None:
            problems.append(_("Table %(group)s, row %(row)s: floor and target must be numbers.") % where)
        rule.update(floor=floor, target=target)
    elif row.kind == "bands":
        bands = parse_bands(row.bands)
        if bands is None:
            problems.append(
                _('Table %(group)s, row %(row)s: give the bands as one "threshold, share" pair per line.')
                % where
            )
        rule["bands"] = bands
    if problems or weight is None:
        return None, problems
    item = services.ItemInput(
        group=group, indicator=row.indicator, weight=weight, rule=rule, min_sample=min_sample
    )
    return item, problems


def read_tables(
    groups: list[GroupForm], choices: dict[str, str]
) -> tuple[list[services.ItemInput], list[str], list[Total]]:
    """The items to save, every problem (the form's, then the engine's) and each table's weight total."""
    problems: list[str] = []
    items: list[services.ItemInput] = []
    totals: list[Total] = []
    seen: set[str] = set()
    for position, group in enumerate(groups, start=1):
        name = group.code or f"#{position}"
        if not group.code:
            problems.append(_("Choose the peer group of table %(table)s.") % {"table": position})
        elif group.code in seen:
            problems.append(_("The peer group %(group)s has more than one table.") % {"group": group.code})
        elif group.code not in choices:
            problems.append(_("Unknown peer group %(group)s.") % {"group": group.code})
        seen.add(group.code)
        if not group.rows:
            problems.append(_("Table %(group)s has no rows.") % {"group": name})
        weights = []
        for number, row in enumerate(group.rows, start=1):
            item, row_problems = _read_row(group.code, row, {"group": name, "row": number})
            problems += row_problems
            weights.append(_float(row.weight))
            if item is not None:
                items.append(item)
        numbers = [w for w in weights if w is not None]
        total = math.fsum(numbers)
        ok = len(numbers) == len(weights) and abs(total - scoring.WEIGHT_TOTAL) <= scoring.WEIGHT_TOLERANCE
        totals.append(Total(code=group.code, label=choices.get(group.code, name), total=_num(total), ok=ok))
    problems += services.scheme_items_check(items)
    return items, problems, totals


# --- choices and labels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorOption:
    code: str
    label: str
    min_sample: int


def unit_label(unit: str) -> str:
    return {"%": "%", "ratio": _("ratio"), "minutes": _("minutes")}.get(unit, unit)


def direction_label(direction: str) -> str:
    return {"higher": _("higher is better"), "lower": _("lower is better")}.get(direction, direction)


def indicator_options() -> list[IndicatorOption]:
    return [
        IndicatorOption(
            code=code,
            label=f"{indicator_name(code)} ({unit_label(i.unit)}, {direction_label(i.direction)})",
            min_sample=i.min_sample,
        )
        for code, i in lib.INDICATORS.items()
    ]


def rule_kinds() -> list[tuple[str, str]]:
    return [
        ("linear", _("linear from floor to target")),
        ("bands", _("bands")),
        ("percentile", _("percentile in the peer group")),
    ]


def rule_text(rule: Any) -> str:
    """A stored rule in words, for the read-only tables."""
    if not isinstance(rule, dict):
        return str(rule)
    kind = rule.get("kind")
    if kind == "linear":
        return _("linear from %(floor)s to %(target)s") % {
            "floor": _num(rule.get("floor")),
            "target": _num(rule.get("target")),
        }
    if kind == "bands":
        pairs = "; ".join(line for line in bands_text(rule.get("bands")).split("\n") if line)
        return _("bands (threshold, share): %(bands)s") % {"bands": pairs}
    if kind == "percentile":
        return _("percentile in the peer group")
    return str(kind)


def group_choices(scheme: Scheme) -> dict[str, str]:
    """Peer groups a table may be for: the unit categories, or the staff roles."""
    if scheme.subject == Subject.STAFF:
        return {str(value): str(label) for value, label in Role.choices}
    english = (get_language() or "").startswith("en")
    return {
        c.code: (c.name_en if english and c.name_en else c.name_zh)
        for c in UnitCategory.objects.order_by("code")
    }


def _labels(
    model: type[Scheme] | type[SchemeItem] | type[SchemeVersion], names: Iterable[str]
) -> dict[str, str]:
    """Column and field names from the models' verbose names, which are translated already."""
    return {name: str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in names}


# --- settings -------------------------------------------------------------------------------------------

BAND_FIELDS = tuple(f"band_{key}" for key in authoring.BAND_KEYS)
COEFFICIENT_FIELDS = tuple(f"coefficient_{grade}" for grade in Grade.values)
SETTINGS_FIELDS = (
    "period_kind",
    "ranking",
    "redistribute",
    "quota",
    "quota_approved",
    "quota_approval",
    *BAND_FIELDS,
    *COEFFICIENT_FIELDS,
    "bonus_cap",
    "penalty_cap",
)


def settings_form(version: SchemeVersion) -> dict[str, str]:
    form = {
        "period_kind": version.period_kind,
        "ranking": version.ranking,
        "redistribute": version.redistribute,
        "quota": _num(version.quota),
        "quota_approved": _num(version.quota_approved),
        "quota_approval": version.quota_approval,
        "bonus_cap": _num(version.bonus_cap),
        "penalty_cap": _num(version.penalty_cap),
    }
    bands = version.bands if isinstance(version.bands, dict) else {}
    coefficients = version.coefficients if isinstance(version.coefficients, dict) else {}
    for key in authoring.BAND_KEYS:
        form[f"band_{key}"] = _num(bands.get(key))
    for grade in Grade.values:
        form[f"coefficient_{grade}"] = _num(coefficients.get(grade))
    return form


def settings_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The service's arguments; bands or coefficients left all blank mean the defaults."""
    bands = {key: form[f"band_{key}"] for key in authoring.BAND_KEYS}
    coefficients = {grade: form[f"coefficient_{grade}"] for grade in Grade.values}
    return {
        "period_kind": form["period_kind"],
        "ranking": form["ranking"],
        "redistribute": form["redistribute"],
        "quota": form["quota"],
        "quota_approved": form["quota_approved"] or None,
        "quota_approval": form["quota_approval"],
        "bands": bands if any(bands.values()) else {},
        "coefficients": coefficients if any(coefficients.values()) else {},
        "bonus_cap": form["bonus_cap"],
        "penalty_cap": form["penalty_cap"],
    }


def _settings_rows(version: SchemeVersion) -> list[tuple[str, str]]:
    """The settings in words, for a version that is not edited here."""
    labels = _labels(SchemeVersion, authoring.SETTINGS)
    bands = version.bands or {
        "outstanding": scoring.DEFAULT_BANDS.outstanding,
        "competent": scoring.DEFAULT_BANDS.competent,
        "basic": scoring.DEFAULT_BANDS.basic,
    }
    coefficients = version.coefficients or dict(scoring.DEFAULT_COEFFICIENTS)
    return [
        (labels["period_kind"], version.get_period_kind_display()),
        (labels["ranking"], version.get_ranking_display()),
        (labels["redistribute"], version.get_redistribute_display()),
        (labels["quota"], _num(version.quota)),
        (labels["quota_approved"], _num(version.quota_approved) or "—"),
        (labels["quota_approval"], version.quota_approval or "—"),
        (
            labels["bands"],
            " / ".join(f"{Grade(k).label} ≥ {_num(bands.get(k))}" for k in authoring.BAND_KEYS),
        ),
        (
            labels["coefficients"],
            " / ".join(f"{Grade(g).label} × {_num(coefficients.get(g))}" for g in Grade.values),
        ),
        (labels["bonus_cap"], _num(version.bonus_cap)),
        (labels["penalty_cap"], _num(version.penalty_cap)),
    ]


# --- bonus and penalty items ----------------------------------------------------------------------------

ADJUSTMENT_FIELDS = ("code", "name_zh", "name_en", "points")
# As the API accepts them (schemas.AdjustmentItemIn): a recorded item keeps its code in a 40-character field.
ADJUSTMENT_CODE_MAX_LENGTH = int(getattr(Adjustment._meta.get_field("code"), "max_length", None) or 40)
ADJUSTMENT_NAME_MAX_LENGTH = 100
ADJUSTMENT_ITEMS_MAX = 100


@dataclass
class AdjustmentRow:
    """One bonus or penalty item as typed, every value kept as text."""

    code: str = ""
    name_zh: str = ""
    name_en: str = ""
    points: str = ""

    def blank(self) -> bool:
        return not any(getattr(self, name).strip() for name in ADJUSTMENT_FIELDS)


def _stored_adjustments(version: SchemeVersion) -> list[dict[str, Any]]:
    items = version.adjustment_items
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def adjustment_rows_from_version(version: SchemeVersion) -> list[AdjustmentRow]:
    return [
        AdjustmentRow(
            code=str(item.get("code", "")),
            name_zh=str(item.get("name_zh", "")),
            name_en=str(item.get("name_en", "")),
            points=_num(item.get("points")),
        )
        for item in _stored_adjustments(version)
    ]


def adjustment_rows_from_post(post: QueryDict) -> list[AdjustmentRow]:
    columns = {name: post.getlist(f"adjustment-{name}") for name in ADJUSTMENT_FIELDS}
    count = min(max(len(column) for column in columns.values()), ADJUSTMENT_ITEMS_MAX + 1)
    return [
        AdjustmentRow(
            **{
                name: (column[r] if r < len(column) else "")[:FIELD_MAX_LENGTH]
                for name, column in columns.items()
            }
        )
        for r in range(count)
    ]


def _edit_adjustments(rows: list[AdjustmentRow], op: str) -> None:
    """Apply one add/remove button to the rows as posted; an out-of-range position changes nothing."""
    name, _sep, rest = op.partition(":")
    if name == "add_row" and len(rows) < ADJUSTMENT_ITEMS_MAX:
        rows.append(AdjustmentRow())
    elif name == "remove_row" and rest.isdigit() and int(rest) < len(rows):
        del rows[int(rest)]


def read_adjustments(rows: list[AdjustmentRow]) -> tuple[list[dict[str, str]], list[str]]:
    """The items for the service (wholly blank rows left out) and what the form itself cannot take; the
    service checks the rest (names and points given, codes unique, points within the caps)."""
    problems: list[str] = []
    items: list[dict[str, str]] = []
    for number, row in enumerate(rows, start=1):
        if row.blank():
            continue
        item = {name: getattr(row, name).strip() for name in ADJUSTMENT_FIELDS}
        if len(item["code"]) > ADJUSTMENT_CODE_MAX_LENGTH:
            problems.append(
                _("Bonus or penalty item %(row)s: the code is at most %(max)s characters.")
                % {"row": number, "max": ADJUSTMENT_CODE_MAX_LENGTH}
            )
        if max(len(item["name_zh"]), len(item["name_en"])) > ADJUSTMENT_NAME_MAX_LENGTH:
            problems.append(
                _("Bonus or penalty item %(row)s: each name is at most %(max)s characters.")
                % {"row": number, "max": ADJUSTMENT_NAME_MAX_LENGTH}
            )
        items.append(item)
    if len(items) > ADJUSTMENT_ITEMS_MAX:
        problems.append(_("At most %(max)s bonus and penalty items.") % {"max": ADJUSTMENT_ITEMS_MAX})
    return items, problems


def _signed(value: Any) -> str:
    text = _num(value)
    number = _float(text) if text else None
    return f"+{text}" if number is not None and number > 0 else text


def _read_only_adjustments(version: SchemeVersion) -> list[dict[str, str]]:
    return [
        {
            "code": str(item.get("code", "")),
            "name_zh": str(item.get("name_zh", "")),
            "name_en": str(item.get("name_en", "")),
            "points": _signed(item.get("points")),
        }
        for item in _stored_adjustments(version)
    ]


# --- pages ----------------------------------------------------------------------------------------------


def _staff(request: HttpRequest, perm: Perm = Perm.ASSESSMENT_VIEW) -> User:
    """Deny by default: anyone but staff holding `perm` somewhere gets 404."""
    user = request.user
    if not isinstance(user, User) or user.kind != UserKind.STAFF or not has_perm(user, perm):
        raise Http404
    return user


def _version(version_id: int) -> SchemeVersion:
    version = (
        SchemeVersion.objects.select_related("scheme", "author", "approver").filter(pk=version_id).first()
    )
    if version is None:
        raise Http404
    return version


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    schemes = Scheme.objects.prefetch_related(
        Prefetch(
            "versions",
            queryset=SchemeVersion.objects.select_related("author", "approver").order_by("-number"),
        )
    ).order_by("code")
    rows = []
    for scheme in schemes:
        versions = list(scheme.versions.all())
        rows.append(
            {
                "scheme": scheme,
                "versions": versions,
                "open": next((v for v in versions if v.status in OPEN_STATUSES), None),
            }
        )
    return render(
        request,
        "assessment/scheme_list.html",
        {"rows": rows, "can_edit": has_perm(user, Perm.ASSESSMENT_EDIT)},
    )


@login_required
@require_POST
def scheme_draft(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request, Perm.ASSESSMENT_EDIT)
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise Http404
    try:
        version = services.scheme_version_draft(actor=user, scheme=scheme)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("assessment:scheme_list")
    messages.success(request, _("Draft version %(number)s started.") % {"number": version.number})
    return redirect("assessment:scheme_editor", version_id=version.pk)


def _context(
    user: User,
    version: SchemeVersion,
    *,
    groups: list[GroupForm] | None = None,
    form: dict[str, str] | None = None,
    adjustment_rows: list[AdjustmentRow] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    editable = version.status == SchemeStatus.DRAFT and has_perm(user, Perm.ASSESSMENT_EDIT)
    choices = group_choices(version.scheme)
    stored = list(SchemeItem.objects.filter(version=version).order_by("group", "pk"))
    options = indicator_options()
    context: dict[str, Any] = {
        "version": version,
        "scheme": version.scheme,
        "editable": editable,
        "group_choices": list(choices.items()),
        "group_codes": list(choices),
        "indicators": options,
        "indicator_codes": [o.code for o in options],
        "rule_kinds": rule_kinds(),
        "rule_kind_codes": [k for k, _label in rule_kinds()],
        "item_labels": _labels(SchemeItem, ("group", "indicator", "weight", "rule", "min_sample")),
        "setting_labels": _labels(SchemeVersion, authoring.SETTINGS),
        "scheme_labels": _labels(Scheme, ("subject",)),
        "adjustment_caps": {"bonus": _num(version.bonus_cap), "penalty": _num(version.penalty_cap)},
        "adjustment_code_max": ADJUSTMENT_CODE_MAX_LENGTH,
        "adjustment_name_max": ADJUSTMENT_NAME_MAX_LENGTH,
        "actions": [t for t in TRANSITIONS.values() if t.source == version.status and has_perm(user, t.perm)],
        "events": audit_event_list(
            user=user, target_type="assessment.schemeversion", target_id=str(version.pk)
        )[:HISTORY_LIMIT]
        if has_perm(user, Perm.AUDIT_VIEW)
        else None,
    }
    if editable:
        groups = groups if groups is not None else groups_from_items(stored)
        form = form if form is not None else settings_form(version)
        _items, problems, totals = read_tables(groups, choices)
        if adjustment_rows is None:
            adjustment_rows = adjustment_rows_from_version(version)
        context.update(
            adjustment_rows=adjustment_rows,
            can_add_adjustment=len(adjustment_rows) < ADJUSTMENT_ITEMS_MAX,
            groups=groups,
            problems=problems,
            totals=totals,
            form=form,
            periods=PeriodKind.choices,
            rankings=Ranking.choices,
            redistributions=Redistribute.choices,
            band_inputs=[
                {
                    "name": f"band_{key}",
                    "label": Grade(key).label,
                    "default": _num(getattr(scoring.DEFAULT_BANDS, key)),
                    "value": form[f"band_{key}"],
                }
                for key in authoring.BAND_KEYS
            ],
            coefficient_inputs=[
                {
                    "name": f"coefficient_{value}",
                    "label": label,
                    "default": _num(scoring.DEFAULT_COEFFICIENTS[value]),
                    "value": form[f"coefficient_{value}"],
                }
                for value, label in Grade.choices
            ],
        )
    else:
        context.update(
            tables=_read_only_tables(stored, choices),
            settings_rows=_settings_rows(version),
            adjustment_items=_read_only_adjustments(version),
        )
    context.update(extra)
    return context


def _read_only_tables(stored: list[SchemeItem], choices: dict[str, str]) -> list[dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for item in stored:
        table = tables.setdefault(
            item.group, {"code": item.group, "label": choices.get(item.group, item.group), "rows": []}
        )
        indicator = lib.INDICATORS.get(item.indicator)
        table["rows"].append(
            {
                "item": item,
                "name": indicator_name(item.indicator),
                "unit": unit_label(indicator.unit) if indicator else "",
                "direction": direction_label(indicator.direction) if indicator else "",
                "weight": _num(item.weight),
                "rule": rule_text(item.rule),
            }
        )
    for table in tables.values():
        table["total"] = _num(math.fsum(row["item"].weight for row in table["rows"]))
    return list(tables.values())


@login_required
def scheme_editor(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _staff(request)
    return render(request, "assessment/scheme_editor.html", _context(user, _version(version_id)))


@login_required
@require_POST
def scheme_check(request: HttpRequest, version_id: int) -> HttpResponse:
    """Live validation: the problems with the tables as typed and each weight total; saves nothing."""
    _staff(request, Perm.ASSESSMENT_EDIT)
    version = _version(version_id)
    _items, problems, totals = read_tables(groups_from_post(request.POST), group_choices(version.scheme))
    return render(
        request, "assessment/partials/scheme_problems.html", {"problems": problems, "totals": totals}
    )


@login_required
@require_POST
def scheme_items(request: HttpRequest, version_id: int) -> HttpResponse:
    """The weight tables form: add or remove a row or table, check, or save (refused while invalid)."""
    user = _staff(request, Perm.ASSESSMENT_EDIT)
    version = _version(version_id)
    groups = groups_from_post(request.POST)
    op = request.POST.get("op", "check")
    extra: dict[str, Any] = {}
    if op == "save":
        items, problems, _totals = read_tables(groups, group_choices(version.scheme))
        if problems:
            extra["items_error"] = _("The weight tables are not valid: nothing was saved.")
        else:
            try:
                services.scheme_items_set(actor=user, version=version, items=items)
            except DomainError as error:
                extra["items_error"] = str(error.message)
            else:
                extra["items_notice"] = _("The weight tables are saved.")
    else:
        _edit(groups, op)
    # Once saved, the tables are shown as stored.
    shown = None if "items_notice" in extra else groups
    context = _context(user, _version(version_id), groups=shown, **extra)
    if _is_htmx(request):
        return render(request, "assessment/partials/scheme_items.html", context)
    return render(request, "assessment/scheme_editor.html", context)


@login_required
@require_POST
def scheme_settings(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _staff(request, Perm.ASSESSMENT_EDIT)
    version = _version(version_id)
    form = {name: request.POST.get(name, "").strip()[:FIELD_MAX_LENGTH] for name in SETTINGS_FIELDS}
    form["quota_approval"] = request.POST.get("quota_approval", "").strip()[
        : authoring.QUOTA_APPROVAL_MAX_LENGTH + 1
    ]
    try:
        authoring.scheme_version_settings_set(actor=user, version=version, **settings_from_form(form))
    except DomainError as error:
        context = _context(user, _version(version_id), form=form, settings_error=error)
    else:
        if not _is_htmx(request):
            messages.success(request, _("The settings are saved."))
            return redirect("assessment:scheme_editor", version_id=version.pk)
        # The caps beside the bonus and penalty items follow the saved settings (an out-of-band swap).
        context = _context(
            user, _version(version_id), settings_notice=_("The settings are saved."), caps_oob=True
        )
    if _is_htmx(request):
        return render(request, "assessment/partials/scheme_settings.html", context)
    return render(request, "assessment/scheme_editor.html", context)


@login_required
@require_POST
def scheme_adjustment_items(request: HttpRequest, version_id: int) -> HttpResponse:
    """The bonus and penalty items form: add or remove a row, or save (refused, input kept, while invalid)."""
    user = _staff(request, Perm.ASSESSMENT_EDIT)
    version = _version(version_id)
    rows = adjustment_rows_from_post(request.POST)
    op = request.POST.get("op", "")
    extra: dict[str, Any] = {}
    if op == "save":
        items, problems = read_adjustments(rows)
        try:
            # A version that is not a draft is refused as such by the service, whatever was typed.
            if problems and version.status == SchemeStatus.DRAFT:
                problems += services.adjustment_items_check(
                    items, bonus_cap=version.bonus_cap, penalty_cap=version.penalty_cap
                )
                raise ValidationFailed(
                    _("The bonus and penalty items are not valid."),
                    code="invalid_adjustment_items",
                    detail={"problems": problems},
                )
            services.scheme_adjustment_items_set(actor=user, version=version, items=items)
        except DomainError as error:
            extra["adjustment_error"] = error
        else:
            notice = _("The bonus and penalty items are saved.")
            if not _is_htmx(request):
                messages.success(request, notice)
                return redirect("assessment:scheme_editor", version_id=version.pk)
            # Once saved, the items are shown as stored.
            context = _context(user, _version(version_id), adjustment_notice=notice)
            return render(request, "assessment/partials/scheme_adjustments.html", context)
    else:
        _edit_adjustments(rows, op)
    context = _context(user, _version(version_id), adjustment_rows=rows, **extra)
    if _is_htmx(request):
        return render(request, "assessment/partials/scheme_adjustments.html", context)
    return render(request, "assessment/scheme_editor.html", context)


@login_required
@require_POST
def scheme_transition(request: HttpRequest, version_id: int, action: str) -> HttpResponse:
    """Submit, send back, approve or retire. The whole page changes with the status, so no partial."""
    user = _staff(request)
    version = _version(version_id)
    rule = TRANSITIONS.get(action)
    if rule is None or not has_perm(user, rule.perm):
        raise Http404
    try:
        version = services.scheme_version_transition(actor=user, version=version, transition=action)
    except DomainError as error:
        context = _context(user, _version(version_id), transition_error=error)
        return render(request, "assessment/scheme_editor.html", context)
    messages.success(
        request, _("The version is now %(status)s.") % {"status": SchemeStatus(version.status).label}
    )
    return redirect("assessment:scheme_editor", version_id=version.pk)
