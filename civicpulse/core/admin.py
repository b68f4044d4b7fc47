from django.contrib import admin

from civicpulse.core.admin_mixins import AuditedAdmin, ReadOnlyAdmin
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
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "action", "actor", "target_type", "target_label"]
    list_filter = ["action"]
    search_fields = ["action", "target_label", "target_id"]
    date_hierarchy = "occurred_at"
