"""Test engines: black boxes around a definition, seen only through SlotEngine.spin."""
from fractions import Fraction

from games_app.engine.evaluator import SpinOutcome
from games_app.engine.interface import EngineError, LocalSlotEngine


class BlackBox:
    """A local game hidden behind the interface (so probing takes the per-spin path)."""

    def __init__(self, definition) -> None:
        self._engine = LocalSlotEngine(definition)

    def spin(self, rng) -> SpinOutcome:
        return self._engine.spin(rng)


class NoLineWins(BlackBox):
    """Reports only the window and the total payout."""

    def spin(self, rng) -> SpinOutcome:
        outcome = super().spin(rng)
        return SpinOutcome(outcome.window, None, [], outcome.scatter_win, outcome.total_multiplier)


class Flaky(BlackBox):
    """Non-deterministic: every other call pays one bet more (fails the replay check)."""

    calls = 0

    def spin(self, rng) -> SpinOutcome:
        outcome = super().spin(rng)
        Flaky.calls += 1
        bonus = Fraction(Flaky.calls % 2)
        return SpinOutcome(outcome.window, None, [], outcome.scatter_win, outcome.total_multiplier + bonus)


class Broken:
    def spin(self, rng) -> SpinOutcome:
        raise EngineError("remote engine unreachable: connection refused")


class ShapeShifter(BlackBox):
    """Shows a 3-row window first, then 4 rows after `switch_at` spins (by nonce)."""

    switch_at = 10

    def spin(self, rng) -> SpinOutcome:
        outcome = super().spin(rng)
        if rng.nonce >= self.switch_at:
            return SpinOutcome(outcome.window + [outcome.window[0]], None, [], outcome.scatter_win,
                               outcome.total_multiplier)
        return outcome
