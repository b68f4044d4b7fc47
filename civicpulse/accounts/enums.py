from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    REGION = "region", _("region")
    DEPARTMENT = "department", _("department")
    SECTION = "section", _("section")
    HALL = "hall", _("service hall")
    WINDOW = "window", _("window")


# Which kinds may sit directly under which: the tree reads region > department > section, and
# region > service hall > window.
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    UnitKind.REGION: {None, UnitKind.REGION},
    UnitKind.DEPARTMENT: {UnitKind.REGION},
    UnitKind.SECTION: {UnitKind.DEPARTMENT, UnitKind.SECTION},
    UnitKind.HALL: {UnitKind.REGION},
    UnitKind.WINDOW: {UnitKind.HALL},
}


class UserKind(models.TextChoices):
    STAFF = "staff", _("staff")
    CITIZEN = "citizen", _("citizen")


class Role(models.TextChoices):
    WINDOW_OFFICER = "window_officer", _("window officer")
    APPROVER = "approver", _("approver")
    DEPARTMENT_HEAD = "department_head", _("department head")
    QUALITY_OFFICER = "quality_officer", _("quality officer")
    SUPERVISOR = "supervisor", _("supervisor")
    LEADER = "leader", _("leader")
    ADMINISTRATOR = "administrator", _("administrator")
