from django.db import migrations

INDEX = "sessions_app_sessionspin_created_brin"


def add_on_postgres(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("sessions_app", "SessionSpin")._meta.db_table
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING brin (created_at)")


def drop_on_postgres(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    """The dashboard counts today's spins by created_at. Spins are appended in time order, so a BRIN
    index (a few pages, almost free to maintain) serves the range scan without taxing every spin
    insert with another B-tree; SQLite (the demo) scans."""

    dependencies = [("sessions_app", "0002_last_spin_outcome")]

    operations = [migrations.RunPython(add_on_postgres, drop_on_postgres)]
