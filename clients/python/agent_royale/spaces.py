"""Observation vector v1 and action layout: mirrors rl_app/encoding.py on the server (a server test keeps them
equal). See docs/rl.md for the table.

    0 balance   1 bet   2 spins   3 spent   4 budget_left   5 has_budget   6 spins_left   7 has_spin_cap
    8 last_multiplier   9 last_payout   10..15 one-hot state (idle, initialized, probing, playing, evaluating, completed)
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

STATES = ("idle", "initialized", "probing", "playing", "evaluating", "completed")
OBSERVATION_VECTOR_SIZE = 10 + len(STATES)


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def observation_vector(observation: Mapping) -> np.ndarray:
    """A fresh float32 array (length 16) for one observation dict of the API (`observation` of a trace step)."""
    state = observation.get("state")
    return np.array([
        _number(observation.get("balance")), _number(observation.get("bet")), _number(observation.get("spins")),
        _number(observation.get("spent")),
        _number(observation.get("budget_left")), 0.0 if observation.get("budget_left") is None else 1.0,
        _number(observation.get("spins_left")), 0.0 if observation.get("spins_left") is None else 1.0,
        _number(observation.get("last_multiplier")), _number(observation.get("last_payout")),
        *(1.0 if state == name else 0.0 for name in STATES),
    ], dtype=np.float32)


def observation_space():
    from gymnasium import spaces

    # Unbounded above in principle; float32's largest value rather than inf keeps samplers and checkers sane.
    return spaces.Box(low=0.0, high=np.finfo(np.float32).max, shape=(OBSERVATION_VECTOR_SIZE,), dtype=np.float32)
