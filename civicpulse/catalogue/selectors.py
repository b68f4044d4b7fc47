"""Reads of the catalogue: public reads of published procedures, and staff reads scoped by unit."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.catalogue import linter
from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.models import Material, ProcedureVersion, Service, Step
from civicpulse.core.errors import NotFound

OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)


def published_version_list(
    *,
    q: str = "",
    unit: OrgUnit | None = None,
    power_kind: str = "",
    channel: str = "",
    service_mode: str = "",
) -> QuerySet[ProcedureVersion]:
    """The public catalogue: the published version of every service, filtered."""
    versions = ProcedureVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "service", "service__responsible_unit"
    )
    if q:
        versions = versions.filter(
            Q(service__name_zh__icontains=q)
            | Q(service__name_en__icontains=q)
            | Q(service__code__icontains=q)
        )
    if unit is not None:
        versions = versions.filter(service__responsible_unit__path__startswith=unit.path)
    if power_kind:
        versions = versions.filter(service__power_kind=power_kind)
    if channel:
        versions = (
            versions.filter(channels__in=[channel, "both"])
            if channel != "both"
            else versions.filter(channels="both")
        )
    if service_mode:
        versions = versions.filter(service_mode=service_mode)
    return versions.order_by("service__code")


def _with_content(versions: QuerySet[ProcedureVersion]) -> QuerySet[ProcedureVersion]:
    return versions.prefetch_related(
        Prefetch("steps", queryset=Step.objects.select_related("responsible_unit").order_by("position")),
        Prefetch("materials", queryset=Material.objects.order_by("position")),
    )


def published_version_get(*, code: str) -> ProcedureVersion:
    version = (
        _with_content(ProcedureVersion.objects.filter(service__code=code, status=VersionStatus.PUBLISHED))
        .select_related("service", "service__responsible_unit", "service__process_owner")
        .first()
    )
    if version is None:
        raise NotFound()
    return version


def version_with_content(*, version: ProcedureVersion) -> ProcedureVersion:
    return (
        _with_content(ProcedureVersion.objects.filter(pk=version.pk))
        .select_related("service", "service__responsible_unit", "author", "approver")
        .get()
    )


def staff_service_list(
    *, user: User | AnonymousUser, q: str = "", unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[Service]:
    """Services the user may work on, each with its versions prefetched (newest first)."""
    services = Service.objects.filter(unit_filter(user, Perm.CATALOGUE_VIEW_DRAFTS, field="responsible_unit"))
    if q:
        services = services.filter(Q(name_zh__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    if unit is not None:
        services = services.filter(responsible_unit__path__startswith=unit.path)
    if status:
        services = services.filter(versions__status=status).distinct()
    return (
        services.select_related("responsible_unit", "process_owner")
        .prefetch_related(Prefetch("versions", queryset=ProcedureVersion.objects.order_by("-number")))
        .order_by("code")
    )


def version_facts(version: ProcedureVersion) -> linter.VersionFacts:
    """Plain data for the linter; expects steps and materials prefetched or few."""
    return linter.VersionFacts(
        number=version.number,
        status=version.status,
        service_mode=version.service_mode,
        statutory_limit_days=version.statutory_limit_days,
        promised_limit_days=version.promised_limit_days,
        steps=tuple(
            linter.StepFacts(
                key=s.key,
                name=s.name_zh,
                unit_id=s.responsible_unit_id,
                role=s.responsible_role,
                budget_days=s.budget_days,
                next_keys=tuple(s.next_keys) if s.next_keys is not None else None,
            )
            for s in version.steps.all()
        ),
        materials=tuple(
            linter.MaterialFacts(name=m.name_zh, source=m.source) for m in version.materials.all()
        ),
    )


def service_facts(service: Service, versions: list[ProcedureVersion]) -> linter.ServiceFacts:
    return linter.ServiceFacts(
        code=service.code,
        name=service.name_zh,
        unit_id=service.responsible_unit_id,
        owner_id=service.process_owner_id,
        versions=tuple(version_facts(v) for v in versions),
        seniority=service.pk,
    )


def _overlap_pool() -> list[linter.ServiceFacts]:
    """Services that claim a duty: those with a published version or one being prepared."""
    live = Service.objects.filter(versions__status__in=[*OPEN_STATUSES, VersionStatus.PUBLISHED]).distinct()
    return [
        linter.ServiceFacts(code=code, name=name, unit_id=unit_id, owner_id=owner_id, seniority=pk)
        for pk, code, name, unit_id, owner_id in live.values_list(
            "pk", "code", "name_zh", "responsible_unit_id", "process_owner_id"
        )
    ]


def catalogue_lint(*, services: QuerySet[Service]) -> list[linter.Finding]:
    """Lint the given services: their published version and their open (draft / in review) version."""
    services = services.prefetch_related(
        Prefetch(
            "versions",
            queryset=_with_content(
                ProcedureVersion.objects.filter(status__in=[*OPEN_STATUSES, VersionStatus.PUBLISHED])
            ).order_by("-number"),
            to_attr="lintable_versions",
        )
    )
    facts = [service_facts(s, s.lintable_versions) for s in services]
    return linter.lint_catalogue(facts, overlap_pool=_overlap_pool())


def version_lint(*, version: ProcedureVersion) -> list[linter.Finding]:
    """Findings that concern one version: its own rules, its service's and cross-catalogue overlaps."""
    full = version_with_content(version=version)
    facts = service_facts(full.service, [full])
    pool = _overlap_pool()
    return linter.lint_catalogue([facts], overlap_pool=pool)
