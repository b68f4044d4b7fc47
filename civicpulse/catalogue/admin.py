from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicpulse.catalogue.enums import VersionStatus
from civicpulse.catalogue.models import Material, ProcedureVersion, Service, Step
from civicpulse.core.admin_mixins import AuditedAdmin


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["code", "name_zh", "power_kind", "responsible_unit", "process_owner"]
    list_filter = ["power_kind"]
    search_fields = ["code", "name_zh", "name_en"]
    list_select_related = ["responsible_unit", "process_owner"]
    autocomplete_fields = ["responsible_unit", "process_owner"]
    readonly_fields = ["created_at"]
    audit_changed = "catalogue.service.changed"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Services are created through the catalogue API/service so the duty rules are checked.
        return False

    def audit_unit(self, obj: Any) -> Any:
        return obj.responsible_unit


class _DraftOnlyInline(admin.TabularInline):
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class StepInline(_DraftOnlyInline):
    model = Step
    autocomplete_fields = ["responsible_unit"]


class MaterialInline(_DraftOnlyInline):
    model = Material


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(AuditedAdmin):
    """Drafts are editable here; the life cycle (submit, approve...) runs on the staff pages and API."""

    list_display = [
        "service",
        "number",
        "status",
        "promised_limit_days",
        "statutory_limit_days",
        "published_at",
    ]
    list_filter = ["status", "service_mode", "channels"]
    search_fields = ["service__code", "service__name_zh"]
    list_select_related = ["service"]
    readonly_fields = [
        "service",
        "number",
        "status",
        "author",
        "approver",
        "created_at",
        "submitted_at",
        "published_at",
        "retired_at",
    ]
    inlines = [StepInline, MaterialInline]
    audit_changed = "catalogue.version.changed"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == VersionStatus.DRAFT
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_unit(self, obj: Any) -> Any:
        return obj.service.responsible_unit
