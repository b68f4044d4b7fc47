"""Publishing a period: the figures are the assessment engine's for the same period and cut-off, computed
once and frozen; the same period is never live twice; withdrawing hides it with a reason and keeps it; only
the quality office of the organisation publishes; examples are anonymised and chosen by the office."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from civicpulse.assessment import indicators as lib
from civicpulse.assessment import services as assessment
from civicpulse.assessment.counts import count, wait_target_minutes
from civicpulse.assessment.facts import expected_days_before, unit_resolver
from civicpulse.assessment.models import RunValue
from civicpulse.catalogue.models import Service
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent
from civicpulse.publication import selectors, services
from civicpulse.publication.indicators import CODES
from civicpulse.publication.models import PublishedExample, PublishedFigure, PublishedPeriod
from civicpulse.quality.measure import measure
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import RectificationOrder
from tests.publication.conftest import at, decided, desk, rated

pytestmark = pytest.mark.django_db

NOVEMBER = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))


def _november(w) -> None:
    """dept-a: 12 good and 3 bad reviews; dept-b: 11 good, 1 neutral and 3 late cases."""
    rated(w.desk_a, "2025-11-03", [5] * 8 + [4] * 4 + [1, 2, 1], text="王小明态度差")
    rated(w.desk_b, "2025-11-04", [5] * 11 + [3])
    for _ in range(3):
        decided(w.desk_b, "2025-11-05", late=True)


def _publish(w, period: str = "2025-11", day: str = "2025-12-05", **kwargs) -> PublishedPeriod:
    with clock.frozen(at(day)):
        return services.period_publish(actor=w.office, scope=w.region, period=period, **kwargs)


def _figures(period: PublishedPeriod) -> dict[tuple[str, str], PublishedFigure]:
    return {(f.subject_code, f.indicator): f for f in PublishedFigure.objects.filter(period=period)}


def _engine(units, cutoff) -> dict[tuple[str, str], lib.IndicatorValue]:
    """The same period counted straight from the raw tables, as an assessment run counts it."""
    start, end = NOVEMBER
    counted = count(
        start=start,
        end=end,
        cutoff=cutoff,
        resolve=unit_resolver(u.pk for u in units),
        by_staff=False,
        members=[],
    )
    references = {
        "expected_days": expected_days_before(start, cutoff),
        "channel_rates": counted.channel_rates,
        "wait_target_minutes": wait_target_minutes(),
    }
    found = {}
    for unit in units:
        for code in CODES:
            indicator = lib.INDICATORS[code]
            counts = counted.by_subject[indicator.source].get(unit.pk) or lib.COUNTS_OF[indicator.source]()
            found[(unit.code, code)] = lib.from_counts(
                code, counts, references[indicator.needs] if indicator.needs else None
            )
    return found


def _same(figure: PublishedFigure, value: lib.IndicatorValue) -> None:
    assert (figure.value, figure.n, figure.numerator, figure.low, figure.high, figure.insufficient) == (
        value.value,
        value.n,
        float(value.numerator),
        value.low,
        value.high,
        value.insufficient,
    ), figure


def test_published_department_figures_are_the_engines_for_the_same_period_and_cutoff(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    assert (period.label, period.kind, period.start, period.end) == ("2025-11", "month", *NOVEMBER)
    assert period.cutoff == at("2025-12-05") and period.slug == "2025-11-county"
    figures = _figures(period)
    engine = _engine([w.dept_a, w.dept_b], at("2025-12-05"))
    for (code, indicator), value in engine.items():
        _same(figures[(code, indicator)], value)
    # The numbers themselves, so the comparison cannot pass on two empty sides.
    good_a = figures[("dept-a", "good_review_rate")]
    assert (good_a.numerator, good_a.n, good_a.suppressed) == (12, 15, False)
    on_time_b = figures[("dept-b", "on_time_completion_rate")]
    assert (on_time_b.numerator, on_time_b.n) == (12, 15)


def test_published_service_figures_are_what_the_engine_measures_for_each_service(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    figures = _figures(period)
    start, end = NOVEMBER
    for code in ("SVC-1", "SVC-DEPT-B"):
        service = Service.objects.get(code=code)
        for indicator in CODES:
            value = measure(indicator, start=start, end=end, cutoff=at("2025-12-05"), service=service)
            _same(figures[(code, indicator)], value)
    service_b = figures[("SVC-DEPT-B", "good_review_rate")]
    assert (service_b.department_code, service_b.numerator, service_b.n) == ("dept-b", 11, 12)


def test_published_figures_equal_a_finalized_assessment_run_of_the_month(county_world):
    w = county_world
    _november(w)
    with clock.frozen(at("2025-12-05")):
        run = assessment.run_compute(actor=w.office, version=w.version, period="2025-11")
        run = assessment.run_finalize(actor=w.leader, run=run)
    period = _publish(w)
    figures = _figures(period)
    compared = 0
    for value in RunValue.objects.filter(subject__run=run).select_related("subject__unit"):
        published = figures[(value.subject.unit.code, value.indicator)]
        assert (published.value, published.n, published.numerator, published.low, published.high) == (
            value.value,
            value.n,
            value.numerator,
            value.low,
            value.high,
        )
        compared += 1
    assert run.status == "finalized" and compared == 4


def test_later_records_never_change_published_figures(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    before = {key: (f.value, f.n) for key, f in _figures(period).items()}
    # Ratings of November arriving after publication: the live engine counts them, the publication not.
    rated(w.desk_a, "2025-11-20", [1] * 5)
    now = _engine([w.dept_a, w.dept_b], at("2025-12-20"))
    assert now[("dept-a", "good_review_rate")].n == 20
    assert {key: (f.value, f.n) for key, f in _figures(period).items()} == before
    assert selectors.live_period(slug=period.slug).digest == period.digest


def test_the_same_period_cannot_be_published_twice_while_live(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    with pytest.raises(Conflict) as refused:
        _publish(w, day="2025-12-06")
    assert refused.value.code == "already_published"
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishedPeriod.objects.create(
            **{
                f.name: getattr(period, f.name)
                for f in PublishedPeriod._meta.concrete_fields
                if f.name not in ("id", "slug")
            },
            slug="another",
        )
    assert PublishedPeriod.objects.count() == 1


def test_published_rows_refuse_every_change_in_the_model_and_the_database(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    figure = PublishedFigure.objects.filter(period=period).first()
    figure.value = 0.99
    with pytest.raises(RuntimeError):
        figure.save()
    with pytest.raises(RuntimeError):
        figure.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        PublishedFigure.objects.filter(period=period).update(value=0.5)
    with pytest.raises(DatabaseError), transaction.atomic():
        PublishedPeriod.objects.filter(pk=period.pk).update(label="2025-10")
    with pytest.raises(DatabaseError), transaction.atomic():
        PublishedPeriod.objects.filter(pk=period.pk).update(cutoff=at("2025-12-31"))
    figure.refresh_from_db()
    assert figure.value != 0.5 and PublishedPeriod.objects.get().label == "2025-11"


def test_withdrawing_hides_the_results_keeps_them_and_allows_a_new_publication(county_world):
    w = county_world
    _november(w)
    period = _publish(w)
    rows = PublishedFigure.objects.filter(period=period).count()
    with clock.frozen(at("2025-12-08")):
        with pytest.raises(ValidationFailed):
            services.period_withdraw(actor=w.office, period=period, reason="  ")
        withdrawn = services.period_withdraw(
            actor=w.office, period=period, reason="Two services were mixed up."
        )
        with pytest.raises(Conflict):
            services.period_withdraw(actor=w.office, period=withdrawn, reason="Again.")
    assert (withdrawn.status, withdrawn.withdrawal_reason) == ("withdrawn", "Two services were mixed up.")
    assert PublishedFigure.objects.filter(period=period).count() == rows
    assert not selectors.live_periods().exists()
    event = AuditEvent.objects.get(action="publication.period.withdrawn")
    assert (event.actor, event.target_id, event.data["reason"]) == (
        w.office,
        str(period.pk),
        withdrawn.withdrawal_reason,
    )
    # A withdrawn publication stays withdrawn, in the database too.
    with pytest.raises(DatabaseError), transaction.atomic():
        PublishedPeriod.objects.filter(pk=period.pk).update(
            status="live", withdrawn_at=None, withdrawal_reason=""
        )
    again = _publish(w, day="2025-12-09")
    assert again.slug == "2025-11-county-2" and again.cutoff == at("2025-12-09")
    assert AuditEvent.objects.filter(action="publication.period.published").count() == 2


@pytest.mark.parametrize(
    ("period", "day", "code"),
    [
        ("2025-12", "2025-12-05", "period_not_complete"),
        ("2025-11", "2025-11-30", "period_not_complete"),
        ("2025-Q4", "2025-12-31", "period_not_complete"),
        ("2025", "2025-12-05", "period_not_complete"),
        ("2025-13", "2025-12-05", "invalid_period"),
        ("last month", "2025-12-05", "invalid_period"),
    ],
)
def test_only_a_complete_period_is_published(county_world, period, day, code):
    with pytest.raises(ValidationFailed) as refused:
        _publish(county_world, period=period, day=day)
    assert refused.value.code == code
    assert not PublishedPeriod.objects.exists()


def test_a_quarter_is_published_the_day_after_it_ends(county_world):
    w = county_world
    _november(w)
    period = _publish(w, period="2025-q4", day="2026-01-01")
    assert (period.label, period.kind, period.start, period.end) == (
        "2025-Q4",
        "quarter",
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )


def test_only_the_quality_office_publishes_and_only_for_what_it_covers(county_world):
    w = county_world
    _november(w)
    for outsider in (w.admin, w.leader, w.supervisor, w.head_a, w.window_officer, w.quality_a):
        with pytest.raises(Forbidden), clock.frozen(at("2025-12-05")):
            services.period_publish(actor=outsider, scope=w.region, period="2025-11")
    with clock.frozen(at("2025-12-05")):
        own = services.period_publish(actor=w.quality_a, scope=w.dept_a, period="2025-11")
    assert {f.subject_code for f in PublishedFigure.objects.filter(period=own)} == {"dept-a", "SVC-1"}
    with pytest.raises(Forbidden), clock.frozen(at("2025-12-06")):
        services.period_withdraw(actor=w.head_a, period=own, reason="Not mine to withdraw.")
    # The county's office may publish the county's month beside the department's own.
    assert _publish(w).scope == w.region


def test_departments_are_ranked_within_their_category_only(county_world, settings):
    settings.CIVICPULSE = {**settings.CIVICPULSE, "PUBLICATION_MIN_SAMPLE": 10}
    w = county_world
    desk_c = desk(w, "dept-c")
    desk_t = desk(w, "town-1", category="town")
    desk_u = desk(w, "town-2", category="town")
    rated(w.desk_a, "2025-11-03", [5] * 10)  # 10 of 10
    rated(w.desk_b, "2025-11-03", [5] * 9)  # 9: insufficient for the public
    # 19 of 20 (95 %) ranks above 10 of 10 (100 %): its interval's lower bound is higher.
    rated(desk_c, "2025-11-04", [5] * 19 + [1])
    rated(desk_t, "2025-11-05", [5] * 10 + [3] * 4)  # 10 of 14
    rated(desk_u, "2025-11-05", [5] * 3)  # 3
    period = _publish(w)
    ranks = {
        f.subject_code: f.rank
        for f in PublishedFigure.objects.filter(
            period=period, indicator="good_review_rate", subject_kind="department"
        )
    }
    assert ranks == {"dept-a": 2, "dept-b": None, "dept-c": 1, "town-1": 1, "town-2": None}
    insufficient = set(
        PublishedFigure.objects.filter(
            period=period, indicator="good_review_rate", insufficient=True
        ).values_list("subject_code", flat=True)
    )
    assert insufficient == {"dept-b", "town-2", "SVC-DEPT-B", "SVC-TOWN-2"}


def _rectified(w, satisfaction: str) -> RectificationOrder:
    order = RectificationOrder.objects.filter(status="open").order_by("pk").first()
    steps = [
        (w.head_a, "contact", rect.Details(call_notes="王小明 called back on 13812345678.")),
        (w.head_a, "verify", rect.Details(finding="valid")),
        (w.head_a, "act", rect.Details(outcome="fixed_at_once", outcome_notes="已当场整改。")),
        (
            w.head_a,
            "answer",
            rect.Details(answer="已向王小明致歉（电话13812345678），窗口调整排班。案件详见20251103000001。"),
        ),
        (w.office, "rate", rect.Details(satisfaction=satisfaction)),
    ]
    for i, (actor, step, details) in enumerate(steps):
        with clock.frozen(at("2025-11-05") + dt.timedelta(hours=i)):
            order = rect.order_transition(actor=actor, order=order, transition=step, details=details)
    return order


def test_examples_are_rectified_bad_reviews_rated_satisfied_and_anonymised(county_world):
    w = county_world
    applicant = rated(
        w.desk_a,
        "2025-11-03",
        [1, 2, 1],
        text="窗口王小明态度差，我的电话13812345678，身份证110101199003071234",
    )
    satisfied = _rectified(w, "satisfied")
    _rectified(w, "dissatisfied")
    period = _publish(w)
    (example,) = PublishedExample.objects.filter(period=period)
    assert example.order_id == satisfied.pk and applicant[0].case.applicant_name == "王小明"
    assert (example.service_code, example.department_code, example.month) == (
        "SVC-1",
        "dept-a",
        dt.date(2025, 11, 1),
    )
    assert example.tags == [{"key": "slow", "name_zh": "办理速度慢", "name_en": "Too slow"}]
    for text in (example.complaint, example.answer):
        assert "王小明" not in text and "13812345678" not in text and "110101199003071234" not in text
    assert example.complaint == "窗口王**态度差，我的电话***，身份证***"
    assert example.answer == "已向王**致歉（电话***），窗口调整排班。案件详见***。"
    assert (example.outcome, example.satisfaction) == ("fixed_at_once", "satisfied")


def test_the_office_chooses_which_examples_are_published(county_world):
    w = county_world
    rated(w.desk_a, "2025-11-03", [1, 1], text="太慢")
    first, second = _rectified(w, "satisfied"), _rectified(w, "basically_satisfied")
    with clock.frozen(at("2025-12-05")):
        offered = selectors.period_preview(user=w.office, scope=w.region, period="2025-11").examples
    assert [e.order_id for e in offered] == [first.pk, second.pk]
    with pytest.raises(ValidationFailed) as refused:
        _publish(w, examples=[second.pk, 999999])
    assert refused.value.code == "unknown_example" and not PublishedPeriod.objects.exists()
    period = _publish(w, examples=[second.pk])
    assert list(PublishedExample.objects.filter(period=period).values_list("order_id", flat=True)) == [
        second.pk
    ]
    event = AuditEvent.objects.get(action="publication.period.published")
    assert event.data == {"period": "2025-11", "departments": 2, "services": 1, "examples": 1}
