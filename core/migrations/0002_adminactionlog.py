"""AdminActionLog moves from operator_console into core without touching the database: the table keeps
its name (operator_console_adminactionlog), its rows, indexes and constraints. Its content type is
renamed in place, so admin history and group grants of its permissions follow it. The console's own
permission codenames on it are deleted: every console action and the dashboard ask core.policy, and
no Django permission check reads them."""
import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

UNUSED_CODENAMES = ("view_dashboard", "run_audits", "freeze_wallets", "revoke_tokens", "expire_commits",
                    "abort_sessions", "start_campaigns")


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label=source, model="adminactionlog").update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="operator_console", target="core")
    permissions = apps.get_model("auth", "Permission").objects.using(schema_editor.connection.alias)
    permissions.filter(content_type__app_label="core", content_type__model="adminactionlog",
                       codename__in=UNUSED_CODENAMES).delete()


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="core", target="operator_console")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("operator_console", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AdminActionLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_username', models.CharField(max_length=150)),
                        ('action', models.CharField(db_index=True, max_length=64)),
                        ('target_model', models.CharField(blank=True, default='', help_text='app_label.model', max_length=100)),
                        ('object_ids', models.JSONField(blank=True, default=list)),
                        ('object_reprs', models.JSONField(blank=True, default=list)),
                        ('outcome', models.CharField(choices=[('ok', 'OK'), ('error', 'Error')], default='ok', max_length=8)),
                        ('details', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('request_id', models.CharField(blank=True, default='', max_length=128)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'operator_console_adminactionlog',
                        'ordering': ['-id'],
                        'indexes': [models.Index(fields=['action', '-id'], name='adminlog_action_id_desc')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('outcome__in', ['ok', 'error'])), name='adminactionlog_outcome_valid')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
