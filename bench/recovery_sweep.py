"""Recovery on random games and the A2A weights over many seeds (issue 19).

Usage: .venv/bin/python bench/recovery_sweep.py [--games 40] [--a2a-seeds 60] [--targeted]
       [--workers 2] [--nice 5] [--budget-minutes 90] [--checkpoint out/recovery_sweep.jsonl]
       [--report-only]

1. ``--games`` random 5x3 games (``tests/fingerprint_app/recovery_kit.random_game``: strips of
   16..64 stops with stacked runs, wild runs or none, a scatter or not, 5..25 paylines from a fixed
   library), one growing uniform sample each, recovered at 5,000, 10,000 and 20,000 spins. Prints
   the share exact at each size, every monotonicity break (exact at n, not at a larger n) and every
   wrong exact model (checked against the true game), and the share exact at 20k among games whose
   rarest pay entry has probability >= 1/20,000 per spin, with the blockers of those missed. With
   ``--targeted``, games partial at 20k get targeted probes (the local engine is steerable).
2. ``--a2a-seeds`` samples of 20,000 A2A slots spins: how often the weights 30/25/20/15/10 and the
   RTP 19/20 are pinned (the likelihood-ratio pin of ``recovery.strips.grid_fit``).

Every finished game / seed is appended to ``--checkpoint`` (one JSON line, tagged with the commit),
so a run that is stopped or runs out of ``--budget-minutes`` still reports, and a rerun on the same
commit resumes where it stopped. Work runs in ``--workers`` processes at ``--nice``. No database.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")

import django  # noqa: E402

django.setup()

from core.rng import FairRNG  # noqa: E402
from fingerprint_app.recovery import RecoveryStatus, recover_from_set, recover_model  # noqa: E402
from fingerprint_app.recovery.model import per_reel_scatter  # noqa: E402
from fingerprint_app.recovery.pays import scatter_distribution, triples  # noqa: E402
from fingerprint_app.recovery.targeted import complete_with_targeted_probes  # noqa: E402
from games_app.engine.a2a_slots import A2A_SLOTS_RTP, A2ASlotsEngine  # noqa: E402
from games_app.engine.interface import LocalSlotEngine  # noqa: E402
from tests.fingerprint_app.recovery_kit import nested_samples, random_game, replays_truth  # noqa: E402

SIZES = (5_000, 10_000, 20_000)
PASSIVE_REACH = Fraction(1, 20_000)
A2A_SPINS = 20_000


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


def run_game(seed: int, targeted: bool) -> dict:
    """One random game: statuses and blockers at every size, wrong exact models, targeted probes."""
    started = time.process_time()
    game = random_game(seed)
    sets = nested_samples(game, list(SIZES), 10_000 + seed)
    row = {"kind": "game", "seed": seed, "lines": len(game.paylines), "wild": game.wild, "scatter": game.scatter,
           "stops": [len(strip) for strip in game.reels], "rarest": str(rarest_pay(game)),
           "status": {}, "blockers": {}, "wrong": [], "targeted": None}
    for n, sample in zip(SIZES, sets):
        result = recover_from_set(sample)
        row["status"][str(n)] = str(result.status)
        row["blockers"][str(n)] = [str(b) for b in result.model.blockers] if result.model else []
        if result.status == RecoveryStatus.EXACT and not replays_truth(game, result.definition):
            row["wrong"].append(n)
    if targeted and row["status"][str(SIZES[-1])] == RecoveryStatus.PARTIAL:
        row["targeted"] = _steer(game, sets[-1])
    row["cpu_seconds"] = round(time.process_time() - started, 1)
    return row


def _steer(game, sample) -> str:
    names = sample.alphabet
    observations = [([[names[s] for s in row] for row in window], Fraction(int(y), sample.den))
                    for window, y in zip(sample.sym.tolist(), sample.y.tolist())]
    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(game))
    if outcome.result.status != RecoveryStatus.EXACT:
        return f"{outcome.result.status} after {outcome.spins} probe spins"
    return "exact" if replays_truth(game, outcome.result.definition) else "WRONG exact"


def run_a2a(seed: int) -> dict:
    started = time.process_time()
    engine = A2ASlotsEngine()
    observations = [(o.window, o.total_multiplier)
                    for o in (engine.spin(FairRNG("a2a-sweep", str(seed), i)) for i in range(A2A_SPINS))]
    result = recover_model(observations=observations)
    pooled = result.details["reels"][-1]["symbols"]
    weights = {s: v["weight"] if "weight" in v else v["grid_candidates"] for s, v in pooled.items()}
    return {"kind": "a2a", "seed": seed, "pinned": result.rtp == A2A_SLOTS_RTP,
            "rtp": None if result.rtp is None else str(result.rtp), "weights": weights,
            "cpu_seconds": round(time.process_time() - started, 1)}


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def _load(path: Path, commit: str) -> list[dict]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [row for row in rows if row.get("commit") == commit]


def _run_all(jobs: list[tuple], args, path: Path, commit: str) -> None:
    """Run the jobs not yet in the checkpoint, appending each result as it lands (in any order);
    stop once the budget is spent (the pool is terminated, finished rows are kept)."""
    deadline = time.monotonic() + args.budget_minutes * 60
    path.parent.mkdir(parents=True, exist_ok=True)
    pool = multiprocessing.get_context("fork").Pool(args.workers, initializer=os.nice, initargs=(args.nice,),
                                                    maxtasksperchild=1)
    with pool, path.open("a") as out:
        results = pool.imap_unordered(_call, jobs)
        for _ in jobs:
            try:
                row = results.next(timeout=max(deadline - time.monotonic(), 0.1))
            except multiprocessing.TimeoutError:
                print(f"budget of {args.budget_minutes} min spent: stopping, reporting what finished", flush=True)
                pool.terminate()
                return
            out.write(json.dumps({**row, "commit": commit}) + "\n")
            out.flush()
            print(_line(row), flush=True)


def _interleave(games: list, a2a: list) -> list:
    """Games and A2A seeds in proportion, so a run cut by its budget has measured both."""
    if not games or not a2a:
        return games + a2a
    jobs, step = [], len(a2a) / len(games)
    for i, game in enumerate(games):
        jobs.append(game)
        jobs += a2a[round(i * step):round((i + 1) * step)]
    return jobs


def _call(job: tuple) -> dict:
    fn, job_args = job
    return fn(*job_args)


def _line(row: dict) -> str:
    if row["kind"] == "a2a":
        return f"a2a seed {row['seed']:>3}: {'pinned' if row['pinned'] else 'not pinned ' + str(row['weights'])}"
    statuses = " ".join(f"{int(n) // 1000}k={s}" for n, s in row["status"].items())
    return (f"game {row['seed']:>3}: lines {row['lines']:>2} wild {str(row['wild']):>4} scatter "
            f"{str(row['scatter']):>4} rarest 1/{float(1 / Fraction(row['rarest'])):>12,.0f}  {statuses}"
            f"{'  targeted: ' + row['targeted'] if row['targeted'] else ''}  ({row['cpu_seconds']} s CPU)")


def report(rows: list[dict], targeted: bool) -> None:
    games = sorted((r for r in rows if r["kind"] == "game"), key=lambda r: r["seed"])
    if games:
        _report_games(games, targeted)
    a2a = [r for r in rows if r["kind"] == "a2a"]
    if a2a:
        pinned = sum(r["pinned"] for r in a2a)
        print(f"A2A slots, {A2A_SPINS:,} spins: weights 30/25/20/15/10 and RTP 19/20 pinned for {pinned}/{len(a2a)} "
              f"seeds = {pinned / len(a2a):.1%}; not pinned: {sorted(r['seed'] for r in a2a if not r['pinned'])}; "
              f"pinned to another RTP: {[r['seed'] for r in a2a if r['rtp'] and not r['pinned']]}")


def _report_games(games: list[dict], targeted: bool) -> None:
    total = len(games)
    print(f"\n{total} random games (seeds {games[0]['seed']}..{games[-1]['seed']}, "
          f"{sum(r['cpu_seconds'] for r in games):,.0f} s CPU):")
    for n in SIZES:
        exact = sum(r["status"][str(n)] == "exact" for r in games)
        print(f"  exact at {n:>6,} uniform spins: {exact}/{total} = {exact / total:.0%}")
    reachable = [r for r in games if Fraction(r["rarest"]) >= PASSIVE_REACH]
    last = str(SIZES[-1])
    missed = [r for r in reachable if r["status"][last] != "exact"]
    print(f"  rarest pay >= 1/20,000 per spin: {len(reachable) - len(missed)}/{len(reachable)} exact at 20k passively")
    for r in missed:
        print(f"    missed: game {r['seed']} (rarest 1/{float(1 / Fraction(r['rarest'])):,.0f}): {r['blockers'][last]}")
    if targeted:
        steered = [r for r in games if r["targeted"] is not None]
        print(f"  partial at 20k, then targeted probes: {sum(r['targeted'] == 'exact' for r in steered)}/"
              f"{len(steered)} exact; others: {[(r['seed'], r['targeted']) for r in steered if r['targeted'] != 'exact']}")
    breaks = [(r["seed"], a, b) for r in games for a, b in zip(SIZES, SIZES[1:])
              if r["status"][str(a)] == "exact" and r["status"][str(b)] != "exact"]
    wrong = [(r["seed"], n) for r in games for n in r["wrong"]]
    wrong += [(r["seed"], "targeted") for r in games if r["targeted"] == "WRONG exact"]
    print(f"  exact at n but not at a larger n: {len(breaks)} {breaks}")
    print(f"  exact but wrong: {len(wrong)} {wrong}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--a2a-seeds", type=int, default=60)
    parser.add_argument("--targeted", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget-minutes", type=float, default=90.0)
    parser.add_argument("--nice", type=int, default=5, help="workers' niceness (the machine is shared; at 10 a "
                        "loaded machine starved them to 7%% of a core)")
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "out" / "recovery_sweep.jsonl")
    parser.add_argument("--report-only", action="store_true", help="report the checkpoint of this commit, run nothing")
    args = parser.parse_args()
    commit = _commit()
    done = _load(args.checkpoint, commit)
    print(f"commit {commit}; {len(done)} results already in {args.checkpoint}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    if not args.report_only:
        have = {(r["kind"], r["seed"]) for r in done}
        games = [(run_game, (seed, args.targeted)) for seed in range(args.games) if ("game", seed) not in have]
        a2a = [(run_a2a, (seed,)) for seed in range(args.a2a_seeds) if ("a2a", seed) not in have]
        jobs = _interleave(games, a2a)
        started = time.monotonic()
        _run_all(jobs, args, args.checkpoint, commit)
        print(f"ran {len(jobs)} jobs in {(time.monotonic() - started) / 60:,.1f} min wall; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    report(_load(args.checkpoint, commit), args.targeted)


if __name__ == "__main__":
    main()
