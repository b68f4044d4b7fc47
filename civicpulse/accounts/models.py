from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.enums import Role, UnitKind, UserKind


class UnitCategory(models.Model):
    """Assessment category of a unit (window department, approval department, town, law enforcement...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("unit category")
        verbose_name_plural = _("unit categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class OrgUnit(models.Model):
    """A node of the organisation tree. `path` is a materialised path ("/1/4/9/") for subtree queries."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    category = models.ForeignKey(
        UnitCategory, verbose_name=_("assessment category"), null=True, blank=True, on_delete=models.PROTECT
    )
    calendar = models.ForeignKey(
        "core.WorkCalendar",
        verbose_name=_("working-day calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Only for regions; other units use their region's calendar."),
    )
    # A hall window is staffed by one department (进驻部门): "whoever handled it is responsible".
    serving_unit = models.ForeignKey(
        "self",
        verbose_name=_("serving department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="windows",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="org_unit_not_own_parent"),
            models.CheckConstraint(
                condition=Q(kind=UnitKind.WINDOW) | Q(serving_unit__isnull=True),
                name="org_unit_only_windows_have_serving_unit",
            ),
            models.CheckConstraint(
                condition=Q(kind=UnitKind.REGION) | Q(parent__isnull=False),
                name="org_unit_only_regions_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep `path` and `depth` true, including for every descendant when the unit moves."""
        if self.parent_id is not None and self.pk is not None:
            parent_path = OrgUnit.objects.values_list("path", flat=True).get(pk=self.parent_id)
            if parent_path.startswith(self.path) and self.path:
                raise ValueError("an organisation unit cannot move under its own subtree")
        old_path = self.path
        if self._state.adding and not self.path:
            # The path is built from the primary key, which exists only after the first insert.
            self.path = f"/new-{uuid.uuid4().hex}/"
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
            old_path = ""
        new_path = self._computed_path()
        if new_path != self.path or old_path == "":
            self.path = new_path
            self.depth = new_path.count("/") - 2
        super().save(*args, **kwargs)
        if old_path and old_path != new_path:
            for child in (
                OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("depth")
            ):
                child.path = new_path + child.path[len(old_path) :]
                child.depth = child.path.count("/") - 2
                super(OrgUnit, child).save(update_fields=["path", "depth"])

    def _computed_path(self) -> str:
        if self.parent_id is None:
            return f"/{self.pk}/"
        parent_path = OrgUnit.objects.values_list("path", flat=True).get(pk=self.parent_id)
        return f"{parent_path}{self.pk}/"

    def clean(self) -> None:
        """Form-level checks for the back office: the tree's shape and no unit under its own subtree."""
        from django.core.exceptions import ValidationError

        from civicpulse.accounts.enums import ALLOWED_PARENT_KINDS

        parent = self.parent if self.parent_id else None
        if self.kind and (parent.kind if parent else None) not in ALLOWED_PARENT_KINDS[UnitKind(self.kind)]:
            raise ValidationError({"parent": _("This kind of unit cannot be placed there.")})
        if parent is not None and self.pk is not None and self.path and parent.path.startswith(self.path):
            raise ValidationError({"parent": _("A unit cannot be moved under itself or its own sub-units.")})
        if self.serving_unit_id and self.kind != UnitKind.WINDOW:
            raise ValidationError({"serving_unit": _("Only a window has a serving department.")})

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


class User(AbstractUser):
    kind = models.CharField(_("kind"), max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    employee_number = models.CharField(
        _("employee number"), max_length=30, null=True, blank=True, unique=True
    )
    on_probation = models.BooleanField(_("on probation"), default=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=UserKind.CITIZEN, org_unit__isnull=True)
                | Q(kind=UserKind.STAFF, org_unit__isnull=False)
                | Q(kind=UserKind.STAFF, is_superuser=True),
                name="user_staff_have_a_unit_citizens_none",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF

    def role_codes(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.role_assignments.values_list("role", flat=True))
            self._role_codes = cached
        return cached

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.employee_number == "":
            self.employee_number = None
        super().save(*args, **kwargs)


class RoleAssignment(models.Model):
    """A role held over a unit: it covers that unit and its whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("covered unit"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="role_assignment_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_assignment_known_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
