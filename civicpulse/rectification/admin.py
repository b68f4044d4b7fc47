from django.contrib import admin

from civicpulse.core.admin_mixins import ReadOnlyAdmin
from civicpulse.rectification.models import Appeal, RectificationOrder


@admin.register(RectificationOrder)
class RectificationOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "unit",
        "status",
        "finding",
        "contact_due",
        "rectify_due",
        "contact_overdue",
        "rectify_overdue",
    ]
    list_filter = ["status", "finding", "outcome", "contact_overdue", "rectify_overdue"]
    search_fields = ["evaluation__case__number"]
    list_select_related = ["unit"]
    # Free text written after talking to the citizen may hold personal data: it stays on the staff pages.
    exclude = ["call_notes", "answer"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["pk", "order", "kind", "status", "filed_by", "filed_at", "decided_by", "decided_at"]
    list_filter = ["status", "kind"]
    search_fields = ["order__evaluation__case__number"]
    list_select_related = ["order", "filed_by", "decided_by"]
