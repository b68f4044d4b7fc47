from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.utils import translation

from civicpulse.core import clock
from civicpulse.core.audit import audit_record, render_event
from civicpulse.core.models import AuditEvent
from tests import factories


def test_audit_events_cannot_be_updated_even_bypassing_the_model(county):
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="core.calendar.changed")
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_an_unregistered_action_code_is_refused(county):
    with pytest.raises(ValueError):
        audit_record(actor=None, action="nobody.knows.this", target=county.region)


def test_the_database_refuses_an_action_that_is_not_a_dotted_code(county):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.create(
            occurred_at=clock.now(), action="Not A Code", target_type="x", target_id="1"
        )


def test_events_render_as_sentences_in_both_languages(county):
    _, version = factories.published_service(county)
    event = AuditEvent.objects.filter(action="catalogue.version.approved").get()
    with translation.override("en"):
        assert render_event(event) == f"Head_A approved and published version 1 of {version.service}."
    with translation.override("zh-hans"):
        sentence = render_event(event)
        assert "Head_A" in sentence and "发布" in sentence


def test_the_timeline_page_shows_scoped_events(county, client_for):
    factories.published_service(county)
    factories.published_service(county, "SVC-B", "其他事项", unit=county.dept_b)
    page = client_for(county.head_b).get("/staff/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "SVC-B" in text and "SVC-1" not in text


def test_a_role_grant_reads_in_the_readers_language_not_the_writers(county):
    event = AuditEvent.objects.filter(action="accounts.role.assigned", target_id=str(county.head_a.pk)).get()
    with translation.override("en"):
        assert "department head" in render_event(event)
    with translation.override("zh-hans"):
        assert "部门负责人" in render_event(event)


def test_citizen_names_are_masked_in_the_audit_log(county):
    event = AuditEvent.objects.filter(action="accounts.user.created", target_id=str(county.citizen.pk)).get()
    assert event.target_label == "C******" and event.unit is None
