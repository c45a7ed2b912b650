"""Probing campaigns, their raw samples, and the fingerprint profile library.

Invariants:
- A campaign's ``spins_done`` only moves forward, by exactly one chunk per committed transaction,
  and its ``stats`` always describe spins ``0 .. spins_done - 1`` of its (engine, seed) stream:
  the chunk commit is the only progress marker, so a killed worker can resume without counting a
  spin twice.
- ``queries_used <= query_budget`` and ``spins_done <= target_spins`` (CHECK constraints).
- A profile's ``stats`` = the stats it extended (``ProbeCampaign.base_stats``) plus its campaign's.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.money import MoneyField


class EngineKind(models.TextChoices):
    LOCAL = "local", "Local game version"
    REMOTE = "remote", "Remote engine URL"


class CampaignStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    COMPLETED_EXACT = "completed_exact", "Completed (exact model recovered)"
    FAILED = "failed", "Failed"


RUNNABLE_STATUSES = (CampaignStatus.QUEUED, CampaignStatus.RUNNING)
FINISHED_STATUSES = (CampaignStatus.COMPLETED, CampaignStatus.COMPLETED_EXACT, CampaignStatus.FAILED)


class FingerprintProfile(models.Model):
    """One version of an engine's fingerprint. A new campaign on the same engine creates the next
    version, starting from the previous version's statistics (no re-probing)."""

    engine_key = models.CharField(max_length=300, help_text='"local:<slug>:v<version>" or "remote:<url>"')
    version = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    engine_kind = models.CharField(max_length=10, choices=EngineKind.choices)
    game_version = models.ForeignKey("games_app.GameVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="fingerprint_profiles")
    remote_url = models.URLField(max_length=500, blank=True, default="")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children",
                               help_text="The version this one extends.")
    spins = models.PositiveBigIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True, help_text="Sufficient statistics (fingerprint_app.stats)")
    signature = models.JSONField(default=dict, blank=True, help_text="Derived from stats on every update")
    convergence = models.JSONField(default=list, blank=True,
                                   help_text="[[spins, rtp, ci_low, ci_high], ...] after each chunk (thinned)")
    par_rtp = models.DecimalField(max_digits=12, decimal_places=10, null=True, blank=True,
                                  help_text="Exact RTP of a local engine (GameVersion.rtp), for comparison only")
    # Issue 11 (exact model recovery) writes these.
    exact = models.BooleanField(default=False)
    recovery_status = models.CharField(max_length=20, blank=True, default="")
    recovered_definition = models.JSONField(null=True, blank=True)
    exact_par = models.JSONField(null=True, blank=True)
    spins_until_exact = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Probe spins the exact model took: uniform spins plus targeted ones")
    targeted_spins_until_exact = models.PositiveIntegerField(
        null=True, blank=True, help_text="Of spins_until_exact, the targeted probes (scripted draws)")
    recovery_notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def spins_until_exact_summary(self) -> str:
        """"5,061 (5,000 uniform + 61 targeted)", or "-" while the model is not exact."""
        if self.spins_until_exact is None:
            return "-"
        targeted = self.targeted_spins_until_exact or 0
        return f"{self.spins_until_exact:,} ({self.spins_until_exact - targeted:,} uniform + {targeted:,} targeted)"

    class Meta:
        ordering = ["engine_key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["engine_key", "version"], name="fpprofile_unique_engine_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="fpprofile_version_positive"),
        ]
        indexes = [models.Index(fields=["engine_key", "-version"], name="fpprofile_engine_latest")]

    def __str__(self) -> str:
        return f"{self.label} · profile v{self.version}"


class ProbeCampaign(models.Model):
    engine_kind = models.CharField(max_length=10, choices=EngineKind.choices)
    game_version = models.ForeignKey("games_app.GameVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="probe_campaigns")
    remote_url = models.URLField(max_length=500, blank=True, default="")
    profile = models.ForeignKey(FingerprintProfile, on_delete=models.PROTECT, related_name="campaigns")
    base_stats = models.JSONField(default=dict, blank=True, help_text="Stats of the profile version extended")
    target_spins = models.PositiveBigIntegerField()
    query_budget = models.PositiveBigIntegerField(null=True, blank=True, help_text="Empty = no cap")
    chunk_size = models.PositiveIntegerField()
    seed = models.CharField(max_length=128)
    stop_when_exact = models.BooleanField(default=True, help_text="Stop early once the exact model is recovered")
    wallet = models.ForeignKey("wallet_app.Wallet", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="probe_campaigns", help_text="Charged per query; empty = free")
    cost_per_query = MoneyField(help_text="Snapshot of the wallet's cost_per_query at creation")
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.QUEUED,
                              db_index=True)
    status_reason = models.CharField(max_length=64, blank=True, default="",
                                     help_text="Why it paused or ended, e.g. DAILY_LIMIT_EXCEEDED, target_reached")
    error = models.TextField(blank=True, default="")
    spins_done = models.PositiveBigIntegerField(default=0)
    queries_used = models.PositiveBigIntegerField(default=0)
    fees_charged = MoneyField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    convergence = models.JSONField(default=list, blank=True)
    sample_spins = models.PositiveIntegerField(default=0, help_text="Raw observations stored (ProbeSample)")
    recovery_sample_spins = models.PositiveIntegerField(default=0, help_text="Sample size of the last recovery try")
    targeted_spins = models.PositiveIntegerField(
        default=0, help_text="Targeted probes (engine spins with scripted draws); also counted in queries_used")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="probe_campaigns")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def set_status(self, status: str, *, reason: str = "", error: str = "") -> None:
        """Set status, reason and error (and ``finished_at`` for a finished status); not saved."""
        self.status, self.status_reason, self.error = status, reason, error
        if status in FINISHED_STATUSES:
            self.finished_at = timezone.now()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(target_spins__gte=1), name="probecampaign_target_positive"),
            models.CheckConstraint(condition=Q(chunk_size__gte=1), name="probecampaign_chunk_positive"),
            models.CheckConstraint(condition=Q(spins_done__lte=F("target_spins")),
                                   name="probecampaign_spins_within_target"),
            models.CheckConstraint(condition=Q(query_budget__isnull=True) | Q(queries_used__lte=F("query_budget")),
                                   name="probecampaign_queries_within_budget"),
            models.CheckConstraint(condition=Q(fees_charged__gte=0) & Q(cost_per_query__gte=0),
                                   name="probecampaign_money_non_negative"),
            models.CheckConstraint(
                condition=(Q(engine_kind="local", game_version__isnull=False, remote_url="")
                           | Q(engine_kind="remote", game_version__isnull=True) & ~Q(remote_url="")),
                name="probecampaign_one_engine"),
        ]

    def __str__(self) -> str:
        return f"campaign {self.pk} ({self.engine_label})"

    @property
    def engine_label(self) -> str:
        if self.engine_kind == EngineKind.LOCAL and self.game_version_id:
            return str(self.game_version)
        return self.remote_url

    @property
    def progress(self) -> float:
        return self.spins_done / self.target_spins if self.target_spins else 0.0


class ProbeSample(models.Model):
    """Raw observations of one chunk (only the first ``SAMPLE_LIMIT`` spins of a campaign), kept for
    the exact-model recovery: windows as int16 symbol ids (``.npy`` bytes, shape n x rows x reels)
    into ``alphabet`` and exact multipliers ``numerators / denominator`` (``.npy`` int64)."""

    campaign = models.ForeignKey(ProbeCampaign, on_delete=models.CASCADE, related_name="samples")
    start_index = models.PositiveBigIntegerField()
    count = models.PositiveIntegerField()
    alphabet = models.JSONField()
    windows = models.BinaryField()
    numerators = models.BinaryField()
    denominator = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign_id", "start_index"]
        constraints = [models.UniqueConstraint(fields=["campaign", "start_index"], name="probesample_unique_chunk")]
