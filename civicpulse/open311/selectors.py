"""Reads behind the Open311 endpoints: the catalogue as Open311 services, and Open311's own requests.

Only published services of active units that can be applied for online are offered; only cases that came
in through Open311 are ever listed (docs/decisions/0011-open311.md says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit
from civicpulse.cases.models import Case, CaseMaterial, CasePause
from civicpulse.catalogue.enums import Channels, VersionStatus
from civicpulse.catalogue.models import Material, ProcedureVersion
from civicpulse.core.errors import NotFound
from civicpulse.open311 import mapping
from civicpulse.open311.models import Submission


def _offered_versions() -> QuerySet[ProcedureVersion]:
    return (
        ProcedureVersion.objects.filter(
            status=VersionStatus.PUBLISHED, service__responsible_unit__is_active=True
        )
        .exclude(channels=Channels.HALL)
        .select_related("service", "service__responsible_unit")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("position")))
        .order_by("service__code")
    )


def _departments(units: Iterable[OrgUnit]) -> dict[int, OrgUnit]:
    """The department each unit belongs to (itself, or its nearest department ancestor), in one query."""
    units = list(units)
    wanted = {ancestor for unit in units for ancestor in unit.ancestor_ids()}
    departments = {
        d.pk: d
        for d in OrgUnit.objects.filter(pk__in=wanted, kind=UnitKind.DEPARTMENT).only("name_zh", "name_en")
    }
    found: dict[int, OrgUnit] = {}
    for unit in units:
        chain = [departments[i] for i in unit.ancestor_ids() if i in departments]
        if chain:
            found[unit.pk] = chain[-1]
    return found


def _facts(version: ProcedureVersion, department: OrgUnit | None) -> mapping.ServiceFacts:
    service = version.service
    return mapping.ServiceFacts(
        code=service.code,
        name_zh=service.name_zh,
        name_en=service.name_en,
        power_kind=service.power_kind,
        service_mode=version.service_mode,
        promised_limit_days=version.promised_limit_days,
        statutory_limit_days=version.statutory_limit_days,
        fee_yuan=version.fee_yuan,
        run_at_most_once=version.run_at_most_once,
        department_zh=department.name_zh if department else "",
        department_en=department.name_en if department else "",
        materials=tuple(
            mapping.MaterialFacts(
                position=m.position,
                name_zh=m.name_zh,
                name_en=m.name_en,
                form=m.form,
                copies=m.copies,
                source=m.source,
                required=m.required,
                notes=m.notes,
            )
            for m in version.materials.all()
        ),
    )


def service_list() -> list[mapping.ServiceFacts]:
    versions = list(_offered_versions())
    departments = _departments(v.service.responsible_unit for v in versions)
    return [_facts(v, departments.get(v.service.responsible_unit_id)) for v in versions]


def offered_version_get(*, code: str) -> ProcedureVersion:
    """The published version Open311 offers under this code; NotFound for hall-only or unknown codes."""
    version = _offered_versions().filter(service__code=code).first()
    if version is None:
        raise NotFound()
    return version


def service_get(*, code: str) -> mapping.ServiceFacts:
    return service_facts(version=offered_version_get(code=code))


def service_facts(*, version: ProcedureVersion) -> mapping.ServiceFacts:
    unit = version.service.responsible_unit
    return _facts(version, _departments([unit]).get(unit.pk))


def changeset() -> dt.datetime | None:
    """When the offered services last changed: a version published or retired (Service Discovery)."""
    moments = ProcedureVersion.objects.aggregate(published=Max("published_at"), retired=Max("retired_at"))
    present = [m for m in moments.values() if m is not None]
    return max(present) if present else None


def _submissions() -> QuerySet[Submission]:
    return Submission.objects.select_related(
        "case", "case__service", "case__responsible_unit"
    ).prefetch_related(
        Prefetch("case__pauses", queryset=CasePause.objects.order_by("started_at")),
        Prefetch("case__materials", queryset=CaseMaterial.objects.order_by("position")),
    )


def request_facts(submission: Submission, english: bool) -> mapping.RequestFacts:
    case: Case = submission.case
    pauses = list(case.pauses.all())
    open_pause = next((p for p in pauses if p.ended_at is None), None)
    missing = set(open_pause.missing) if open_pause is not None else set()
    moments = [case.intake_at, case.accepted_at, case.decided_at, case.delivered_at, case.closed_at]
    moments += [p.started_at for p in pauses] + [p.ended_at for p in pauses]
    hours = settings.CIVICPULSE.get("OFFICE_HOURS", ("09:00", "17:30"))
    office_close = str(hours[1]) if isinstance(hours, tuple | list) else "17:30"
    return mapping.RequestFacts(
        number=case.number,
        status=case.status,
        decision=case.decision,
        service_code=case.service.code,
        service_name_zh=case.service.name_zh,
        service_name_en=case.service.name_en,
        unit_name_zh=case.responsible_unit.name_zh,
        unit_name_en=case.responsible_unit.name_en,
        limit_days=case.limit_days,
        requested_at=case.intake_at,
        updated_at=max(m for m in moments if m is not None),
        expected_at=mapping.expected_datetime(case.due_date, office_close, timezone.get_default_timezone()),
        open_pause_kind=open_pause.kind if open_pause is not None else "",
        missing_materials=tuple(
            mapping.localized(m.name_zh, m.name_en, english)
            for m in case.materials.all()
            if m.position in missing
        ),
        description=submission.description,
        address_string=submission.address_string,
        address_id=submission.address_id,
        lat=submission.lat,
        long=submission.long,
    )


def request_list(*, query: mapping.RequestQuery, now: dt.datetime) -> list[Submission]:
    """GET requests: explicit ids override every other argument; otherwise a window of at most 90 days."""
    submissions = _submissions()
    if query.numbers:
        submissions = submissions.filter(case__number__in=query.numbers)
    else:
        start, end = mapping.resolve_window(query.start, query.end, now)
        submissions = submissions.filter(case__intake_at__gte=start, case__intake_at__lte=end)
        if query.service_codes:
            submissions = submissions.filter(case__service__code__in=query.service_codes)
        if query.statuses:
            submissions = submissions.filter(case__status__in=mapping.case_statuses(query.statuses))
    return list(submissions.order_by("-case__intake_at", "-pk")[: query.limit])


def request_get(*, number: str) -> Submission:
    """One request by its case number: NotFound too for cases that did not come in through Open311."""
    submission = _submissions().filter(case__number=number).first()
    if submission is None:
        raise NotFound()
    return submission


def token_get(*, token: str) -> Submission:
    submission = Submission.objects.select_related("case").filter(token=token).first()
    if submission is None:
        raise NotFound()
    return submission
