"""Reads of published results. The quality office's reads are scoped to the units it covers; the public's
reads see live publications only, and every number they carry has been through `disclosure.disclose`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, covered_paths, unit_filter
from civicpulse.assessment import indicators as lib
from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.models import ProcedureVersion
from civicpulse.core import clock
from civicpulse.core.errors import NotFound
from civicpulse.publication import compute, services
from civicpulse.publication.disclosure import Disclosed, Figure, disclose
from civicpulse.publication.enums import PublicationStatus, SubjectKind
from civicpulse.publication.indicators import RANKED_BY
from civicpulse.publication.models import PublishedExample, PublishedFigure, PublishedPeriod

# --- the quality office -----------------------------------------------------------------------------------


def period_list(*, user: User | AnonymousUser) -> QuerySet[PublishedPeriod]:
    """Publications of the units the user may publish for, live and withdrawn."""
    return (
        PublishedPeriod.objects.filter(unit_filter(user, Perm.RESULTS_PUBLISH, "scope"))
        .select_related("scope", "published_by", "withdrawn_by")
        .order_by("-start", "kind", "scope_code", "-published_at")
    )


def access_period(user: User | AnonymousUser, slug: str) -> PublishedPeriod:
    found = period_list(user=user).filter(slug=slug).first()
    if found is None:
        raise NotFound()
    return found


def publisher_scopes(*, user: User | AnonymousUser) -> list[OrgUnit]:
    """The units whose results the user may publish: the top of each subtree they cover."""
    return list(OrgUnit.objects.filter(path__in=covered_paths(user, Perm.RESULTS_PUBLISH)).order_by("path"))


def period_preview(*, user: User, scope: OrgUnit, period: str) -> compute.Computed:
    """What publishing the period now would publish (nothing is stored)."""
    services.require_publisher(user, scope)
    now = clock.now()
    label, _start, _end = services.complete_period(period, now=now)
    return compute.computed(
        scope=scope,
        label=label,
        cutoff=now,
        min_sample=services.ranking_min_sample(),
        threshold=services.suppression_threshold(),
        examples=services.examples_limit(),
    )


def live_labels(*, scope: OrgUnit) -> set[str]:
    return set(
        PublishedPeriod.objects.filter(scope=scope, status=PublicationStatus.LIVE).values_list(
            "label", flat=True
        )
    )


# --- the public -------------------------------------------------------------------------------------------


def live_periods() -> QuerySet[PublishedPeriod]:
    return PublishedPeriod.objects.filter(status=PublicationStatus.LIVE).order_by(
        "-start", "kind", "scope_code", "-published_at"
    )


def live_period(*, slug: str) -> PublishedPeriod:
    """A live publication by its address; a withdrawn or unknown one is not found."""
    found = live_periods().filter(slug=slug).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True, kw_only=True)
class PublicSubject:
    """A department or service as the public sees it: names of the day, disclosed figures."""

    kind: str
    code: str
    name_zh: str
    name_en: str
    category_code: str = ""
    category_name_zh: str = ""
    category_name_en: str = ""
    department_code: str = ""
    department_name_zh: str = ""
    department_name_en: str = ""
    figures: dict[str, Disclosed] = field(default_factory=dict)
    # The service has a published guide today, to link to.
    guide: bool = False

    @property
    def rank(self) -> int | None:
        ranked = self.figures.get(RANKED_BY)
        return ranked.rank if ranked else None


@dataclass(frozen=True, kw_only=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    departments: list[PublicSubject]

    @property
    def ranked(self) -> int:
        return sum(1 for d in self.departments if d.rank is not None)


@dataclass(frozen=True, kw_only=True)
class PublicExample:
    month: dt.date
    service_code: str
    service_name_zh: str
    service_name_en: str
    department_code: str
    department_name_zh: str
    department_name_en: str
    tags: list[dict[str, str]]
    complaint: str
    outcome: str
    answer: str
    satisfaction: str
    guide: bool = False
    # Only in the quality office's preview: the order it comes from, to keep or leave out.
    order_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PublicResults:
    threshold: int
    categories: list[Category]
    services: list[PublicSubject]
    examples: list[PublicExample]

    @property
    def departments(self) -> list[PublicSubject]:
        return [d for c in self.categories for d in c.departments]

    def department(self, code: str) -> PublicSubject:
        for d in self.departments:
            if d.code == code:
                return d
        raise NotFound()


def _guides(codes: Iterable[str]) -> set[str]:
    return set(
        ProcedureVersion.objects.filter(service__code__in=list(codes), status=VersionStatus.PUBLISHED)
        .values_list("service__code", flat=True)
        .distinct()
    )


def _categories(departments: list[PublicSubject]) -> list[Category]:
    grouped: dict[str, list[PublicSubject]] = defaultdict(list)
    for d in departments:
        grouped[d.category_code].append(d)
    categories = []
    for members in grouped.values():
        # Ranked first, by rank; the unranked after them, by code.
        members.sort(key=lambda d: (d.rank is None, d.rank or 0, d.code))
        first = members[0]
        categories.append(
            Category(
                code=first.category_code,
                name_zh=first.category_name_zh,
                name_en=first.category_name_en,
                departments=members,
            )
        )
    return sorted(categories, key=lambda c: c.code)


def _stored_figure(row: PublishedFigure) -> Figure:
    return Figure(
        indicator=row.indicator,
        kind=lib.INDICATORS[row.indicator].kind,
        value=row.value,
        low=row.low,
        high=row.high,
        n=row.n,
        numerator=row.numerator,
        raw=row.raw,
        insufficient=row.insufficient,
        rank=row.rank,
    )


def public_results(*, period: PublishedPeriod) -> PublicResults:
    """A publication's figures and examples as anyone may read them."""
    threshold = period.suppress_below
    subjects: dict[tuple[str, str], PublicSubject] = {}
    for row in PublishedFigure.objects.filter(period=period).order_by(
        "subject_kind", "subject_code", "indicator"
    ):
        key = (row.subject_kind, row.subject_code)
        if key not in subjects:
            subjects[key] = PublicSubject(
                kind=row.subject_kind,
                code=row.subject_code,
                name_zh=row.subject_name_zh,
                name_en=row.subject_name_en,
                category_code=row.category_code,
                category_name_zh=row.category_name_zh,
                category_name_en=row.category_name_en,
                department_code=row.department_code,
                department_name_zh=row.department_name_zh,
                department_name_en=row.department_name_en,
            )
        subjects[key].figures[row.indicator] = disclose(_stored_figure(row), threshold=threshold)
    examples = list(PublishedExample.objects.filter(period=period).order_by("position"))
    guides = _guides(
        [code for kind, code in subjects if kind == SubjectKind.SERVICE] + [e.service_code for e in examples]
    )
    departments = [s for (kind, _code), s in subjects.items() if kind == SubjectKind.DEPARTMENT]
    services_ = [
        replace(s, guide=s.code in guides)
        for (kind, _code), s in subjects.items()
        if kind == SubjectKind.SERVICE
    ]
    return PublicResults(
        threshold=threshold,
        categories=_categories(departments),
        services=services_,
        examples=[_public_example(e, e.service_code in guides) for e in examples],
    )


def _public_example(
    e: PublishedExample | compute.Example, guide: bool, order_id: int | None = None
) -> PublicExample:
    return PublicExample(
        month=e.month,
        service_code=e.service_code,
        service_name_zh=e.service_name_zh,
        service_name_en=e.service_name_en,
        department_code=e.department_code,
        department_name_zh=e.department_name_zh,
        department_name_en=e.department_name_en,
        tags=list(e.tags),
        complaint=e.complaint,
        outcome=e.outcome,
        answer=e.answer,
        satisfaction=e.satisfaction,
        guide=guide,
        order_id=order_id,
    )


def preview_results(*, computed: compute.Computed, threshold: int) -> PublicResults:
    """A preview in the shape the public will read, so the office sees exactly what goes out."""

    def public(s: compute.Subject, guides: set[str]) -> PublicSubject:
        return PublicSubject(
            kind=s.kind,
            code=s.code,
            name_zh=s.name_zh,
            name_en=s.name_en,
            category_code=s.category_code,
            category_name_zh=s.category_name_zh,
            category_name_en=s.category_name_en,
            department_code=s.department_code,
            department_name_zh=s.department_name_zh,
            department_name_en=s.department_name_en,
            figures={code: disclose(f, threshold=threshold) for code, f in s.figures.items()},
            guide=s.code in guides,
        )

    guides = _guides([s.code for s in computed.services] + [e.service_code for e in computed.examples])
    return PublicResults(
        threshold=threshold,
        categories=_categories([public(d, guides) for d in computed.departments]),
        services=[public(s, guides) for s in computed.services],
        examples=[_public_example(e, e.service_code in guides, e.order_id) for e in computed.examples],
    )
