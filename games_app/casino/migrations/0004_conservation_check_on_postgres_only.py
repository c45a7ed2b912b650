from django.db import migrations

CONSTRAINT_SQL = ("ALTER TABLE casino_channels ADD CONSTRAINT casino_channel_conservation "
                  "CHECK (agent_balance = agent_deposit + casino_deposit - casino_balance)")


def add_on_postgres(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT_SQL)


def drop_on_postgres(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE casino_channels DROP CONSTRAINT casino_channel_conservation")


class Migration(migrations.Migration):
    """Keep the conservation CHECK exact: NUMERIC arithmetic is exact on PostgreSQL, floating point on
    SQLite (the demo database), where it refused channels such as 0.01 + 0.1."""

    dependencies = [("casino", "0003_channel_signed")]

    operations = [
        migrations.RemoveConstraint(model_name="casinochannel", name="casino_channel_conservation"),
        migrations.RunPython(add_on_postgres, drop_on_postgres),
    ]
