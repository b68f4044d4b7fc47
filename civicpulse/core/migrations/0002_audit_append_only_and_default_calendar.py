from django.db import migrations

SQLITE_FORWARD = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS core_auditevent_no_update;"

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""


def append_only(apps, schema_editor):
    # SQLite's flush (used between transactional tests) deletes rows, so only updates are refused there;
    # PostgreSQL flushes with TRUNCATE, which row triggers do not see, so it refuses deletes as well.
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)


def default_calendar(apps, schema_editor):
    WorkCalendar = apps.get_model("core", "WorkCalendar")
    WorkCalendar.objects.get_or_create(
        code="CN",
        defaults={
            "name_zh": "中国大陆法定工作日",
            "name_en": "Mainland China statutory calendar",
            "base": "cn_official",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(append_only, drop_append_only),
        migrations.RunPython(default_calendar, migrations.RunPython.noop),
    ]
