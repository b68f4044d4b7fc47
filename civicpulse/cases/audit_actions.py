from django.utils.translation import gettext_lazy as _

from civicpulse.cases.enums import SlaState
from civicpulse.core.audit import register_actions, register_param_choices
from civicpulse.core.notify import register_messages

register_param_choices({"state": SlaState})

register_actions(
    {
        "cases.case.submitted": _("%(actor)s received case %(target)s."),
        "cases.case.accepted": _("%(actor)s accepted case %(target)s."),
        "cases.case.refused": _("%(actor)s refused case %(target)s at intake: %(reason)s"),
        "cases.case.advanced": _("%(actor)s passed case %(target)s to step %(step)s."),
        "cases.case.supplement_requested": _("%(actor)s asked for missing materials on case %(target)s."),
        "cases.case.paused": _("%(actor)s paused the clock of case %(target)s: %(reason)s"),
        "cases.case.resumed": _("%(actor)s resumed case %(target)s."),
        "cases.case.approved": _("%(actor)s approved case %(target)s."),
        "cases.case.denied": _("%(actor)s denied case %(target)s: %(reason)s"),
        "cases.case.delivered": _("%(actor)s delivered the result of case %(target)s."),
        "cases.case.closed": _("%(actor)s closed case %(target)s."),
        "cases.case.withdrawn": _("%(actor)s withdrew case %(target)s."),
        "cases.case.visit_recorded": _("%(actor)s recorded a visit on case %(target)s."),
        "cases.case.sla_changed": _("Case %(target)s is now %(state)s."),
        "cases.case.reassigned": _("%(actor)s gave case %(target)s to %(assignee)s."),
        "cases.case.step_overdue": _(
            "Step %(step)s of case %(target)s passed its own time budget (due %(due)s)."
        ),
        "cases.case.file_viewed": _("%(actor)s opened the file %(file)s of case %(target)s."),
    }
)

register_messages(
    {
        "cases.warning": _("Case %(number)s has used 80 %% of its time limit (due %(due)s)."),
        "cases.overdue": _("Case %(number)s is overdue (it was due %(due)s)."),
        "cases.step_overdue": _("Step %(step)s of case %(number)s is past its own budget (due %(due)s)."),
    }
)
