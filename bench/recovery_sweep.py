"""Recovery on random games and the A2A weights over many seeds (issue 19).

Usage: .venv/bin/python bench/recovery_sweep.py [--games 40] [--a2a-seeds 60] [--targeted]

1. ``--games`` random 5x3 games (``tests/fingerprint_app/recovery_kit.random_game``: strips of
   16..64 stops with stacked runs, wild runs or none, a scatter or not, 5..25 paylines from a fixed
   library), one growing uniform sample each, recovered at 5,000, 10,000 and 20,000 spins. Prints
   the share exact at each size, every monotonicity break (exact at n, not at a larger n) and every
   wrong exact model (checked against the true game), and the share exact at 20k among games whose
   rarest pay entry has probability >= 1/20,000 per spin. With ``--targeted``, games not exact at
   20k get targeted probes (the local engine is steerable).
2. ``--a2a-seeds`` samples of 20,000 A2A slots spins: how often the weights 30/25/20/15/10 and the
   RTP 19/20 are pinned (the likelihood-ratio pin of ``recovery.strips.grid_fit``).
No database is used.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")

import django  # noqa: E402

django.setup()

from core.rng import FairRNG  # noqa: E402
from fingerprint_app.recovery import recover_from_set, recover_model  # noqa: E402
from fingerprint_app.recovery.model import per_reel_scatter  # noqa: E402
from fingerprint_app.recovery.pays import scatter_distribution, triples  # noqa: E402
from fingerprint_app.recovery.targeted import complete_with_targeted_probes  # noqa: E402
from games_app.engine.a2a_slots import A2A_SLOTS_RTP, A2ASlotsEngine  # noqa: E402
from games_app.engine.interface import LocalSlotEngine  # noqa: E402
from tests.fingerprint_app.recovery_kit import nested_samples, random_game, replays_truth  # noqa: E402

SIZES = (5_000, 10_000, 20_000)
PASSIVE_REACH = Fraction(1, 20_000)


def rarest_pay(game) -> Fraction:
    """Per-spin probability (lines times per-line, a union bound) of the rarest pay entry, counting
    every line outcome that shows it: the entry a uniform sample is least likely to have seen."""
    symbols = game.symbols
    wild = symbols.index(game.wild) if game.wild else -1
    scatter = symbols.index(game.scatter) if game.scatter else -1
    none = len(symbols)
    q = [[Fraction(strip.count(s), len(strip)) for s in symbols] for strip in game.reels]
    seen: dict[tuple[str, int], Fraction] = {}
    for t, c, w, prob in triples(q=q, wild=wild, scatter=scatter, none=none):
        own = game.pay(symbols[t], c) if t != none else Fraction(0)
        wild_pay = game.pay(game.wild, w) if wild >= 0 and w else Fraction(0)
        if max(own, wild_pay) == 0:
            continue
        key = (symbols[t], c) if own >= wild_pay else (game.wild, w)
        seen[key] = seen.get(key, Fraction(0)) + prob * len(game.paylines)
    if scatter >= 0:
        kmers = []
        for strip in game.reels:
            counts: dict[tuple[int, ...], int] = {}
            for i in range(len(strip)):
                kmer = tuple(symbols.index(strip[(i + r) % len(strip)]) for r in range(game.rows))
                counts[kmer] = counts.get(kmer, 0) + 1
            kmers.append(counts)
        dist = scatter_distribution(per_reel_scatter(kmers_or_weights=kmers, scatter=scatter, rows=game.rows))
        for k, p in dist.items():
            if game.scatter_pay(k) > 0:
                seen[(game.scatter, k)] = p
    return min(seen.values())


def sweep_games(n_games: int, targeted: bool) -> None:
    exact = {n: 0 for n in SIZES}
    breaks, wrong, reachable, reachable_exact, steered = [], [], 0, 0, [0, 0]
    started = time.perf_counter()
    for seed in range(n_games):
        game = random_game(seed)
        sets = nested_samples(game, list(SIZES), 10_000 + seed)
        statuses = []
        for n, sample in zip(SIZES, sets):
            result = recover_from_set(sample)
            statuses.append(result.status)
            if result.status == "exact":
                exact[n] += 1
                if not replays_truth(game, result.definition):
                    wrong.append((seed, n))
        for (a, sa), (b, sb) in zip(zip(SIZES, statuses), list(zip(SIZES, statuses))[1:]):
            if sa == "exact" and sb != "exact":
                breaks.append((seed, a, b))
        rare = rarest_pay(game)
        if rare >= PASSIVE_REACH:
            reachable += 1
            reachable_exact += statuses[-1] == "exact"
        if targeted and statuses[-1] == "partial":
            steered[0] += 1
            steered[1] += _steer(game, sets[-1])
        print(f"game {seed:>3}: lines {len(game.paylines):>2} wild {str(game.wild):>4} scatter {str(game.scatter):>4} "
              f"rarest 1/{float(1 / rare):>12,.0f}  {' '.join(f'{n // 1000}k={s}' for n, s in zip(SIZES, statuses))}",
              flush=True)
    print(f"\n{n_games} random games ({time.perf_counter() - started:,.0f} s):")
    for n in SIZES:
        print(f"  exact at {n:>6,} uniform spins: {exact[n]}/{n_games} = {exact[n] / n_games:.0%}")
    print(f"  rarest pay >= 1/20,000 per spin: {reachable_exact}/{reachable} exact at 20k passively")
    if targeted:
        print(f"  partial at 20k, then targeted probes: {steered[1]}/{steered[0]} exact")
    print(f"  exact at n but not at a larger n: {len(breaks)} {breaks}")
    print(f"  exact but wrong: {len(wrong)} {wrong}")


def _steer(game, sample) -> bool:
    names = sample.alphabet
    observations = [([[names[s] for s in row] for row in window], Fraction(int(y), sample.den))
                    for window, y in zip(sample.sym.tolist(), sample.y.tolist())]
    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(game))
    return outcome.result.status == "exact" and replays_truth(game, outcome.result.definition)


def sweep_a2a(seeds: int, spins: int = 20_000) -> None:
    engine = A2ASlotsEngine()
    pinned = 0
    started = time.perf_counter()
    for seed in range(seeds):
        observations = [(o.window, o.total_multiplier)
                        for o in (engine.spin(FairRNG("a2a-sweep", str(seed), i)) for i in range(spins))]
        result = recover_model(observations=observations)
        pooled = result.details["reels"][-1]["symbols"]
        weights = {s: v["weight"] if "weight" in v else v["grid_candidates"] for s, v in pooled.items()}
        ok = result.rtp == A2A_SLOTS_RTP
        pinned += ok
        if not ok:
            print(f"  seed {seed}: not pinned ({weights})", flush=True)
    print(f"A2A slots, {spins:,} spins: weights 30/25/20/15/10 and RTP 19/20 pinned for {pinned}/{seeds} seeds "
          f"= {pinned / seeds:.0%} ({time.perf_counter() - started:,.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--a2a-seeds", type=int, default=60)
    parser.add_argument("--targeted", action="store_true")
    args = parser.parse_args()
    if args.games:
        sweep_games(args.games, args.targeted)
    if args.a2a_seeds:
        sweep_a2a(args.a2a_seeds)


if __name__ == "__main__":
    main()
