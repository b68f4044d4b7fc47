"""Reads of the quality system, scoped to the units the user covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.catalogue.models import ProcedureVersion
from civicpulse.core.errors import NotFound
from civicpulse.core.models import AuditEvent
from civicpulse.core.workdays import local_date
from civicpulse.quality.enums import OPEN_NC, ActionStatus, VersionStatus
from civicpulse.quality.models import Acknowledgement, Action, Document, DocumentVersion, Nonconformity
from civicpulse.quality.services import bound_readers


def nc_scope(user: User | AnonymousUser, perm: Perm = Perm.QUALITY_VIEW) -> Q:
    """Nonconformities of a unit the user covers (a hall window's: through the department it serves), or of
    a service whose responsible unit they cover."""
    return (
        unit_filter(user, perm, "unit")
        | unit_filter(user, perm, "unit__serving_unit")
        | (Q(unit__isnull=True) & unit_filter(user, perm, "service__responsible_unit"))
    )


def nc_list(*, user: User | AnonymousUser, status: str = "") -> QuerySet[Nonconformity]:
    rows = Nonconformity.objects.filter(nc_scope(user)).select_related("unit", "service", "owner")
    if status == "open":
        rows = rows.filter(status__in=OPEN_NC)
    elif status:
        rows = rows.filter(status=status)
    return rows.order_by("-raised_at", "-pk")


def access_nc(user: User | AnonymousUser, number: str) -> Nonconformity:
    """One nonconformity by number, for someone whose units it concerns or who owns one of its actions;
    404 whether it is missing or out of reach."""
    owner = Q(actions__owner=user) if isinstance(user, User) else Q(pk__in=[])
    found = (
        Nonconformity.objects.filter(nc_scope(user) | owner, number=number)
        .select_related("unit", "service", "owner")
        .distinct()
        .first()
    )
    if found is None:
        raise NotFound(code="not_found")
    return found


def timeline_of(target: Model) -> QuerySet[AuditEvent]:
    """The audit events of one object, oldest first: the page's timeline."""
    return (
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )


def nc_timeline(nc: Nonconformity) -> QuerySet[AuditEvent]:
    return timeline_of(nc)


@dataclass(frozen=True)
class Workspace:
    open_by_severity: dict[str, int]
    open_by_age: dict[str, int]
    oldest: list[Nonconformity]
    actions_due: list[Action]
    documents_due: list[DocumentVersion]
    procedures_due: list[ProcedureVersion] = field(default_factory=list)


_AGES = (("under_30", 0, 30), ("30_to_90", 30, 90), ("over_90", 90, 100_000))


def workspace(*, user: User | AnonymousUser, today: dt.date) -> Workspace:
    """The quality office's desk: open nonconformities by severity and age, the actions due in the next
    two weeks or overdue, and the documents whose review is due within a month."""
    open_rows = nc_list(user=user, status="open")
    by_severity: dict[str, int] = {}
    by_age = {label: 0 for label, _low, _high in _AGES}
    for severity, raised_at in open_rows.values_list("severity", "raised_at"):
        by_severity[severity] = by_severity.get(severity, 0) + 1
        age = (today - local_date(raised_at, timezone.get_default_timezone())).days
        for label, low, high in _AGES:
            if low <= age < high:
                by_age[label] += 1
    actions = list(
        Action.objects.filter(
            status=ActionStatus.OPEN,
            due_on__lte=today + dt.timedelta(days=14),
            nonconformity__in=open_rows.values("pk"),
        )
        .select_related("nonconformity", "owner")
        .order_by("due_on", "pk")[:50]
    )
    return Workspace(
        open_by_severity=by_severity,
        open_by_age=by_age,
        oldest=list(open_rows.order_by("raised_at", "pk")[:10]),
        actions_due=actions,
        documents_due=list(
            document_versions(user=user)
            .filter(status=VersionStatus.EFFECTIVE, review_due__lte=today + dt.timedelta(days=30))
            .order_by("review_due")[:50]
        ),
    )


def documents(*, user: User | AnonymousUser) -> QuerySet[Document]:
    """Documents owned by a unit the user may read."""
    return Document.objects.filter(unit_filter(user, Perm.QUALITY_VIEW, "owner_unit"))


def document_versions(*, user: User | AnonymousUser) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(
        unit_filter(user, Perm.QUALITY_VIEW, "document__owner_unit")
    ).select_related("document", "author", "approver")


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register of controlled documents: a document kept here or a service procedure."""

    code: str
    title: str
    kind: str
    version: int
    status: str
    author: str
    approver: str
    effective_on: dt.date | None
    review_due: dt.date | None
    review_overdue: bool
    url: str


def document_register(*, user: User | AnonymousUser, today: dt.date, english: bool) -> list[RegisterRow]:
    """Every controlled document in force in the user's units: documents kept here (their effective
    version, or the draft of a document never yet approved) and the catalogue's published procedures,
    whose review falls due a document-review interval after publication."""
    from civicpulse.quality.services import _add_months, _setting

    months = int(str(_setting("DOCUMENT_REVIEW_MONTHS")))
    rows: list[RegisterRow] = []
    documents = (
        Document.objects.filter(unit_filter(user, Perm.QUALITY_VIEW, "owner_unit"))
        .prefetch_related("versions__author", "versions__approver")
        .order_by("code")
    )
    for document in documents:
        versions = sorted(document.versions.all(), key=lambda v: -v.number)
        shown = next(
            (v for v in versions if v.status == VersionStatus.EFFECTIVE), versions[0] if versions else None
        )
        if shown is None:
            continue
        rows.append(
            RegisterRow(
                code=document.code,
                title=document.title_en if english else document.title_zh,
                kind=document.get_kind_display(),
                version=shown.number,
                status=shown.get_status_display(),
                author=shown.author.display_name,
                approver=shown.approver.display_name if shown.approver else "",
                effective_on=shown.effective_on,
                review_due=shown.review_due,
                review_overdue=shown.review_due is not None and shown.review_due < today,
                url=f"/staff/quality/documents/{document.code}/",
            )
        )
    procedures = (
        ProcedureVersion.objects.filter(
            unit_filter(user, Perm.QUALITY_VIEW, "service__responsible_unit"), status="published"
        )
        .select_related("service", "author", "approver")
        .order_by("service__code")
    )
    for version in procedures:
        published = version.published_at.date() if version.published_at else None
        due = _add_months(published, months) if published else None
        rows.append(
            RegisterRow(
                code=version.service.code,
                title=version.service.name_en if english else version.service.name_zh,
                kind="procedure",
                version=version.number,
                status=version.get_status_display(),
                author=version.author.display_name if version.author else "",
                approver=version.approver.display_name if version.approver else "",
                effective_on=published,
                review_due=due,
                review_overdue=due is not None and due < today,
                url=f"/services/{version.service.code}/",
            )
        )
    return rows


@dataclass(frozen=True)
class Acknowledgements:
    version: DocumentVersion
    done: list[tuple[User, dt.datetime]]
    missing: list[User]


def acknowledgements(version: DocumentVersion) -> Acknowledgements:
    """Who the effective version binds, who has acknowledged it and who has not."""
    readers = bound_readers(version.document)
    at = dict(version.acknowledgements.values_list("user_id", "at"))
    return Acknowledgements(
        version=version,
        done=[(u, at[u.pk]) for u in readers if u.pk in at],
        missing=[u for u in readers if u.pk not in at],
    )


def my_documents(*, user: User) -> list[DocumentVersion]:
    """The effective versions that bind the user and that they have not acknowledged yet."""
    roles = set(user.role_assignments.values_list("role", flat=True))
    read = set(Acknowledgement.objects.filter(user=user).values_list("version_id", flat=True))
    found = []
    for version in DocumentVersion.objects.filter(status=VersionStatus.EFFECTIVE).select_related(
        "document__owner_unit"
    ):
        # Only documents naming one of the user's roles can bind them: the rest need no query.
        if version.pk in read or not roles & set(version.document.roles):
            continue
        if user in bound_readers(version.document):
            found.append(version)
    return found
