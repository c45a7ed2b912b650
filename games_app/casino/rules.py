"""The deployed game rules, exactly as clients verify them (issue 6). Pure functions, no I/O."""
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from core import money

QUANTUM = Decimal(1).scaleb(-18)

MIN_DEPOSIT = Decimal("0.001")
MAX_DEPOSIT = Decimal("10")
MIN_BET = Decimal("0.0001")

SLOTS_SYMBOLS = ("cherry", "lemon", "orange", "diamond", "seven")
SLOTS_THRESHOLDS = (30, 55, 75, 90, 100)        # reel value < threshold → symbol
SLOTS_MULTIPLIERS = {"cherry": 5, "lemon": 10, "orange": 25, "diamond": 50, "seven": 290}
SLOTS_MAX_BET_DIVISOR = 580                     # max bet = casinoBalance / 580 (2× the 290× jackpot)
SLOTS_RTP = Decimal("0.95")

COINFLIP_CHOICES = ("heads", "tails")
COINFLIP_MULTIPLIER = Decimal("1.9")            # stake included
COINFLIP_MAX_BET_DIVISOR = 4
COINFLIP_RTP = Decimal("0.95")

LOTTO_TICKET_PRICE = Decimal("0.001")
LOTTO_PAYOUT_MULTIPLIER = 85
LOTTO_RANGE = 100
LOTTO_MAX_TICKETS = 10
LOTTO_RTP = Decimal("0.85")

MAX_MULTIPLIER = {"slots": Decimal(max(SLOTS_MULTIPLIERS.values())), "coinflip": COINFLIP_MULTIPLIER}
MAX_BET_DIVISOR = {"slots": SLOTS_MAX_BET_DIVISOR, "coinflip": COINFLIP_MAX_BET_DIVISOR}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def result_hash(*, casino_seed: str, agent_seed: str, nonce: int) -> str:
    """`nonce` is the channel nonce after the round (old + 1)."""
    return sha256_hex(casino_seed + agent_seed + str(nonce))


def quantize_down(amount: Decimal) -> Decimal:
    """Amounts past 18 decimals are rounded toward the house (down)."""
    return money.quantize_down(amount)


def payout_for(bet: Decimal, multiplier) -> Decimal:
    """bet × multiplier, rounded down once, exactly (core.money)."""
    return money.multiply_money(bet, multiplier)


def commit_reservation(*, game: str, bet: Decimal) -> tuple[Decimal, Decimal]:
    """What a pending commit holds back until it resolves: its bet (agent side) and its largest net
    payout (casino side), exactly as a winning reveal would move it."""
    return bet, payout_for(bet, MAX_MULTIPLIER[game]) - bet


def lotto_liability(ticket_count: int) -> Decimal:
    """The casino side an open purchase of `ticket_count` tickets holds back: what it pays if it wins."""
    return LOTTO_TICKET_PRICE * LOTTO_PAYOUT_MULTIPLIER * ticket_count


def max_bet(*, game: str, available_casino_balance: Decimal) -> Decimal:
    if available_casino_balance <= 0:
        return Decimal(0)
    return money.divide_down(available_casino_balance, MAX_BET_DIVISOR[game])


@dataclass(frozen=True)
class SlotsOutcome:
    reels: tuple[str, str, str]
    reel_indices: tuple[int, int, int]
    multiplier: int


def slots_outcome(hash_hex: str) -> SlotsOutcome:
    values = tuple(int(hash_hex[8 * i:8 * i + 8], 16) % 100 for i in range(3))
    indices = tuple(next(i for i, limit in enumerate(SLOTS_THRESHOLDS) if value < limit) for value in values)
    reels = tuple(SLOTS_SYMBOLS[i] for i in indices)
    multiplier = SLOTS_MULTIPLIERS[reels[0]] if reels[0] == reels[1] == reels[2] else 0
    return SlotsOutcome(reels=reels, reel_indices=indices, multiplier=multiplier)


def coinflip_result(hash_hex: str) -> str:
    return "heads" if int(hash_hex[0:2], 16) % 2 == 0 else "tails"


def lotto_winning_number(seed: str) -> int:
    """The draw's number comes from its revealed seed: int(seed[0:8], 16) % 100 + 1."""
    return int(seed[0:8], 16) % LOTTO_RANGE + 1


def rules_document() -> dict:
    """What `info` and GET /api/casino/games publish (strings for every amount)."""
    return {
        "slots": {
            "name": "slots", "rtp": str(SLOTS_RTP), "minBet": str(MIN_BET),
            "maxBet": f"casinoBalance / {SLOTS_MAX_BET_DIVISOR}", "reels": 3, "symbols": list(SLOTS_SYMBOLS),
            "reelThresholds": dict(zip(SLOTS_SYMBOLS, SLOTS_THRESHOLDS)),
            "payouts": {symbol: f"{mult}x" for symbol, mult in SLOTS_MULTIPLIERS.items()},
            "rule": "three of a kind pays the multiplier times the bet",
            "resultHash": "sha256_hex(casinoSeed + agentSeed + str(nonce))",
            "reelIndex": "int(h[8i:8i+8], 16) % 100",
        },
        "coinflip": {
            "name": "coinflip", "rtp": str(COINFLIP_RTP), "minBet": str(MIN_BET),
            "maxBet": f"casinoBalance / {COINFLIP_MAX_BET_DIVISOR}", "choices": list(COINFLIP_CHOICES),
            "payout": f"{COINFLIP_MULTIPLIER}x (stake included)",
            "resultHash": "sha256_hex(casinoSeed + agentSeed + str(nonce))",
            "rule": "int(h[0:2], 16) % 2 == 0 is heads",
        },
        "lotto": {
            "name": "lotto", "rtp": str(LOTTO_RTP), "ticketPrice": str(LOTTO_TICKET_PRICE),
            "payoutMultiplier": LOTTO_PAYOUT_MULTIPLIER, "range": LOTTO_RANGE, "maxTicketsPerPurchase": LOTTO_MAX_TICKETS,
            "commitment": "sha256_hex(drawSeed)", "winningNumber": "int(drawSeed[0:8], 16) % 100 + 1",
        },
    }
