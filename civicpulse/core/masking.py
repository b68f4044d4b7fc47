"""Masking of personal data for lists, logs and exports. Pure functions."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """Mobile numbers (11+ digits) keep the usual 3 + 4 edges; shorter ones only their last 2 digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) >= 6:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


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
