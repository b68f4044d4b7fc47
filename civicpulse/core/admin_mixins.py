"""Back-office writes leave audit events too: every ModelAdmin in CivicPulse derives from AuditedAdmin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest


class AuditedAdmin(admin.ModelAdmin):
    audit_created: str = "core.record.saved"
    audit_changed: str = "core.record.saved"
    audit_deleted: str = "core.record.deleted"

    def audit_unit(self, obj: Any) -> Any:
        return None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from civicpulse.core.audit import audit_record

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = self.audit_changed if change else self.audit_created
            if action:
                audit_record(
                    actor=request.user,
                    action=action,
                    target=obj,
                    unit=self.audit_unit(obj),
                    data={"fields": ", ".join(form.changed_data), "via": "admin"},
                )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (calendar overrides, steps, materials, roles) are audited one by one."""
        from civicpulse.core.audit import audit_record

        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            parent_unit = self.audit_unit(form.instance)
            for obj in formset.new_objects + [changed for changed, _fields in formset.changed_objects]:
                audit_record(
                    actor=request.user,
                    action="core.record.saved",
                    target=obj,
                    unit=_own_unit(obj) or parent_unit,
                    data={"via": "admin"},
                )
            for obj in formset.deleted_objects:
                audit_record(
                    actor=request.user,
                    action="core.record.deleted",
                    target=obj,
                    unit=_own_unit(obj) or parent_unit,
                    data={"via": "admin"},
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from civicpulse.core.audit import audit_record

        with transaction.atomic():
            if self.audit_deleted:
                audit_record(
                    actor=request.user,
                    action=self.audit_deleted,
                    target=obj,
                    unit=self.audit_unit(obj),
                    data={"via": "admin"},
                )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """The changelist's bulk delete audits every row, like a single delete."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


def _own_unit(obj: Any) -> Any:
    """A role assignment belongs to the unit it covers, so that unit's auditors see it."""
    from civicpulse.accounts.models import OrgUnit

    unit = getattr(obj, "unit", None)
    return unit if isinstance(unit, OrgUnit) else None


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their services (which check roles and write the audit):
    the back office may look, never add, edit or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
