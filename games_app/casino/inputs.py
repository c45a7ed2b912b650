"""Turn an A2A `message.content` into an action name and validated, typed parameters.

Parameters may sit directly in `content` or in `content.params` (both are in use by clients);
`params` wins on a clash. Numbers arrive as `Decimal` (`core.jsonbody` with exact numbers), so a
JSON number keeps its exact decimal text; strings are the norm.
"""
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from core import jsonbody
from core.exceptions import InvalidAmount as CoreInvalidAmount
from core.money import parse_amount
from games_app.casino import rules
from games_app.casino.addresses import normalize_address
from games_app.casino.exceptions import (DepositRatioExceeded, InvalidAddress, InvalidAmount, InvalidBet,
                                         InvalidParams, InvalidRequest, UnsupportedAction)
from games_app.casino.signatures import is_signature_text

ACTIONS = ("open_channel", "channel_status", "close_channel", "slots_commit", "slots_reveal", "coinflip_commit",
           "coinflip_reveal", "lotto_buy", "lotto_status", "info", "stats")
MUTATING_ACTIONS = frozenset({"open_channel", "close_channel", "slots_commit", "slots_reveal", "coinflip_commit",
                              "coinflip_reveal", "lotto_buy"})
ADDRESS_ACTIONS = MUTATING_ACTIONS | {"channel_status"}
MAX_BODY_BYTES = 64 * 1024
_SEED = re.compile(r"^[\x21-\x7e]{1,128}$")
MAX_SIGNED_AT = 10 ** 15  # ms since the epoch; year 33658


@dataclass(frozen=True)
class CasinoCall:
    action: str
    address: str | None                       # lower-case, validated
    params: dict[str, Any] = field(default_factory=dict)   # validated, typed
    raw: dict[str, Any] = field(default_factory=dict)      # merged parameters as sent (for fingerprints)

    def canonical(self) -> str:
        return json.dumps({"action": self.action, "params": self.raw}, sort_keys=True, default=str,
                          separators=(",", ":"))


def load_json(body: bytes) -> Any:
    """Parse a request body through the project's one JSON reader (`core.jsonbody`: strict JSON, depth,
    no NUL or lone surrogate, numbers as exact Decimals); raises InvalidRequest with its reason."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest("The body is too large.")
    try:
        return jsonbody.loads(body, exact_numbers=True)
    except jsonbody.BodyRejected as exc:
        raise InvalidRequest(exc.message) from None


def content_from_envelope(payload: Any) -> dict:
    if not isinstance(payload, dict):
        raise InvalidRequest()
    message = payload.get("message")
    if not isinstance(message, dict):
        raise InvalidRequest()
    content_type = message.get("contentType", "application/json")
    if content_type != "application/json":
        raise InvalidRequest("message.contentType must be application/json.")
    content = message.get("content")
    if not isinstance(content, dict):
        raise InvalidRequest("message.content must be an object.")
    return content


def _amount_text(value: Any) -> Any:
    # An exact JSON number (Decimal/int) is accepted as its decimal text; bools are not numbers.
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        try:
            return format(Decimal(value), "f")
        except (ValueError, ArithmeticError):
            return value
    return value


def _amount(raw: dict, name: str, *, error=InvalidAmount, default: Any = None) -> Decimal:
    value = raw.get(name, default)
    if value is None:
        raise error(f"{name} is required.")
    try:
        return parse_amount(_amount_text(value), field=name)
    except CoreInvalidAmount as exc:
        raise error(exc.message) from None


_ASCII_DIGITS = re.compile(r"^[0-9]{1,18}$")


def _integer(raw: dict, name: str, *, low: int, high: int, default: int | None = None) -> int:
    """An integer sent as a JSON integer, an integral JSON number or a string of ASCII digits.
    (`str.isdigit` is not the test: it accepts "²" and other digits `int()` refuses.)"""
    value = raw.get(name, default)
    if isinstance(value, str) and _ASCII_DIGITS.match(value):
        value = int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() \
            and abs(value) <= high:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParams(f"{name} must be an integer from {low} to {high}.")
    return value


def _deposit(raw: dict, name: str, default: Any = None) -> Decimal:
    amount = _amount(raw, name, default=default)
    if not rules.MIN_DEPOSIT <= amount <= rules.MAX_DEPOSIT:
        raise InvalidAmount(f"{name} must be between {rules.MIN_DEPOSIT} and {rules.MAX_DEPOSIT}.")
    return amount


def _bet(raw: dict) -> Decimal:
    amount = _amount(raw, "betAmount", error=InvalidBet)
    if amount < rules.MIN_BET:
        raise InvalidBet(f"betAmount must be at least {rules.MIN_BET}.")
    return amount


def _agent_seed(raw: dict) -> str:
    seed = raw.get("agentSeed")
    if not isinstance(seed, str) or not _SEED.match(seed):
        raise InvalidParams("agentSeed must be 1-128 printable ASCII characters without spaces.")
    return seed


def parse_call(content: dict) -> CasinoCall:
    """Validate everything that needs no database. Raises a CasinoError (400) on bad input."""
    action = content.get("action")
    if not isinstance(action, str) or not action:
        raise InvalidParams("content.action is required.")
    if action not in ACTIONS:
        raise UnsupportedAction(f"Unknown action {action[:64]!r}; supported: {', '.join(ACTIONS)}.")
    nested = content.get("params", {})
    if nested is None:
        nested = {}
    if not isinstance(nested, dict):
        raise InvalidParams("content.params must be an object.")
    raw = {k: v for k, v in content.items() if k not in ("action", "params")} | nested

    address = None
    if action in ADDRESS_ACTIONS or (action == "lotto_status" and raw.get("stealthAddress") is not None):
        address = normalize_address(raw.get("stealthAddress"))
        if address is None:
            raise InvalidAddress()

    params: dict[str, Any] = {}
    if action in ADDRESS_ACTIONS and raw.get("signature") is not None:
        if not is_signature_text(raw["signature"]):
            raise InvalidParams("signature must be a 0x-prefixed 65-byte hex EIP-191 signature.")
        params["signature"] = raw["signature"]
    if action == "open_channel":
        params["agent_deposit"] = _deposit(raw, "agentDeposit")
        params["casino_deposit"] = _deposit(raw, "casinoDeposit", default=_amount_text(raw.get("agentDeposit")))
        ratio = settings.A2A_MAX_CASINO_DEPOSIT_RATIO
        if params["casino_deposit"] > params["agent_deposit"] * ratio:
            raise DepositRatioExceeded(f"casinoDeposit may be at most {ratio} x agentDeposit.")
        if "signature" in params:
            params["signed_at"] = _integer(raw, "signedAt", low=1, high=MAX_SIGNED_AT)
    elif action in ("slots_commit", "coinflip_commit"):
        params["bet"] = _bet(raw)
        if action == "coinflip_commit":
            choice = raw.get("choice")
            if not isinstance(choice, str) or choice.lower() not in rules.COINFLIP_CHOICES:
                raise InvalidParams("choice must be heads or tails.")
            params["choice"] = choice.lower()
    elif action in ("slots_reveal", "coinflip_reveal"):
        params["agent_seed"] = _agent_seed(raw)
    elif action == "lotto_buy":
        params["picked_number"] = _integer(raw, "pickedNumber", low=1, high=rules.LOTTO_RANGE)
        params["ticket_count"] = _integer(raw, "ticketCount", low=1, high=rules.LOTTO_MAX_TICKETS, default=1)
    return CasinoCall(action=action, address=address, params=params, raw=raw)
