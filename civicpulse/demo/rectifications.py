"""The handling of bad reviews in the demo history, made only through the rectification services.

Each order is planned when its bad review arrives and played back in time order like the cases: most are
contacted the next working day, verified, fixed and answered within the week, and rated by the citizen
or at the quality office's callback; a few are late, some citizens stay dissatisfied and go to the
supervisor, and some reviews are appealed as mistaken or malicious. Steps planned after the demo's "now"
are not played, so recent orders are open in every state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from civicpulse.accounts.enums import Role, UnitKind
from civicpulse.accounts.models import RoleAssignment, User
from civicpulse.core.errors import DomainError
from civicpulse.rectification import services as rect
from civicpulse.rectification.enums import OrderStatus
from civicpulse.rectification.models import Appeal, RectificationOrder

LATE_CONTACT_SHARE = 0.1
LATE_FIX_SHARE = 0.08
DISPUTED_SHARE = 0.15  # found mistaken or malicious and appealed
UPHELD_SHARE = 0.6
# Orders opened in the last four weeks stop at these states in turn, so the inbox shows every state.
RECENT = dt.timedelta(days=28)
STOP_AT = ("escalated", "upheld", "rated", "appealed", "answered", "acted", "verified", "contacted", "open")
_OUTCOMES = (("fixed_at_once", 0.5), ("fixed_by_deadline", 0.3), ("explained", 0.2))
_SATISFACTION = (("satisfied", 0.65), ("basically_satisfied", 0.22), ("dissatisfied", 0.13))
_CALL_NOTES = (
    "已电话联系群众，了解到等候时间较长的具体情况。",
    "已联系群众，群众反映窗口解释不够清楚。",
    "电话回访，群众对办理进度有意见。",
)
_ANSWERS = (
    "已向群众致歉，并调整窗口排班，高峰时段增开窗口。",
    "已向群众说明办理要求，并完善一次性告知单。",
    "已督促承办人加快办理，并向群众说明进度。",
)
_LEDGER = "优化网上申报页面的材料上传功能，纳入整改台账。"
_EXPLANATION = "群众诉求涉及的收费标准由法律法规规定，窗口无权调整，已耐心解释。"
_APPEAL_REASONS = {
    "mistaken": "经调取窗口录像，该时段为其他窗口办理，属于误评。",
    "malicious": "群众因不符合条件未能办理而恶意差评，有录音为证。",
}


class Rectifications:
    def __init__(
        self,
        rng: random.Random,
        schedule: Callable[[dt.datetime, Callable[[], None]], None],
        after: Callable[[dt.datetime, int, dt.datetime], dt.datetime],
    ) -> None:
        self.rng = rng
        self.schedule = schedule
        self.after = after
        self._region: dict[str, list[User]] = {}
        self.end: dt.date | None = None
        self.stop: dict[int, str] = {}
        self.recent = 0

    def _region_staff(self, role: str) -> list[User]:
        if role not in self._region:
            self._region[role] = [
                a.user
                for a in RoleAssignment.objects.filter(role=role, unit__kind=UnitKind.REGION)
                .select_related("user")
                .order_by("user__username")
            ]
        return self._region[role]

    def _stopped(self, order: RectificationOrder) -> bool:
        return self.stop.get(order.pk) == order.status

    def _step(self, order_id: int, actor: User, transition: str, **details: Any) -> None:
        order = RectificationOrder.objects.get(pk=order_id)
        if self._stopped(order):
            return
        with contextlib.suppress(DomainError):  # a step the state no longer allows is simply not taken
            rect.order_transition(
                actor=actor, order=order, transition=transition, details=rect.Details(**details)
            )

    def plan(self, order: RectificationOrder, now: dt.datetime) -> None:
        rng = self.rng
        heads = rect.responsible_heads(order.unit)
        quality = self._region_staff(Role.QUALITY_OFFICER)
        supervisors = self._region_staff(Role.SUPERVISOR)
        if not heads or not quality or not supervisors:
            return
        head = rng.choice(heads)
        pk = order.pk
        stop = ""
        if self.end is not None and self.end - now.date() <= RECENT:
            stop = self.stop[pk] = STOP_AT[self.recent % len(STOP_AT)]
            self.recent += 1
        contacted = self.after(
            now, rng.randint(2, 3) if rng.random() < LATE_CONTACT_SHARE else rng.choice((0, 1)), now
        )
        self.schedule(contacted, lambda: self._step(pk, head, "contact", call_notes=rng.choice(_CALL_NOTES)))
        disputed = rng.random() < DISPUTED_SHARE if not stop else stop in ("appealed", "upheld")
        finding = rng.choice(("mistaken", "mistaken", "malicious")) if disputed else "valid"
        verified = contacted + dt.timedelta(hours=2)
        self.schedule(verified, lambda: self._step(pk, head, "verify", finding=finding))
        if disputed:
            self._appeal(order, head, finding, verified, supervisors, upheld=stop == "upheld" or None)
            return
        self._fix_and_answer(pk, head, verified, satisfaction="dissatisfied" if stop == "escalated" else "")

    def _fix_and_answer(
        self, pk: int, head: User, start: dt.datetime, *, then_rate: bool = True, satisfaction: str = ""
    ) -> None:
        rng = self.rng
        late = rng.random() < LATE_FIX_SHARE
        acted = self.after(start, rng.randint(6, 8) if late else rng.randint(1, 4), start)
        outcome = rng.choices([o for o, _w in _OUTCOMES], weights=[w for _o, w in _OUTCOMES])[0]
        details: dict[str, Any] = {"outcome": outcome}
        if outcome == "fixed_by_deadline":
            details |= {"ledger_entry": _LEDGER, "ledger_due": (acted + dt.timedelta(days=20)).date()}
        elif outcome == "explained":
            details |= {"explanation": _EXPLANATION}
        else:
            details |= {"outcome_notes": "已当场整改。"}
        self.schedule(acted, lambda: self._step(pk, head, "act", **details))
        answered = acted + dt.timedelta(minutes=30)
        self.schedule(answered, lambda: self._step(pk, head, "answer", answer=rng.choice(_ANSWERS)))
        if then_rate:
            self._rate(pk, head, answered, satisfaction)

    def _rate(self, pk: int, head: User, answered: dt.datetime, satisfaction: str = "") -> None:
        rng = self.rng
        drawn = rng.choices([s for s, _w in _SATISFACTION], weights=[w for _s, w in _SATISFACTION])[0]
        satisfaction = satisfaction or drawn
        rated = self.after(answered, rng.randint(1, 2), answered)
        self.schedule(rated, lambda: self._rate_now(pk, satisfaction))
        if satisfaction == "dissatisfied":
            ruled = self.after(rated, rng.randint(1, 3), rated)
            supervisor = rng.choice(self._region_staff(Role.SUPERVISOR))
            if rng.random() < 0.5:
                self.schedule(
                    ruled, lambda: self._step(pk, supervisor, "reopen", reason="群众仍不满意，请进一步整改。")
                )
                self._fix_and_answer(pk, head, ruled, then_rate=False)
            else:
                self.schedule(
                    ruled,
                    lambda: self._step(
                        pk, supervisor, "close_escalated", reason="已依法依规处理并充分解释。"
                    ),
                )
            return
        closed = self.after(rated, rng.choice((0, 1)), rated)
        self.schedule(closed, lambda: self._step(pk, head, "close"))

    def _rate_now(self, pk: int, satisfaction: str) -> None:
        """The citizen rates online when they have an account; otherwise the quality office calls back."""
        order = RectificationOrder.objects.select_related("evaluation__case__applicant").get(pk=pk)
        if order.status != OrderStatus.ANSWERED or self._stopped(order):
            return
        applicant = order.evaluation.case.applicant
        rater = applicant if applicant is not None and order.evaluation.evaluator_key == "applicant" else None
        self._step(
            pk,
            rater or self.rng.choice(self._region_staff(Role.QUALITY_OFFICER)),
            "rate",
            satisfaction=satisfaction,
        )

    def _appeal(
        self,
        order: RectificationOrder,
        head: User,
        finding: str,
        verified: dt.datetime,
        supervisors: list[User],
        upheld: bool | None = None,
    ) -> None:
        rng = self.rng
        pk = order.pk
        appellant = order.evaluation.staff or head
        filed = self.after(verified, rng.choice((0, 1)), verified)
        self.schedule(filed, lambda: self._file(pk, appellant, head, finding))
        decided = self.after(filed, rng.randint(1, 3), filed)
        drawn = rng.random() < UPHELD_SHARE
        upheld = drawn if upheld is None else upheld
        reviewer = rng.choice(supervisors)
        self.schedule(decided, lambda: self._decide(pk, reviewer, upheld))
        answered = decided + dt.timedelta(hours=3)
        if upheld:
            self.schedule(
                answered,
                lambda: self._step(
                    pk, head, "answer_and_close", answer="经核查，该评价与实际情况不符，已向群众说明。"
                ),
            )
        else:
            self._fix_and_answer(pk, head, decided)

    def _file(self, pk: int, appellant: User, head: User, finding: str) -> None:
        order = RectificationOrder.objects.get(pk=pk)
        if self._stopped(order):
            return
        for actor in (appellant, head):
            with contextlib.suppress(DomainError):
                rect.appeal_file(actor=actor, order=order, kind=finding, reason=_APPEAL_REASONS[finding])
                return

    def _decide(self, pk: int, reviewer: User, upheld: bool) -> None:
        appeal = Appeal.objects.filter(order_id=pk, status="pending").select_related("order").first()
        if appeal is None or self._stopped(appeal.order):
            return
        reason = "申诉理由成立，该评价不计入考核。" if upheld else "申诉理由不充分，请单位继续整改。"
        with contextlib.suppress(DomainError):
            rect.appeal_decide(
                actor=reviewer, appeal=appeal, outcome="upheld" if upheld else "rejected", reason=reason
            )
