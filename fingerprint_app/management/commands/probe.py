import json
import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from fingerprint_app.management.commands._progress import ProgressBar
from fingerprint_app.services import campaign_create, campaign_run
from fingerprint_app.signatures import signature_from_stats
from fingerprint_app.stats import SufficientStats
from fingerprint_app.models import ProbeCampaign
from games_app.exceptions import GameNotFound
from games_app.models import GameVersion
from games_app.selectors import game_latest_version
from wallet_app.models import Wallet


class Command(BaseCommand):
    help = ("Probe a slot engine (a local game, or --url for a remote one) and build its fingerprint profile. "
            "Runs the campaign in this process with a progress bar; prints the signature.")

    def add_arguments(self, parser):
        parser.add_argument("--game", help="slug of a local game (latest version unless --game-version)")
        parser.add_argument("--game-version", type=int)
        parser.add_argument("--url", help="remote engine URL instead of --game")
        parser.add_argument("--spins", type=int, required=True)
        parser.add_argument("--budget", type=int, help="query budget (default: none)")
        parser.add_argument("--wallet", type=int, help="wallet id charged per query (default: free)")
        parser.add_argument("--seed", help="probe seed (default: random)")
        parser.add_argument("--chunk-size", type=int)
        parser.add_argument("--fresh", action="store_true", help="do not extend the engine's latest profile")
        parser.add_argument("--keep-going", action="store_true",
                            help="probe all --spins even once the exact model is recovered")
        parser.add_argument("--json", action="store_true", help="print the signature as JSON")

    def handle(self, *args, **options):
        if bool(options["game"]) == bool(options["url"]):
            raise CommandError("give exactly one of --game or --url")
        game_version = None
        if options["game"]:
            try:
                game_version = (GameVersion.objects.select_related("game").get(
                    game__slug=options["game"], version=options["game_version"])
                    if options["game_version"] else game_latest_version(slug=options["game"]))
            except (GameNotFound, GameVersion.DoesNotExist) as exc:
                raise CommandError(f"unknown game {options['game']!r} (load it with load_game)") from exc
        wallet = None
        if options["wallet"] is not None:
            wallet = Wallet.objects.filter(pk=options["wallet"]).first()
            if wallet is None:
                raise CommandError(f"unknown wallet {options['wallet']}")
        try:
            campaign = campaign_create(game_version=game_version, remote_url=options["url"] or "",
                                       target_spins=options["spins"], query_budget=options["budget"], wallet=wallet,
                                       seed=options["seed"], chunk_size=options["chunk_size"],
                                       extend_profile=not options["fresh"],
                                       stop_when_exact=not options["keep_going"], enqueue=False)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"campaign {campaign.pk} → profile {campaign.profile_id} (v{campaign.profile.version})")
        bar = ProgressBar(total=campaign.target_spins, stream=self.stderr)
        started = time.perf_counter()
        result = campaign_run(campaign_id=campaign.pk,
                              on_chunk=lambda r: bar.update(r.spins_done, r.status))
        bar.close()
        elapsed = time.perf_counter() - started
        campaign = ProbeCampaign.objects.select_related("profile").get(pk=campaign.pk)
        profile = campaign.profile
        signature = signature_from_stats(SufficientStats.from_json(campaign.stats))
        if options["json"]:
            self.stdout.write(json.dumps({"campaign": campaign.pk, "status": campaign.status,
                                          "targeted_spins": campaign.targeted_spins,
                                          "recovery": {"status": profile.recovery_status, "exact": profile.exact,
                                                       "spins_until_exact": profile.spins_until_exact,
                                                       "targeted_spins_until_exact": profile.targeted_spins_until_exact},
                                          "signature": signature}, indent=2))
            return
        rtp = signature["rtp"]
        self.stdout.write(
            f"campaign {campaign.pk}: {result.status} ({campaign.status_reason}) {campaign.spins_done:,} spins in "
            f"{elapsed:.2f}s ({campaign.spins_done / max(elapsed, 1e-9):,.0f} spins/s), "
            f"{campaign.queries_used:,} queries, fees {campaign.fees_charged}\n"
            f"RTP {rtp['estimate']} (95% CI {rtp['ci95'][0]:.6f} – {rtp['ci95'][1]:.6f})"
            f"{'' if game_version is None or game_version.rtp is None else f'; exact PAR RTP {game_version.rtp}'}\n"
            f"hit frequency {signature['hit_frequency']['estimate']:.6f}, σ {signature['std_dev']:.4f} "
            f"({signature['volatility']}), max win {signature['max_win']}")
        if profile.exact:
            self.stdout.write(f"exact model recovered: {profile.spins_until_exact_summary()} spins; "
                              f"download it from the profile (admin) or GET /api/v1/fingerprints/profiles/{profile.pk}")
        elif profile.recovery_status:
            self.stdout.write(f"exact model: {profile.recovery_status}")
        if campaign.error:
            self.stdout.write(f"note: {campaign.error}")
