"""Near-identical game variants for the matching benchmark and tests.

Each variant is a demo game with exactly ONE change: one stop of one reel strip replaced by
another symbol (the strip composition moves by 1/len(strip) for two symbols), or one paytable
entry raised by one (symbol frequencies identical; only the payouts differ).
"""
from __future__ import annotations

import copy
from typing import Any

from games_app.engine.definition import GameDefinition, load_demo_games

__all__ = ["library_definitions", "foreign_definitions", "reel_variant", "paytable_variant"]


def reel_variant(base: GameDefinition, *, slug: str, reel: int, old: str, new: str) -> GameDefinition:
    """``base`` with the first ``old`` on strip ``reel`` replaced by ``new``."""
    data: dict[str, Any] = copy.deepcopy(base.to_dict())
    strip = data["reels"][reel]
    strip[strip.index(old)] = new
    data["slug"], data["name"] = slug, f"{base.name} (reel {reel + 1}: {old}->{new})"
    return GameDefinition.from_dict(data)


def paytable_variant(base: GameDefinition, *, slug: str, symbol: str, count: int, delta: int = 1) -> GameDefinition:
    """``base`` with the pay of ``count`` x ``symbol`` raised by ``delta`` line bets."""
    data: dict[str, Any] = copy.deepcopy(base.to_dict())
    current = base.paytable[symbol][count]
    new_value = current + delta
    data["paytable"][symbol][str(count)] = int(new_value) if new_value.denominator == 1 else str(float(new_value))
    data["slug"], data["name"] = slug, f"{base.name} ({symbol} x{count} pays {new_value})"
    return GameDefinition.from_dict(data)


def library_definitions() -> dict[str, GameDefinition]:
    """The three demo games and four one-change variants (7 profiles)."""
    demo = load_demo_games()
    fruit, classic, dragon = demo["fruit-low"], demo["classic-medium"], demo["dragon-high"]
    variants = [
        reel_variant(fruit, slug="fruit-low-reel3", reel=2, old="LEMON", new="BELL"),
        paytable_variant(fruit, slug="fruit-low-cherry3", symbol="CHERRY", count=3),
        paytable_variant(classic, slug="classic-medium-ten3", symbol="TEN", count=3),
        reel_variant(dragon, slug="dragon-high-reel2", reel=1, old="TEN", new="DRAGON"),
    ]
    return {d.slug: d for d in [fruit, classic, dragon, *variants]}


def foreign_definitions() -> dict[str, GameDefinition]:
    """Games NOT in :func:`library_definitions`, each one change away from a library game."""
    demo = load_demo_games()
    return {d.slug: d for d in [
        reel_variant(demo["classic-medium"], slug="classic-medium-reel1", reel=0, old="QUEEN", new="KING"),
        paytable_variant(demo["dragon-high"], slug="dragon-high-jack3", symbol="JACK", count=3),
    ]}
