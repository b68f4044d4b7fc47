"""Published rows are frozen by the database too: figures and examples are never updated, and a published
period changes only by being withdrawn (its status and the withdrawal's who, when and why), once."""

from django.db import migrations

FROZEN_TABLES = ("publication_publishedfigure", "publication_publishedexample")
# Everything of a period that was published; only the withdrawal columns may change, and only once.
PERIOD_COLUMNS = (
    "slug",
    "label",
    "kind",
    "start",
    '"end"',
    "cutoff",
    "scope_id",
    "scope_code",
    "scope_name_zh",
    "scope_name_en",
    "min_sample",
    "suppress_below",
    "digest",
    "published_by_id",
    "published_at",
)


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _pg_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'published results are frozen'); END;"
        for table in FROZEN_TABLES
    ),
    "CREATE TRIGGER publication_publishedperiod_frozen BEFORE UPDATE ON publication_publishedperiod "
    f"WHEN {_changed(PERIOD_COLUMNS)} OR OLD.status <> 'live' "
    "BEGIN SELECT RAISE(ABORT, 'published results are frozen'); END;",
]
SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_frozen;" for table in FROZEN_TABLES),
    "DROP TRIGGER IF EXISTS publication_publishedperiod_frozen;",
]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION publication_frozen() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'published results are frozen'; END;
$$ LANGUAGE plpgsql;""",
    *(
        f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION publication_frozen();"
        for table in FROZEN_TABLES
    ),
    f"""CREATE OR REPLACE FUNCTION publication_period_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {_pg_changed(PERIOD_COLUMNS)} OR OLD.status <> 'live' THEN
    RAISE EXCEPTION 'published results are frozen';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER publication_publishedperiod_frozen BEFORE UPDATE OR DELETE ON publication_publishedperiod "
    "FOR EACH ROW EXECUTE FUNCTION publication_period_frozen();",
]
POSTGRES_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};" for table in FROZEN_TABLES),
    "DROP TRIGGER IF EXISTS publication_publishedperiod_frozen ON publication_publishedperiod;",
    "DROP FUNCTION IF EXISTS publication_period_frozen();",
    "DROP FUNCTION IF EXISTS publication_frozen();",
]


def freeze(apps, schema_editor):
    # As for the audit trail (core 0002): SQLite's flush between transactional tests deletes rows, so only
    # updates are refused there; PostgreSQL flushes with TRUNCATE, which row triggers do not see.
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def thaw(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("publication", "0001_initial")]

    operations = [migrations.RunPython(freeze, thaw)]
