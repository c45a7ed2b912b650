"""Play N episodes with a random (spin-biased) policy through the HTTP API and print the mean return.

    ROYALE_TOKEN=... python examples/random_agent.py --base-url http://127.0.0.1:8000 --game classic-medium \
        --wallet 1 -n 10
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from agent_royale.env import AgentRoyaleEnv


def run(env: AgentRoyaleEnv, *, episodes: int, spin_probability: float, seed: int | None = None) -> list[float]:
    """Returns the undiscounted return of each episode. Every episode is bounded by the env's max_spins."""
    rng = np.random.default_rng(seed)
    cash_out = env.action_space.n - 1
    returns = []
    for episode in range(episodes):
        env.reset(seed=None if seed is None else seed + episode)
        total, done = 0.0, False
        while not done:
            action = int(rng.integers(cash_out)) if rng.random() < spin_probability else cash_out
            _, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("ROYALE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("ROYALE_TOKEN"))
    parser.add_argument("--game", required=True)
    parser.add_argument("--wallet", type=int, help="wallet id that pays the spins (default: your only wallet, "
                                                   "or the one in --currency)")
    parser.add_argument("--currency", help="pick your wallet in this currency, e.g. ETH")
    parser.add_argument("-n", "--episodes", type=int, default=10)
    parser.add_argument("--bet", default="1")
    parser.add_argument("--max-spins", type=int, default=50)
    parser.add_argument("--spin-probability", type=float, default=0.95)
    parser.add_argument("--reward-function", default="net_payout",
                        choices=["net_payout", "log_wealth", "risk_adjusted"])
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    env = AgentRoyaleEnv(base_url=args.base_url, token=args.token, game=args.game, wallet=args.wallet,
                         currency=args.currency, bet=args.bet,
                         max_spins=args.max_spins, reward_function=args.reward_function,
                         policy_id="random-agent", policy_version="1")
    try:
        returns = run(env, episodes=args.episodes, spin_probability=args.spin_probability, seed=args.seed)
    finally:
        env.close()
    mean = float(np.mean(returns)) if returns else 0.0
    print(f"episodes={len(returns)} mean_return={mean:.6f}")
    return mean


if __name__ == "__main__":
    main()
