import json

from django.core.management.base import BaseCommand, CommandError

from core.rng import FairRNG, hash_server_seed
from games_app.exceptions import GameNotFound
from games_app.selectors import engine_for, game_version_get


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
            version = game_version_get(slug=options["game"], version=options["game_version"])
        except GameNotFound as exc:
            raise CommandError(exc.message) from exc
        rng = FairRNG(options["server_seed"], options["client_seed"], options["nonce"])
        outcome = engine_for(version=version).spin(rng)
        self.stdout.write(json.dumps({"server_seed_hash": hash_server_seed(options["server_seed"]),
                                      "game": version.game.slug, "version": version.version,
                                      "nonce": options["nonce"], "outcome": outcome.to_dict()}, indent=2))
