import json

from django.core.management.base import BaseCommand, CommandError

from core.rng import FairRNG, hash_server_seed
from games_app.exceptions import GameNotFound
from games_app.selectors import engine_for, game_latest_version


class Command(BaseCommand):
    help = "Recompute a spin from its revealed server seed, client seed and nonce."

    def add_arguments(self, parser):
        parser.add_argument("--server-seed", required=True)
        parser.add_argument("--client-seed", required=True)
        parser.add_argument("--nonce", required=True, type=int)
        parser.add_argument("--game", required=True, help="slug")
        parser.add_argument("--game-version", type=int, dest="game_version")

    def handle(self, *args, **options):
        try:
            version = game_latest_version(slug=options["game"])
        except GameNotFound as exc:
            raise CommandError(f"unknown game {options['game']!r}") from exc
        if options["game_version"]:
            version = version.game.versions.filter(version=options["game_version"]).first()
            if version is None:
                raise CommandError(f"no version {options['game_version']}")
        rng = FairRNG(options["server_seed"], options["client_seed"], options["nonce"])
        outcome = engine_for(version=version).spin(rng)
        self.stdout.write(json.dumps({"server_seed_hash": hash_server_seed(options["server_seed"]),
                                      "game": version.game.slug, "version": version.version,
                                      "nonce": options["nonce"], "outcome": outcome.to_dict()}, indent=2))
