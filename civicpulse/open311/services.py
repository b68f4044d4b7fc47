"""Open311 writes: API keys, and a POSTed service request becoming an online application (a case).

A service request is one transaction: the applicant account, the case through the ordinary intake, the
submission with its location and token, and the audit events, or nothing at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import UserKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.cases import services as cases
from civicpulse.cases.enums import Channel
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.masking import mask_name
from civicpulse.open311 import mapping, selectors
from civicpulse.open311.models import ApiKey, Submission

KEY_PREFIX = "o311_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _may_manage(actor: User | None, unit: OrgUnit) -> None:
    # The CLI acts as the installation's operator (actor None); anyone else needs OPEN311_MANAGE there.
    if actor is not None and not has_perm_on_unit(actor, Perm.OPEN311_MANAGE, unit):
        raise NotFound()


@transaction.atomic
def api_key_issue(*, actor: User | None, name: str, unit: OrgUnit) -> tuple[ApiKey, str]:
    """A new key for a client, bound to the unit whose services it may submit to. Returned once."""
    _may_manage(actor, unit)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("Give the key a name of at most 100 characters."), code="invalid_name")
    if ApiKey.objects.filter(name=name).exists():
        raise Conflict(_("An API key named %(name)s already exists.") % {"name": name}, code="name_taken")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name, key_digest=digest(key), unit=unit, created_at=clock.now())
    audit_record(
        actor=actor, action="georeport.api_key.issued", target=api_key, unit=unit, data={"name": name}
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, actor: User | None, name: str) -> ApiKey:
    api_key = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(name=name.strip())
        .first()
    )
    if api_key is None:
        raise NotFound(_("No API key is named %(name)s.") % {"name": name.strip()})
    _may_manage(actor, api_key.unit)
    if not api_key.is_active:
        raise Conflict(_("The API key %(name)s is already revoked.") % {"name": api_key.name}, code="revoked")
    api_key.is_active = False
    api_key.revoked_at = clock.now()
    api_key.save(update_fields=["is_active", "revoked_at"])
    audit_record(
        actor=actor,
        action="georeport.api_key.revoked",
        target=api_key,
        unit=api_key.unit,
        data={"name": api_key.name},
    )
    return api_key


def api_key_authenticate(*, key: str) -> ApiKey:
    """The active key behind `api_key`; Forbidden (403 in Open311) when it is missing, wrong or revoked."""
    api_key = (
        ApiKey.objects.select_related("unit").filter(key_digest=digest(key.strip()), is_active=True).first()
        if key.strip()
        else None
    )
    if api_key is None:
        raise Forbidden(_("Missing or invalid api_key."), code="invalid_api_key")
    return api_key


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    case: Case
    service: mapping.ServiceFacts
    # Shown in the first answer only: it is never stored, so a replay cannot repeat it.
    verification_code: str
    replayed: bool


def request_digest(params: Mapping[str, Sequence[str]]) -> str:
    """What was asked, independent of argument order; the key itself is the caller, not the request.

    Keyed with the installation's secret: the body holds an identity number, which a bare hash of a few
    guessable fields would not protect.
    """
    canonical = sorted((key, list(values)) for key, values in params.items() if key != "api_key")
    message = json.dumps(canonical, ensure_ascii=False).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def request_submit(
    *, api_key: ApiKey, params: Mapping[str, Sequence[str]], idempotency_key: str = ""
) -> Receipt:
    """POST requests: a new online application, or the first one again for a retried Idempotency-Key."""
    if len(idempotency_key) > 200:
        raise ValidationFailed(_("The Idempotency-Key header is too long."), code="idempotency_key_too_long")
    try:
        return _submit(api_key=api_key, params=params, idempotency_key=idempotency_key)
    except IntegrityError:
        # Two requests with one key raced past the first check: the loser's transaction rolled back whole
        # (no case left behind), and it answers as a replay of the winner.
        if not idempotency_key:
            raise
        return _submit(api_key=api_key, params=params, idempotency_key=idempotency_key)


def _replay(submission: Submission, digest_now: str) -> Receipt:
    if submission.request_digest != digest_now:
        raise ValidationFailed(
            _("This Idempotency-Key was already used for a different request."), code="idempotency_key_reused"
        )
    version = submission.case.version
    return Receipt(
        submission=submission,
        case=submission.case,
        service=selectors.service_facts(version=version),
        verification_code="",
        replayed=True,
    )


@transaction.atomic
def _submit(*, api_key: ApiKey, params: Mapping[str, Sequence[str]], idempotency_key: str) -> Receipt:
    # Locking the key serialises one client's submissions, so a retry sees the first one's submission.
    key = ApiKey.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=api_key.pk).first()
    if key is None or not key.is_active:
        raise Forbidden(_("Missing or invalid api_key."), code="invalid_api_key")
    request_hash = request_digest(params)
    if idempotency_key:
        earlier = (
            Submission.objects.select_related("case__version__service__responsible_unit")
            .filter(api_key=key, idempotency_key=idempotency_key)
            .first()
        )
        if earlier is not None:
            return _replay(earlier, request_hash)
    code = (list(params.get("service_code") or [""])[-1] or "").strip()
    if not code:
        raise ValidationFailed(_("service_code is required."), code="service_code_required")
    try:
        version = selectors.offered_version_get(code=code)
    except NotFound:
        raise NotFound(_("Unknown service_code: %(code)s.") % {"code": code}) from None
    if not version.service.responsible_unit.is_within(key.unit):
        raise Forbidden(
            _("This api_key may not submit requests for the service %(code)s.") % {"code": code},
            code="service_out_of_scope",
        )
    facts = selectors.service_facts(version=version)
    submitted = mapping.parse_submission(params, facts)
    id_number = submitted.attributes[mapping.ID_NUMBER_CODE][0]
    applicant = _applicant_account(id_number=id_number, name=submitted.applicant_name)
    case = cases.case_intake(
        actor=applicant,
        service_code=code,
        channel=Channel.ONLINE,
        applicant=cases.Applicant(
            name=submitted.applicant_name, id_number=id_number, phone=submitted.phone, email=submitted.email
        ),
        submitted_positions=[],
    )
    location = submitted.location
    submission = Submission.objects.create(
        case=case,
        api_key=key,
        token=secrets.token_urlsafe(24),
        idempotency_key=idempotency_key,
        request_digest=request_hash,
        description=submitted.description,
        address_string=location.address_string,
        address_id=location.address_id,
        lat=location.lat,
        long=location.long,
        submitted_at=clock.now(),
    )
    audit_record(
        actor=None,
        action="georeport.request.submitted",
        target=case,
        unit=case.responsible_unit,
        data={"client": key.name, "service": code},
        label=case.number,
    )
    return Receipt(
        submission=submission,
        case=case,
        service=facts,
        verification_code=getattr(case, "verification_code", ""),
        replayed=False,
    )


def _applicant_account(*, id_number: str, name: str) -> User:
    """The citizen account an Open311 case is filed under: one per identity number, never signed in to.

    Keyed by an HMAC of the identity number, the one identifier the intake requires that names a person:
    an e-mail address is optional in Open311 and unverified, so matching portal accounts by it would file
    one person's case in another's portal.
    """
    normalised = "".join(id_number.split()).upper()
    tag = hmac.new(
        settings.SECRET_KEY.encode(), f"open311-applicant:{normalised}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    username = f"open311-{tag}"
    existing = User.objects.filter(username=username, kind=UserKind.CITIZEN).first()
    if existing is not None:
        return existing
    user = User(username=username, full_name=name, kind=UserKind.CITIZEN)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return User.objects.get(username=username, kind=UserKind.CITIZEN)
    audit_record(
        actor=None,
        action="accounts.user.created",
        target=user,
        data={"kind": UserKind.CITIZEN, "via": "open311"},
        label=mask_name(name),
    )
    return user
