"""Wire types shared by the wallet API (and by other apps that embed a wallet or ledger entry)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import format_amount
from wallet_app.selectors import wallet_daily_state


@extend_schema_field({"type": "string", "example": "1.5", "pattern": r"^-?\d+(\.\d{1,18})?$"})
class AmountField(serializers.Field):
    """A Decimal out as a plain decimal string; in, the raw JSON value, left for core.money.parse_amount
    (so a JSON number is refused with INVALID_AMOUNT rather than coerced)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return format_amount(value)


class LedgerEntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    wallet_id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = AmountField(help_text="Signed: credits positive, debits negative.")
    balance_after = AmountField()
    reference = serializers.CharField()
    request_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class WalletOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner = serializers.CharField(source="owner.username")
    currency = serializers.CharField()
    balance = AmountField()
    daily_limit = AmountField(allow_null=True, help_text="null = no limit")
    spent_today = serializers.SerializerMethodField()
    remaining_today = serializers.SerializerMethodField(help_text="null when there is no limit")
    limit_resets_at = serializers.SerializerMethodField()
    cost_per_spin = AmountField()
    cost_per_query = AmountField()
    frozen = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _daily(self, wallet):
        cache = self.context.setdefault("_daily_state", {})
        if wallet.pk not in cache:
            cache[wallet.pk] = wallet_daily_state(wallet=wallet, now=self.context.get("now"))
        return cache[wallet.pk]

    @extend_schema_field(OpenApiTypes.STR)
    def get_spent_today(self, wallet) -> str:
        return format_amount(self._daily(wallet).spent_today)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_remaining_today(self, wallet) -> str | None:
        remaining = self._daily(wallet).remaining_today
        return None if remaining is None else format_amount(remaining)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_limit_resets_at(self, wallet) -> str:
        return serializers.DateTimeField().to_representation(self._daily(wallet).limit_resets_at)


class WalletOperationOutputSerializer(serializers.Serializer):
    wallet = WalletOutputSerializer()
    entry = LedgerEntryOutputSerializer(allow_null=True, help_text="The ledger row written; null for "
                                                                    "set_limits, freeze and unfreeze.")
