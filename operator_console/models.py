"""The operators' audit trail: one row per action taken in the admin console."""
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class ActionOutcome(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"


class AdminActionLog(models.Model):
    """Who did what to which rows, and with what result. Written only by
    `operator_console.services.admin_action_record`; read-only in the admin."""

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
        ordering = ["-id"]
        indexes = [models.Index(fields=["action", "-id"], name="adminlog_action_id_desc")]
        constraints = [models.CheckConstraint(condition=models.Q(outcome__in=["ok", "error"]),
                                              name="adminactionlog_outcome_valid")]
        # The console's own permissions; operator and admin groups are built from them (services.roles_sync).
        permissions = [
            ("view_dashboard", "Can view the operator dashboard"),
            ("run_audits", "Can run the ledger and channel audits"),
            ("freeze_wallets", "Can freeze and unfreeze wallets"),
            ("revoke_tokens", "Can revoke API tokens"),
            ("expire_commits", "Can expire stale A2A commits"),
            ("abort_sessions", "Can abort gameplay sessions"),
            ("start_campaigns", "Can start probing campaigns"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_username} at {self.created_at:%Y-%m-%d %H:%M:%S}"
