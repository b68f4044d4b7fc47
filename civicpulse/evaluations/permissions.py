"""Who may see an evaluation: staff covering the serving unit (EVALUATION_VIEW); evaluators see their own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicpulse.accounts.models import User
from civicpulse.accounts.permissions import Perm, unit_filter
from civicpulse.core.errors import NotFound
from civicpulse.evaluations.models import Evaluation


def evaluation_scope(user: User | AnonymousUser | None) -> Q:
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return unit_filter(user, Perm.EVALUATION_VIEW, field="unit")


def access_evaluation(user: User | AnonymousUser | None, evaluation_id: Any) -> Evaluation:
    try:
        return (
            Evaluation.objects.select_related("case", "service", "unit", "template", "evaluator")
            .prefetch_related("flags")
            .get(evaluation_scope(user), pk=int(evaluation_id))
        )
    except (Evaluation.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
