"""Numeric encodings of observations and actions for offline training (Minari, Parquet) — documented in docs/rl.md.

Observation vector v1 (float32, length 16), from the observation dict of sessions_app.observations (v1):

    0 balance            1 bet (0 before place_bet)     2 spins            3 spent
    4 budget_left (0 without a budget)                   5 has_budget (0/1)
    6 spins_left (0 without max_spins)                   7 has_spin_cap (0/1)
    8 last_multiplier (0 before the first spin)          9 last_payout (0 before the first spin)
    10..15 one-hot state: idle, initialized, probing, playing, evaluating, completed

Every entry is ≥ 0. Money is converted to float here only: the vector is a learning input, never an amount.
The client package (clients/python/agent_royale/spaces.py) mirrors this; a test keeps the two equal.

Action code: the index of the action type in ACTION_TYPES. Parameters (place_bet amount, probe count)
are not in the code: the bet shows up in the next observation, the raw action is kept in the JSON exports.
"""
from collections.abc import Mapping

STATES = ("idle", "initialized", "probing", "playing", "evaluating", "completed")
ACTION_TYPES = ("initialize", "probe", "place_bet", "spin", "cash_out", "abort")
OBSERVATION_VECTOR_VERSION = 1
OBSERVATION_VECTOR_FIELDS = (
    "balance", "bet", "spins", "spent", "budget_left", "has_budget", "spins_left", "has_spin_cap",
    "last_multiplier", "last_payout", *(f"state_{state}" for state in STATES),
)
OBSERVATION_VECTOR_SIZE = len(OBSERVATION_VECTOR_FIELDS)


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def observation_vector(observation: Mapping) -> list[float]:
    """The v1 vector of one observation dict (see the module docstring for the layout)."""
    state = observation.get("state")
    return [
        _number(observation.get("balance")), _number(observation.get("bet")), _number(observation.get("spins")),
        _number(observation.get("spent")),
        _number(observation.get("budget_left")), 0.0 if observation.get("budget_left") is None else 1.0,
        _number(observation.get("spins_left")), 0.0 if observation.get("spins_left") is None else 1.0,
        _number(observation.get("last_multiplier")), _number(observation.get("last_payout")),
        *(1.0 if state == name else 0.0 for name in STATES),
    ]


def action_code(action: Mapping) -> int:
    """Index of the action's type in ACTION_TYPES (-1 for a type this version does not know)."""
    kind = action.get("type")
    return ACTION_TYPES.index(kind) if kind in ACTION_TYPES else -1
