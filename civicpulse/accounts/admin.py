from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.models import OrgUnit, RoleAssignment, UnitCategory, User
from civicpulse.core.admin_mixins import AuditedAdmin


@admin.register(UnitCategory)
class UnitCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name_zh", "name_en"]
    audit_created = audit_changed = "accounts.unit_category.saved"


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "parent", "category", "is_active"]
    list_filter = ["kind", "category", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    list_select_related = ["parent", "category"]
    autocomplete_fields = ["parent", "serving_unit"]
    audit_created = "accounts.org_unit.created"
    audit_changed = "accounts.org_unit.changed"

    def audit_unit(self, obj: Any) -> Any:
        return obj


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "kind", "org_unit", "employee_number", "on_probation"]
    list_filter = ["kind", "on_probation", "is_active"]
    search_fields = ["username", "full_name", "employee_number"]
    list_select_related = ["org_unit"]
    autocomplete_fields = ["org_unit"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("CivicPulse"),
            {"fields": ("kind", "full_name", "org_unit", "employee_number", "on_probation", "phone")},
        ),
    )
    audit_created = "accounts.user.created"
    audit_changed = "accounts.user.changed"

    def audit_unit(self, obj: Any) -> Any:
        return obj.org_unit
