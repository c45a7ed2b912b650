from django.db import models

from core.money import MoneyField


class Game(models.Model):
    """A slot game by slug. Its maths lives in immutable `GameVersion` rows."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def current_version(self) -> "GameVersion | None":
        return self.versions.order_by("-version").first()


class GameVersion(models.Model):
    """One immutable definition of a game. A changed definition is a new version; sessions keep theirs."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    content_hash = models.CharField(max_length=64)
    min_bet = MoneyField()
    max_bet = MoneyField()
    rtp = models.DecimalField(max_digits=12, decimal_places=10, null=True, blank=True,
                              help_text="Exact RTP from the PAR sheet, for listings")
    par_sheet = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game__slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["game", "version"], name="gameversion_unique_version"),
            models.UniqueConstraint(fields=["game", "content_hash"], name="gameversion_unique_content"),
            models.CheckConstraint(condition=models.Q(min_bet__gt=0) & models.Q(max_bet__gte=models.F("min_bet")),
                                   name="gameversion_bet_limits_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.game.slug} v{self.version}"
