"""Audit events: every service writes one per change, with a stable dotted action code.

Action codes are registered with a translatable sentence, so one timeline template can render any event
in either language (pretix's logging model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.functional import Promise

from civicpulse.core import clock
from civicpulse.core.models import AuditEvent

if TYPE_CHECKING:
    from civicpulse.accounts.models import OrgUnit, User

_ACTION_LABELS: dict[str, Promise] = {}
# Event data stores codes, never words in the writer's language; these choices turn codes into labels.
_PARAM_CHOICES: dict[str, type[models.TextChoices]] = {}


def register_param_choices(choices: dict[str, type[models.TextChoices]]) -> None:
    _PARAM_CHOICES.update(choices)


def register_actions(labels: dict[str, Promise]) -> None:
    """Register `code -> sentence`. Sentences may use %(actor)s, %(target)s and keys of the event's data."""
    _ACTION_LABELS.update(labels)


def action_label(code: str) -> Promise | str:
    return _ACTION_LABELS.get(code, code)


def is_registered(code: str) -> bool:
    return code in _ACTION_LABELS


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model,
    unit: OrgUnit | None = None,
    data: dict[str, Any] | None = None,
    label: str | None = None,
) -> AuditEvent:
    """Append one event. `label` replaces str(target) where that would expose personal data."""
    if action not in _ACTION_LABELS:
        # An unregistered code would render as a raw string in the timeline; fail loudly in development.
        raise ValueError(f"unregistered audit action {action!r}")
    return AuditEvent.objects.create(
        occurred_at=clock.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=(label if label is not None else str(target))[:255],
        unit=unit,
        data=data or {},
    )


def render_event(event: AuditEvent) -> str:
    from django.utils.translation import gettext as _

    params: dict[str, Any] = {key: value for key, value in event.data.items() if not isinstance(value, dict)}
    for key, choices in _PARAM_CHOICES.items():
        if key in params and params[key] in choices.values:
            params[key] = choices(params[key]).label
    params["actor"] = event.actor.display_name if event.actor else _("the system")
    params["target"] = event.target_label
    sentence = str(action_label(event.action))
    try:
        return sentence % params
    except (KeyError, TypeError, ValueError):
        return sentence
