"""Open data: a live publication's figures as CSV and JSON, one row per subject and indicator, and the data
dictionary that describes every column. The rows are built from the same disclosed figures the pages show,
so a withheld number is withheld in every format; the dictionary is built from the same column list the
files are, so the two cannot drift apart (docs/open-data.md is checked against it by the tests)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.assessment import indicators as lib
from civicpulse.publication.disclosure import DEFAULT_THRESHOLD
from civicpulse.publication.enums import SubjectKind
from civicpulse.publication.indicators import PUBLISHED, RANKED_BY
from civicpulse.publication.models import PublishedPeriod
from civicpulse.publication.selectors import Category, PublicResults, PublicSubject

DIGITS = 6
FILES = (SubjectKind.DEPARTMENT, SubjectKind.SERVICE)
FILE_NAMES = {SubjectKind.DEPARTMENT: "departments", SubjectKind.SERVICE: "services"}
LANGUAGES = ("en", "zh-hans")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: Promise


COLUMNS: tuple[Column, ...] = (
    Column("period", "string", _("The period: 2026-05 (a month), 2026-Q2 (a quarter) or 2026 (a year).")),
    Column("period_start", "date", _("First day of the period.")),
    Column("period_end", "date", _("Last day of the period.")),
    Column(
        "cutoff",
        "datetime",
        _("Data cut-off: the records as they stood at this moment (the time of publishing)."),
    ),
    Column("organisation_code", "string", _("Code of the organisation whose results these are.")),
    Column("subject_kind", "string", _("department or service.")),
    Column("subject_code", "string", _("Code of the department or service.")),
    Column("subject_name_zh", "string", _("Name in Chinese, as it was when published.")),
    Column("subject_name_en", "string", _("Name in English, as it was when published.")),
    Column(
        "category_code",
        "string",
        _("Departments: the assessment category; departments are ranked only within their category."),
    ),
    Column("category_name_zh", "string", _("Departments: the category's name in Chinese.")),
    Column("category_name_en", "string", _("Departments: the category's name in English.")),
    Column("department_code", "string", _("Services: the department responsible for the service.")),
    Column("department_name_zh", "string", _("Services: the responsible department's name in Chinese.")),
    Column("department_name_en", "string", _("Services: the responsible department's name in English.")),
    Column("indicator", "string", _("Code of the indicator (see the indicators below).")),
    Column("indicator_name_zh", "string", _("Name of the indicator in Chinese.")),
    Column("indicator_name_en", "string", _("Name of the indicator in English.")),
    Column(
        "unit",
        "string",
        _("proportion (a rate between 0 and 1: 0.875 is 87.5 %) or ratio (1.0 is exactly the reference)."),
    ),
    Column("value", "number", _("The indicator's value; empty when withheld or when nothing was counted.")),
    Column(
        "interval_low", "number", _("Rates: lower bound of the 95 % Wilson interval; empty when withheld.")
    ),
    Column(
        "interval_high", "number", _("Rates: upper bound of the 95 % Wilson interval; empty when withheld.")
    ),
    Column(
        "numerator",
        "number",
        _(
            "Rates: the records that count as a hit (good reviews, cases on time); speed: the sum of the "
            "ratios; adjusted speed: the working days used. Empty when withheld."
        ),
    ),
    Column(
        "n",
        "integer",
        _(
            "The sample: records counted (valid evaluations, completed cases); empty when under the "
            "threshold."
        ),
    ),
    Column(
        "insufficient_data",
        "boolean",
        _(
            "true when the sample is below the minimum for a fair comparison: such a department is not "
            "ranked."
        ),
    ),
    Column(
        "suppressed",
        "boolean",
        _("true when the value is withheld because the sample or the numerator is under the threshold."),
    ),
    Column("n_suppressed", "boolean", _("true when the sample itself is under the threshold and withheld.")),
    Column(
        "suppressed_below",
        "integer",
        _("The threshold: counts under it are withheld (10 unless configured otherwise)."),
    ),
    Column(
        "rank",
        "integer",
        _(
            "Departments, good-review rate only: the rank within the category by the lower bound of the "
            "Wilson interval (1 is best; ties share a rank); empty when not ranked."
        ),
    ),
    Column(
        "ranked_in_category", "integer", _("Departments: how many departments of the category are ranked.")
    ),
    Column("guide_url", "string", _("Services: the address of the service guide, when it is published.")),
)
NAMES = tuple(c.name for c in COLUMNS)


def _local(moment: dt.datetime) -> str:
    """A moment in the installation's time zone, with its offset: 2026-06-08T10:00:00+08:00."""
    return timezone.localtime(moment).isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _rows_of(
    period: PublishedPeriod, subject: PublicSubject, category: Category | None, base: str
) -> list[dict[str, Any]]:
    rows = []
    for indicator in PUBLISHED:
        figure = subject.figures.get(indicator.code)
        if figure is None:
            continue
        definition = lib.INDICATORS[indicator.code]
        numerator: float | int | None = figure.numerator
        if numerator is not None and figure.kind == "rate":
            numerator = int(numerator)
        rows.append(
            {
                "period": period.label,
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "cutoff": _local(period.cutoff),
                "organisation_code": period.scope_code,
                "subject_kind": subject.kind,
                "subject_code": subject.code,
                "subject_name_zh": subject.name_zh,
                "subject_name_en": subject.name_en,
                "category_code": subject.category_code,
                "category_name_zh": subject.category_name_zh,
                "category_name_en": subject.category_name_en,
                "department_code": subject.department_code,
                "department_name_zh": subject.department_name_zh,
                "department_name_en": subject.department_name_en,
                "indicator": indicator.code,
                "indicator_name_zh": definition.name_zh,
                "indicator_name_en": definition.name_en,
                "unit": "proportion" if definition.unit == "%" else "ratio",
                "value": _round(figure.value),
                "interval_low": _round(figure.low),
                "interval_high": _round(figure.high),
                "numerator": _round(numerator) if isinstance(numerator, float) else numerator,
                "n": figure.n,
                "insufficient_data": figure.insufficient,
                "suppressed": figure.suppressed,
                "n_suppressed": figure.n_suppressed,
                "suppressed_below": figure.threshold,
                "rank": figure.rank,
                "ranked_in_category": category.ranked if category and indicator.code == RANKED_BY else None,
                "guide_url": f"{base}/services/{subject.code}/" if subject.guide else None,
            }
        )
    return rows


def rows(
    period: PublishedPeriod, results: PublicResults, kind: str, *, base: str = ""
) -> list[dict[str, Any]]:
    """The file's rows: departments by category and code, or services by code. `base` is the site's
    address, for the guide links."""
    found: list[dict[str, Any]] = []
    if kind == SubjectKind.DEPARTMENT:
        for category in results.categories:
            for subject in sorted(category.departments, key=lambda d: d.code):
                found += _rows_of(period, subject, category, base)
    else:
        for subject in sorted(results.services, key=lambda s: s.code):
            found += _rows_of(period, subject, None, base)
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_csv(found: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(NAMES)
    for row in found:
        writer.writerow([_cell(row[name]) for name in NAMES])
    return out.getvalue()


def period_meta(period: PublishedPeriod, base: str = "") -> dict[str, Any]:
    files = {
        f"{FILE_NAMES[kind]}_{ext}": f"{base}/open-data/{period.slug}/{FILE_NAMES[kind]}.{ext}"
        for kind in FILES
        for ext in ("csv", "json")
    }
    return {
        "slug": period.slug,
        "period": period.label,
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "cutoff": _local(period.cutoff),
        "published_at": _local(period.published_at),
        "organisation_code": period.scope_code,
        "organisation_name_zh": period.scope_name_zh,
        "organisation_name_en": period.scope_name_en,
        "min_sample": period.min_sample,
        "suppressed_below": period.suppress_below,
        "digest": period.digest,
        "page": f"{base}/results/{period.slug}/",
        **files,
    }


def as_json(period: PublishedPeriod, found: list[dict[str, Any]], base: str = "") -> dict[str, Any]:
    return {
        "publication": period_meta(period, base),
        "dictionary": f"{base}/open-data/dictionary.json",
        "columns": list(NAMES),
        "rows": found,
    }


def _both(text: Promise) -> dict[str, str]:
    found = {}
    for language in LANGUAGES:
        with translation.override(language):
            found[language] = str(text)
    return found


def dictionary() -> dict[str, Any]:
    """The data dictionary, in both languages."""
    return {
        "files": {
            "departments": [
                "/open-data/<publication>/departments.csv",
                "/open-data/<publication>/departments.json",
            ],
            "services": ["/open-data/<publication>/services.csv", "/open-data/<publication>/services.json"],
            "index": "/open-data/index.json",
        },
        "encoding": "UTF-8, comma-separated, one header row; JSON rows carry the same keys",
        "columns": [{"name": c.name, "type": c.type, "description": _both(c.description)} for c in COLUMNS],
        "indicators": [
            {
                "code": i.code,
                "name_zh": i.definition.name_zh,
                "name_en": i.definition.name_en,
                "unit": "proportion" if i.unit == "%" else "ratio",
                "better": i.definition.direction,
                "minimum_sample": i.definition.min_sample,
                "description": _both(i.explanation),
            }
            for i in PUBLISHED
        ],
        "suppression": {
            "default_threshold": DEFAULT_THRESHOLD,
            "description": _both(
                _(
                    "A value, its interval and its numerator are withheld when the sample, or for a rate the "
                    "numerator, is under the threshold; the sample is withheld when it is itself under the "
                    "threshold. Withheld numbers are empty in CSV and null in JSON, with the flags set."
                )
            ),
        },
    }
