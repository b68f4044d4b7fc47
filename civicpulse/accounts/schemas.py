from __future__ import annotations

from ninja import Schema


class OrgUnitOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    parent_id: int | None
    depth: int
    category_code: str | None
    serving_unit_id: int | None

    @staticmethod
    def resolve_category_code(obj: object) -> str | None:
        category = getattr(obj, "category", None)
        return category.code if category else None


class RoleOut(Schema):
    role: str
    unit_id: int


class StaffOut(Schema):
    id: int
    username: str
    full_name: str
    employee_number: str | None
    org_unit_id: int | None
    on_probation: bool
    phone_masked: str
    roles: list[RoleOut]

    @staticmethod
    def resolve_phone_masked(obj: object) -> str:
        from civicpulse.core.masking import mask_phone

        return mask_phone(getattr(obj, "phone", "") or "")

    @staticmethod
    def resolve_roles(obj: object) -> list[dict[str, object]]:
        return [{"role": r.role, "unit_id": r.unit_id} for r in obj.role_assignments.all()]  # type: ignore[attr-defined]
