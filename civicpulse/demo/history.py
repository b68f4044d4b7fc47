"""Six months of case history for the demo county, made only through the case and queue services.

Arrivals are drawn per day and hour (busy Monday mornings, quiet weekends, nothing at night); each case's
life (hall ticket, intake, acceptance, steps, supplement requests, decision, pick-up, closing) is planned at
intake and played back in time order with the clock frozen at each moment. Whatever is planned after
`DEMO_NOW` is left undone, so recent cases are still open.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.accounts.models import OrgUnit, RoleAssignment, User
from civicpulse.cases import queue
from civicpulse.cases import services as cases
from civicpulse.cases.enums import Channel, VisitKind
from civicpulse.cases.models import Case
from civicpulse.catalogue.enums import Channels, ServiceMode
from civicpulse.catalogue.models import ProcedureVersion
from civicpulse.core import clock
from civicpulse.core.calendars import official_cn_calendar
from civicpulse.core.workdays import add_working_days
from civicpulse.demo import names
from civicpulse.demo.ratings import Ratings

TIME_ZONE = ZoneInfo("Asia/Shanghai")
# The history covers the 26 weeks before the demo's "now" (a Monday), so weekday patterns stay aligned.
HISTORY_WEEKS = 26
CITIZENS = 12
HALL_SHARE = 0.7
SUPPLEMENT_SHARE = 0.1
LATE_SHARE = 0.05
DENIED_SHARE = 0.03
WITHDRAWN_SHARE = 0.02
PICKUP_SHARE = 0.2
# Relative arrivals by weekday (Monday first) and by hour of the day.
_WEEKDAY_WEIGHTS = (1.5, 1.15, 1.0, 1.0, 0.85, 0.0, 0.0)
_HALL_HOURS = {9: 1.6, 10: 1.5, 11: 1.1, 12: 0.3, 13: 0.6, 14: 1.0, 15: 0.9, 16: 0.6}
_ONLINE_HOURS = {8: 0.5, 9: 1.0, 10: 1.2, 11: 1.0, 12: 0.6, 13: 0.7, 14: 1.0, 15: 1.0, 16: 0.9, 17: 0.6}
_ONLINE_HOURS |= {18: 0.4, 19: 0.6, 20: 0.7, 21: 0.4}
# Days off: only the odd online application arrives.
_DAY_OFF_WEIGHT = 0.08
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DENY_REASONS = (
    "申请人不符合法定条件。",
    "经核查，申请材料与实际情况不符。",
    "申请事项不属于本机关职权范围。",
)
_WITHDRAW_REASON = "申请人主动撤回申请。"
_SUPPLEMENT_REASON = "申请材料不齐全，请一次性补齐所列材料。"

Tick = Callable[[Promise], None]


def random_person(rng: random.Random, weights: list[float]) -> tuple[str, str]:
    """A Chinese full name and its pinyin, common surnames more likely."""
    surname, surname_py = rng.choices(names.SURNAMES, weights=weights)[0]
    given = rng.sample(names.GIVEN_CHARS, 2 if rng.random() < 0.7 else 1)
    return surname + "".join(c for c, _p in given), surname_py + "".join(p for _c, p in given)


def _id_number(rng: random.Random) -> str:
    """An 18-character resident ID number with a valid check character (GB 11643)."""
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    body = f"330110{born:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


@dataclass
class _Arrival:
    at: dt.datetime
    channel: str  # preferred; the version's channels decide
    service_index: int


@dataclass(order=True)
class _Event:
    at: dt.datetime
    seq: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class ServiceInfo:
    code: str
    unit: OrgUnit
    heads: list[User]
    version: Callable[[], ProcedureVersion]


class History:
    def __init__(
        self,
        rng: random.Random,
        services: list[ServiceInfo],
        windows_by_department: dict[int, list[OrgUnit]],
        halls: list[OrgUnit],
        total: int,
        surname_weights: list[float],
        tick: Tick,
        free_username: Callable[[str], str],
        end: dt.date,
    ) -> None:
        self.start = end - dt.timedelta(weeks=HISTORY_WEEKS)
        self.end = end
        self.rng = rng
        self.services = services
        self.windows_by_department = windows_by_department
        self.halls = halls
        self.total = total
        self.surname_weights = surname_weights
        self.tick = tick
        self.free_username = free_username
        self.calendar = official_cn_calendar()
        self.events: list[_Event] = []
        self.seq = 0
        self.window_free: dict[int, dt.datetime] = {}
        self.officers: dict[int, list[User]] = {}
        self.hall_windows: dict[int, list[OrgUnit]] = {}
        self.citizens: list[tuple[User, cases.Applicant]] = []
        self.materials: dict[int, list[tuple[int, bool]]] = {}
        self.steps: dict[int, list[tuple[str, bool]]] = {}
        self.arrivals: list[_Arrival] = []
        self.next_arrival = 0
        self.ratings = Ratings(rng, self._at, self._after, end)
        self.hall_cases: list[Case] = []

    # --- set-up -------------------------------------------------------------------------------------------

    def prepare(self, joined: list[tuple[User, dt.datetime]]) -> None:
        for assignment in (
            RoleAssignment.objects.filter(role=Role.WINDOW_OFFICER)
            .select_related("user")
            .order_by("user__username")
        ):
            self.officers.setdefault(assignment.unit_id, []).append(assignment.user)
        for windows in self.windows_by_department.values():
            for window in windows:
                self.hall_windows.setdefault(window.parent_id or 0, []).append(window)
        at = dt.datetime.combine(self.start - dt.timedelta(days=7), dt.time(19, 0), TIME_ZONE)
        for _n in range(CITIZENS):
            full_name, pinyin = random_person(self.rng, self.surname_weights)
            phone = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            at += dt.timedelta(minutes=self.rng.randint(60, 600))
            with clock.frozen(at):
                citizen = org.citizen_create(
                    username=self.free_username(pinyin), full_name=full_name, password="", phone=phone
                )
            joined.append((citizen, at))
            self.citizens.append((citizen, cases.Applicant(full_name, _id_number(self.rng), phone)))
        self._plan_arrivals()

    def _plan_arrivals(self) -> None:
        days = []
        day = self.start
        end = self.end
        while day < end:
            working = self.calendar.is_working_day(day)
            days.append(
                (day, working, _WEEKDAY_WEIGHTS[day.weekday()] or 1.0 if working else _DAY_OFF_WEIGHT)
            )
            day += dt.timedelta(days=1)
        drawn = self.rng.choices(days, weights=[w for _d, _w, w in days], k=self.total)
        # Popular services first: a few take most of the applications.
        order = list(range(len(self.services)))
        self.rng.shuffle(order)
        popularity = [0.0] * len(order)
        for rank, index in enumerate(order):
            popularity[index] = 1 / (rank + 3) ** 1.1
        for day, working, _w in drawn:
            hall = working and self.rng.random() < HALL_SHARE
            hours = _HALL_HOURS if hall else _ONLINE_HOURS
            hour = self.rng.choices(list(hours), weights=list(hours.values()))[0]
            if hall and day.weekday() == 0 and hour < 12 and self.rng.random() < 0.5:
                hour = 9  # the Monday morning rush
            at = dt.datetime.combine(day, dt.time(hour, self.rng.randrange(60)), TIME_ZONE)
            index = self.rng.choices(range(len(self.services)), weights=popularity)[0]
            self.arrivals.append(_Arrival(at, Channel.HALL if hall else Channel.ONLINE, index))
        self.arrivals.sort(key=lambda a: (a.at, a.service_index))

    # --- playback -----------------------------------------------------------------------------------------

    def run_until(self, limit: dt.datetime) -> None:
        """Play every arrival and planned action before `limit`, in time order."""
        while True:
            arrival = self.arrivals[self.next_arrival] if self.next_arrival < len(self.arrivals) else None
            event = self.events[0] if self.events else None
            if arrival is not None and arrival.at < limit and (event is None or arrival.at <= event.at):
                self.next_arrival += 1
                self._arrive(arrival)
                self.tick(_stage())
            elif event is not None and event.at < limit:
                heapq.heappop(self.events)
                with clock.frozen(event.at):
                    event.action()
            else:
                return

    def skip_rest(self) -> None:
        """Arrivals after the end still count as progress steps (there are none when the end is DEMO_NOW)."""
        for _arrival in self.arrivals[self.next_arrival :]:
            self.tick(_stage())
        self.next_arrival = len(self.arrivals)

    def _at(self, at: dt.datetime, action: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.events, _Event(at, self.seq, action))

    def _after(self, at: dt.datetime, working_days: int, earliest: dt.datetime) -> dt.datetime:
        """A moment in office hours `working_days` after `at`'s day, never before `earliest`."""
        day = at.date()
        if working_days > 0:
            day = add_working_days(self.calendar, day, working_days)
        while not self.calendar.is_working_day(day):
            day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time(9, 0), TIME_ZONE) + dt.timedelta(
            minutes=self.rng.randrange(8 * 60)
        )
        if moment <= earliest:
            moment = earliest + dt.timedelta(minutes=self.rng.randint(3, 60))
        if moment.time() > dt.time(17, 30):
            moment = self._after(moment.replace(hour=9, minute=0), 1, earliest)
        return moment

    def _version_facts(
        self, version: ProcedureVersion
    ) -> tuple[list[tuple[int, bool]], list[tuple[str, bool]]]:
        if version.pk not in self.materials:
            self.materials[version.pk] = list(
                version.materials.order_by("position").values_list("position", "required")
            )
            self.steps[version.pk] = list(
                version.steps.order_by("position").values_list("key", "pause_allowed")
            )
        return self.materials[version.pk], self.steps[version.pk]

    def _arrive(self, arrival: _Arrival) -> None:
        info = self.services[arrival.service_index]
        version = info.version()
        channel = arrival.channel
        if version.channels == Channels.HALL or (
            channel == Channel.HALL and version.channels == Channels.BOTH
        ):
            channel = Channel.HALL
        else:
            channel = Channel.ONLINE
        if channel == Channel.HALL and not self.calendar.is_working_day(arrival.at.date()):
            return  # the hall is closed; the applicant comes another time (rare: days off draw few arrivals)
        if channel == Channel.HALL and arrival.at.hour > 16:
            arrival.at = arrival.at.replace(hour=16)
        materials, steps = self._version_facts(version)
        submitted = [position for position, required in materials if required or self.rng.random() < 0.3]
        if channel == Channel.HALL:
            self._hall_intake(arrival.at, info, version, submitted, steps)
        else:
            self._online_intake(arrival.at, info, version, submitted, steps)

    def _hall_intake(
        self,
        at: dt.datetime,
        info: ServiceInfo,
        version: ProcedureVersion,
        submitted: list[int],
        steps: list[tuple[str, bool]],
    ) -> None:
        hall = self.halls[0] if self.rng.random() < 0.75 or len(self.halls) == 1 else self.halls[1]
        windows = [w for w in self.windows_by_department.get(info.unit.pk, []) if w.parent_id == hall.pk]
        windows = [w for w in windows or self.hall_windows[hall.pk] if self.officers.get(w.pk)]
        window = min(windows, key=lambda w: (self.window_free.get(w.pk, at), w.code))
        officer = self.rng.choice(self.officers[window.pk])
        person, _pinyin = random_person(self.rng, self.surname_weights)
        phone = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
        applicant = cases.Applicant(person, _id_number(self.rng), phone)
        with clock.frozen(at):
            ticket = queue.ticket_issue(hall=hall, prefix="A")
        called = max(at + dt.timedelta(minutes=self.rng.randint(1, 8)), self.window_free.get(window.pk, at))
        called += dt.timedelta(minutes=self.rng.randint(0, 3))
        with clock.frozen(called):
            ticket = queue.ticket_call_next(actor=officer, window=window)
        if self.rng.random() < 0.03:
            # Called, but the applicant had stepped out: called again later with a new ticket.
            with clock.frozen(called + dt.timedelta(minutes=2)):
                queue.ticket_act(actor=officer, ticket=ticket, action="no_show")
            with clock.frozen(called + dt.timedelta(minutes=3)):
                ticket = queue.ticket_issue(hall=hall, prefix="A")
            called += dt.timedelta(minutes=self.rng.randint(10, 25))
            with clock.frozen(called):
                ticket = queue.ticket_call_next(actor=officer, window=window)
        started = called + dt.timedelta(minutes=1)
        with clock.frozen(started):
            queue.ticket_act(actor=officer, ticket=ticket, action="start")
        intake_at = started + dt.timedelta(minutes=self.rng.randint(2, 8))
        with clock.frozen(intake_at):
            case = cases.case_intake(
                actor=officer,
                service_code=info.code,
                channel=Channel.HALL,
                applicant=applicant,
                submitted_positions=submitted,
                window=window,
            )
        done = intake_at + dt.timedelta(minutes=self.rng.randint(1, 4))
        if version.service_mode == ServiceMode.IMMEDIATE:
            deny = self.rng.random() < DENIED_SHARE
            done += dt.timedelta(minutes=self.rng.randint(2, 10))
            with clock.frozen(done):
                cases.case_settle_on_the_spot(
                    actor=officer,
                    case=case,
                    approve=not deny,
                    reason=self.rng.choice(_DENY_REASONS) if deny else "",
                )
        else:
            with clock.frozen(done):
                cases.case_transition(actor=officer, case=case, transition="accept")
        finished = done + dt.timedelta(minutes=self.rng.randint(1, 5))
        with clock.frozen(finished):
            queue.ticket_act(actor=officer, ticket=ticket, action="finish")
        self.window_free[window.pk] = finished
        self.ratings.after_hall_visit(case, window, ticket, finished, officer)
        self.hall_cases.append(case)
        if len(self.hall_cases) == 150:
            self.ratings.kiosk_burst(self.hall_cases[-6:], finished + dt.timedelta(days=1))
        if version.service_mode != ServiceMode.IMMEDIATE:
            self._plan(case, info, version, steps, done, front=officer, window=window, citizen=None)

    def _online_intake(
        self,
        at: dt.datetime,
        info: ServiceInfo,
        version: ProcedureVersion,
        submitted: list[int],
        steps: list[tuple[str, bool]],
    ) -> None:
        citizen, applicant = self.rng.choice(self.citizens)
        with clock.frozen(at):
            case = cases.case_intake(
                actor=citizen,
                service_code=info.code,
                channel=Channel.ONLINE,
                applicant=applicant,
                submitted_positions=submitted,
            )
        head = self.rng.choice(info.heads)
        accepted = self._after(at, self.rng.choice([0, 0, 1]) if at.hour < 15 else 1, at)
        self._at(accepted, lambda: _transition(head, case, "accept"))
        if version.service_mode == ServiceMode.IMMEDIATE:
            decided = accepted + dt.timedelta(minutes=self.rng.randint(5, 40))
            self._at(decided, lambda: _transition(head, case, "approve"))
            self._at(decided + dt.timedelta(minutes=1), lambda: _transition(head, case, "deliver"))
            closed = self._after(decided, self.rng.choice([0, 1, 2]), decided + dt.timedelta(minutes=2))
            self._at(closed, lambda: _transition(head, case, "close"))
            return
        self._plan(case, info, version, steps, accepted, front=head, window=None, citizen=citizen)

    def _plan(
        self,
        case: Case,
        info: ServiceInfo,
        version: ProcedureVersion,
        steps: list[tuple[str, bool]],
        accepted: dt.datetime,
        *,
        front: User,
        window: OrgUnit | None,
        citizen: User | None,
    ) -> None:
        """Schedule the rest of a promised case's life, from acceptance to closing."""
        rng = self.rng
        limit = version.promised_limit_days
        keys = [key for key, _pause in steps]
        decide = keys.index("decide") if "decide" in keys else len(keys) - 1
        pause_at = next((i for i, (_k, pause) in enumerate(steps) if pause and 0 < i < decide), None)
        # The last month's backlog: recent cases run late more often, so the desk has overdue work now.
        recent = (self.end - accepted.date()).days < 30
        late = rng.random() < LATE_SHARE * (4 if recent else 1)
        if late:
            # Recent late cases drag on longest: they are the overdue work on the desk now.
            decision_day = limit + (rng.randint(8, 25) if recent else rng.randint(1, 8))
        else:
            decision_day = min(limit, max(1, round(limit * rng.uniform(0.25, 1.0))))
        outcome = rng.random()
        withdraw = outcome < WITHDRAWN_SHARE
        deny = WITHDRAWN_SHARE <= outcome < WITHDRAWN_SHARE + DENIED_SHARE
        # Supplement requests happen at steps that allow a pause; those services take all of the share.
        supplement = pause_at is not None and rng.random() < SUPPLEMENT_SHARE * 3
        head = rng.choice(info.heads)
        # (working days after acceptance, action); a supplement request stops the clock, so what follows
        # it moves later by the days the applicant took.
        plan: list[tuple[int, str]] = []
        shift = 0
        for i in range(1, decide + 1):
            plan.append((round(decision_day * i / (decide + 1)) + shift, "advance"))
            if i == pause_at and supplement:
                plan.append((plan[-1][0], "supplement"))
                shift += rng.randint(2, 8)
                plan.append((plan[-1][0] + shift, "resume"))
        plan.append((decision_day + shift, "deny" if deny else "approve"))
        if withdraw:
            cut = rng.randrange(len(plan))
            plan = [*plan[:cut], (plan[cut][0], "withdraw")]
        at = accepted
        start = dt.datetime.combine(accepted.date(), dt.time(9), TIME_ZONE)
        missing = [p for p, _required in self.materials[version.pk]]
        for day, what in plan:
            at = self._after(start, day, at)
            self._schedule(
                case, what, at, head=head, front=front, window=window, citizen=citizen, missing=missing
            )
        if withdraw:
            return
        # Delivery: in person at the window for some hall cases, otherwise by post or online.
        pickup = window is not None and rng.random() < PICKUP_SHARE
        delivered = self._after(at, rng.randint(1, 3) if pickup else rng.choice([0, 0, 1]), at)
        if pickup:
            self._schedule(case, "pickup", delivered, head=head, front=front, window=window, citizen=citizen)
            delivered += dt.timedelta(minutes=2)
        self._schedule(case, "deliver", delivered, head=head, front=front, window=window, citizen=citizen)
        closed = self._after(delivered, rng.choice([0, 1, 2]), delivered)
        self._schedule(case, "close", closed, head=head, front=front, window=window, citizen=citizen)

    def _schedule(
        self,
        case: Case,
        what: str,
        at: dt.datetime,
        *,
        head: User,
        front: User,
        window: OrgUnit | None,
        citizen: User | None,
        missing: list[int] | None = None,
    ) -> None:
        if what == "advance":
            self._at(at, lambda: _transition(_step_holder(case) or head, case, "advance"))
        elif what in ("approve", "deny"):
            reason = self.rng.choice(_DENY_REASONS) if what == "deny" else ""
            self._at(at, lambda: _transition(head, case, what, reason=reason))
            self.ratings.after_decision(case, at, citizen)
        elif what == "supplement":
            wanted = sorted(
                self.rng.sample(missing or [1], min(len(missing or [1]), self.rng.choice([1, 1, 2])))
            )
            self._at(
                at,
                lambda: _transition(
                    front, case, "request_supplement", reason=_SUPPLEMENT_REASON, missing=wanted
                ),
            )
        elif what == "resume":
            if window is not None:
                self._at(at, lambda: _visit(front, case, VisitKind.SUPPLEMENT, window))
                at += dt.timedelta(minutes=3)
            self._at(at, lambda: _transition(front, case, "resume"))
        elif what == "withdraw":
            actor = citizen or front
            self._at(at, lambda: _transition(actor, case, "withdraw", reason=_WITHDRAW_REASON))
        elif what == "pickup":
            assert window is not None
            self._at(at, lambda: _visit(front, case, VisitKind.PICKUP, window))
        else:  # deliver, close
            self._at(at, lambda: _transition(front, case, what))


def _step_holder(case: Case) -> User | None:
    """Who passes the case on from a review step: the approver the case service assigned when the step
    began. Other steps are passed on by the department's head, as before (a window officer may not)."""
    case = Case.objects.select_related("assignee", "version").get(pk=case.pk)
    step = case.version.steps.filter(position=case.step_position or 0).first()
    if step is None or step.responsible_role != Role.APPROVER:
        return None
    return case.assignee


def _transition(
    actor: User, case: Case, transition: str, *, reason: str = "", missing: list[int] | None = None
) -> None:
    cases.case_transition(actor=actor, case=case, transition=transition, reason=reason, missing=missing)


def _visit(actor: User, case: Case, kind: str, window: OrgUnit) -> None:
    cases.visit_record(actor=actor, case=case, kind=kind, window=window)


def _stage() -> Promise:
    return _("Case history")
