"""Throughput of the vectorised simulator and of the exact PAR sheet.

Usage: .venv/bin/python bench/simulate.py [--spins N]
Prints spins/s for every demo game (one core, numpy) and the PAR sheet time per game,
plus the PAR time of a synthetic 5-reel, 64-stop, 20-line game (the 2 s target).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from games_app.engine.definition import GameDefinition, load_demo_games  # noqa: E402
from games_app.engine.par_sheet import compute_par_sheet  # noqa: E402
from games_app.engine.simulator import simulate  # noqa: E402

LINES_20 = [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2], [0, 1, 2, 1, 0], [2, 1, 0, 1, 2],
            [0, 0, 1, 2, 2], [2, 2, 1, 0, 0], [1, 0, 0, 0, 1], [1, 2, 2, 2, 1], [1, 0, 1, 2, 1],
            [1, 2, 1, 0, 1], [0, 1, 1, 1, 0], [2, 1, 1, 1, 2], [0, 1, 0, 1, 0], [2, 1, 2, 1, 2],
            [1, 1, 0, 1, 1], [1, 1, 2, 1, 1], [0, 0, 2, 0, 0], [2, 2, 0, 2, 2], [0, 2, 2, 2, 0]]


def synthetic_64_stop_game() -> GameDefinition:
    rng = random.Random(7)
    counts = {"A": 9, "B": 9, "C": 8, "D": 8, "E": 7, "F": 7, "G": 6, "H": 5, "W": 3, "S": 2}
    reels = []
    for _ in range(5):
        strip = [s for s, n in counts.items() for _ in range(n)]
        rng.shuffle(strip)
        reels.append(strip)
    paytable = {s: {"3": 5 * (i + 1), "4": 20 * (i + 1), "5": 100 * (i + 1)} for i, s in enumerate("ABCDEFGH")}
    paytable["W"] = {"2": 2, "3": 50, "4": 500, "5": 5000}
    return GameDefinition.from_dict({
        "slug": "synthetic-64", "name": "Synthetic 64", "reels": reels, "rows": 3, "paylines": LINES_20,
        "paytable": paytable, "wild": "W", "scatter": "S", "scatter_pays": {"3": 2, "4": 10, "5": 100},
        "min_bet": "1", "max_bet": "10"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spins", type=int, default=5_000_000)
    args = parser.parse_args()
    games = list(load_demo_games().values()) + [synthetic_64_stop_game()]
    print(f"{'game':<16}{'reels':>10}{'lines':>7}{'spins/s':>14}{'sim RTP':>10}{'exact RTP':>11}{'PAR s':>8}")
    for game in games:
        simulate(game, 10_000, seed=0)  # warm-up: compiles the lookup tables
        started = time.perf_counter()
        result = simulate(game, args.spins, seed=1)
        rate = args.spins / (time.perf_counter() - started)
        started = time.perf_counter()
        par = compute_par_sheet(game)
        par_seconds = time.perf_counter() - started
        shape = f"{game.n_reels}x{game.rows}/{len(game.reels[0])}"
        print(f"{game.slug:<16}{shape:>10}{game.n_lines:>7}{rate:>14,.0f}{float(result.rtp):>10.4%}"
              f"{float(par.rtp):>11.4%}{par_seconds:>8.2f}")


if __name__ == "__main__":
    main()
