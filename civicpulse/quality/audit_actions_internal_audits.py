"""The audit-trail sentences and messages of internal audits."""

from django.utils.translation import gettext_lazy as _

from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.core.notify import register_messages
from civicpulse.quality.models.internal_audits import FindingKind

register_param_choices({"finding_kind": FindingKind})

register_actions(
    {
        "quality.audit_programme.created": _("%(actor)s drew up the internal audit programme for %(year)s."),
        "quality.audit_programme.approved": _(
            "%(actor)s approved the internal audit programme for %(year)s."
        ),
        "quality.audit_programme.reopened": _(
            "%(actor)s planned %(number)s into the approved programme for %(year)s: the programme waits "
            "for approval again."
        ),
        "quality.audit.planned": _(
            "%(actor)s planned the internal audit %(number)s: %(title)s (%(units)s; clauses %(clauses)s)."
        ),
        "quality.audit.scope_set": _(
            "%(actor)s set the scope of %(target)s: %(units)s; clauses %(clauses)s."
        ),
        "quality.audit.team_set": _(
            "%(actor)s named the audit team of %(target)s: %(lead)s (lead auditor); other auditors: %(team)s."
        ),
        "quality.audit.started": _("%(actor)s started the internal audit %(target)s."),
        "quality.audit.checklist_added": _(
            "%(actor)s added questions to the checklist of %(target)s (%(count)s)."
        ),
        "quality.audit.checklist_answered": _(
            "%(actor)s recorded checklist results of %(target)s (%(count)s)."
        ),
        "quality.audit.finding_recorded": _(
            "%(actor)s recorded a finding in %(target)s: %(finding_kind)s, clause %(clause)s%(nc)s."
        ),
        "quality.audit.reported": _("%(actor)s recorded the report of %(target)s."),
        "quality.audit.closed": _(
            "%(actor)s closed %(target)s: every nonconformity it opened is dealt with."
        ),
    }
)

register_messages(
    {
        "quality.audit.team": _(
            "You are on the team of the internal audit %(number)s (%(title)s), planned for %(planned_on)s."
        ),
    }
)
