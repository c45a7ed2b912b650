from django.db import migrations

INDEX = "sessions_app_sessionspin_created_brin"


class Migration(migrations.Migration):
    """The dashboard counts today's spins by created_at. Spins are appended in time order, so a BRIN
    index (a few pages, almost free to maintain) serves the range scan without taxing every spin
    insert with another B-tree."""

    dependencies = [("sessions_app", "0002_last_spin_outcome")]

    operations = [migrations.RunSQL(
        [f"CREATE INDEX IF NOT EXISTS {INDEX} ON sessions_app_sessionspin USING brin (created_at)"],
        [f"DROP INDEX IF EXISTS {INDEX}"],
    )]
