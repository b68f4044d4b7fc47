from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicpulse.core import clock
from civicpulse.core.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from civicpulse.open311.models import ApiKey, Submission


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    """Keys are issued by `civicpulse open311 key-add` (the key is shown once); here they are switched off."""

    list_display = ["name", "unit", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "unit", "is_active", "created_at", "revoked_at"]
    readonly_fields = ["name", "unit", "created_at", "revoked_at"]

    def audit_unit(self, obj: Any) -> Any:
        return obj.unit

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A revoked key stays revoked: a client needs a new key, so a leaked one cannot come back.
        if obj is not None and obj.revoked_at is not None:
            return [*self.readonly_fields, "is_active"]
        return list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.is_active and obj.revoked_at is None:
            obj.revoked_at = clock.now()
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """What an Open311 client sent beside the case (location, description): read only."""

    list_display = ["case", "api_key", "submitted_at"]
    list_filter = ["api_key"]
    search_fields = ["case__number"]
    list_select_related = ["case", "api_key"]
    exclude = ["request_digest", "idempotency_key"]
