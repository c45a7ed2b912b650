import hmac
import json
import os
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.models import ApiToken, Role
from core.services import hash_token_secret, split_raw_token, token_create
from operator_console.services import CONSOLE_ROLES, operator_login_upsert

# Console logins the demo gives, by console role; each also has an API token of that role.
DEMO_LOGINS = {"admin": "demo-admin", "operator": "demo-operator"}


class Command(BaseCommand):
    help = "Create demo tokens (and, through each app's `seed_demo_data`, demo data). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--credentials-file", type=Path,
                            help="keep the demo tokens and the admin/operator console logins in this file "
                                 "(created 0600) and print them on every run; invalid or missing ones are "
                                 "replaced. Without it, tokens are printed once and no console login is made.")

    def handle(self, *args, credentials_file: Path | None = None, **options):
        credentials = _demo_credentials(credentials_file) if credentials_file else None
        raw_tokens: dict[str, str] = {}
        if credentials is None:
            for role in (Role.ADMIN, Role.OPERATOR, Role.AGENT):
                name = f"demo-{role}"
                if not ApiToken.objects.filter(name=name, revoked_at__isnull=True).exists():
                    _, raw_tokens[name] = token_create(name=name, role=role, owner_username=name)
        for config in apps.get_app_configs():
            seed = getattr(config, "seed_demo_data", None)
            if callable(seed):
                seed(stdout=self.stdout)
        if credentials is not None:
            self.stdout.write(f"Console logins (username / password; kept in {credentials_file}):")
            for role, login in credentials["logins"].items():
                self.stdout.write(f"  {role:9s} {login['username']:15s} {login['password']}")
            self.stdout.write("API tokens (Authorization: Bearer <token>):")
            for name, raw in credentials["tokens"].items():
                self.stdout.write(f"  {name:15s} {raw}")
        elif raw_tokens:
            self.stdout.write("Demo tokens (shown once; re-create with `manage.py create_token`):")
            for name, raw in raw_tokens.items():
                self.stdout.write(f"  {name:15s} {raw}")
        else:
            self.stdout.write("Demo tokens already exist; create more with `manage.py create_token`.")


def _token_valid(raw: str, *, name: str) -> bool:
    prefix = split_raw_token(raw) if isinstance(raw, str) else None
    token = ApiToken.objects.filter(prefix=prefix, name=name).first() if prefix else None
    return bool(token and hmac.compare_digest(token.key_hash, hash_token_secret(raw)) and token.revoked_at is None and token.is_active)


def _login_valid(login: dict, *, role: str) -> bool:
    user = get_user_model().objects.filter(username=login.get("username")).first()
    return bool(user and user.is_staff and user.is_active and user.check_password(login.get("password") or "")
                and user.groups.filter(name=CONSOLE_ROLES[role]).exists())


def _demo_credentials(path: Path) -> dict:
    """The demo's tokens and console logins, reused from `path` while they still work; anything
    missing, revoked or changed is made anew and the file rewritten."""
    try:
        stored = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        stored = {}
    tokens, logins = dict(stored.get("tokens") or {}), dict(stored.get("logins") or {})
    for role in (Role.ADMIN, Role.OPERATOR, Role.AGENT):
        name = f"demo-{role}"
        if not _token_valid(tokens.get(name), name=name):
            _, tokens[name] = token_create(name=name, role=role, owner_username=name)
    for role, username in DEMO_LOGINS.items():
        login = logins.get(role) or {}
        if login.get("username") != username or not _login_valid(login, role=role):
            _, password = operator_login_upsert(username=username, role=role)
            logins[role] = {"username": username, "password": password}
    credentials = {"tokens": tokens, "logins": logins}
    if credentials != stored:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(credentials, handle, indent=2)
    return credentials
