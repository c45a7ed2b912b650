"""AdminActionLog now lives in core (core/migrations/0002_adminactionlog.py); state only, the table stays."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("operator_console", "0001_initial"),
        ("core", "0002_adminactionlog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AdminActionLog")],
            database_operations=[],
        ),
    ]
