import json
from pathlib import Path

from django.apps import AppConfig

DEMO_GAMES_DIR = Path(__file__).resolve().parent / "demo_games"


class GamesAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "games_app"
    verbose_name = "Slot games"

    def seed_demo_data(self, stdout) -> None:
        # apps.py loads while the app registry is being built, before models may be imported: on use.
        from games_app.services import game_load

        for path in sorted(DEMO_GAMES_DIR.glob("*.json")):
            version, created = game_load(data=json.loads(path.read_text()))
            if created:
                stdout.write(f"Loaded demo game {version.game.slug} v{version.version} (RTP {version.rtp})")
