from django.db import migrations


def seed(apps, schema_editor):
    stats = apps.get_model("casino", "CasinoGameStats")
    for game in ("slots", "coinflip", "lotto"):
        stats.objects.get_or_create(game=game)


class Migration(migrations.Migration):
    dependencies = [("casino", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
