from django.conf import settings
from django.db import models


class ExperienceStep(models.Model):
    """One (observation, action, reward, next observation) step; a session is an episode.

    Written in the same transaction as the gameplay action, so a failed action leaves no step."""

    session = models.ForeignKey("sessions_app.GameplaySession", on_delete=models.CASCADE, related_name="steps_recorded")
    index = models.PositiveIntegerField()
    observation = models.JSONField()
    action = models.JSONField()
    reward = models.FloatField()
    next_observation = models.JSONField()
    terminated = models.BooleanField(default=False)
    truncated = models.BooleanField(default=False)
    info = models.JSONField(default=dict)
    policy_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    policy_version = models.CharField(max_length=100, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["session_id", "index"]
        constraints = [models.UniqueConstraint(fields=["session", "index"], name="experiencestep_unique_index")]

    def __str__(self) -> str:
        return f"session {self.session_id} step {self.index}"


class PolicyFeedback(models.Model):
    """What a policy reports about an episode or one of its steps: value estimates plus free JSON."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_feedback")
    session = models.ForeignKey("sessions_app.GameplaySession", on_delete=models.CASCADE, related_name="policy_feedback")
    step_index = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: about the whole episode")
    policy_id = models.CharField(max_length=100, db_index=True)
    policy_version = models.CharField(max_length=100, blank=True, default="")
    value_estimates = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"]), models.Index(fields=["session", "step_index"])]
        verbose_name_plural = "policy feedback"

    def __str__(self) -> str:
        return f"feedback {self.pk} on session {self.session_id}"


class WebhookEvent(models.TextChoices):
    STEP = "step"
    EPISODE_END = "episode_end"
    REWARD_THRESHOLD = "reward_threshold"


class WebhookHook(models.Model):
    """An agent's webhook. The secret signs every delivery body (HMAC-SHA256); it is shown once, at creation."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rl_hooks")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list, help_text="Subset of step, episode_end, reward_threshold")
    reward_threshold = models.FloatField(null=True, blank=True,
                                         help_text="reward_threshold fires when the episode return rises to it")
    description = models.CharField(max_length=200, blank=True, default="")
    # Kept in clear because HMAC needs it; never rendered by the API after creation nor by the admin.
    secret = models.CharField(max_length=128)
    # After a rotation with a grace period deliveries are also signed with the previous secret
    # (X-Royale-Signature-Previous) until it expires, so receivers can switch without dropping events.
    previous_secret = models.CharField(max_length=128, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "active"])]

    def __str__(self) -> str:
        return f"hook {self.pk} → {self.url}"

    def previous_secret_at(self, moment) -> str:
        """The previous secret while its grace period lasts at ``moment``, else ""."""
        if self.previous_secret and self.previous_secret_expires_at and moment < self.previous_secret_expires_at:
            return self.previous_secret
        return ""


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event sent to one hook, with its attempts: the delivery log."""

    hook = models.ForeignKey(WebhookHook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    session = models.ForeignKey("sessions_app.GameplaySession", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    step_index = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["hook", "-id"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.event}, {self.status})"
