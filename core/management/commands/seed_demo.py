from django.core.management.base import BaseCommand

from core.models import ApiToken, Role
from core.services import token_create


class Command(BaseCommand):
    help = "Create demo tokens (and, through each app's `seed_demo_data`, demo data). Safe to re-run."

    def handle(self, *args, **options):
        from django.apps import apps

        raw_tokens: dict[str, str] = {}
        for role in (Role.ADMIN, Role.OPERATOR, Role.AGENT):
            name = f"demo-{role}"
            if not ApiToken.objects.filter(name=name, revoked_at__isnull=True).exists():
                _, raw_tokens[name] = token_create(name=name, role=role, owner_username=name)
        for config in apps.get_app_configs():
            seed = getattr(config, "seed_demo_data", None)
            if callable(seed):
                seed(stdout=self.stdout)
        if raw_tokens:
            self.stdout.write("Demo tokens (shown once; re-create with `manage.py create_token`):")
            for name, raw in raw_tokens.items():
                self.stdout.write(f"  {name:15s} {raw}")
        else:
            self.stdout.write("Demo tokens already exist; create more with `manage.py create_token`.")
