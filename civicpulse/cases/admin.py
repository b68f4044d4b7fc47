from typing import Any

from django.contrib import admin

from civicpulse.cases.models import Case, QueueLine
from civicpulse.core.admin_mixins import AuditedAdmin, ReadOnlyAdmin


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: cases change only through the state machine, which checks roles and writes the audit."""

    list_display = ["number", "service", "status", "sla_state", "due_date", "responsible_unit"]
    list_filter = ["status", "sla_state", "channel"]
    search_fields = ["number"]
    list_select_related = ["service", "responsible_unit"]
    exclude = ["applicant_name", "applicant_id_number", "applicant_phone", "applicant_email"]


@admin.register(QueueLine)
class QueueLineAdmin(AuditedAdmin):
    list_display = ["hall", "prefix", "name_zh", "name_en"]
    list_select_related = ["hall"]
    filter_horizontal = ["windows"]

    def audit_unit(self, obj: Any) -> Any:
        return obj.hall
