from django.conf import settings
from django.db import models
from django.utils import timezone

from core.policy import Actor, actor_from_token


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; `prefix` is the visible, unique handle."""

    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    rate_limit = models.CharField(max_length=32, blank=True, default="",
                                  help_text="e.g. 120/m; empty uses DEFAULT_TOKEN_RATE_LIMIT")
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(role__in=list(Role.values)), name="apitoken_role_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.role})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def actor(self) -> Actor:
        """The token's owner acting in the token's role (core.policy.Actor), what services take."""
        return actor_from_token(self)


class IdempotencyRecord(models.Model):
    """The stored outcome of a POST made with an Idempotency-Key, scoped to the token."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    response_content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_token_key")]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"
