"""Back-office writes leave audit events, inline rows included."""

from __future__ import annotations

from civicpulse.core.models import AuditEvent, CalendarOverride, WorkCalendar


def test_a_calendar_override_added_in_the_back_office_is_audited(county, client_for):
    county.admin.is_staff = county.admin.is_superuser = True
    county.admin.save()
    calendar = WorkCalendar.objects.get(code="CN")
    client = client_for(county.admin)
    response = client.post(
        f"/admin/core/workcalendar/{calendar.pk}/change/",
        {
            "code": "CN",
            "name_zh": calendar.name_zh,
            "name_en": calendar.name_en,
            "base": calendar.base,
            "overrides-TOTAL_FORMS": "1",
            "overrides-INITIAL_FORMS": "0",
            "overrides-MIN_NUM_FORMS": "0",
            "overrides-MAX_NUM_FORMS": "1000",
            "overrides-0-date": "2026-12-31",
            "overrides-0-is_working_day": "",
            "overrides-0-name": "县庆",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    override = CalendarOverride.objects.get(calendar=calendar, date="2026-12-31")
    assert not override.is_working_day
    saved = AuditEvent.objects.filter(action="core.record.saved", target_type="core.calendaroverride")
    assert [e.target_id for e in saved] == [str(override.pk)]
    assert saved[0].actor == county.admin


def test_the_health_endpoint_checks_the_database(db, client_for):
    body = client_for(None).get("/api/v1/health").json()
    assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")
