import json

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from fingerprint_app.selectors import fingerprint_match


class Command(BaseCommand):
    help = "Rank the profile library against a campaign's sample (or --session ID) and print the verdict."

    def add_arguments(self, parser):
        parser.add_argument("campaign", type=int, nargs="?")
        parser.add_argument("--session", type=int)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--top", type=int, default=5)

    def handle(self, *args, **options):
        if (options["campaign"] is None) == (options["session"] is None):
            raise CommandError("give a campaign id or --session ID")
        try:
            result = fingerprint_match(campaign_id=options["campaign"], session_id=options["session"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), indent=2))
            return
        if result.verdict == "match":
            verdict = f"match: {result.best.label} (profile {result.best.profile_id}, p = {result.best.p_value:.4g})"
        elif result.verdict == "insufficient_data":
            verdict = f"insufficient data: the test needs at least {result.spins_needed:,} spins"
        else:
            verdict = f"unknown (best p < {result.alpha})"
        self.stdout.write(f"{result.sample_spins:,} spins → {verdict}")
        for rank, match in enumerate(result.ranking[:options["top"]], 1):
            detail = "; ".join(match.conflicts) if match.conflicts else (
                f"reels p={match.reels.p_value:.3g}, payouts p={match.payout.p_value:.3g}")
            self.stdout.write(f"  {rank}. {match.label} [profile {match.profile_id}] p={match.p_value:.4g} ({detail})")
