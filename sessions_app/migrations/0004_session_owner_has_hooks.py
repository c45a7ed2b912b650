from django.db import migrations, models


def mark_owners_with_hooks(apps, schema_editor):
    session_model = apps.get_model("sessions_app", "GameplaySession")
    hook_model = apps.get_model("rl_app", "WebhookHook")
    owners = hook_model.objects.filter(active=True).values("owner_id")
    session_model.objects.filter(owner_id__in=owners).update(owner_has_hooks=True)


class Migration(migrations.Migration):
    """A spin looks webhooks up after commit only when its session says the owner has some."""

    dependencies = [
        ("sessions_app", "0003_spin_created_at_brin"),
        ("rl_app", "0004_webhook_secret_rotation"),
    ]

    operations = [
        migrations.AddField(model_name="gameplaysession", name="owner_has_hooks",
                            field=models.BooleanField(default=False)),
        migrations.RunPython(mark_owners_with_hooks, migrations.RunPython.noop),
    ]
