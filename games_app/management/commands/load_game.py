import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from games_app.exceptions import InvalidGameDefinition
from games_app.services import game_load


class Command(BaseCommand):
    help = "Validate and store a game definition (JSON). A changed definition becomes a new version."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, **options):
        for path in options["files"]:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"{path}: cannot read JSON: {exc}") from exc
            try:
                version, created = game_load(data=data)
            except InvalidGameDefinition as exc:
                raise CommandError(f"{path}: {exc.message}") from exc
            state = "stored as" if created else "unchanged, already"
            self.stdout.write(f"{path.name}: {state} {version.game.slug} v{version.version} (RTP {version.rtp})")
