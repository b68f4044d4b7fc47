from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicpulse.core.admin_mixins import AuditedAdmin
from civicpulse.core.models import AuditEvent, CalendarOverride, WorkCalendar


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 1


@admin.register(WorkCalendar)
class WorkCalendarAdmin(AuditedAdmin):
    list_display = ["code", "name_zh", "name_en", "base"]
    inlines = [CalendarOverrideInline]
    audit_created = "core.calendar.created"
    audit_changed = "core.calendar.changed"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "action", "actor", "target_type", "target_label"]
    list_filter = ["action"]
    search_fields = ["action", "target_label", "target_id"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
