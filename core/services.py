"""Writes of the core kernel: API tokens and the admin audit trail."""
import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from core.models import ActionOutcome, AdminActionLog, ApiToken, IdempotencyRecord, Role
from core.policy import Actor
from core.request_context import get_request_id

TOKEN_PREFIX_BYTES = 4
TOKEN_LAST_USED_RESOLUTION = timedelta(seconds=60)
MAX_LOGGED_OBJECTS = 100


def hash_token_secret(raw_token: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(raw_token.encode()).hexdigest()


def split_raw_token(raw_token: str) -> str | None:
    """Return the prefix of a raw token of the form `ar_<prefix>_<secret>`, or None."""
    parts = raw_token.split("_", 2)
    if len(parts) != 3 or parts[0] != "ar" or not parts[1] or not parts[2]:
        return None
    return parts[1]


def token_create(*, name: str, role: str, owner=None, owner_username: str | None = None,
                 expires_at: datetime | None = None, rate_limit: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with the raw value, which is never stored and shown only once."""
    if role not in Role.values:
        raise ValueError(f"role must be one of {', '.join(Role.values)}")
    if owner is None:
        owner, _ = get_user_model().objects.get_or_create(username=owner_username or name)
    prefix = secrets.token_hex(TOKEN_PREFIX_BYTES)
    raw = f"ar_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(prefix=prefix, key_hash=hash_token_secret(raw), name=name, owner=owner,
                                    role=role, expires_at=expires_at, rate_limit=rate_limit)
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def token_touch(*, token: ApiToken) -> None:
    """Record use at minute resolution; a compare-and-swap keeps this to one write a minute."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def idempotency_records_purge(*, now: datetime | None = None, ttl: timedelta) -> int:
    cutoff = (now or timezone.now()) - ttl
    with transaction.atomic():
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def admin_action_record(*, actor: Actor | Any, action: str, objects: Iterable[Model] = (), target_model: str = "",
                        details: dict[str, Any] | None = None, outcome: str = ActionOutcome.OK,
                        object_count: int | None = None) -> AdminActionLog:
    """Append one row to the admin audit trail. The first MAX_LOGGED_OBJECTS objects are stored by
    id and repr; `details["object_count"]` keeps the full count when more were affected."""
    objects = list(objects)
    if objects and not target_model:
        target_model = objects[0]._meta.label_lower
    details = dict(details or {})
    object_count = len(objects) if object_count is None else object_count
    if object_count > MAX_LOGGED_OBJECTS:
        details["object_count"] = object_count
    shown = objects[:MAX_LOGGED_OBJECTS]
    if isinstance(actor, Actor):  # an API token's owner or a console login, as core.policy sees it
        actor_id, username = actor.user_id, actor.username
    else:
        actor_id, username = getattr(actor, "pk", None), getattr(actor, "username", "") or ""
    return AdminActionLog.objects.create(
        actor_id=actor_id, actor_username=username,
        action=action, target_model=target_model, object_ids=[str(obj.pk) for obj in shown],
        object_reprs=[str(obj)[:200] for obj in shown], outcome=outcome, details=details,
        request_id=get_request_id())
