"""Rating an interaction on every channel: uniqueness, idempotency, links, the pad, fraud, privacy."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from civicpulse.accounts import services as org
from civicpulse.accounts.enums import Role
from civicpulse.cases import services as cases
from civicpulse.cases.models import Case
from civicpulse.core import clock
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent, Notification
from civicpulse.evaluations import services as ev
from civicpulse.evaluations.models import Evaluation, EvaluationLink, IndicatorTemplate
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Test staff all have the phone 13812345678 (factories): the applicant must not look like one of them.
APPLICANT = cases.Applicant(name="王小明", id_number="110101199003071234", phone="13811112222")
GOOD = ev.Rating(level=5, dimensions={"efficiency": 5}, tags=[], text="")


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


@pytest.fixture
def world(county):
    org.role_assign(actor=None, user=county.approver_a, role=Role.APPROVER, unit=county.dept_a)
    with clock.frozen(at("2025-06-02")):
        factories.published_service(county, "SVC-1")
    county.citizen.phone = "13900009999"
    county.citizen.save()
    return county


def online_case(world, day: str = "2025-11-03") -> Case:
    with clock.frozen(at(day)):
        return cases.case_intake(
            actor=world.citizen,
            service_code="SVC-1",
            channel="online",
            applicant=cases.Applicant("市民", "110101199003071234", "13900009999"),
            submitted_positions=[1, 2],
        )


def hall_case(world, day: str = "2025-11-03", hour: int = 10) -> Case:
    with clock.frozen(at(day, hour)):
        return cases.case_intake(
            actor=world.window_officer,
            service_code="SVC-1",
            channel="hall",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
            window=world.window,
        )


def decided(world, case: Case, day: str = "2025-11-04") -> Case:
    with clock.frozen(at(day)):
        case = cases.case_transition(actor=world.head_a, case=case, transition="accept")
        return cases.case_transition(actor=world.approver_a, case=case, transition="approve")


# --- the portal -------------------------------------------------------------------------------------------


def test_a_citizen_rates_a_reached_stage_of_their_own_case_once(world, client_for):
    case = decided(world, online_case(world))
    client = client_for(world.citizen, language="en")
    page = client.get(f"/my/cases/{case.number}/").content.decode()
    assert page.count('name="level"') == 5 * 3  # intake, acceptance and completion are all reached
    url = f"/my/cases/{case.number}/rate/completion/"
    thanks = client.post(url, {"level": "5", "dim-efficiency": "4"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Thank you for your rating." in thanks
    again = client.post(url, {"level": "4"}, HTTP_HX_REQUEST="true").content.decode()
    assert "already been rated" in again
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.evaluator_key, evaluation.level) == ("portal", "applicant", 5)
    assert evaluation.dimensions == {"efficiency": 4} and evaluation.template.version == 1
    assert evaluation.unit == world.dept_a and evaluation.staff == world.approver_a
    assert page.count('name="level"') > client.get(f"/my/cases/{case.number}/").content.decode().count(
        'name="level"'
    )


def test_a_stage_not_yet_reached_is_not_offered_on_the_portal(world, client_for):
    case = online_case(world)
    page = client_for(world.citizen).get(f"/my/cases/{case.number}/").content.decode()
    assert page.count('name="level"') == 5  # intake only


@pytest.mark.parametrize(
    ("rating", "code"),
    [
        (ev.Rating(level=3, dimensions={}, tags=[]), "reason_required"),
        (ev.Rating(level=2, dimensions={}, tags=[], text="   "), "reason_required"),
        (ev.Rating(level=6, dimensions={}, tags=[]), "invalid_level"),
        (ev.Rating(level=0, dimensions={}, tags=[]), "invalid_level"),
        (ev.Rating(level=5, dimensions={"speed": 5}, tags=[]), "unknown_dimension"),
        (ev.Rating(level=5, dimensions={"efficiency": 9}, tags=[]), "invalid_level"),
        (ev.Rating(level=1, dimensions={}, tags=["nonsense"]), "unknown_tag"),
        (ev.Rating(level=5, dimensions={}, tags=[], text="字" * 1201), "text_too_long"),
    ],
)
def test_a_bad_rating_is_refused_and_nothing_is_written(world, rating, code):
    case = online_case(world)
    with pytest.raises(ValidationFailed) as error:
        ev.evaluation_submit(
            case=case, stage="intake", channel="portal", rating=rating, evaluator=world.citizen
        )
    assert error.value.code == code
    assert Evaluation.objects.count() == 0


def test_a_neutral_rating_with_a_reason_is_accepted_and_counts_as_neither(world):
    case = online_case(world)
    rating = ev.Rating(level=3, dimensions={}, tags=["slow"])
    evaluation = ev.evaluation_submit(
        case=case, stage="intake", channel="portal", rating=rating, evaluator=world.citizen
    )
    assert evaluation.grade == "neutral" and evaluation.status == "valid"


def test_staff_accounts_can_never_rate(world, client_for):
    case = online_case(world)
    with pytest.raises(Forbidden):
        ev.evaluation_submit(case=case, stage="intake", channel="portal", rating=GOOD, evaluator=world.head_a)
    response = client_for(world.head_a).post(
        "/api/v1/evaluate",
        json.dumps({"case_number": case.number, "stage": "intake", "level": 5}),
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "staff_cannot_rate"
    _link, token = ev.link_issue(case=case, stage="intake")
    assert client_for(world.window_officer).post(f"/e/{token}/", {"level": "5"}).status_code == 403
    assert Evaluation.objects.count() == 0


# --- integrations and idempotency -----------------------------------------------------------------------


def test_an_integration_rates_with_its_token_and_a_retry_returns_the_first_result(world, client_for):
    case = decided(world, hall_case(world))
    _integration, token = ev.integration_issue(actor=None, name="12345 hotline", channel="hotline")
    client = client_for(None)
    body = json.dumps(
        {
            "case_number": case.number,
            "stage": "completion",
            "level": 4,
            "evaluator_phone": "+86 138-1111-2222",
        }
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "call-1"}
    first = client.post("/api/v1/evaluate", body, content_type="application/json", **headers)
    retry = client.post("/api/v1/evaluate", body, content_type="application/json", **headers)
    assert first.status_code == retry.status_code == 201 and first.json() == retry.json()
    assert first.json()["channel"] == "hotline" and first.json()["status"] == "valid"
    other_key = {**headers, "HTTP_IDEMPOTENCY_KEY": "call-2"}
    second = client.post("/api/v1/evaluate", body, content_type="application/json", **other_key)
    assert second.status_code == 409 and second.json()["code"] == "already_evaluated"
    # The caller's phone is the applicant's, written another way: one evaluator, one evaluation.
    assert Evaluation.objects.get().evaluator_key == "applicant"
    wrong = {**headers, "HTTP_AUTHORIZATION": "Bearer nope", "HTTP_IDEMPOTENCY_KEY": "call-3"}
    assert client.post("/api/v1/evaluate", body, content_type="application/json", **wrong).status_code == 401


def test_the_templates_in_force_are_public(db, client_for):
    templates = client_for(None).get("/api/v1/evaluate/templates").json()
    assert {t["kind"] for t in templates} == {"offline", "online"}
    offline = next(t for t in templates if t["kind"] == "offline")
    assert [d["key"] for d in offline["dimensions"]] == ["efficiency", "service_level", "attitude"]


def test_each_evaluation_keeps_the_template_version_it_was_given(world):
    first = ev.evaluation_submit(
        case=online_case(world), stage="intake", channel="portal", rating=GOOD, evaluator=world.citizen
    )
    old = IndicatorTemplate.objects.get(kind="online", is_current=True)
    IndicatorTemplate.objects.filter(pk=old.pk).update(is_current=False)
    IndicatorTemplate.objects.create(
        kind="online", version=2, dimensions=[], reason_tags=old.reason_tags, created_at=clock.now()
    )
    second = ev.evaluation_submit(
        case=online_case(world),
        stage="intake",
        channel="portal",
        rating=ev.Rating(5, {}, []),
        evaluator=world.citizen,
    )
    assert (Evaluation.objects.get(pk=first.pk).template.version, second.template.version) == (1, 2)


# --- one-time links -------------------------------------------------------------------------------------


def test_a_link_is_used_once_and_expires(world, client_for):
    case = hall_case(world)
    with clock.frozen(at("2025-11-03", 11)):
        _link, token = ev.link_issue(case=case, stage="intake")
        _link2, late_token = ev.link_issue(case=case, stage="intake", hours=1)
    client = client_for(None, language="en")
    with clock.frozen(at("2025-11-03", 11, 30)):
        assert 'name="level"' in client.get(f"/e/{token}/").content.decode()
        done = client.post(f"/e/{token}/", {"level": "5"})
        assert "Thank you for your rating." in done.content.decode()
        used = client.get(f"/e/{token}/")
        assert used.status_code == 410 and "already been used" in used.content.decode()
    with clock.frozen(at("2025-11-03", 13)):
        expired = client.post(f"/e/{late_token}/", {"level": "1", "tag": "slow"})
        assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert client.get("/e/not-a-token/").status_code == 404
    evaluation = Evaluation.objects.get()
    assert evaluation.channel == "link" and evaluation.evaluator_key == "applicant"
    assert evaluation.unit == world.window and evaluation.staff == world.window_officer


def test_a_link_claimed_twice_at_once_yields_one_evaluation(world):
    case = hall_case(world)
    link, _token = ev.link_issue(case=case, stage="intake")
    ev.evaluation_submit(case=case, stage="intake", channel="link", rating=GOOD, as_applicant=True, link=link)
    with pytest.raises(Conflict) as error:
        ev.evaluation_submit(
            case=case, stage="intake", channel="link", rating=GOOD, as_applicant=True, link=link
        )
    assert error.value.code == "link_used" and Evaluation.objects.count() == 1


# --- the window pad ---------------------------------------------------------------------------------------


def test_the_pad_offers_the_case_just_received_at_its_window_and_resets(world, client_for):
    _pad, token = ev.integration_issue(actor=None, name="pad 1", channel="pad", window=world.window)
    client = client_for(None, language="en")
    assert client.get("/pad/")["Location"] == "/pad/pair/"
    client.post("/pad/pair/", {"token": token})
    with clock.frozen(at("2025-11-03", 10, 5)):
        assert "Welcome" in client.get("/pad/").content.decode()
    case = hall_case(world, hour=10)
    with clock.frozen(at("2025-11-03", 10, 6)):
        screen = client.get("/pad/current/").content.decode()
        assert 'name="case"' in screen and case.number in screen
        thanks = client.post("/pad/rate/", {"case": case.number, "level": "5"}).content.decode()
        assert "Thank you" in thanks and 'hx-trigger="load delay:10s"' in thanks
        assert "Welcome" in client.get("/pad/current/").content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.stage, evaluation.integration.name) == ("pad", "intake", "pad 1")
    assert evaluation.template.kind == "offline"
    with clock.frozen(at("2025-11-03", 11, 0)):  # half an hour later nothing is offered any more
        hall_case(world, hour=10)
        assert "Welcome" in client.get("/pad/current/").content.decode()


def test_the_pad_refuses_while_a_staff_account_is_signed_in(world, client_for):
    _pad, token = ev.integration_issue(actor=None, name="pad 1", channel="pad", window=world.window)
    client = client_for(world.window_officer, language="en")
    client.post("/pad/pair/", {"token": token})
    case = hall_case(world)
    with clock.frozen(at("2025-11-03", 10, 5)):
        assert "Staff cannot rate" in client.get("/pad/").content.decode()
        client.post("/pad/rate/", {"case": case.number, "level": "5"})
    assert Evaluation.objects.count() == 0


def test_a_pad_token_is_not_a_hotline_token(world, client_for):
    _hotline, token = ev.integration_issue(actor=None, name="hotline", channel="hotline")
    client = client_for(None, language="en")
    assert "not the token of a window pad" in client.post("/pad/pair/", {"token": token}).content.decode()
    with pytest.raises(ValidationFailed):
        ev.integration_issue(actor=None, name="pad without window", channel="pad")


# --- fraud quarantine --------------------------------------------------------------------------------------


def test_a_rating_of_a_stage_not_reached_is_quarantined_until_reviewed(world, client_for):
    case = online_case(world)
    evaluation = ev.evaluation_submit(
        case=case, stage="completion", channel="portal", rating=GOOD, evaluator=world.citizen
    )
    assert evaluation.status == "quarantined"
    assert list(evaluation.flags.values_list("code", flat=True)) == ["stage_not_reached"]
    with pytest.raises(ValidationFailed):
        ev.evaluation_review(actor=world.quality_a, evaluation=evaluation, outcome="cleared", note=" ")
    with pytest.raises(Exception):  # noqa: B017 - NotFound: an approver may not review
        ev.evaluation_review(actor=world.approver_a, evaluation=evaluation, outcome="cleared", note="ok")
    confirmed = ev.evaluation_review(
        actor=world.quality_a, evaluation=evaluation, outcome="confirmed", note="没有办结就评价"
    )
    assert (confirmed.status, confirmed.exclusion) == ("excluded", "fraud")
    with pytest.raises(Conflict):
        ev.evaluation_review(actor=world.quality_a, evaluation=confirmed, outcome="cleared", note="x")
    assert Evaluation.objects.filter(pk=evaluation.pk).exists()  # nothing is deleted


def test_a_staff_phone_of_the_serving_unit_is_flagged(world):
    world.approver_a.phone = "13700001111"
    world.approver_a.save()
    case = decided(world, online_case(world))
    _integration, _token = ev.integration_issue(actor=None, name="app", channel="app")
    evaluation = ev.evaluation_submit(
        case=case, stage="completion", channel="app", rating=GOOD, evaluator_phone="137 0000 1111"
    )
    assert evaluation.status == "quarantined"
    assert list(evaluation.flags.values_list("code", flat=True)) == ["staff_self"]


def test_a_burst_from_one_device_is_quarantined_from_the_fifth_rating(world):
    ratings = []
    for minute in range(5):
        case = online_case(world)
        with clock.frozen(at("2025-11-03", 10, minute)):
            ratings.append(
                ev.evaluation_submit(
                    case=case,
                    stage="intake",
                    channel="kiosk",
                    rating=GOOD,
                    evaluator_phone=f"1380000000{minute}",
                    device="kiosk-7",
                )
            )
    assert [r.status for r in ratings] == ["valid"] * 4 + ["quarantined"]
    assert list(ratings[-1].flags.values_list("code", flat=True)) == ["burst_device"]


def test_a_cleared_rating_counts(world):
    evaluation = ev.evaluation_submit(
        case=online_case(world), stage="completion", channel="portal", rating=GOOD, evaluator=world.citizen
    )
    cleared = ev.evaluation_review(
        actor=world.quality_a, evaluation=evaluation, outcome="cleared", note="核实无误"
    )
    assert cleared.status == "valid" and cleared.review == "cleared"
    assert AuditEvent.objects.filter(action="evaluations.evaluation.cleared").count() == 1


# --- privacy ---------------------------------------------------------------------------------------------


def test_lists_and_exports_mask_the_evaluator_and_the_identity_lookup_is_logged(world, client_for):
    case = decided(world, online_case(world))
    evaluation = ev.evaluation_submit(
        case=case,
        stage="completion",
        channel="portal",
        rating=GOOD,
        evaluator=world.citizen,
        evaluator_phone="13900009999",
    )
    head = client_for(world.head_a, language="en")
    listing = head.get("/staff/evaluations/").content.decode()
    assert case.number in listing and "13900009999" not in listing and "市民" not in listing
    export = b"".join(head.get("/staff/evaluations/export.csv").streaming_content).decode()
    assert "139****9999" in export and "13900009999" not in export
    api = head.get("/api/v1/evaluations").json()
    assert api["items"][0]["evaluator_phone_masked"] == "139****9999" and "13900009999" not in json.dumps(api)
    # The head may read the rating but not who gave it; the quality officer may, and it is logged.
    page = head.get(f"/staff/evaluations/{evaluation.pk}/").content.decode()
    assert "Show who rated" not in page
    assert head.post(f"/staff/evaluations/{evaluation.pk}/identity/").status_code == 404
    quality = client_for(world.quality_a, language="en")
    revealed = quality.post(
        f"/staff/evaluations/{evaluation.pk}/identity/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "13900009999" in revealed and "市民" in revealed
    assert (
        AuditEvent.objects.filter(
            action="evaluations.evaluation.identity_viewed", actor=world.quality_a
        ).count()
        == 1
    )
    assert client_for(world.head_b).get(f"/staff/evaluations/{evaluation.pk}/").status_code == 404


def test_the_evaluation_list_runs_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    for _n in range(6):
        ev.evaluation_submit(
            case=online_case(world), stage="intake", channel="portal", rating=GOOD, evaluator=world.citizen
        )
    client = client_for(world.head_a)
    with django_assert_max_num_queries(12):
        assert client.get("/staff/evaluations/").status_code == 200


# --- invitations ---------------------------------------------------------------------------------------


def test_one_invitation_after_three_days_without_a_rating(world, django_capture_on_commit_callbacks):
    case = decided(world, online_case(world), day="2025-11-04")
    rated = decided(world, online_case(world), day="2025-11-04")
    ev.evaluation_submit(
        case=rated, stage="completion", channel="portal", rating=GOOD, evaluator=world.citizen
    )
    with clock.frozen(at("2025-11-06")):
        assert ev.invitations_send() == 0  # two days only
    with clock.frozen(at("2025-11-07", 11)):
        assert ev.invitations_send() == 1
        assert ev.invitations_send() == 0
    link = EvaluationLink.objects.get()
    assert link.case == case and link.is_invitation and link.stage == "completion"
    note = Notification.objects.get(code="evaluations.invitation")
    assert note.recipient == world.citizen and "/e/" in note.params["url"]
    assert not Evaluation.objects.filter(case=case).exists()  # unrated stays unrated


def test_an_applicant_without_an_account_is_invited_by_sms(
    world, settings, django_capture_on_commit_callbacks
):
    from tests.core.test_notify import Gateway

    gateway = Gateway()
    try:
        settings.CIVICPULSE = {
            **settings.CIVICPULSE,
            "NOTIFIERS": ["civicpulse.core.notify.SmsChannel"],
            "SMS_GATEWAY_URL": gateway.url,
        }
        decided(world, hall_case(world), day="2025-11-04")
        with clock.frozen(at("2025-11-10")), django_capture_on_commit_callbacks(execute=True):
            assert ev.invitations_send() == 1
        [(_headers, body)] = gateway.received
        assert body["to"] == APPLICANT.phone and "/e/" in body["text"]
    finally:
        gateway.close()


def test_logs_never_carry_the_evaluators_or_applicants_personal_data(
    world, client_for, settings, caplog, django_capture_on_commit_callbacks
):
    import logging

    settings.CIVICPULSE = {**settings.CIVICPULSE, "NOTIFIERS": ["civicpulse.core.notify.ConsoleChannel"]}
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        case = decided(world, hall_case(world), day="2025-11-04")
        ev.evaluation_submit(
            case=case,
            stage="completion",
            channel="hotline",
            rating=ev.Rating(level=1, dimensions={}, tags=["attitude"], text="态度差"),
            evaluator_phone=APPLICANT.phone,
        )
        with clock.frozen(at("2025-11-10")):
            ev.invitations_send()
        client_for(world.supervisor).get("/staff/evaluations/")
    logged = caplog.text
    assert "rectification" in logged or "to user" in logged  # the console channel did log the notices
    for secret in (APPLICANT.phone, APPLICANT.name, APPLICANT.id_number):
        assert secret not in logged


def test_behind_a_proxy_the_configured_header_gives_the_clients_address(world, client_for, settings):
    case = online_case(world)
    client = client_for(world.citizen)
    settings.CIVICPULSE = {**settings.CIVICPULSE, "CLIENT_IP_HEADER": "X-Real-IP"}
    client.post(f"/my/cases/{case.number}/rate/intake/", {"level": "5"}, HTTP_X_REAL_IP="203.0.113.9")
    assert Evaluation.objects.get().ip == "203.0.113.9"
    settings.CIVICPULSE = {**settings.CIVICPULSE, "CLIENT_IP_HEADER": ""}
    other = online_case(world)
    client.post(f"/my/cases/{other.number}/rate/intake/", {"level": "5"}, HTTP_X_REAL_IP="203.0.113.9")
    assert Evaluation.objects.get(case=other).ip == "127.0.0.1"  # without a proxy the header is ignored
