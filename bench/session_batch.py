"""Spins per second through the session service (the v2 batch path), in-process on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/royale_bench .venv/bin/python bench/session_batch.py [--spins 5000] [--batch 100]

Creates its own user, wallet, token and session; prints spins/s for batches and for single actions.
"""
import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from core.services import token_create  # noqa: E402
from games_app.apps import DEMO_GAMES_DIR  # noqa: E402
from sessions_app.services import session_act, session_act_batch, session_create  # noqa: E402
from wallet_app import services as wallet_services  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spins", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--game", default="classic-medium")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_game", *sorted(str(p) for p in DEMO_GAMES_DIR.glob("*.json")), verbosity=0)
    token, _ = token_create(name=f"bench-{time.time_ns()}", role="agent")
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("1000000"))
    session = session_create(actor=token.actor, game_slug=args.game, wallet_id=wallet.pk)
    session_act(session_id=session.pk, actor=token.actor, action={"type": "initialize"})
    session_act(session_id=session.pk, actor=token.actor, action={"type": "place_bet", "amount": "0.2"})

    started = time.perf_counter()
    done = 0
    while done < args.spins:
        size = min(args.batch, args.spins - done)
        session_act_batch(session_id=session.pk, actor=token.actor, actions=[{"type": "spin"}] * size)
        done += size
    batch_rate = done / (time.perf_counter() - started)

    singles = min(1000, args.spins)
    started = time.perf_counter()
    for _ in range(singles):
        session_act(session_id=session.pk, actor=token.actor, action={"type": "spin"})
    single_rate = singles / (time.perf_counter() - started)
    print(f"game={args.game} batch={args.batch}: {batch_rate:,.0f} spins/s in batches; "
          f"{single_rate:,.0f} spins/s one action per transaction ({1000 / single_rate:.2f} ms each)")


if __name__ == "__main__":
    main()
