from django.contrib import admin

from civicpulse.assessment.models import Run, Scheme, SchemeVersion
from civicpulse.core.admin_mixins import AuditedAdmin, ReadOnlyAdmin


@admin.register(Scheme)
class SchemeAdmin(AuditedAdmin):
    """Schemes are named here; their versions are drafted, reviewed and published through the API."""

    list_display = ["code", "name_zh", "name_en", "subject"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ReadOnlyAdmin):
    """Read-only: versions change only through their life cycle (author, then an approver)."""

    list_display = ["scheme", "number", "status", "period_kind", "author", "approver", "published_at"]
    list_filter = ["status", "period_kind"]


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    """Read-only: a run is an immutable snapshot; a correction is a new run."""

    list_display = ["version", "period", "number", "status", "cutoff", "digest"]
    list_filter = ["status"]
