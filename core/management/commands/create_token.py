from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.models import Role
from core.services import token_create


class Command(BaseCommand):
    help = "Create an API token and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=Role.values, default=Role.AGENT)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", help="username of the owner (created if missing; default: --name)")
        parser.add_argument("--expires-in-days", type=int)
        parser.add_argument("--rate-limit", default="", help="e.g. 120/m")

    def handle(self, *args, **options):
        expires_at = None
        if options["expires_in_days"] is not None:
            if options["expires_in_days"] <= 0:
                raise CommandError("--expires-in-days must be positive")
            expires_at = timezone.now() + timedelta(days=options["expires_in_days"])
        token, raw = token_create(name=options["name"], role=options["role"], owner_username=options["owner"],
                                  expires_at=expires_at, rate_limit=options["rate_limit"])
        self.stderr.write(f"Created {token.role} token '{token.name}' (prefix {token.prefix}) for {token.owner.username}. "
                          "Store it now: it cannot be shown again.")
        self.stdout.write(raw)
