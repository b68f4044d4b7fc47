"""Every write of the evaluation capability: submitting a rating on any channel, one-time links, integrations,
the quarantine review, exclusion after an upheld appeal, the audited identity lookup and the invitations."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind, UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.cases.enums import CaseStatus, Channel
from civicpulse.cases.models import Case, Ticket
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.evaluations import fraud
from civicpulse.evaluations.defaults import DEFAULTS, TAGS
from civicpulse.evaluations.enums import (
    EvalChannel,
    EvaluationStatus,
    Exclusion,
    Grade,
    Review,
    Stage,
    TemplateKind,
)
from civicpulse.evaluations.models import (
    TEXT_MAX,
    Evaluation,
    EvaluationLink,
    FraudFlag,
    IndicatorTemplate,
    Integration,
)

APPLICANT = "applicant"


def _config(key: str) -> Any:
    return settings.CIVICPULSE[key]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grade_for(level: int) -> str:
    if level in _config("BAD_LEVELS"):
        return Grade.BAD
    if level in _config("GOOD_LEVELS"):
        return Grade.GOOD
    return Grade.NEUTRAL


def template_kind(case: Case) -> str:
    """On-site matters are rated per visit with the offline set, online matters with the online set."""
    return TemplateKind.OFFLINE if case.channel == Channel.HALL else TemplateKind.ONLINE


def template_current(*, kind: str) -> IndicatorTemplate:
    template = IndicatorTemplate.objects.filter(kind=kind, is_current=True).first()
    if template is not None:
        return template
    if kind not in DEFAULTS:
        raise Conflict(_("No evaluation template is in force."), code="no_template")
    # Nothing in force (a fresh database flushed by tests, or templates retired by mistake): rating must
    # not stop, so the default set of domain.md §4 comes back as the next version.
    latest = IndicatorTemplate.objects.filter(kind=kind).order_by("-version").first()
    template, _created = IndicatorTemplate.objects.get_or_create(
        kind=kind,
        version=(latest.version + 1) if latest else 1,
        defaults={
            "dimensions": DEFAULTS[kind],
            "reason_tags": TAGS,
            "is_current": True,
            "created_at": clock.now(),
        },
    )
    return template


def stage_reached(case: Case, stage: str) -> bool:
    if stage == Stage.INTAKE:
        return True
    if stage == Stage.ACCEPTANCE:
        # Accepted or refused: either way the applicant has met the acceptance decision.
        return case.status != CaseStatus.SUBMITTED and not (
            case.status == CaseStatus.WITHDRAWN and case.step_position is None
        )
    return case.decided_at is not None


def stages_open(case: Case) -> list[str]:
    """The configured stages this case has reached, in order."""
    return [s for s in _config("EVALUATION_STAGES") if s in Stage.values and stage_reached(case, s)]


def _stage_actor(case: Case, actions: tuple[str, ...]) -> User | None:
    event = (
        AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk), action__in=actions)
        .exclude(actor__isnull=True)
        .select_related("actor")
        .order_by("-occurred_at", "-pk")
        .first()
    )
    return event.actor if event is not None else None


def stage_service(case: Case, stage: str) -> tuple[OrgUnit, OrgUnit | None, User | None]:
    """Who served the citizen at this stage: (unit, window, staff member). The unit answers a bad review."""
    if stage == Stage.INTAKE and case.channel == Channel.HALL and case.window is not None:
        return case.window, case.window, case.intake_officer
    if stage == Stage.ACCEPTANCE:
        staff = _stage_actor(case, ("cases.case.accepted", "cases.case.refused"))
        return case.responsible_unit, case.window, staff
    if stage == Stage.COMPLETION:
        staff = _stage_actor(case, ("cases.case.approved", "cases.case.denied"))
        return case.responsible_unit, None, staff
    return case.responsible_unit, None, None


@dataclass(frozen=True)
class Rating:
    level: int
    dimensions: dict[str, int]
    tags: list[str]
    text: str = ""


def _check_rating(rating: Rating, template: IndicatorTemplate) -> None:
    if not isinstance(rating.level, int) or not 1 <= rating.level <= 5:
        raise ValidationFailed(_("Choose a level from 1 to 5."), code="invalid_level")
    keys = {d["key"] for d in template.dimensions}
    unknown = sorted(set(rating.dimensions) - keys)
    if unknown:
        raise ValidationFailed(
            _("Unknown dimensions: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown_dimension"
        )
    if any(not isinstance(v, int) or not 1 <= v <= 5 for v in rating.dimensions.values()):
        raise ValidationFailed(_("Rate each dimension from 1 to 5."), code="invalid_level")
    tags = {t["key"] for t in template.reason_tags}
    if set(rating.tags) - tags:
        raise ValidationFailed(_("Unknown reason tag."), code="unknown_tag")
    if len(rating.text) > TEXT_MAX:
        raise ValidationFailed(
            _("The comment is longer than %(max)s characters.") % {"max": TEXT_MAX}, code="text_too_long"
        )
    if rating.level <= 3 and not rating.tags and not rating.text.strip():
        raise ValidationFailed(
            _("Tell us why: choose a reason or write a few words."), code="reason_required"
        )


def _evaluator_key(case: Case, evaluator: User | None, phone: str, as_applicant: bool) -> str:
    normalised = fraud.normalise_phone(phone)
    if (
        as_applicant
        or (evaluator is not None and evaluator.pk == case.applicant_id)
        or (normalised and normalised == fraud.normalise_phone(case.applicant_phone))
    ):
        return APPLICANT
    if evaluator is not None:
        return f"account:{evaluator.pk}"
    if normalised:
        return f"phone:{normalised}"
    raise ValidationFailed(_("Say who is rating: an account or a phone number."), code="evaluator_required")


def _thresholds() -> fraud.Thresholds:
    return fraud.Thresholds(**_config("FRAUD"))


def _screen(
    *,
    case: Case,
    stage: str,
    channel: str,
    ticket: Ticket | None,
    unit: OrgUnit,
    evaluator: User | None,
    phone: str,
    key: str,
    device: str,
    ip: str,
    now: dt.datetime,
) -> list[fraud.Flag]:
    thresholds = _thresholds()
    normalised = fraud.normalise_phone(phone)
    # Only what a rule can use: bursts look back minutes by device, address or phone; the spread rule
    # looks back days by evaluator. Reading a month of a busy kiosk's or proxy's rows would make every
    # submission dearer as the table grows, inside the write transaction.
    burst = Q(pk__in=[])
    if device:
        burst |= Q(device=device)
    if ip:
        burst |= Q(ip=ip)
    if normalised:
        burst |= Q(evaluator_phone=normalised)
    identity = Q(pk__in=[])
    if evaluator is not None:
        identity = Q(evaluator=evaluator)
    elif normalised:
        identity = Q(evaluator__isnull=True, evaluator_phone=normalised)
    related = (burst & Q(submitted_at__gte=now - dt.timedelta(minutes=thresholds.burst_window_minutes))) | (
        identity & Q(submitted_at__gte=now - dt.timedelta(days=thresholds.spread_window_days))
    )
    recent = [
        fraud.Submission(
            case_id=row.case_id,
            submitted_at=row.submitted_at,
            account_id=row.evaluator_id,
            phone=row.evaluator_phone,
            device=row.device,
            ip=row.ip or "",
            is_applicant=row.evaluator_key == APPLICANT,
        )
        for row in Evaluation.objects.filter(related).only(
            "case_id", "submitted_at", "evaluator_id", "evaluator_phone", "device", "ip", "evaluator_key"
        )
    ]
    # The serving unit's own staff, and for a window the department it serves: their ratings are suspect.
    units = [unit] + ([unit.serving_unit] if unit.kind == UnitKind.WINDOW and unit.serving_unit else [])
    scope = Q(pk__in=[])
    for each in units:
        scope |= Q(org_unit__path__startswith=each.path)
    staff = list(User.objects.filter(scope, kind=UserKind.STAFF).values_list("pk", "phone"))
    happened = not (channel == EvalChannel.PAD and case.channel != Channel.HALL) and not (
        ticket is not None and (ticket.window_id is None or ticket.window_id != case.window_id)
    )
    return fraud.screen(
        fraud.Submission(
            case_id=case.pk,
            submitted_at=now,
            account_id=evaluator.pk if evaluator is not None else None,
            phone=phone,
            device=device,
            ip=ip,
            is_applicant=key == APPLICANT,
        ),
        interaction=fraud.Interaction(exists=happened, stage_reached=stage_reached(case, stage)),
        staff_phones=frozenset(p for _pk, p in staff if p),
        staff_account_ids=frozenset(pk for pk, _p in staff),
        recent=recent,
        thresholds=thresholds,
    )


@transaction.atomic
def evaluation_submit(
    *,
    case: Case,
    stage: str,
    channel: str,
    rating: Rating,
    evaluator: User | None = None,
    evaluator_phone: str = "",
    as_applicant: bool = False,
    integration: Integration | None = None,
    ticket: Ticket | None = None,
    link: EvaluationLink | None = None,
    device: str = "",
    ip: str = "",
) -> Evaluation:
    """Record one rating of one interaction. `as_applicant`: the channel itself vouches that the evaluator
    is the applicant (a one-time link sent to them, the pad at the window serving them)."""
    if evaluator is not None and evaluator.kind == UserKind.STAFF:
        raise Forbidden(_("Staff accounts cannot submit evaluations."), code="staff_cannot_rate")
    if channel not in EvalChannel.values:
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel")
    if stage not in _config("EVALUATION_STAGES") or stage not in Stage.values:
        raise ValidationFailed(_("This stage is not rated."), code="invalid_stage")
    if link is not None:
        link = _link_claim(link)
    template = template_current(kind=template_kind(case))
    _check_rating(rating, template)
    now = clock.now()
    key = _evaluator_key(case, evaluator, evaluator_phone, as_applicant)
    unit, window, staff = stage_service(case, stage)
    flags = _screen(
        case=case,
        stage=stage,
        channel=channel,
        ticket=ticket,
        unit=unit,
        evaluator=evaluator,
        phone=evaluator_phone,
        key=key,
        device=device,
        # A pad, kiosk or hotline speaks for many people from one address (a hall's NAT, a call centre):
        # for them the device is the signal, not the address.
        ip="" if integration is not None else ip,
        now=now,
    )
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                case=case,
                stage=stage,
                ticket=ticket,
                channel=channel,
                integration=integration,
                template=template,
                level=rating.level,
                grade=grade_for(rating.level),
                dimensions=rating.dimensions,
                tags=sorted(set(rating.tags)),
                text=rating.text.strip(),
                evaluator_key=key,
                evaluator=evaluator,
                evaluator_phone=fraud.normalise_phone(evaluator_phone),
                service_id=case.service_id,
                unit=unit,
                window=window,
                staff=staff,
                device=device[:100],
                ip=ip or None,
                submitted_at=now,
                status=EvaluationStatus.QUARANTINED if flags else EvaluationStatus.VALID,
            )
    except IntegrityError:
        raise Conflict(
            _("This interaction has already been rated; an evaluation cannot be changed."),
            code="already_evaluated",
        ) from None
    FraudFlag.objects.bulk_create(
        FraudFlag(evaluation=evaluation, code=f.code, params=f.params) for f in flags
    )
    audit_record(
        actor=evaluator,
        action="evaluations.evaluation.submitted",
        target=evaluation,
        unit=unit,
        label=case.number,
        data={"stage": stage, "channel": channel, "level": rating.level},
    )
    if flags:
        audit_record(
            actor=None,
            action="evaluations.evaluation.quarantined",
            target=evaluation,
            unit=unit,
            label=case.number,
            data={"flags": ", ".join(f.code for f in flags)},
        )
    elif evaluation.grade == Grade.BAD:
        _bad_review_counts(evaluation)
    return evaluation


def _bad_review_counts(evaluation: Evaluation) -> None:
    """A valid bad review goes to the unit that served the citizen (domain.md §5)."""
    from civicpulse.rectification.services import order_open

    order_open(evaluation=evaluation)


# --- one-time links ----------------------------------------------------------------------------------------


def link_issue(
    *, case: Case, stage: str, is_invitation: bool = False, hours: int | None = None
) -> tuple[EvaluationLink, str]:
    """A single-use token for one interaction; the token is returned once and only its digest is kept."""
    token = secrets.token_urlsafe(24)
    now = clock.now()
    link = EvaluationLink.objects.create(
        token_digest=digest(token),
        case=case,
        stage=stage,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours or _config("EVALUATION_LINK_HOURS")),
        is_invitation=is_invitation,
    )
    return link, token


def link_get(*, token: str) -> EvaluationLink:
    """The link behind a token, if it may still be used: NotFound, or a Conflict saying why not."""
    link = (
        EvaluationLink.objects.select_related("case", "case__service")
        .filter(token_digest=digest(token))
        .first()
    )
    if link is None:
        raise NotFound()
    _link_usable(link)
    return link


def _link_usable(link: EvaluationLink) -> None:
    if link.used_at is not None:
        raise Conflict(_("This link has already been used."), code="link_used")
    if link.expires_at <= clock.now():
        raise Conflict(_("This link has expired."), code="link_expired")


def _link_claim(link: EvaluationLink) -> EvaluationLink:
    locked = EvaluationLink.objects.select_for_update().get(pk=link.pk)
    _link_usable(locked)
    locked.used_at = clock.now()
    locked.save(update_fields=["used_at"])
    return locked


# --- integrations ------------------------------------------------------------------------------------------


@transaction.atomic
def integration_issue(
    *, actor: User | None, name: str, channel: str, window: OrgUnit | None = None
) -> tuple[Integration, str]:
    if channel not in EvalChannel.values or channel in (EvalChannel.PORTAL, EvalChannel.LINK):
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel")
    if channel == EvalChannel.PAD and (window is None or window.kind != UnitKind.WINDOW):
        raise ValidationFailed(_("A pad is paired with one window."), code="window_required")
    token = secrets.token_urlsafe(32)
    integration = Integration.objects.create(
        name=name.strip(),
        channel=channel,
        window=window if channel == EvalChannel.PAD else None,
        token_digest=digest(token),
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="evaluations.integration.issued",
        target=integration,
        unit=window,
        data={"channel": channel},
    )
    return integration, token


def integration_authenticate(*, token: str) -> Integration | None:
    if not token:
        return None
    return (
        Integration.objects.select_related("window")
        .filter(token_digest=digest(token), is_active=True)
        .first()
    )


# --- review, exclusion, identity ---------------------------------------------------------------------------


@transaction.atomic
def evaluation_review(*, actor: User, evaluation: Evaluation, outcome: str, note: str) -> Evaluation:
    """A quality officer clears a quarantined evaluation (it counts) or confirms the fraud (excluded)."""
    evaluation = Evaluation.objects.select_for_update().select_related("unit", "case").get(pk=evaluation.pk)
    if not has_perm_on_unit(actor, Perm.EVALUATION_REVIEW, evaluation.unit):
        raise NotFound()
    if outcome not in Review.values:
        raise ValidationFailed(_("Clear or confirm."), code="invalid_outcome")
    if evaluation.status != EvaluationStatus.QUARANTINED:
        raise Conflict(_("Only a quarantined evaluation is reviewed."), code="not_quarantined")
    if not note.strip():
        raise ValidationFailed(_("Give the reason."), code="reason_required")
    evaluation.review = outcome
    evaluation.review_note = note.strip()
    evaluation.reviewed_by = actor
    evaluation.reviewed_at = clock.now()
    if outcome == Review.CLEARED:
        evaluation.status = EvaluationStatus.VALID
    else:
        evaluation.status = EvaluationStatus.EXCLUDED
        evaluation.exclusion = Exclusion.FRAUD
    evaluation.save()
    audit_record(
        actor=actor,
        action=f"evaluations.evaluation.{outcome}",
        target=evaluation,
        unit=evaluation.unit,
        label=evaluation.case.number,
        data={"reason": evaluation.review_note},
    )
    if evaluation.status == EvaluationStatus.VALID and evaluation.grade == Grade.BAD:
        _bad_review_counts(evaluation)
    return evaluation


def evaluation_exclude(*, actor: User, evaluation: Evaluation, reason: str) -> Evaluation:
    """An upheld appeal takes the review out of every indicator; the record itself stays (nothing is deleted).

    Called inside the appeal decision's transaction."""
    evaluation = Evaluation.objects.select_for_update().select_related("case").get(pk=evaluation.pk)
    if evaluation.status == EvaluationStatus.EXCLUDED:
        return evaluation
    evaluation.status = EvaluationStatus.EXCLUDED
    evaluation.exclusion = Exclusion.APPEAL
    evaluation.save(update_fields=["status", "exclusion"])
    audit_record(
        actor=actor,
        action="evaluations.evaluation.excluded",
        target=evaluation,
        unit=evaluation.unit,
        label=evaluation.case.number,
        data={"reason": reason},
    )
    return evaluation


@transaction.atomic
def evaluator_identity(*, actor: User, evaluation: Evaluation) -> dict[str, str]:
    """Who rated, unmasked, for the roles that need it; every lookup is written to the audit log."""
    if not has_perm_on_unit(actor, Perm.EVALUATION_IDENTITY, evaluation.unit):
        raise NotFound()
    case = evaluation.case
    is_applicant = evaluation.evaluator_key == APPLICANT
    audit_record(
        actor=actor,
        action="evaluations.evaluation.identity_viewed",
        target=evaluation,
        unit=evaluation.unit,
        label=case.number,
    )
    return {
        "name": case.applicant_name
        if is_applicant
        else (evaluation.evaluator.display_name if evaluation.evaluator else ""),
        "phone": evaluation.evaluator_phone or (case.applicant_phone if is_applicant else ""),
        "account": evaluation.evaluator.username if evaluation.evaluator else "",
    }


# --- invitations -------------------------------------------------------------------------------------------

# Cases decided longer ago than this are not invited any more (a first run on old data must not spam).
INVITE_HORIZON = dt.timedelta(days=30)


def link_url(token: str) -> str:
    from django.urls import reverse

    base = str(_config("PUBLIC_BASE_URL")).rstrip("/")
    return base + reverse("evaluations:link_rate", args=[token])


def invitations_send(*, limit: int = 500) -> int:
    """One invitation per decided case left unrated for N days: a one-time link by inbox and SMS.

    Applicants with an account get it through the notifier (inbox, and their SMS or e-mail channels);
    applicants known only by phone get an SMS when a gateway is configured. Safe to run repeatedly.
    """
    from civicpulse.core.notify import notify, sms_send

    days = int(_config("EVALUATION_INVITE_AFTER_DAYS"))
    cutoff = clock.now() - dt.timedelta(days=days)
    invited = EvaluationLink.objects.filter(case=OuterRef("pk"), is_invitation=True)
    rated = Evaluation.objects.filter(case=OuterRef("pk"), stage=Stage.COMPLETION, evaluator_key=APPLICANT)
    candidates = list(
        Case.objects.filter(decided_at__lte=cutoff, decided_at__gte=cutoff - INVITE_HORIZON)
        .exclude(Exists(invited))
        .exclude(Exists(rated))
        .select_related("applicant")
        .order_by("decided_at")[:limit]
    )
    link_days = 7
    sms_configured = any(path.endswith("SmsChannel") for path in _config("NOTIFIERS")) and bool(
        _config("SMS_GATEWAY_URL")
    )
    sent = 0
    for case in candidates:
        try:
            with transaction.atomic():
                _link, token = link_issue(
                    case=case, stage=Stage.COMPLETION, is_invitation=True, hours=link_days * 24
                )
                params = {"number": case.number, "url": link_url(token), "days": link_days}
                if case.applicant is not None:
                    notify(
                        recipients=[case.applicant], code="evaluations.invitation", target=case, params=params
                    )
                elif sms_configured and case.applicant_phone:
                    phone = case.applicant_phone
                    message = _sms_text(params)
                    transaction.on_commit(functools.partial(_send_quietly, sms_send, phone, message))
                audit_record(
                    actor=None, action="evaluations.invitation.sent", target=case, unit=case.responsible_unit
                )
        except IntegrityError:  # another worker invited this case first
            continue
        sent += 1
    return sent


def _sms_text(params: dict[str, Any]) -> str:
    from django.utils import translation

    from civicpulse.core.notify import message_text

    with translation.override(settings.LANGUAGE_CODE):
        return message_text("evaluations.invitation", params)


def _send_quietly(send: Any, phone: str, message: str) -> None:
    import logging

    try:
        send(phone=phone, text=message)
    except Exception:  # the invitation is recorded; a gateway failure must not break the scan
        logging.getLogger("civicpulse.notify").exception("invitation SMS failed")
