from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from civicpulse.core.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from civicpulse.evaluations.models import Evaluation, IndicatorTemplate, Integration


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(AuditedAdmin):
    """A new version replaces the current one of its kind; old versions stay for the ratings using them."""

    list_display = ["kind", "version", "is_current", "created_at"]
    list_filter = ["kind", "is_current"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A version that ratings refer to is never edited: publish a new version instead.
        return ["kind", "version", "dimensions", "reason_tags", "created_at"] if obj else ["created_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from civicpulse.core import clock

        with transaction.atomic():
            if not change:
                obj.created_at = clock.now()
            if obj.is_current:
                IndicatorTemplate.objects.filter(kind=obj.kind, is_current=True).exclude(pk=obj.pk).update(
                    is_current=False
                )
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Integration)
class IntegrationAdmin(AuditedAdmin):
    """Tokens are issued by `civicpulse evaluations integration-add`; here they are only switched off."""

    list_display = ["name", "channel", "window", "is_active", "created_at"]
    list_filter = ["channel", "is_active"]
    fields = ["name", "channel", "window", "is_active"]
    readonly_fields = ["name", "channel", "window"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    """Read-only: ratings are never edited or deleted; exclusion goes through review or appeal."""

    list_display = ["case", "stage", "channel", "level", "grade", "status", "submitted_at"]
    list_filter = ["status", "grade", "stage", "channel"]
    search_fields = ["case__number"]
    list_select_related = ["case"]
    exclude = ["evaluator_phone", "evaluator", "ip", "device"]
