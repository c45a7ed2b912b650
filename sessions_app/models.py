from django.conf import settings
from django.db import models

from core.money import MoneyField


class SessionState(models.TextChoices):
    IDLE = "idle"
    INITIALIZED = "initialized"
    PROBING = "probing"
    PLAYING = "playing"
    EVALUATING = "evaluating"
    COMPLETED = "completed"


class GameplaySession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gameplay_sessions")
    game_version = models.ForeignKey("games_app.GameVersion", on_delete=models.PROTECT, related_name="sessions")
    wallet = models.ForeignKey("wallet_app.Wallet", on_delete=models.PROTECT, related_name="sessions")
    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.IDLE, db_index=True)
    bet = MoneyField(null=True, blank=True)
    budget = MoneyField(null=True, blank=True, help_text="Most this session may spend on stakes and fees")
    max_spins = models.PositiveIntegerField(null=True, blank=True)
    reward_function = models.CharField(max_length=32, default="net_payout")
    # Provably fair: the hash is committed at initialize; the seed is revealed when the session ends.
    server_seed = models.CharField(max_length=64, blank=True, default="")
    server_seed_hash = models.CharField(max_length=64, blank=True, default="")
    client_seed = models.CharField(max_length=64, blank=True, default="")
    nonce = models.PositiveIntegerField(default=0, help_text="Spins played; the next spin uses nonce + 1")
    probes = models.PositiveIntegerField(default=0)
    steps = models.PositiveIntegerField(default=0, help_text="Experience steps recorded (actions taken)")
    total_spins = models.PositiveIntegerField(default=0)
    total_wagered = MoneyField(default=0)
    total_fees = MoneyField(default=0)
    total_payout = MoneyField(default=0)
    total_reward = models.FloatField(default=0.0)
    # The previous spin's outcome, part of every RL observation; kept here to spare a query per action.
    last_multiplier = models.CharField(max_length=64, null=True, blank=True)
    last_payout = MoneyField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True, default="")
    # True while the owner has an active RL webhook: only then does a committed step look hooks up.
    # Kept by rl_app's hook services (under the owner's row lock) on every open session of the owner.
    owner_has_hooks = models.BooleanField(default=False)
    summary = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_spins=models.F("nonce")), name="session_spins_match_nonce"),
            models.CheckConstraint(condition=models.Q(bet__isnull=True) | models.Q(bet__gt=0), name="session_bet_positive"),
            models.CheckConstraint(condition=models.Q(budget__isnull=True) | models.Q(budget__gt=0), name="session_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.state})"

    @property
    def net(self):
        return self.total_payout - self.total_wagered - self.total_fees

    @property
    def spent(self):
        return self.total_wagered + self.total_fees


class SessionTransition(models.Model):
    session = models.ForeignKey(GameplaySession, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=SessionState.choices)
    to_state = models.CharField(max_length=16, choices=SessionState.choices)
    action = models.CharField(max_length=32)
    cause = models.CharField(max_length=200, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class SessionSpin(models.Model):
    """One resolved spin: the audit trail a client verifies against the revealed server seed."""

    session = models.ForeignKey(GameplaySession, on_delete=models.CASCADE, related_name="spins")
    nonce = models.PositiveIntegerField()
    stake = MoneyField()
    fee = MoneyField()
    payout = MoneyField()
    multiplier = models.CharField(max_length=64)
    window = models.JSONField()
    line_wins = models.JSONField(default=list)
    scatter_win = models.CharField(max_length=64, default="0")
    reward = models.FloatField(default=0.0)
    balance_after = MoneyField()
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session_id", "nonce"]
        constraints = [models.UniqueConstraint(fields=["session", "nonce"], name="sessionspin_unique_nonce")]
