from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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


class ActionOutcome(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"


class AdminActionLog(models.Model):
    """The audit trail of staff actions: who did what to which rows, and with what result. Written only
    by `core.services.admin_action_record` (through `core.admin_actions.audited` for admin actions);
    read-only in the admin, where operator_console shows it. Its table keeps the name it was created
    with in operator_console (the model moved down without touching the data)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # Kept verbatim so the trail survives the user being renamed or deleted.
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    target_model = models.CharField(max_length=100, blank=True, default="", help_text="app_label.model")
    object_ids = models.JSONField(default=list, blank=True)
    object_reprs = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=8, choices=ActionOutcome.choices, default=ActionOutcome.OK)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "operator_console_adminactionlog"
        ordering = ["-id"]
        indexes = [models.Index(fields=["action", "-id"], name="adminlog_action_id_desc")]
        constraints = [models.CheckConstraint(condition=models.Q(outcome__in=["ok", "error"]),
                                              name="adminactionlog_outcome_valid")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_username} at {self.created_at:%Y-%m-%d %H:%M:%S}"
