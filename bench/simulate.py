"""Throughput of the vectorised simulator and of the exact PAR sheet.

Usage: .venv/bin/python bench/simulate.py [--spins N]
Prints spins/s for every demo game (one core, numpy) and the PAR sheet time per game,
plus the PAR time of a synthetic 5-reel, 64-stop, 20-line game (the 2 s target).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from games_app.engine.definition import load_demo_games  # noqa: E402
from games_app.engine.par_sheet import compute_par_sheet  # noqa: E402
from games_app.engine.simulator import simulate  # noqa: E402
from games_app.engine.synthetic import synthetic_64_stop_game  # noqa: E402

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
