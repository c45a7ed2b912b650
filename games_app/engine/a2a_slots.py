"""The A2A casino's deployed slots, probe-able through the :class:`SlotEngine` interface.

The rules live in ``games_app.casino.rules`` (issue 6) and are called, not copied: per spin the
engine draws ``casinoSeed`` and ``agentSeed`` from ``rng.random_bytes``, hashes them with the
nonce (``sha256_hex(casinoSeed + agentSeed + str(nonce))``), and reads 3 reels x 1 row from the
hash (``int(h[8i:8i+8], 16) % 100`` against thresholds 30/55/75/90/100). Three of a kind pays
5/10/25/50/290 times the bet (cherry..seven); RTP 95%. The bet is the whole stake, so the
engine reports one payline ``[0, 0, 0]`` and ``total_multiplier`` = the rules' multiplier.

Reels are independent weighted draws, not strips: there is no ``GameDefinition`` for this game.
"""
from __future__ import annotations

from fractions import Fraction

from games_app.casino import rules

from .evaluator import LineWin, SpinOutcome
from .interface import RandomSource

__all__ = ["A2ASlotsEngine", "A2A_SLOTS_RTP"]

A2A_SLOTS_RTP = Fraction(str(rules.SLOTS_RTP))
SEED_BYTES = 32


class A2ASlotsEngine:
    """``SlotEngine`` for the A2A slots. ``nonce`` is the channel nonce after the round (the
    rules' convention); a probe uses fresh seeds every spin, so a fixed nonce loses nothing."""

    rows = 1
    reels = 3

    def __init__(self, *, nonce: int = 1) -> None:
        if isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
            raise ValueError("nonce must be a non-negative integer")
        self.nonce = nonce

    def spin(self, rng: RandomSource) -> SpinOutcome:
        casino_seed = rng.random_bytes(SEED_BYTES).hex()
        agent_seed = rng.random_bytes(SEED_BYTES).hex()
        return self.outcome(casino_seed=casino_seed, agent_seed=agent_seed)

    def outcome(self, *, casino_seed: str, agent_seed: str) -> SpinOutcome:
        """The spin the casino would settle for these seeds (pure; used by tests to cross-check)."""
        result = rules.slots_outcome(rules.result_hash(casino_seed=casino_seed, agent_seed=agent_seed,
                                                       nonce=self.nonce))
        multiplier = Fraction(result.multiplier)
        wins = [LineWin(0, result.reels[0], 3, multiplier)] if multiplier else []
        return SpinOutcome(window=[list(result.reels)], stops=None, line_wins=wins,
                           scatter_win=Fraction(0), total_multiplier=multiplier)
