"""The observation of a session an agent sees at each step: the session's state as its player sees it,
recorded before and after every action (rl_app stores it in the experience trace). Versioned: bump
OBSERVATION_VERSION on any change (rl_app.encoding and the Python client encode v1).

v1 fields: v, state, balance, bet, spins, spent, budget_left, spins_left, last_multiplier, last_payout.
Money fields are decimal strings; `last_*` describe the previous spin (null before the first).
"""
from decimal import Decimal

from core.money import format_amount

OBSERVATION_VERSION = 1



def observe(*, session, balance: Decimal, last_multiplier: str | None = None, last_payout: Decimal | None = None) -> dict:
    budget_left = session.budget - session.spent if session.budget is not None else None
    spins_left = session.max_spins - session.total_spins if session.max_spins is not None else None
    return {
        "v": OBSERVATION_VERSION, "state": session.state, "balance": format_amount(balance),
        "bet": format_amount(session.bet) if session.bet is not None else None, "spins": session.total_spins,
        "spent": format_amount(session.spent), "budget_left": format_amount(budget_left) if budget_left is not None else None,
        "spins_left": spins_left, "last_multiplier": last_multiplier,
        "last_payout": format_amount(last_payout) if last_payout is not None else None,
    }
