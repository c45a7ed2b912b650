"""Probe helpers shared by the tests and ``bench``: sampled observations, a deliberately
non-strip engine, and generated game variants (5x3, strips of 20-64 stops, 10-20 lines)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from games_app.engine.definition import GameDefinition
from games_app.engine.evaluator import SpinOutcome, evaluate_window
from games_app.engine.simulator import VectorEvaluator, random_stops

from .data import ObservationSet, observation_set_from_arrays

__all__ = ["IndependentReelsEngine", "STANDARD_LINES", "make_variant", "sample_set", "variant_games"]

STANDARD_LINES = [
    [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2], [0, 1, 2, 1, 0], [2, 1, 0, 1, 2],
    [0, 0, 1, 2, 2], [2, 2, 1, 0, 0], [1, 0, 0, 0, 1], [1, 2, 2, 2, 1], [1, 0, 1, 2, 1],
    [1, 2, 1, 0, 1], [0, 1, 1, 1, 0], [2, 1, 1, 1, 2], [0, 1, 0, 1, 0], [2, 1, 2, 1, 2],
    [1, 1, 0, 1, 1], [1, 1, 2, 1, 1], [0, 0, 2, 0, 0], [2, 2, 0, 2, 2], [0, 2, 2, 2, 0],
]


def sample_set(definition: GameDefinition, n: int, seed: int) -> ObservationSet:
    """``n`` uniform spins of ``definition`` as an ObservationSet (windows + exact payouts only)."""
    evaluator = VectorEvaluator(definition)
    stops = random_stops(definition, n, np.random.default_rng(seed))
    return observation_set_from_arrays(alphabet=definition.symbols, sym=evaluator.window_indices(stops),
                                       numerators=evaluator.evaluate(stops), denominator=evaluator.denominator)


def sample_observations(definition: GameDefinition, n: int, seed: int) -> list[tuple[list[list[str]], Fraction]]:
    """The same spins as ``(window, multiplier)`` tuples (the public contract's input)."""
    obs = sample_set(definition, n, seed)
    names = np.array(obs.alphabet, dtype=object)
    return [(window, Fraction(int(y), obs.den)) for window, y in zip(names[obs.sym].tolist(), obs.y.tolist())]


class IndependentReelsEngine:
    """Every cell drawn independently with per-symbol weights (no strip): pays as ``definition``
    (its strips are ignored; only paylines, paytable, wild and scatter are used)."""

    def __init__(self, definition: GameDefinition, weights: dict[str, int]) -> None:
        self.definition = definition
        self.symbols = list(weights)
        self.cumulative = np.cumsum([weights[s] for s in self.symbols])

    def spin(self, rng) -> SpinOutcome:
        total = int(self.cumulative[-1])
        window = [[self.symbols[int(np.searchsorted(self.cumulative, rng.randbelow(total), side="right"))]
                   for _ in range(self.definition.n_reels)] for _ in range(self.definition.rows)]
        return evaluate_window(self.definition, window)

    def sample(self, n: int, seed: int) -> list[tuple[list[list[str]], Fraction]]:
        """Vectorised equivalent of ``n`` spins (numpy draws, scalar evaluator per window)."""
        rng = np.random.default_rng(seed)
        p = np.diff(np.concatenate([[0], self.cumulative])) / self.cumulative[-1]
        ids = rng.choice(len(self.symbols), size=(n, self.definition.rows, self.definition.n_reels), p=p)
        out = []
        for window_ids in ids.tolist():
            window = [[self.symbols[i] for i in row] for row in window_ids]
            out.append((window, evaluate_window(self.definition, window).total_multiplier))
        return out


def make_variant(*, slug: str, stops: int, lines: int, wild: bool, scatter: bool, seed: int,
                 wilds_per_reel: int = 2) -> GameDefinition:
    """A generated 5x3 game: shuffled strips of ``stops`` stops, the first ``lines`` standard
    lines, pays 3/4/5 of a kind (with optional wild and scatter; scatters at most one per column)."""
    rng = np.random.default_rng(seed)
    base = {"A": 4, "K": 5, "Q": 6, "J": 7, "T": 7, "N": 8}
    reels = []
    for _ in range(5):
        n_special = (wilds_per_reel if wild else 0) + (2 if scatter else 0)
        weights = np.array(list(base.values()), dtype=float)
        counts = np.floor(weights / weights.sum() * (stops - n_special)).astype(int)
        counts[np.argsort(-weights)[: stops - n_special - counts.sum()]] += 1
        plain = [s for s, c in zip(base, counts) for _ in range(c)]
        rng.shuffle(plain)
        strip = list(plain)
        if scatter:  # keep scatters >= 3 apart so a column never shows two
            strip.insert(0, "S")
            strip.insert(len(strip) // 2, "S")
        if wild:
            for _ in range(wilds_per_reel):
                strip.insert(int(rng.integers(1, len(strip))), "W")
        reels.append(strip)
    paytable = {"A": {"3": 10, "4": 30, "5": 100}, "K": {"3": 8, "4": 25, "5": 80},
                "Q": {"3": 5, "4": 15, "5": 50}, "J": {"3": 4, "4": 10, "5": 30},
                "T": {"3": 2, "4": 8, "5": 25}, "N": {"3": 2, "4": 5, "5": 20}}
    data = {"slug": slug, "name": slug, "reels": reels, "rows": 3, "paylines": STANDARD_LINES[:lines],
            "paytable": paytable, "min_bet": "0.1", "max_bet": "10"}
    if wild:
        data["wild"] = "W"
        data["paytable"]["W"] = {"3": 20, "4": 60, "5": 200}
    if scatter:
        data["scatter"] = "S"
        data["scatter_pays"] = {"3": 2, "4": 10, "5": 50}
    return GameDefinition.from_dict(data)


def variant_games() -> list[GameDefinition]:
    """The bench's variants: every combination the issue names, 5x3."""
    return [
        make_variant(slug="v20-10l-wild-scatter", stops=20, lines=10, wild=True, scatter=True, seed=1,
                     wilds_per_reel=1),
        make_variant(slug="v32-15l-wild", stops=32, lines=15, wild=True, scatter=False, seed=2),
        make_variant(slug="v48-20l-scatter", stops=48, lines=20, wild=False, scatter=True, seed=3),
        make_variant(slug="v64-12l-plain", stops=64, lines=12, wild=False, scatter=False, seed=4),
        make_variant(slug="v40-20l-wild-scatter", stops=40, lines=20, wild=True, scatter=True, seed=5),
    ]
