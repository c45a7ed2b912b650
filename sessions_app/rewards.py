"""Reward functions, chosen per session (`reward_function`): each action's reward is part of its result,
of the spin row and of the session's `total_reward`. Rewards are learning signals (floats), never money.

- `net_payout` (default): payout − stake − fee of the step, in wallet currency units.
- `log_wealth`: ln(balance_after) − ln(balance_before): Kelly-style growth of the bankroll.
- `risk_adjusted`: x − λ·x² with x = net / balance_before and λ = 2: a mean-variance utility on
  the fraction of bankroll won or lost, which penalises large swings relative to wealth.
"""
import math
from decimal import Decimal

RISK_AVERSION = 2.0
_FLOOR = 1e-18


def net_payout(*, net: Decimal, balance_before: Decimal, balance_after: Decimal) -> float:
    return float(net)


def log_wealth(*, net: Decimal, balance_before: Decimal, balance_after: Decimal) -> float:
    return math.log(max(float(balance_after), _FLOOR)) - math.log(max(float(balance_before), _FLOOR))


def risk_adjusted(*, net: Decimal, balance_before: Decimal, balance_after: Decimal) -> float:
    fraction = float(net) / max(float(balance_before), _FLOOR)
    return fraction - RISK_AVERSION * fraction * fraction


REWARD_FUNCTIONS = {"net_payout": net_payout, "log_wealth": log_wealth, "risk_adjusted": risk_adjusted}


def compute_reward(name: str, *, net: Decimal, balance_before: Decimal, balance_after: Decimal) -> float:
    return REWARD_FUNCTIONS[name](net=net, balance_before=balance_before, balance_after=balance_after)
