"""Tests of the pure slot engine (no database, no Django needed).

``small_game()`` is the brute-force reference game: 5 reels of 6-7 stops (12,348 stop
combinations), 3 rows, 6 lines, a wild with its own pays, a scatter and fractional pays.
"""
import copy

_SMALL_GAME = {
    "slug": "tiny",
    "name": "Tiny",
    "reels": [
        ["A", "W", "B", "C", "A", "C", "B"],
        ["B", "A", "W", "C", "S", "A"],
        ["W", "A", "B", "C", "A", "C", "B"],
        ["A", "C", "W", "B", "S", "C"],
        ["B", "A", "C", "W", "A", "S", "C"],
    ],
    "rows": 3,
    "paylines": [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2],
                 [0, 1, 2, 1, 0], [2, 1, 0, 1, 2], [1, 0, 1, 2, 1]],
    "paytable": {
        "A": {"2": "0.5", "3": 2, "4": 5, "5": 20},
        "B": {"3": 3, "5": 30},
        "C": {"3": "1.5", "4": 4},
        "W": {"2": 1, "3": 10, "4": 40, "5": 200},
    },
    "wild": "W",
    "scatter": "S",
    "scatter_pays": {"2": 1, "3": 5, "5": "12.5"},
    "min_bet": "0.10",
    "max_bet": "100",
}


def small_game() -> dict:
    """A fresh deep copy of the brute-force reference game definition (safe to mutate)."""
    return copy.deepcopy(_SMALL_GAME)
