"""Publishing results is the quality office's deliberate act: one transaction computes a complete period's
figures once, as of that moment, and stores them frozen with the examples the office kept; withdrawing
hides a publication (its rows stay) with a reason. Both leave an audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import asdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.publication import compute
from civicpulse.publication.disclosure import DEFAULT_THRESHOLD, value_withheld
from civicpulse.publication.enums import PublicationStatus, SubjectKind
from civicpulse.publication.models import PublishedExample, PublishedFigure, PublishedPeriod

DEFAULT_EXAMPLES = 12
REASON_CHARS = 2000


def suppression_threshold() -> int:
    return int(str(settings.CIVICPULSE.get("PUBLICATION_SUPPRESS_BELOW", DEFAULT_THRESHOLD)))


def ranking_min_sample() -> int | None:
    """The minimum sample below which a figure is "insufficient data" and a unit is not ranked; None
    keeps each indicator's own minimum from the indicator library (30 ratings for a rate)."""
    value = settings.CIVICPULSE.get("PUBLICATION_MIN_SAMPLE")
    return None if value is None else int(str(value))


def examples_limit() -> int:
    return int(str(settings.CIVICPULSE.get("PUBLICATION_EXAMPLES", DEFAULT_EXAMPLES)))


def require_publisher(actor: User, scope: OrgUnit) -> None:
    if not has_perm_on_unit(actor, Perm.RESULTS_PUBLISH, scope):
        raise Forbidden(_("You do not have access to this."), code="forbidden")


def complete_period(label: str, *, now: dt.datetime) -> tuple[str, dt.date, dt.date]:
    """The period's canonical label and bounds; refused unless it is a month, quarter or year that has
    ended before today."""
    try:
        kind, start, end = compute.bounds(label)
    except ValueError:
        raise ValidationFailed(
            _("Give the period as 2026-10, 2026-Q3 or 2026."), code="invalid_period"
        ) from None
    if end >= compute.today_at(now):
        raise ValidationFailed(
            _("Only a complete period is published: %(period)s has not ended yet.") % {"period": label},
            code="period_not_complete",
        )
    return compute.period_label(kind, start), start, end


def _digest(result: compute.Computed, examples: list[compute.Example]) -> str:
    """A fingerprint of what was published, shown beside it: anyone can tell two copies apart."""
    body = {
        "period": result.label,
        "cutoff": result.cutoff.isoformat(),
        "subjects": [
            {"kind": s.kind, "code": s.code, "figures": {k: asdict(f) for k, f in sorted(s.figures.items())}}
            for s in (*result.departments, *result.services)
        ],
        "examples": [{**asdict(e), "month": e.month.isoformat()} for e in examples],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _slug(label: str, scope: OrgUnit) -> str:
    base = f"{label}-{scope.code}".lower()
    taken = set(PublishedPeriod.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _chosen(candidates: list[compute.Example], wanted: Collection[int] | None) -> list[compute.Example]:
    if wanted is None:
        return candidates
    offered = {e.order_id for e in candidates}
    unknown = sorted(set(wanted) - offered)
    if unknown:
        raise ValidationFailed(
            _("These examples are not offered for this period: %(ids)s.")
            % {"ids": ", ".join(str(i) for i in unknown)},
            code="unknown_example",
            detail={"examples": unknown},
        )
    kept = set(wanted)
    return [e for e in candidates if e.order_id in kept]


def _figure_rows(period: PublishedPeriod, subject: compute.Subject, threshold: int) -> list[PublishedFigure]:
    department = subject.kind == SubjectKind.DEPARTMENT
    return [
        PublishedFigure(
            period=period,
            subject_kind=subject.kind,
            subject_code=subject.code,
            subject_name_zh=subject.name_zh,
            subject_name_en=subject.name_en,
            unit_id=subject.id if department else None,
            service_id=None if department else subject.id,
            category_code=subject.category_code,
            category_name_zh=subject.category_name_zh,
            category_name_en=subject.category_name_en,
            department_code=subject.department_code,
            department_name_zh=subject.department_name_zh,
            department_name_en=subject.department_name_en,
            indicator=code,
            value=figure.value,
            low=figure.low,
            high=figure.high,
            raw=figure.raw,
            n=figure.n,
            numerator=figure.numerator,
            insufficient=figure.insufficient,
            suppressed=value_withheld(
                kind=figure.kind, n=figure.n, numerator=figure.numerator, threshold=threshold
            ),
            rank=figure.rank,
        )
        for code, figure in sorted(subject.figures.items())
    ]


@transaction.atomic
def period_publish(
    *,
    actor: User,
    scope: OrgUnit,
    period: str,
    examples: Collection[int] | None = None,
    min_sample: int | None = None,
) -> PublishedPeriod:
    """Publish a complete period of the scope's subtree. `examples` are the ids of the rectification
    orders the office kept from the preview (None: every one offered). `min_sample` replaces the setting
    (the demo county is too small for the library's minimum)."""
    require_publisher(actor, scope)
    now = clock.now()
    label, start, end = complete_period(period, now=now)
    if PublishedPeriod.objects.filter(scope=scope, label=label, status=PublicationStatus.LIVE).exists():
        raise Conflict(
            _("%(period)s is already published for %(unit)s; withdraw it first to publish it again.")
            % {"period": label, "unit": scope.name_zh},
            code="already_published",
        )
    threshold = suppression_threshold()
    sample = min_sample if min_sample is not None else ranking_min_sample()
    result = compute.computed(
        scope=scope,
        label=label,
        cutoff=now,
        min_sample=sample,
        threshold=threshold,
        examples=examples_limit(),
    )
    kept = _chosen(result.examples, examples)
    try:
        with transaction.atomic():
            published = PublishedPeriod.objects.create(
                slug=_slug(label, scope),
                label=label,
                kind=result.kind,
                start=start,
                end=end,
                cutoff=now,
                scope=scope,
                scope_code=scope.code,
                scope_name_zh=scope.name_zh,
                scope_name_en=scope.name_en,
                min_sample=sample,
                suppress_below=threshold,
                digest=_digest(result, kept),
                published_by=actor,
                published_at=now,
            )
    except IntegrityError:
        # Someone published the same period a moment ago.
        raise Conflict(
            _("%(period)s is already published for %(unit)s; withdraw it first to publish it again.")
            % {"period": label, "unit": scope.name_zh},
            code="already_published",
        ) from None
    PublishedFigure.objects.bulk_create(
        [
            row
            for s in (*result.departments, *result.services)
            for row in _figure_rows(published, s, threshold)
        ],
        batch_size=500,
    )
    PublishedExample.objects.bulk_create(
        PublishedExample(
            period=published,
            position=position,
            order_id=e.order_id,
            month=e.month,
            service_code=e.service_code,
            service_name_zh=e.service_name_zh,
            service_name_en=e.service_name_en,
            department_code=e.department_code,
            department_name_zh=e.department_name_zh,
            department_name_en=e.department_name_en,
            tags=e.tags,
            complaint=e.complaint,
            outcome=e.outcome,
            answer=e.answer,
            satisfaction=e.satisfaction,
        )
        for position, e in enumerate(kept, start=1)
    )
    audit_record(
        actor=actor,
        action="publication.period.published",
        target=published,
        unit=scope,
        data={
            "period": label,
            "departments": len(result.departments),
            "services": len(result.services),
            "examples": len(kept),
        },
    )
    return published


@transaction.atomic
def period_withdraw(*, actor: User, period: PublishedPeriod, reason: str) -> PublishedPeriod:
    """Hide a publication from the public with a reason; its figures stay as they were published."""
    require_publisher(actor, period.scope)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the results are withdrawn."), code="reason_required")
    if len(reason) > REASON_CHARS:
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.") % {"limit": REASON_CHARS}, code="too_long"
        )
    locked = PublishedPeriod.objects.select_for_update().get(pk=period.pk)
    if locked.status != PublicationStatus.LIVE:
        raise Conflict(_("These results are already withdrawn."), code="already_withdrawn")
    locked.status = PublicationStatus.WITHDRAWN
    locked.withdrawn_by = actor
    locked.withdrawn_at = clock.now()
    locked.withdrawal_reason = reason
    locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawal_reason"])
    audit_record(
        actor=actor,
        action="publication.period.withdrawn",
        target=locked,
        unit=locked.scope,
        data={"period": locked.label, "reason": reason},
    )
    return locked
