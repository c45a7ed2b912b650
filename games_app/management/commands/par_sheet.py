from django.core.management.base import BaseCommand, CommandError

from games_app.engine.par_sheet import compute_par_sheet, format_par_sheet
from games_app.exceptions import GameNotFound
from games_app.selectors import definition_for, game_version_get


class Command(BaseCommand):
    help = "Print the exact PAR sheet of a game's latest version (or --game-version N)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--game-version", type=int, dest="game_version")

    def handle(self, *args, **options):
        try:
            version = game_version_get(slug=options["slug"], version=options["game_version"])
        except GameNotFound as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{version.game.name} ({version.game.slug} v{version.version})")
        self.stdout.write(format_par_sheet(compute_par_sheet(definition_for(version=version))))
