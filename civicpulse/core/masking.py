"""Masking of personal data for lists, logs and exports. Pure functions."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(number: str) -> str:
    value = number.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_name(name: str) -> str:
    value = name.strip()
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_email(email: str) -> str:
    local, _, domain = email.strip().partition("@")
    if not domain:
        return mask_name(local)
    return f"{local[:1]}***@{domain}"
