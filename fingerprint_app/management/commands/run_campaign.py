from django.core.management.base import BaseCommand, CommandError

from fingerprint_app.management.commands._progress import ProgressBar
from fingerprint_app.models import ProbeCampaign
from fingerprint_app.services import campaign_run


class Command(BaseCommand):
    help = ("Run (or resume) a campaign's chunks in this process until it completes, pauses or fails. "
            "Safe to start again after the process was killed: it resumes at the last committed chunk.")

    def add_arguments(self, parser):
        parser.add_argument("campaign", type=int)
        parser.add_argument("--max-chunks", type=int, help="stop after this many chunk attempts")
        parser.add_argument("--sleep", type=float, default=0.0,
                            help="seconds to wait between chunks (be gentle with a remote engine)")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        campaign = ProbeCampaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"unknown campaign {options['campaign']}")
        bar = None if options["quiet"] else ProgressBar(total=campaign.target_spins, initial=campaign.spins_done,
                                                          stream=self.stderr)
        result = campaign_run(campaign_id=campaign.pk, max_chunks=options["max_chunks"],
                              sleep_seconds=max(options["sleep"], 0.0),
                              on_chunk=None if bar is None else (lambda r: bar.update(r.spins_done, r.status)))
        if bar is not None:
            bar.close()
        self.stdout.write(f"campaign {campaign.pk}: {result.status}, {result.spins_done:,}/{result.target_spins:,} spins")
