from __future__ import annotations

from django import template
from django.utils.translation import get_language

from civicpulse.core import masking
from civicpulse.core.audit import render_event
from civicpulse.core.models import AuditEvent

register = template.Library()


@register.simple_tag
def event_sentence(event: AuditEvent) -> str:
    return render_event(event)


@register.filter
def mask_name(value: str) -> str:
    return masking.mask_name(value or "")


@register.filter
def localized(obj: object, field: str) -> str:
    """`{{ service|localized:"name" }}` picks name_zh or name_en by the active language."""
    suffix = "en" if (get_language() or "").startswith("en") else "zh"
    if isinstance(obj, dict):  # template items (dimensions, reason tags) are stored as JSON objects
        return str(obj.get(f"{field}_{suffix}") or obj.get(f"{field}_zh", ""))
    value = getattr(obj, f"{field}_{suffix}", "") or getattr(obj, f"{field}_zh", "")
    return str(value)


@register.filter
def get_item(mapping: object, key: str) -> object:
    """`{{ items|get_item:key }}`: a dict lookup by a variable key (templates only do literal keys)."""
    return mapping.get(key) if isinstance(mapping, dict) else None
