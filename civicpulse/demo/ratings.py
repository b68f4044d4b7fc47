"""Citizens' ratings in the demo history, made only through the evaluation services.

Pads at the windows rate most hall visits right after intake; online applicants rate on the portal after
the decision, hall applicants now and then through the SMS link. Pad ratings run higher than web ratings,
as they do in practice. A few fraud patterns are planted: a window officer rating their own cases through
the hotline, and a burst from one kiosk.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.cases.models import Case, Ticket
from civicpulse.core import clock
from civicpulse.core.errors import DomainError
from civicpulse.demo.rectifications import Rectifications
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.enums import EvalChannel, Stage
from civicpulse.evaluations.models import Integration
from civicpulse.rectification.models import RectificationOrder

# Share of interactions rated, per channel (most visits are not rated: evaluation is voluntary).
PAD_SHARE = 0.65
PORTAL_SHARE = 0.45
LINK_SHARE = 0.2
# Level distributions (5 down to 1): pads higher than the web.
_PAD_LEVELS = (0.72, 0.19, 0.04, 0.035, 0.015)
_WEB_LEVELS = (0.52, 0.24, 0.1, 0.08, 0.06)
_LINK_LEVELS = (0.58, 0.24, 0.08, 0.06, 0.04)
_TAGS_BY_LEVEL = {
    3: ("slow", "long_wait", "unclear_notice", "other"),
    2: ("slow", "repeated_visits", "unclear_notice", "attitude", "system"),
    1: ("attitude", "repeated_visits", "slow"),
}
_COMMENTS = {
    3: ("等了比较久。", "材料要求可以说得更清楚一些。", ""),
    2: ("来回跑了两趟才办好。", "网上系统经常卡顿。", "一次性告知不到位。"),
    1: ("窗口人员态度生硬，不耐烦。", "说好五个工作日，结果拖了很久也没人解释。"),
}
RECENT = dt.timedelta(days=21)
_GOOD_COMMENTS = ("办事效率很高，谢谢！", "工作人员很耐心。", "", "", "")


class Ratings:
    def __init__(
        self,
        rng: random.Random,
        schedule: Callable[[dt.datetime, Callable[[], None]], None],
        after: Callable[[dt.datetime, int, dt.datetime], dt.datetime],
        end: dt.date,
    ) -> None:
        self.rng = rng
        self.schedule = schedule
        self.end = end
        self.rectification = Rectifications(rng, schedule, after)
        self.rectification.end = end
        self.pads: dict[int, Integration] = {}
        self.hotline: Integration | None = None
        self.kiosk: Integration | None = None
        self.planted_self_ratings = 0

    def _pad(self, window: OrgUnit) -> Integration:
        if window.pk not in self.pads:
            self.pads[window.pk], _token = ev.integration_issue(
                actor=None, name=f"平板 {window.code}", channel=EvalChannel.PAD, window=window
            )
        return self.pads[window.pk]

    def _rating(self, weights: tuple[float, ...], at: dt.datetime) -> ev.Rating:
        if self.end - at.date() < RECENT:
            # The last weeks' backlog draws more complaints, so rectifications are open in every state.
            weights = (*weights[:3], weights[3] * 6, weights[4] * 6)
        level = self.rng.choices((5, 4, 3, 2, 1), weights=weights)[0]
        if level >= 4:
            return ev.Rating(
                level=level, dimensions=self._dimensions(level), tags=[], text=self.rng.choice(_GOOD_COMMENTS)
            )
        tags = self.rng.sample(_TAGS_BY_LEVEL[level], self.rng.choice((1, 1, 2)))
        return ev.Rating(
            level=level, dimensions=self._dimensions(level), tags=tags, text=self.rng.choice(_COMMENTS[level])
        )

    def _dimensions(self, level: int) -> dict[str, int]:
        if self.rng.random() < 0.5:
            return {}
        return {"efficiency": max(1, min(5, level + self.rng.choice((-1, 0, 0, 1))))}

    def _submit(self, **kwargs: object) -> None:
        # The case was captured when the rating was planned; rate it as it stands now.
        case = kwargs["case"]
        assert isinstance(case, Case)
        kwargs["case"] = Case.objects.select_related("window", "responsible_unit", "intake_officer").get(
            pk=case.pk
        )
        try:
            evaluation = ev.evaluation_submit(**kwargs)  # type: ignore[arg-type]
        except DomainError:
            return  # e.g. rated already on another channel: the second rating is refused, as in real life
        order = RectificationOrder.objects.filter(evaluation=evaluation).first()
        if order is not None:
            self.rectification.plan(order, clock.now())

    # --- hooks called by the case history --------------------------------------------------------------

    def after_hall_visit(
        self, case: Case, window: OrgUnit, ticket: Ticket, at: dt.datetime, officer: User
    ) -> None:
        if self.rng.random() < PAD_SHARE:
            pad = self._pad(window)
            rating = self._rating(_PAD_LEVELS, at)
            self.schedule(
                at + dt.timedelta(minutes=1),
                lambda: self._submit(
                    case=case,
                    stage=Stage.INTAKE,
                    channel=EvalChannel.PAD,
                    rating=rating,
                    as_applicant=True,
                    integration=pad,
                    ticket=ticket,
                    device=f"pad:{pad.pk}",
                ),
            )
        if self.planted_self_ratings < 3 and officer.phone and self.rng.random() < 0.01:
            # Planted fraud: the officer rates their own case through the hotline with their own phone.
            self.planted_self_ratings += 1
            self.schedule(at + dt.timedelta(hours=2), lambda: self._self_rating(case, officer))

    def _self_rating(self, case: Case, officer: User) -> None:
        if self.hotline is None:
            self.hotline, _token = ev.integration_issue(
                actor=None, name="12345 热线", channel=EvalChannel.HOTLINE
            )
        self._submit(
            case=case,
            stage=Stage.INTAKE,
            channel=EvalChannel.HOTLINE,
            rating=ev.Rating(level=5, dimensions={}, tags=[], text="非常满意！"),
            evaluator_phone=officer.phone,
            integration=self.hotline,
        )

    def after_decision(self, case: Case, at: dt.datetime, citizen: User | None) -> None:
        if citizen is not None and self.rng.random() < PORTAL_SHARE:
            rating = self._rating(_WEB_LEVELS, at)
            later = at + dt.timedelta(hours=self.rng.randint(1, 72))
            self.schedule(
                later,
                lambda: self._submit(
                    case=case,
                    stage=Stage.COMPLETION,
                    channel=EvalChannel.PORTAL,
                    rating=rating,
                    evaluator=citizen,
                    evaluator_phone=citizen.phone,
                ),
            )
        elif citizen is None and self.rng.random() < LINK_SHARE:
            rating = self._rating(_LINK_LEVELS, at)
            later = at + dt.timedelta(hours=self.rng.randint(2, 48))
            self.schedule(later, lambda: self._by_link(case, rating))

    def _by_link(self, case: Case, rating: ev.Rating) -> None:
        link, _token = ev.link_issue(case=case, stage=Stage.COMPLETION)
        self._submit(
            case=case,
            stage=Stage.COMPLETION,
            channel=EvalChannel.LINK,
            rating=rating,
            as_applicant=True,
            link=link,
        )

    def kiosk_burst(self, cases: list[Case], at: dt.datetime) -> None:
        """Planted fraud: one self-service kiosk sends a run of top ratings within minutes."""
        if self.kiosk is None:
            self.kiosk, _token = ev.integration_issue(
                actor=None, name="自助终端 1", channel=EvalChannel.KIOSK
            )
        kiosk = self.kiosk
        for n, case in enumerate(cases):
            submit = functools.partial(
                self._submit,
                case=case,
                stage=Stage.INTAKE,
                channel=EvalChannel.KIOSK,
                rating=ev.Rating(level=5, dimensions={}, tags=[], text=""),
                evaluator_phone=f"1700000{n:04d}",
                integration=kiosk,
                device="kiosk:1",
            )
            self.schedule(at + dt.timedelta(minutes=n), submit)
