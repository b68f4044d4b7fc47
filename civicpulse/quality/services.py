"""Every write of the quality system: one transaction per use case, the permission checked again, an audit
event, notifications after commit. The scan (`quality_scan`) is the time-driven part: it raises
nonconformities from live data, escalates overdue actions and runs the effectiveness checks that are due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import Role, UserKind
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.assessment import indicators as lib
from civicpulse.cases.models import Case
from civicpulse.catalogue.models import ProcedureVersion, Service
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.calendars import calendar_code_for_unit_code, calendar_from_snapshot, calendar_snapshot
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.notify import notify
from civicpulse.core.workdays import add_working_days, local_date
from civicpulse.evaluations.enums import EvaluationStatus, Grade
from civicpulse.evaluations.models import Evaluation
from civicpulse.quality.enums import (
    ActionKind,
    ActionStatus,
    CauseCategory,
    DocumentKind,
    NcStatus,
    RecordKind,
    Severity,
    Source,
    VersionStatus,
)
from civicpulse.quality.measure import measure
from civicpulse.quality.models import (
    Acknowledgement,
    Action,
    Document,
    DocumentVersion,
    Nonconformity,
    NonconformityRecord,
)


def _setting(name: str) -> Any:
    return settings.CIVICPULSE[name]


def _today() -> dt.date:
    return local_date(clock.now(), timezone.get_default_timezone())


def _forbidden() -> Forbidden:
    return Forbidden(_("You do not have access to this."), code="forbidden")


def _require_on(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    # No unit, no scope to hold the permission over: deny rather than accept it held anywhere.
    if unit is None or not has_perm_on_unit(actor, perm, unit):
        raise _forbidden()


def _text(value: str, what: str, limit: int = 4000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("%(what)s is required.") % {"what": what}, code="required")
    if len(value) > limit:
        raise ValidationFailed(
            _("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit},
            code="too_long",
        )
    return value


# --- controlled documents -----------------------------------------------------------------------------------


@transaction.atomic
def document_create(
    *,
    actor: User,
    code: str,
    title_zh: str,
    title_en: str,
    kind: str,
    owner_unit: OrgUnit,
    roles: Iterable[str],
    body: str,
    change_reason: str = "",
) -> DocumentVersion:
    """A new controlled document with its first draft."""
    _require_on(actor, Perm.QUALITY_MANAGE, owner_unit)
    code = _text(code, _("The code"), 40)
    if kind not in DocumentKind.values:
        raise ValidationFailed(_("Choose the kind of document."), code="invalid_kind")
    wanted = sorted(set(roles))
    if any(role not in Role.values for role in wanted):
        raise ValidationFailed(_("Choose roles from the list."), code="invalid_role")
    if Document.objects.filter(code=code).exists():
        raise Conflict(_("A document with this code exists."), code="document_exists")
    document = Document.objects.create(
        code=code,
        title_zh=_text(title_zh, _("The Chinese title"), 200),
        title_en=_text(title_en, _("The English title"), 200),
        kind=kind,
        owner_unit=owner_unit,
        roles=wanted,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        unit=document.owner_unit,
        actor=actor,
        action="quality.document.created",
        target=document,
        data={"code": code},
    )
    return _draft(actor, document, body, change_reason or _("First issue."))


def _draft(actor: User, document: Document, body: str, change_reason: str) -> DocumentVersion:
    if document.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).exists():
        raise Conflict(_("This document already has a version being prepared."), code="draft_exists")
    number = (document.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        body=_text(body, _("The text"), 100_000),
        change_reason=_text(change_reason, _("The reason for the change")),
        author=actor,
        created_at=clock.now(),
    )
    audit_record(
        unit=document.owner_unit,
        actor=actor,
        action="quality.document.drafted",
        target=document,
        data={"version": version.number},
    )
    return version


@transaction.atomic
def document_version_draft(
    *, actor: User, document: Document, body: str, change_reason: str
) -> DocumentVersion:
    """The next version of a document, as a draft (the effective one stays in force until it is approved)."""
    _require_on(actor, Perm.QUALITY_MANAGE, document.owner_unit)
    Document.objects.select_for_update().get(pk=document.pk)
    return _draft(actor, document, body, change_reason)


def _locked_version(actor: User, version: DocumentVersion, perm: Perm) -> DocumentVersion:
    """The version, locked for this transaction, once `actor` holds `perm` over its owner unit."""
    locked = (
        DocumentVersion.objects.select_for_update().select_related("document__owner_unit").get(pk=version.pk)
    )
    _require_on(actor, perm, locked.document.owner_unit)
    return locked


@transaction.atomic
def document_version_edit(
    *, actor: User, version: DocumentVersion, body: str, change_reason: str
) -> DocumentVersion:
    """The author corrects a draft (one sent back, say); what is in review or in force is never edited."""
    version = _locked_version(actor, version, Perm.QUALITY_MANAGE)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_("Only a draft is edited."), code="not_a_draft")
    if version.author_id != actor.pk:
        raise Forbidden(_("A draft is edited by its author."), code="not_the_author")
    version.body = _text(body, _("The text"), 100_000)
    version.change_reason = _text(change_reason, _("The reason for the change"))
    version.save(update_fields=["body", "change_reason"])
    audit_record(
        unit=version.document.owner_unit,
        actor=actor,
        action="quality.document.edited",
        target=version.document,
        data={"version": version.number},
    )
    return version


@transaction.atomic
def document_withdraw(*, actor: User, document: Document, reason: str) -> Document:
    """A document taken out of use: its effective version is withdrawn, a version in preparation
    discarded into the record as withdrawn too; nothing is deleted (ISO 9001 7.5.3.2: obsolete documents
    are kept, marked)."""
    document = Document.objects.select_for_update().select_related("owner_unit").get(pk=document.pk)
    _require_on(actor, Perm.DOCUMENT_APPROVE, document.owner_unit)
    live = document.versions.filter(
        status__in=[VersionStatus.EFFECTIVE, VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
    )
    if not live.exists():
        raise Conflict(_("This document is not in use."), code="not_in_use")
    live.update(status=VersionStatus.WITHDRAWN)
    audit_record(
        unit=document.owner_unit,
        actor=actor,
        action="quality.document.withdrawn",
        target=document,
        data={"reason": _text(reason, _("The reason"))},
    )
    return document


@transaction.atomic
def document_version_submit(*, actor: User, version: DocumentVersion) -> DocumentVersion:
    version = _locked_version(actor, version, Perm.QUALITY_MANAGE)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_("Only a draft is submitted for approval."), code="not_a_draft")
    version.status = VersionStatus.IN_REVIEW
    version.save(update_fields=["status"])
    audit_record(
        unit=version.document.owner_unit,
        actor=actor,
        action="quality.document.submitted",
        target=version.document,
        data={"version": version.number},
    )
    return version


@transaction.atomic
def document_version_return(*, actor: User, version: DocumentVersion, reason: str) -> DocumentVersion:
    version = _locked_version(actor, version, Perm.DOCUMENT_APPROVE)
    if version.status != VersionStatus.IN_REVIEW:
        raise Conflict(_("Only a version in review is sent back."), code="not_in_review")
    version.status = VersionStatus.DRAFT
    version.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="quality.document.returned",
        target=version.document,
        data={"version": version.number, "reason": _text(reason, _("The reason"))},
    )
    return version


@transaction.atomic
def document_version_approve(
    *, actor: User, version: DocumentVersion, effective_on: dt.date | None = None
) -> DocumentVersion:
    """The version takes effect the day it is approved and the one it replaces is superseded; its review
    falls due after the document review interval (12 months by default). Everyone it binds is asked to
    acknowledge it."""
    version = _locked_version(actor, version, Perm.DOCUMENT_APPROVE)
    document = version.document
    if version.status != VersionStatus.IN_REVIEW:
        raise Conflict(_("Only a version in review is approved."), code="not_in_review")
    if version.author_id == actor.pk:
        raise Forbidden(
            _("A document is approved by someone other than its author."), code="approver_is_author"
        )
    today = _today()
    effective_on = effective_on or today
    # Approval puts the version in force the day it is given: a version waiting for a later day would leave
    # no text in force meanwhile, or two.
    if effective_on != today:
        raise ValidationFailed(
            _("A version takes effect on the day it is approved."), code="effective_not_today"
        )
    months = int(str(_setting("DOCUMENT_REVIEW_MONTHS")))
    DocumentVersion.objects.filter(document=document, status=VersionStatus.EFFECTIVE).update(
        status=VersionStatus.SUPERSEDED
    )
    version.status = VersionStatus.EFFECTIVE
    version.approver = actor
    version.approved_at = clock.now()
    version.effective_on = effective_on
    version.review_due = _add_months(effective_on, months)
    version.save(update_fields=["status", "approver", "approved_at", "effective_on", "review_due"])
    audit_record(
        unit=document.owner_unit,
        actor=actor,
        action="quality.document.approved",
        target=document,
        data={"version": version.number, "effective_on": effective_on.isoformat()},
    )
    readers = bound_readers(document)
    if readers:
        notify(
            recipients=readers,
            code="quality.document.to_acknowledge",
            target=document,
            params={"document": document.code, "version": version.number},
        )
    return version


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def bound_readers(document: Document) -> list[User]:
    """The active staff holding one of the document's roles in the owner unit's subtree."""
    if not document.roles:
        return []
    # The owner's subtree, and the hall windows serving a unit in it (window officers sit under the hall).
    ids = RoleAssignment.objects.filter(
        Q(unit__path__startswith=document.owner_unit.path)
        | Q(unit__serving_unit__path__startswith=document.owner_unit.path),
        role__in=document.roles,
        unit__is_active=True,
        user__is_active=True,
        user__kind=UserKind.STAFF,
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def document_acknowledge(*, actor: User, version: DocumentVersion) -> Acknowledgement:
    if version.status != VersionStatus.EFFECTIVE:
        raise Conflict(_("Only the effective version is acknowledged."), code="not_effective")
    if actor not in bound_readers(version.document):
        raise Forbidden(_("This document does not apply to your role."), code="not_bound")
    acknowledgement, created = Acknowledgement.objects.get_or_create(
        version=version, user=actor, defaults={"at": clock.now()}
    )
    if created:
        audit_record(
            unit=version.document.owner_unit,
            actor=actor,
            action="quality.document.acknowledged",
            target=version.document,
            data={"version": version.number},
        )
    return acknowledgement


# --- nonconformities ----------------------------------------------------------------------------------------


def _new_number(year: int) -> str:
    taken = Nonconformity.objects.filter(number__startswith=f"NC{year}-").count()
    return f"NC{year}-{taken + 1:04d}"


def _create(**fields: Any) -> Nonconformity:
    """A nonconformity with the next number of its year; a number taken by a concurrent raise is retried."""
    year = _today().year
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Nonconformity.objects.create(number=_new_number(year), **fields)
        except IntegrityError:
            if fields.get("rule_key") and Nonconformity.objects.filter(rule_key=fields["rule_key"]).exists():
                raise
            continue
    raise Conflict(
        _("Could not number the nonconformity; try again."), code="nc_number_busy"
    )  # pragma: no cover


def _link(nc: Nonconformity, kind: str, ids: Iterable[int]) -> int:
    have = set(nc.records.filter(kind=kind).values_list("object_id", flat=True))
    new = sorted(set(ids) - have)
    NonconformityRecord.objects.bulk_create(
        [NonconformityRecord(nonconformity=nc, kind=kind, object_id=i) for i in new], ignore_conflicts=True
    )
    return len(new)


def answering_unit(unit: OrgUnit) -> OrgUnit:
    """The unit that answers for another: a hall window answers through the department it serves."""
    return unit.serving_unit if unit.serving_unit is not None else unit


def nc_subject_unit(nc: Nonconformity) -> OrgUnit | None:
    """The unit whose scope covers a nonconformity: its unit (a window's serving department), or its
    service's responsible unit."""
    if nc.unit is not None:
        return answering_unit(nc.unit)
    return nc.service.responsible_unit if nc.service is not None else None


@transaction.atomic
def nc_raise(
    *,
    actor: User,
    title: str,
    description: str,
    source: str,
    severity: str,
    unit: OrgUnit | None = None,
    service: Service | None = None,
    indicator: str = "",
) -> Nonconformity:
    """A nonconformity raised by hand or from a complaint (rules and audits raise theirs themselves)."""
    if source not in (Source.MANUAL, Source.COMPLAINT):
        raise ValidationFailed(
            _("By hand, a nonconformity comes from a complaint or an observation."), code="invalid_source"
        )
    if severity not in Severity.values:
        raise ValidationFailed(_("Choose a severity."), code="invalid_severity")
    if unit is None and service is None:
        raise ValidationFailed(_("Name the unit or the service concerned."), code="subject_required")
    if indicator and indicator not in lib.INDICATORS:
        raise ValidationFailed(_("Choose an indicator from the library."), code="invalid_indicator")
    subject = answering_unit(unit) if unit is not None else service.responsible_unit  # type: ignore[union-attr]
    _require_on(actor, Perm.QUALITY_MANAGE, subject)
    baseline: dict[str, Any] = {}
    if indicator:
        # Raised by hand, the baseline is the month before: what the check will compare with.
        end = _today() - dt.timedelta(days=1)
        start = end - dt.timedelta(days=29)
        before = measure(indicator, start=start, end=end, cutoff=clock.now(), unit=unit, service=service)
        baseline = {
            "baseline_start": start,
            "baseline_end": end,
            "baseline_value": before.value,
            "baseline_n": before.n,
            "check_after_days": int(str(_setting("EFFECTIVENESS_CHECK_DAYS"))),
        }
    nc = _create(
        title=_text(title, _("The title"), 200),
        description=_text(description, _("The description")),
        source=source,
        severity=severity,
        unit=unit,
        service=service,
        indicator=indicator,
        raised_by=actor,
        raised_at=clock.now(),
        owner=actor,
        **baseline,
    )
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.nc.raised",
        target=nc,
        data={"number": nc.number, "nc_source": source},
    )
    return nc


def _lock(nc: Nonconformity) -> Nonconformity:
    return (
        Nonconformity.objects.select_for_update(of=("self",))
        .select_related("unit", "service__responsible_unit")
        .get(pk=nc.pk)
    )


def nc_raise_for_finding(
    *, actor: User, finding_id: int, title: str, description: str, severity: str, unit: OrgUnit
) -> Nonconformity:
    """The nonconformity of a minor or major audit finding, raised by the audit's services in their own
    transaction; one per finding (its rule key), linked to it, owned by the auditor who raised it."""
    if severity not in Severity.values:
        raise ValidationFailed(_("Choose a severity."), code="invalid_severity")
    key = f"{Source.AUDIT}|finding:{finding_id}"
    existing = Nonconformity.objects.filter(rule_key=key).first()
    if existing is not None:
        return existing
    nc = _create(
        title=_text(title, _("The title"), 200),
        description=_text(description, _("The description")),
        source=Source.AUDIT,
        rule_key=key,
        severity=severity,
        unit=unit,
        raised_by=actor,
        raised_at=clock.now(),
        owner=actor,
    )
    _link(nc, RecordKind.FINDING, [finding_id])
    officers = _quality_officers(unit)
    if officers:
        notify(
            recipients=officers,
            code="quality.nc.raised",
            target=nc,
            params={"number": nc.number, "title": nc.title},
        )
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.nc.raised",
        target=nc,
        data={"number": nc.number, "nc_source": Source.AUDIT},
    )
    return nc


@transaction.atomic
def nc_analyse(
    *,
    actor: User,
    nc: Nonconformity,
    containment: str,
    whys: list[str],
    cause_category: str,
    root_cause: str,
    owner: User | None = None,
) -> Nonconformity:
    """Containment and root cause: up to five whys, a cause category, the cause in a sentence."""
    nc = _lock(nc)
    _require_on(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc))
    if not nc.is_open:
        raise Conflict(_("This nonconformity is closed."), code="nc_closed")
    cleaned = [w.strip() for w in whys if w and w.strip()]
    if not 1 <= len(cleaned) <= 5:
        raise ValidationFailed(_("Give between one and five whys."), code="invalid_whys")
    if cause_category not in CauseCategory.values:
        raise ValidationFailed(_("Choose a cause category."), code="invalid_cause_category")
    nc.containment = _text(containment, _("The containment"))
    nc.whys = [w[:500] for w in cleaned]
    nc.cause_category = cause_category
    nc.root_cause = _text(root_cause, _("The root cause"))
    if owner is not None:
        nc.owner = owner
    nc.save(update_fields=["containment", "whys", "cause_category", "root_cause", "owner"])
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.nc.analysed",
        target=nc,
        data={"cause_category": cause_category},
    )
    return nc


@transaction.atomic
def action_add(
    *,
    actor: User,
    nc: Nonconformity,
    kind: str,
    description: str,
    owner: User,
    working_days: int,
) -> Action:
    """An action due the given number of working days from today, on the official calendar."""
    nc = _lock(nc)
    _require_on(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc))
    if not nc.is_open:
        raise Conflict(_("This nonconformity is closed."), code="nc_closed")
    if kind not in ActionKind.values:
        raise ValidationFailed(_("Choose the kind of action."), code="invalid_kind")
    if not 1 <= working_days <= 250:
        raise ValidationFailed(_("Give the time in working days, from 1 to 250."), code="invalid_days")
    if owner.kind != UserKind.STAFF or not owner.is_active:
        raise ValidationFailed(_("An action is owned by an active staff member."), code="invalid_owner")
    subject = nc_subject_unit(nc)
    code = (calendar_code_for_unit_code(subject.code) if subject else None) or str(
        _setting("DEFAULT_CALENDAR")
    )
    due = add_working_days(calendar_from_snapshot(calendar_snapshot(code)), _today(), working_days)
    action = Action.objects.create(
        nonconformity=nc,
        kind=kind,
        description=_text(description, _("The action")),
        owner=owner,
        due_on=due,
        created_at=clock.now(),
    )
    if nc.status in (NcStatus.OPEN, NcStatus.VERIFYING):
        nc.status = NcStatus.ACTIONS
        nc.save(update_fields=["status"])
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.action.added",
        target=nc,
        data={"action_kind": kind, "due_on": due.isoformat(), "owner": owner.display_name},
    )
    notify(
        recipients=[owner],
        code="quality.action.assigned",
        target=nc,
        params={"number": nc.number, "due_on": due.isoformat()},
    )
    return action


@transaction.atomic
def action_complete(
    *, actor: User, action: Action, result: str, procedure_version: ProcedureVersion | None = None
) -> Action:
    """The owner (or the quality office) records what was done. When the last open action is done, the
    nonconformity waits for its effectiveness check."""
    action = Action.objects.select_for_update(of=("self",)).select_related("nonconformity").get(pk=action.pk)
    nc = _lock(action.nonconformity)
    if actor.pk != action.owner_id and not has_perm_on_unit(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc)):
        raise _forbidden()
    if action.status != ActionStatus.OPEN:
        raise Conflict(_("This action is no longer open."), code="action_not_open")
    if procedure_version is not None and procedure_version.published_at is None:
        raise ValidationFailed(_("Link a published procedure version."), code="procedure_not_published")
    action.status = ActionStatus.DONE
    action.result = _text(result, _("What was done"))
    action.done_at = clock.now()
    action.procedure_version = procedure_version
    action.overdue = False
    action.save(update_fields=["status", "result", "done_at", "procedure_version", "overdue"])
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.action.done",
        target=nc,
        data={
            "action_kind": action.kind,
            # A procedure changed as the action is named with its new version.
            "procedure": f" ({procedure_version.service.code} v{procedure_version.number})"
            if procedure_version
            else "",
        },
    )
    if not nc.actions.filter(status=ActionStatus.OPEN).exists():
        today = _today()
        nc.status = NcStatus.VERIFYING
        nc.effect_start = today + dt.timedelta(days=1)
        nc.effect_end = today + dt.timedelta(days=nc.check_after_days)
        # A case indicator counts the cases received in the span once they end: checked at once, only
        # the quick ones would have, and the check would flatter the actions.
        grace = 0
        if nc.indicator and lib.INDICATORS[nc.indicator].source == "cases":
            grace = int(str(_setting("EFFECTIVENESS_CASE_GRACE_DAYS")))
        nc.check_due = nc.effect_end + dt.timedelta(days=1 + grace)
        nc.save(update_fields=["status", "effect_start", "effect_end", "check_due"])
    return action


def _better(code: str, before: lib.IndicatorValue | float, after: lib.IndicatorValue) -> bool | None:
    baseline = before if isinstance(before, float) else before.value
    if baseline is None or after.value is None:
        return None
    direction = lib.INDICATORS[code].direction
    return after.value < baseline if direction == "lower" else after.value > baseline


@transaction.atomic
def nc_check(*, actor: User | None, nc: Nonconformity) -> Nonconformity:
    """The effectiveness check: the indicator measured again over the days after the actions, compared
    with the baseline. Better: closed. Not better (or too few records to tell): back to actions, and the
    owner is told. A nonconformity without an indicator is closed by hand with a note."""
    nc = _lock(nc)
    if actor is not None:
        _require_on(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc))
    if nc.status != NcStatus.VERIFYING or not nc.indicator:
        raise Conflict(_("This nonconformity has no effectiveness check waiting."), code="no_check_waiting")
    assert nc.effect_start is not None and nc.effect_end is not None
    if _today() <= nc.effect_end:
        raise Conflict(_("The period the check measures has not ended."), code="check_too_early")
    unit, service = nc.unit, nc.service
    # A rule fires on a handful of records, so the check asks for a handful too, not a ranking's sample.
    after = measure(
        nc.indicator,
        start=nc.effect_start,
        end=nc.effect_end,
        cutoff=clock.now(),
        unit=unit,
        service=service,
        min_sample=int(str(_setting("EFFECTIVENESS_MIN_SAMPLE"))),
    )
    improved = _better(nc.indicator, nc.baseline_value if nc.baseline_value is not None else after, after)
    nc.effect_value, nc.effect_n, nc.checked_at = after.value, after.n, clock.now()
    nc.effective = bool(improved) and not after.insufficient
    if nc.effective:
        nc.status = NcStatus.CLOSED
        nc.closed_at = clock.now()
        nc.closing_note = _("Effective: the indicator improved.")
    else:
        nc.status = NcStatus.ACTIONS
    nc.save(
        update_fields=[
            "effect_value",
            "effect_n",
            "checked_at",
            "effective",
            "status",
            "closed_at",
            "closing_note",
        ]
    )
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.nc.checked",
        target=nc,
        data={
            "indicator": nc.indicator,
            "before": _shown(nc.baseline_value),
            "after": _shown(after.value),
            "n": after.n,
            "effective": "yes" if nc.effective else "no",
        },
    )
    if not nc.effective:
        subject = nc_subject_unit(nc)
        recipients = [nc.owner] if nc.owner is not None else _quality_officers(subject) if subject else []
        notify(
            recipients=recipients, code="quality.nc.not_effective", target=nc, params={"number": nc.number}
        )
    return nc


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@transaction.atomic
def nc_close(*, actor: User, nc: Nonconformity, note: str) -> Nonconformity:
    """Closing by hand, with a note: a nonconformity with no indicator to re-measure, once its actions are
    done."""
    nc = _lock(nc)
    _require_on(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc))
    if not nc.is_open:
        raise Conflict(_("This nonconformity is closed."), code="nc_closed")
    if nc.indicator and nc.checked_at is None:
        # An indicator closes it by its check; after a check that found no improvement (or too few
        # records to tell), the quality office may still close it, and the note says why.
        raise Conflict(_("This nonconformity is closed by its effectiveness check."), code="closed_by_check")
    if not nc.actions.exists() or nc.actions.filter(status=ActionStatus.OPEN).exists():
        raise Conflict(_("Close the nonconformity once its actions are done."), code="actions_open")
    nc.status = NcStatus.CLOSED
    nc.closed_at = clock.now()
    nc.closing_note = _text(note, _("The closing note"))
    nc.save(update_fields=["status", "closed_at", "closing_note"])
    audit_record(unit=nc_subject_unit(nc), actor=actor, action="quality.nc.closed", target=nc, data={})
    return nc


@transaction.atomic
def nc_cancel(*, actor: User, nc: Nonconformity, reason: str) -> Nonconformity:
    nc = _lock(nc)
    _require_on(actor, Perm.QUALITY_MANAGE, nc_subject_unit(nc))
    if not nc.is_open:
        raise Conflict(_("This nonconformity is closed."), code="nc_closed")
    nc.status = NcStatus.CANCELLED
    nc.closing_note = _text(reason, _("The reason"))
    nc.save(update_fields=["status", "closing_note"])
    nc.actions.filter(status=ActionStatus.OPEN).update(status=ActionStatus.CANCELLED)
    audit_record(
        unit=nc_subject_unit(nc),
        actor=actor,
        action="quality.nc.cancelled",
        target=nc,
        data={"reason": nc.closing_note},
    )
    return nc


# --- the scan: rules over live data, overdue actions, checks due --------------------------------------------


@dataclass(frozen=True)
class Month:
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"


def _month_of(day: dt.date) -> Month:
    first = day.replace(day=1)
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(first, nxt - dt.timedelta(days=1))


def _months_to_scan(today: dt.date) -> list[Month]:
    """The month that ended and the one under way: late ratings and decisions still land in the former."""
    current = _month_of(today)
    return [_month_of(current.first - dt.timedelta(days=1)), current]


def _months_back(today: dt.date, count: int) -> list[Month]:
    """The month under way and the `count` months before it, oldest first."""
    months = [_month_of(today)]
    for _i in range(count):
        months.insert(0, _month_of(months[0].first - dt.timedelta(days=1)))
    return months


def _day_bounds(month: Month) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(month.first, dt.time.min, tz)
    return start, dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time.min, tz)


def _raise_by_rule(
    *,
    threshold: int,
    key: str,
    source: str,
    title: str,
    description: str,
    kind: str,
    ids: list[int],
    indicator: str,
    month: Month,
    unit: OrgUnit | None = None,
    service: Service | None = None,
) -> tuple[Nonconformity, bool]:
    """The nonconformity of a rule key, raised the first time the rule fires; later firings only add the
    records that were not linked yet (a closed one is never reopened: its period was dealt with)."""
    existing = Nonconformity.objects.filter(rule_key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                created = _raise_new(
                    threshold, key, source, title, description, kind, ids, indicator, month, unit, service
                )
                return created, True
        except IntegrityError:
            # Another scan raised it a moment ago: link to that one.
            existing = Nonconformity.objects.get(rule_key=key)
    added = _link(existing, kind, ids) if existing.is_open else 0
    if added and existing.status == NcStatus.OPEN and existing.indicator:
        # Raised while its month was under way: the baseline follows the month until work starts on it.
        again = measure(
            existing.indicator,
            start=month.first,
            end=month.last,
            cutoff=clock.now(),
            unit=existing.unit,
            service=existing.service,
        )
        Nonconformity.objects.filter(pk=existing.pk).update(baseline_value=again.value, baseline_n=again.n)
    if added:
        audit_record(
            actor=None,
            action="quality.nc.records_added",
            target=existing,
            unit=nc_subject_unit(existing),
            data={"count": added},
        )
    return existing, False


def _raise_new(
    threshold: int,
    key: str,
    source: str,
    title: str,
    description: str,
    kind: str,
    ids: list[int],
    indicator: str,
    month: Month,
    unit: OrgUnit | None,
    service: Service | None,
) -> Nonconformity:
    baseline = measure(
        indicator, start=month.first, end=month.last, cutoff=clock.now(), unit=unit, service=service
    )
    nc = _create(
        title=title,
        description=description,
        source=source,
        rule_key=key,
        unit=unit,
        service=service,
        period=month.label,
        # Twice what makes a rule fire is a pattern, not a bad week.
        severity=Severity.MAJOR if len(ids) >= 2 * threshold else Severity.MINOR,
        raised_at=clock.now(),
        indicator=indicator,
        baseline_start=month.first,
        baseline_end=month.last,
        baseline_value=baseline.value,
        baseline_n=baseline.n,
        check_after_days=int(str(_setting("EFFECTIVENESS_CHECK_DAYS"))),
    )
    _link(nc, kind, ids)
    subject = nc_subject_unit(nc)
    audit_record(
        actor=None,
        action="quality.nc.raised",
        target=nc,
        unit=subject,
        data={"number": nc.number, "nc_source": source},
    )
    officers = _quality_officers(subject) if subject is not None else []
    if officers:
        notify(
            recipients=officers,
            code="quality.nc.raised",
            target=nc,
            params={"number": nc.number, "title": title},
        )
    return nc


def _quality_officers(unit: OrgUnit) -> list[User]:
    """Quality officers whose scope covers the unit (the office above it; a window's: its department's)."""
    ancestors = [p for p in answering_unit(unit).path.strip("/").split("/") if p]
    ids = RoleAssignment.objects.filter(
        role=Role.QUALITY_OFFICER, unit_id__in=[int(a) for a in ancestors], user__is_active=True
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


@dataclass(frozen=True)
class Thresholds:
    """When the rules fire; by default the settings (REPEATED_BAD_REVIEWS, SLA_BREACH_MIN and _SHARE)."""

    bad_reviews: int
    late_cases: int
    late_share: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            bad_reviews=int(str(_setting("REPEATED_BAD_REVIEWS"))),
            late_cases=int(str(_setting("SLA_BREACH_MIN"))),
            late_share=float(str(_setting("SLA_BREACH_SHARE"))),
        )


def _bad_review_rules(month: Month, thresholds: Thresholds) -> int:
    threshold = thresholds.bad_reviews
    start, end = _day_bounds(month)
    bad = Evaluation.objects.filter(
        status=EvaluationStatus.VALID, grade=Grade.BAD, submitted_at__gte=start, submitted_at__lt=end
    )
    raised = 0
    units_hit: set[int] = set()
    for field, model in (("unit", OrgUnit), ("service", Service)):
        hits = (
            bad.values(f"{field}_id").annotate(n=Count("pk")).filter(n__gte=threshold).order_by(f"{field}_id")
        )
        for row in hits:
            subject: OrgUnit | Service = model.objects.get(pk=row[f"{field}_id"])
            ids = list(bad.filter(**{f"{field}_id": subject.pk}).values_list("pk", flat=True))
            if isinstance(subject, OrgUnit):
                units_hit.add(subject.pk)
            elif set(bad.filter(pk__in=ids).values_list("unit_id", flat=True)) <= units_hit:
                # Every one of the service's bad reviews is already on its unit's nonconformity: one
                # nonconformity, not two, for the same reviews.
                continue
            name = subject.name_zh or subject.code
            _nc, created = _raise_by_rule(
                threshold=threshold,
                key=f"{Source.BAD_REVIEWS}|{field}:{subject.pk}|{month.label}",
                source=Source.BAD_REVIEWS,
                title=_("%(count)s bad reviews of %(name)s in %(month)s")
                % {"count": len(ids), "name": name, "month": month.label},
                description=_(
                    "%(count)s valid bad reviews in one month reached the threshold of %(threshold)s. "
                    "The reviews are linked below."
                )
                % {"count": len(ids), "threshold": threshold},
                kind=RecordKind.EVALUATION,
                ids=ids,
                indicator="bad_review_rate",
                month=month,
                unit=subject if isinstance(subject, OrgUnit) else None,
                service=subject if isinstance(subject, Service) else None,
            )
            raised += created
    return raised


def _sla_rules(month: Month, thresholds: Thresholds) -> int:
    """Units whose cases received in the month were decided late often enough: at least the minimum count
    and share of the cases decided so far (the engine's on-time rate, seen from the other side)."""
    minimum, share = thresholds.late_cases, thresholds.late_share
    cases = Case.objects.filter(
        intake_date__gte=month.first,
        intake_date__lte=month.last,
        decided_at__isnull=False,
        working_days__isnull=False,
        limit_days__gt=0,
    )
    rows = (
        cases.values("responsible_unit_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(working_days__gt=F("limit_days"))))
        .filter(late__gte=minimum)
        .order_by("responsible_unit_id")
    )
    raised = 0
    for row in rows:
        if row["late"] < share * row["n"]:
            continue
        unit = OrgUnit.objects.get(pk=row["responsible_unit_id"])
        ids = list(
            cases.filter(responsible_unit=unit, working_days__gt=F("limit_days")).values_list("pk", flat=True)
        )
        _nc, created = _raise_by_rule(
            threshold=minimum,
            key=f"{Source.SLA_BREACHES}|unit:{unit.pk}|{month.label}",
            source=Source.SLA_BREACHES,
            title=_("%(count)s cases of %(name)s decided late in %(month)s")
            % {"count": len(ids), "name": unit.name_zh, "month": month.label},
            description=_(
                "%(late)s of %(n)s cases received in the month and decided so far went past the "
                "promised limit."
            )
            % {"late": len(ids), "n": row["n"]},
            kind=RecordKind.CASE,
            ids=ids,
            indicator="on_time_completion_rate",
            month=month,
            unit=unit,
        )
        raised += created
    return raised


def _escalate_overdue(today: dt.date) -> int:
    """Actions past their due day: marked overdue once, and their owner, the nonconformity's owner and the
    quality office are told."""
    late = list(
        Action.objects.filter(status=ActionStatus.OPEN, overdue=False, due_on__lt=today).select_related(
            "nonconformity__unit", "nonconformity__service__responsible_unit", "owner", "nonconformity__owner"
        )
    )
    escalated = 0
    for action in late:
        with transaction.atomic():
            # Done or escalated meanwhile (a concurrent scan, the owner): nothing to say.
            if not Action.objects.filter(pk=action.pk, status=ActionStatus.OPEN, overdue=False).update(
                overdue=True, escalated_at=clock.now()
            ):
                continue
            escalated += 1
            nc = action.nonconformity
            audit_record(
                unit=nc_subject_unit(nc),
                actor=None,
                action="quality.action.overdue",
                target=nc,
                data={"due_on": action.due_on.isoformat()},
            )
            subject = nc_subject_unit(nc)
            recipients = [action.owner, nc.owner, *(_quality_officers(subject) if subject else [])]
            notify(
                recipients=recipients,
                code="quality.action.overdue",
                target=nc,
                params={"number": nc.number, "due_on": action.due_on.isoformat()},
            )
    return escalated


def _checks_due(today: dt.date) -> int:
    due = Nonconformity.objects.filter(status=NcStatus.VERIFYING, check_due__lte=today).exclude(indicator="")
    done = 0
    for nc in due.order_by("pk"):
        nc_check(actor=None, nc=nc)
        done += 1
    return done


def quality_scan(*, today: dt.date | None = None, thresholds: Thresholds | None = None) -> dict[str, int]:
    """The time-driven work of the quality system (safe to run repeatedly): each rule raises at most one
    nonconformity per subject and month, overdue actions are escalated once, due checks are run."""
    today = today or _today()
    thresholds = thresholds or Thresholds.from_settings()
    result = {"raised": 0, "escalated": 0, "checked": 0}
    for month in _months_to_scan(today):
        with transaction.atomic():
            result["raised"] += _bad_review_rules(month, thresholds)
    # A case received three months ago may be decided late only now.
    for month in _months_back(today, 3):
        with transaction.atomic():
            result["raised"] += _sla_rules(month, thresholds)
    result["escalated"] = _escalate_overdue(today)
    result["checked"] = _checks_due(today)
    return result
