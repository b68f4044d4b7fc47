from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff_member = bool(user and user.is_authenticated and getattr(user, "is_staff_member", False))
    return {"is_staff_member": is_staff_member}
