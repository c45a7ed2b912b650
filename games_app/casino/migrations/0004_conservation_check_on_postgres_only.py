from django.db import migrations

CONSTRAINT_SQL = ("ALTER TABLE casino_channels ADD CONSTRAINT casino_channel_conservation "
                  "CHECK (agent_balance = agent_deposit + casino_deposit - casino_balance)")


class Migration(migrations.Migration):
    """The conservation CHECK as raw SQL rather than a model constraint: it was once skipped on SQLite,
    whose floating-point NUMERIC refused exact channels such as 0.01 + 0.1. PostgreSQL is now the
    only database, so it always applies."""

    dependencies = [("casino", "0003_channel_signed")]

    operations = [
        migrations.RemoveConstraint(model_name="casinochannel", name="casino_channel_conservation"),
        migrations.RunSQL([CONSTRAINT_SQL],
                          ["ALTER TABLE casino_channels DROP CONSTRAINT casino_channel_conservation"]),
    ]
