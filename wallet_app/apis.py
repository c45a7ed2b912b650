"""HTTP ↔ wallet domain. One set of views for v1 and v2 (the URL carries the version)."""
from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from core import policy
from core.exceptions import Forbidden, InvalidAmount, ValidationFailed
from core.idempotency import idempotent
from core.money import parse_amount
from core.pagination import NewestFirstPagination
from wallet_app import metrics, services
from wallet_app.selectors import ledger_for, wallet_get_for, wallet_list_for
from wallet_app.serializers import (
    AmountField,
    LedgerEntryOutputSerializer,
    WalletOperationOutputSerializer,
    WalletOutputSerializer,
)

ADMIN_ONLY_CREATE_FIELDS = ("daily_limit", "cost_per_spin", "cost_per_query")
WALLET_ID = OpenApiParameter("wallet_id", int, OpenApiParameter.PATH)


def _amount(value, *, field: str, allow_zero: bool = False):
    try:
        return parse_amount(value, field=field, allow_zero=allow_zero)
    except InvalidAmount as exc:
        metrics.REJECTIONS.labels(code=exc.code).inc()
        raise


def _wallet_body(wallet, *, now=None) -> dict:
    return WalletOutputSerializer(wallet, context={"now": now or timezone.now()}).data


class WalletsApi(generics.ListAPIView):
    pagination_class = NewestFirstPagination
    serializer_class = WalletOutputSerializer

    class WalletCreateInputSerializer(serializers.Serializer):
        owner = serializers.CharField(required=False, max_length=150,
                                      help_text="Username of the owner (staff only; default: the caller).")
        currency = serializers.CharField(required=False, max_length=10, help_text="Default ETH.")
        daily_limit = AmountField(required=False, help_text="Admin only. null = no limit.")
        cost_per_spin = AmountField(required=False, help_text="Admin only.")
        cost_per_query = AmountField(required=False, help_text="Admin only.")

    def get_queryset(self):
        return wallet_list_for(actor=policy.actor_of_request(self.request),
                               owner_username=self.request.query_params.get("owner"))

    def get_serializer_context(self):
        return super().get_serializer_context() | {"now": timezone.now()}

    @extend_schema(summary="List wallets (agents: their own; staff: all)", tags=["wallets"],
                   parameters=[OpenApiParameter("owner", str, description="Staff only: the owner's username")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=WalletCreateInputSerializer, responses={201: WalletOutputSerializer}, tags=["wallets"],
                   summary="Create a wallet (agents: their own, one per currency; staff: for any owner)")
    @idempotent
    def post(self, request, *args, **kwargs):
        data = self.WalletCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        actor = policy.actor_of_request(request)
        owner = self._owner(actor, request.user, fields.get("owner"))
        given = [name for name in ADMIN_ONLY_CREATE_FIELDS if name in fields]
        if given and not policy.allows(actor, policy.Act.WALLET_SET_LIMITS, owner_id=owner.pk):
            raise Forbidden("Only an admin may set limits or fees.", details={"fields": given})
        limits = {}
        if "daily_limit" in fields and fields["daily_limit"] is not None:
            limits["daily_limit"] = _amount(fields["daily_limit"], field="daily_limit", allow_zero=True)
        for name in ("cost_per_spin", "cost_per_query"):
            if name in fields:
                limits[name] = _amount(fields[name], field=name, allow_zero=True)
        wallet = services.wallet_create(owner=owner, currency=fields.get("currency"), **limits)
        return Response(_wallet_body(wallet), status=status.HTTP_201_CREATED)

    @staticmethod
    def _owner(actor: policy.Actor, caller, username: str | None):
        """The wallet's owner: the caller, or the named user if the policy lets the caller create theirs.
        An agent naming anyone else is refused alike whether the username exists or not."""
        owner = caller if username is None else get_user_model().objects.filter(username=username).first()
        if owner is not None and policy.allows(actor, policy.Act.WALLET_CREATE, owner_id=owner.pk):
            return owner
        if policy.allows_any(actor, policy.Act.WALLET_CREATE):
            raise ValidationFailed("Unknown owner.", details={"fields": {"owner": ["No user with this username."]}})
        raise Forbidden("Agents can only create their own wallet.", details={"field": "owner"})


class WalletDetailApi(generics.GenericAPIView):
    serializer_class = WalletOutputSerializer

    @extend_schema(responses=WalletOutputSerializer, tags=["wallets"], parameters=[WALLET_ID],
                   summary="Balance, limits, fees, today's spend and frozen flag")
    def get(self, request, version, wallet_id):
        wallet = wallet_get_for(wallet_id=int(wallet_id), actor=policy.actor_of_request(request))
        return Response(_wallet_body(wallet))


class OperationType:
    DEPOSIT, WITHDRAW, SET_LIMITS, FREEZE, UNFREEZE = "deposit", "withdraw", "set_limits", "freeze", "unfreeze"
    ALL = (DEPOSIT, WITHDRAW, SET_LIMITS, FREEZE, UNFREEZE)
    # deposit, set_limits, unfreeze: admin. freeze: operator or admin. withdraw: owner or admin.
    ACTS = {DEPOSIT: policy.Act.WALLET_DEPOSIT, WITHDRAW: policy.Act.WALLET_WITHDRAW,
            SET_LIMITS: policy.Act.WALLET_SET_LIMITS, FREEZE: policy.Act.WALLET_FREEZE,
            UNFREEZE: policy.Act.WALLET_UNFREEZE}


def _authorize(*, operation: str, actor: policy.Actor, wallet) -> None:
    if not policy.allows(actor, OperationType.ACTS[operation], owner_id=wallet.owner_id):
        raise Forbidden(f"Your role may not {operation.replace('_', ' ')} this wallet.", details={"type": operation})


class WalletOperationsApi(generics.GenericAPIView):
    serializer_class = WalletOperationOutputSerializer

    class WalletOperationInputSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=OperationType.ALL)
        amount = AmountField(required=False, help_text="deposit/withdraw: a decimal string > 0, e.g. \"1.5\".")
        daily_limit = AmountField(required=False, help_text="set_limits: decimal string >= 0, or null for no limit; "
                                                            "omitted = unchanged.")
        cost_per_spin = AmountField(required=False, help_text="set_limits: omitted = unchanged.")
        cost_per_query = AmountField(required=False, help_text="set_limits: omitted = unchanged.")
        reference = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    @extend_schema(request=WalletOperationInputSerializer, responses=WalletOperationOutputSerializer, tags=["wallets"],
                   parameters=[WALLET_ID],
                   summary="deposit (admin) · withdraw (owner or admin) · set_limits (admin) · "
                           "freeze (operator or admin) · unfreeze (admin)")
    @idempotent
    def post(self, request, version, wallet_id):
        actor = policy.actor_of_request(request)
        found = wallet = wallet_get_for(wallet_id=int(wallet_id), actor=actor)
        data = self.WalletOperationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        operation = fields["type"]
        _authorize(operation=operation, actor=actor, wallet=wallet)

        entry = None
        if operation in (OperationType.DEPOSIT, OperationType.WITHDRAW):
            amount = _amount(fields.get("amount"), field="amount")
            service = services.deposit if operation == OperationType.DEPOSIT else services.withdraw
            entry = service(wallet_id=wallet.pk, amount=amount, reference=fields["reference"])
            wallet = entry.wallet
        elif operation == OperationType.SET_LIMITS:
            wallet = services.limits_update(wallet_id=wallet.pk, **self._limit_changes(fields))
        elif operation == OperationType.FREEZE:
            wallet = services.freeze(wallet_id=wallet.pk)
        else:
            wallet = services.unfreeze(wallet_id=wallet.pk)
        wallet.owner = found.owner  # the service returns the locked row without its owner joined
        body = {"wallet": _wallet_body(wallet),
                "entry": None if entry is None else LedgerEntryOutputSerializer(entry).data}
        return Response(body)

    @staticmethod
    def _limit_changes(fields: dict) -> dict:
        changes = {}
        if "daily_limit" in fields:
            value = fields["daily_limit"]
            changes["daily_limit"] = None if value is None else _amount(value, field="daily_limit", allow_zero=True)
        for name in ("cost_per_spin", "cost_per_query"):
            if name in fields:
                changes[name] = _amount(fields[name], field=name, allow_zero=True)
        if not changes:
            raise ValidationFailed("set_limits needs daily_limit, cost_per_spin or cost_per_query.",
                                   details={"fields": {"daily_limit": ["This field is required."]}})
        return changes


class WalletLedgerApi(generics.ListAPIView):
    pagination_class = NewestFirstPagination
    serializer_class = LedgerEntryOutputSerializer

    def get_queryset(self):
        wallet = wallet_get_for(wallet_id=int(self.kwargs["wallet_id"]), actor=policy.actor_of_request(self.request))
        return ledger_for(wallet=wallet)

    @extend_schema(summary="The wallet's ledger, newest first (cursor-paginated)", tags=["wallets"],
                   parameters=[WALLET_ID])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
