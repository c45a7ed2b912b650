"""Probe helpers shared by the tests and ``bench``: sampled observations, a deliberately
non-strip engine, and generated game variants (5x3, strips of 20-64 stops, 10-20 lines)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from games_app.engine.definition import GameDefinition
from games_app.engine.evaluator import SpinOutcome, evaluate_window
from games_app.engine.simulator import VectorEvaluator, random_stops

from fingerprint_app.recovery.data import ObservationSet, observation_set_from_arrays

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


def nested_samples(definition: GameDefinition, sizes: list[int], seed: int) -> list[ObservationSet]:
    """Uniform samples of the given sizes where each is a prefix of the next (a growing sample, as
    a campaign's is): the first ``sizes[0]`` spins of every set are the same spins."""
    evaluator = VectorEvaluator(definition)
    stops = random_stops(definition, max(sizes), np.random.default_rng(seed))
    sym, numerators = evaluator.window_indices(stops), evaluator.evaluate(stops)
    return [observation_set_from_arrays(alphabet=definition.symbols, sym=sym[:n], numerators=numerators[:n],
                                        denominator=evaluator.denominator) for n in sizes]


def replays_truth(definition: GameDefinition, recovered: dict, *, spins: int = 3_000, seed: int = 99) -> bool:
    """Whether a recovered definition is the true game: same exact PAR RTP, hit frequency and
    variance, and the same payout on ``spins`` fresh uniform spins of the true game."""
    from fingerprint_app.recovery.model import replay
    from games_app.engine.par_sheet import compute_par_sheet

    game = GameDefinition.from_dict(recovered)
    truth, mine = compute_par_sheet(definition), compute_par_sheet(game)
    if (truth.rtp, truth.hit_frequency, truth.variance) != (mine.rtp, mine.hit_frequency, mine.variance):
        return False
    fresh = sample_set(definition, spins, seed)
    return replay(definition=game, sym=fresh.sym, alphabet=fresh.alphabet, y=fresh.y, den=fresh.den).size == 0


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


# -- random games for the property test and bench/recovery_sweep.py (issue 19) -------------------
LINE_LIBRARY = STANDARD_LINES + [
    [0, 2, 0, 2, 0], [2, 0, 2, 0, 2], [1, 0, 2, 0, 1], [1, 2, 0, 2, 1], [0, 2, 1, 2, 0],
]
PLAIN_SYMBOLS = ("A", "K", "Q", "J", "T", "N", "P")
MAX_RUN = 3          # stacked runs of up to three equal symbols, as real stacked reels have


def _strip(rng: np.random.Generator, *, length: int, plain: list[str], wild_runs: int,
           scatter_runs: int) -> list[str]:
    """One reel: runs of 1..MAX_RUN equal symbols (stacked), with wild and scatter runs placed next
    to each other sometimes (``W W S S``), cut to ``length`` stops."""
    weights = rng.uniform(0.5, 2.0, size=len(plain))
    weights /= weights.sum()
    runs: list[list[str]] = []
    total = 0
    while total < length:
        run = [str(rng.choice(plain, p=weights))] * int(rng.integers(1, MAX_RUN + 1))
        runs.append(run)
        total += len(run)
    specials = [["W"] * int(rng.integers(1, MAX_RUN)) for _ in range(wild_runs)] + \
               [["S"] * int(rng.integers(1, 3)) for _ in range(scatter_runs)]
    for special in specials:
        at = int(rng.integers(0, len(runs) + 1))
        if rng.random() < 0.5 and special[0] == "S" and any(r[0] == "W" for r in runs):
            at = next(i for i, r in enumerate(runs) if r[0] == "W") + 1   # W W S S
        runs.insert(at, special)
    strip = [s for run in runs for s in run]
    while len(strip) > length:  # cut plain stops from the end, so every special run survives
        strip.pop(max(i for i, s in enumerate(strip) if s not in ("W", "S")))
    return strip


def random_game(seed: int, *, max_stops: int = 64, max_lines: int = len(LINE_LIBRARY)) -> GameDefinition:
    """A random 5x3 game: strips of 16..64 stops with stacked runs, 0..2 wild runs per reel (or no
    wild), a scatter or not, 5..25 paylines from ``LINE_LIBRARY`` and random 3/4/5-of-a-kind pays.
    ``max_stops`` / ``max_lines`` draw from a corner of that family (the CI-sized property test)."""
    rng = np.random.default_rng(seed)
    plain = list(PLAIN_SYMBOLS[: int(rng.integers(4, len(PLAIN_SYMBOLS) + 1))])
    wild = bool(rng.random() < 0.6)
    scatter = bool(rng.random() < 0.5)
    reels = []
    for reel in range(5):
        wild_runs = int(rng.integers(0 if reel else 1, 3)) if wild else 0
        reels.append(_strip(rng, length=int(rng.integers(16, max_stops + 1)), plain=plain, wild_runs=wild_runs,
                            scatter_runs=int(rng.integers(1, 3)) if scatter else 0))
    paytable = {}
    for symbol in plain:
        base = int(rng.integers(1, 11))
        paytable[symbol] = {"3": base, "4": base * int(rng.integers(2, 5)), "5": base * int(rng.integers(5, 21))}
    n_lines = int(rng.integers(5, max_lines + 1))
    chosen = sorted(rng.choice(len(LINE_LIBRARY), size=n_lines, replace=False).tolist())
    data = {"slug": f"random-{seed}", "name": f"random {seed}", "reels": reels, "rows": 3,
            "paylines": [LINE_LIBRARY[i] for i in chosen], "paytable": paytable, "min_bet": "0.1", "max_bet": "10"}
    if wild:
        data["wild"] = "W"
        if rng.random() < 0.7:
            data["paytable"]["W"] = {"3": int(rng.integers(10, 31)), "4": int(rng.integers(40, 101)),
                                     "5": int(rng.integers(150, 501))}
    if scatter:
        data["scatter"] = "S"
        data["scatter_pays"] = {"3": int(rng.integers(1, 6)), "4": int(rng.integers(10, 21)),
                                "5": int(rng.integers(50, 101))}
    return GameDefinition.from_dict(data)
