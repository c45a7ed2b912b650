"""A2A casino tables (spec: PHASE2_A2A_CASINO.md). Table names are the spec's, via `db_table`.

A channel belongs to one agent address inside one *scope*: `anon` for unbacked play-money
channels, `user:<id>` for channels funded from that user's wallet. Every query on a write path
is keyed by (scope, agent_address), so one agent's rows can live on one shard.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.money import MoneyField

ANONYMOUS_SCOPE = "anon"


class Game(models.TextChoices):
    SLOTS = "slots", "Slots"
    COINFLIP = "coinflip", "Coinflip"
    LOTTO = "lotto", "Lotto"


class CasinoChannel(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    scope = models.CharField(max_length=32)
    agent_address = models.CharField(max_length=42, help_text="lower-case 0x + 40 hex")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="casino_channels")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    funded = models.BooleanField(default=False)
    # Plain ids, not FKs: the wallet app owns its tables and its migrations.
    agent_wallet_id = models.BigIntegerField(null=True, blank=True)
    house_wallet_id = models.BigIntegerField(null=True, blank=True)
    agent_deposit = MoneyField()
    casino_deposit = MoneyField()
    agent_balance = MoneyField()
    casino_balance = MoneyField()
    nonce = models.BigIntegerField(default=0)
    games_played = models.BigIntegerField(default=0)
    # What the channel has promised but not yet moved, kept on the row the writer already holds, so a
    # commit or a lotto purchase checks its limits without reading the commits and tickets it summarises
    # (`audit_channels` re-derives all three from those rows).
    reserved_agent = MoneyField(default=0, help_text="bets of the pending commits")
    reserved_casino = MoneyField(default=0, help_text="largest net payout of each pending commit + 85x every open "
                                                      "lotto ticket")
    open_lotto_tickets = models.BigIntegerField(default=0, help_text="tickets (ticket_count) not yet drawn")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    close_signature = models.CharField(max_length=128, blank=True, default="")
    signed = models.BooleanField(default=False, help_text="Opened with an EIP-191 signature: every write must be signed")
    open_signed_at = models.BigIntegerField(null=True, blank=True,
                                            help_text="signedAt (ms) of a signed open; later ones must exceed it")
    request_id = models.CharField(max_length=128, blank=True, default="")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "casino_channels"
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["scope", "agent_address", "-opened_at"], name="casino_chan_scope_addr"),
                   models.Index(fields=["agent_address", "-open_signed_at"], name="casino_chan_addr_signed",
                                condition=Q(open_signed_at__isnull=False))]
        constraints = [
            models.UniqueConstraint(fields=["scope", "agent_address"], condition=Q(status="open"),
                                    name="casino_one_open_channel_per_agent"),
            models.CheckConstraint(condition=Q(agent_balance__gte=0), name="casino_channel_agent_balance_gte_0"),
            models.CheckConstraint(condition=Q(casino_balance__gte=0), name="casino_channel_casino_balance_gte_0"),
            models.CheckConstraint(condition=Q(agent_deposit__gt=0) & Q(casino_deposit__gt=0),
                                   name="casino_channel_deposits_gt_0"),
            # Conservation (agent_deposit + casino_deposit == agent_balance + casino_balance) is a CHECK
            # added as raw SQL by migration 0004.
            models.CheckConstraint(condition=Q(nonce__gte=0), name="casino_channel_nonce_gte_0"),
            models.CheckConstraint(condition=Q(reserved_agent__gte=0, reserved_agent__lte=F("agent_balance")),
                                   name="casino_channel_reserved_agent_covered"),
            models.CheckConstraint(condition=Q(reserved_casino__gte=0, reserved_casino__lte=F("casino_balance")),
                                   name="casino_channel_reserved_casino_covered"),
            models.CheckConstraint(condition=Q(open_lotto_tickets__gte=0), name="casino_channel_open_tickets_gte_0"),
            models.CheckConstraint(condition=Q(status__in=["open", "closed"]), name="casino_channel_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_address} [{self.scope}] #{self.pk} {self.status}"


class CasinoCommit(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REVEALED = "revealed", "Revealed"
        EXPIRED = "expired", "Expired"

    channel = models.ForeignKey(CasinoChannel, on_delete=models.PROTECT, related_name="commits")
    scope = models.CharField(max_length=32)
    agent_address = models.CharField(max_length=42)
    game = models.CharField(max_length=16, choices=Game.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    casino_seed = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64)
    bet_amount = MoneyField()
    choice = models.CharField(max_length=8, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "casino_commits"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="casino_commit_status_exp"),
                   models.Index(fields=["channel", "game", "-created_at"], name="casino_commit_chan_game")]
        constraints = [
            models.UniqueConstraint(fields=["scope", "agent_address", "game"], condition=Q(status="pending"),
                                    name="casino_one_pending_commit_per_agent_game"),
            models.CheckConstraint(condition=Q(bet_amount__gt=0), name="casino_commit_bet_gt_0"),
            models.CheckConstraint(condition=Q(game__in=["slots", "coinflip"]), name="casino_commit_game_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.game} commit #{self.pk} ({self.status})"


class CasinoRound(models.Model):
    """One resolved round: the only thing that moves a channel's nonce (append-only)."""

    class Kind(models.TextChoices):
        PLAY = "play", "Play"
        LOTTO_TICKET = "lotto_ticket", "Lotto ticket"
        LOTTO_WIN = "lotto_win", "Lotto win"

    channel = models.ForeignKey(CasinoChannel, on_delete=models.PROTECT, related_name="rounds")
    game = models.CharField(max_length=16, choices=Game.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PLAY)
    nonce = models.BigIntegerField()
    bet_amount = MoneyField()
    payout = MoneyField()
    agent_balance_after = MoneyField()
    casino_balance_after = MoneyField()
    commit = models.OneToOneField(CasinoCommit, null=True, blank=True, on_delete=models.PROTECT, related_name="round")
    casino_seed = models.CharField(max_length=64, blank=True, default="")
    agent_seed = models.CharField(max_length=256, blank=True, default="")
    result_hash = models.CharField(max_length=64, blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "casino_rounds"
        ordering = ["channel_id", "nonce"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "nonce"], name="casino_round_unique_nonce"),
            models.CheckConstraint(condition=Q(nonce__gte=1), name="casino_round_nonce_gte_1"),
            models.CheckConstraint(condition=Q(bet_amount__gte=0) & Q(payout__gte=0), name="casino_round_amounts_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.game} round {self.nonce} of channel {self.channel_id}"


class CasinoEvent(models.Model):
    """Append-only audit trail of everything that happened to a channel or a draw."""

    channel = models.ForeignKey(CasinoChannel, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    agent_address = models.CharField(max_length=42, blank=True, default="")
    kind = models.CharField(max_length=32)
    payload = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "casino_events"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.agent_address or '-'})"


class CasinoGameStats(models.Model):
    """A game's totals over its rounds with id <= `through_round_id`, folded in batches by
    `services.game_stats_roll_up` (a beat task); readers add the rounds after it
    (`selectors.game_totals`), so the answer is exact at every moment and no round writes here.
    `candidate_*`: the next fold, recorded by the previous run (see the service)."""
    game = models.CharField(max_length=16, choices=Game.choices, unique=True)
    total_rounds = models.BigIntegerField(default=0)
    total_wagered = MoneyField(default=0)
    total_paid_out = MoneyField(default=0)
    through_round_id = models.BigIntegerField(default=0)
    candidate_round_id = models.BigIntegerField(null=True, blank=True)
    candidate_xid = models.BigIntegerField(null=True, blank=True,
                                           help_text="a transaction id taken after candidate_round_id was read")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "casino_game_stats"
        ordering = ["game"]
        verbose_name_plural = "casino game stats"
        constraints = [models.CheckConstraint(condition=Q(total_rounds__gte=0, total_wagered__gte=0,
                                                          total_paid_out__gte=0, through_round_id__gte=0),
                                              name="casino_game_stats_gte_0")]

    def __str__(self) -> str:
        return self.game


class CasinoRequest(models.Model):
    """Idempotency record: the exact response of a mutating request, stored in its transaction."""

    class KeySource(models.TextChoices):
        HEADER = "header", "x-idempotency-key"
        DERIVED = "derived", "Derived"

    scope = models.CharField(max_length=32)
    agent_address = models.CharField(max_length=42)
    key = models.CharField(max_length=300)
    key_source = models.CharField(max_length=8, choices=KeySource.choices)
    action = models.CharField(max_length=32)
    fingerprint = models.CharField(max_length=64)
    channel = models.ForeignKey(CasinoChannel, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField(help_text="the exact JSON of message.content, replayed verbatim")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "casino_requests"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["scope", "agent_address", "key"],
                                               name="casino_request_unique_key")]

    def __str__(self) -> str:
        return f"{self.action} {self.agent_address} ({self.key_source})"


class CasinoLottoDraw(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"          # selling tickets
        DRAWN = "drawn", "Drawn"       # seed revealed, number fixed, winners being credited
        SETTLED = "settled", "Settled"

    draw_time = models.DateTimeField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    seed = models.CharField(max_length=64, help_text="secret until drawn")
    commitment = models.CharField(max_length=64)
    winning_number = models.PositiveSmallIntegerField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "casino_lotto_draws"
        ordering = ["-draw_time"]
        indexes = [models.Index(fields=["status", "draw_time"], name="casino_draw_status_time")]
        constraints = [
            models.CheckConstraint(condition=Q(winning_number__isnull=True) | Q(winning_number__gte=1, winning_number__lte=100),
                                   name="casino_draw_winning_number_range"),
        ]

    def __str__(self) -> str:
        return f"draw #{self.pk} at {self.draw_time:%Y-%m-%d %H:%M} ({self.status})"


class CasinoLottoTicket(models.Model):
    """One purchase: `ticket_count` tickets on one number."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LOST = "lost", "Lost"
        WON_PAID = "won_paid", "Won, credited"
        WON_UNPAID = "won_unpaid", "Won, channel closed"

    draw = models.ForeignKey(CasinoLottoDraw, on_delete=models.PROTECT, related_name="tickets")
    channel = models.ForeignKey(CasinoChannel, on_delete=models.PROTECT, related_name="lotto_tickets")
    agent_address = models.CharField(max_length=42)
    picked_number = models.PositiveSmallIntegerField()
    ticket_count = models.PositiveSmallIntegerField()
    total_cost = MoneyField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payout = MoneyField(default=0)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "casino_lotto_tickets"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["draw", "status"], name="casino_ticket_draw_status"),
                   models.Index(fields=["channel", "status"], name="casino_ticket_chan_status")]
        constraints = [
            models.CheckConstraint(condition=Q(picked_number__gte=1, picked_number__lte=100), name="casino_ticket_pick_range"),
            models.CheckConstraint(condition=Q(ticket_count__gte=1, ticket_count__lte=10), name="casino_ticket_count_range"),
            models.CheckConstraint(condition=Q(total_cost__gt=0) & Q(payout__gte=0), name="casino_ticket_amounts"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_count}× #{self.picked_number} in draw {self.draw_id}"
