from django.core.management.base import BaseCommand, CommandError

from games_app.casino.audit import audit_all_channels
from games_app.casino.models import CasinoChannel


class Command(BaseCommand):
    help = "Check every A2A casino channel's conservation and nonce chain against its rounds; exit 1 on a mismatch."

    def handle(self, *args, **options):
        bad = 0
        for channel, problems in audit_all_channels():
            bad += 1
            for problem in problems:
                self.stderr.write(f"channel {channel.pk} ({channel.agent_address}, {channel.scope}): {problem}")
        total = CasinoChannel.objects.count()
        if bad:
            raise CommandError(f"{bad} of {total} channels are inconsistent", returncode=1)
        self.stdout.write(f"OK: {total} channels consistent")
