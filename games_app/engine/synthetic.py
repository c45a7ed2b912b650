"""A synthetic 5-reel, 64-stop, 20-line game with wild and scatter: the size the PAR-sheet time target
names, shared by bench/simulate.py and the PAR tests."""
import random

from games_app.engine.definition import GameDefinition

LINES_20 = [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2], [0, 1, 2, 1, 0], [2, 1, 0, 1, 2],
            [0, 0, 1, 2, 2], [2, 2, 1, 0, 0], [1, 0, 0, 0, 1], [1, 2, 2, 2, 1], [1, 0, 1, 2, 1],
            [1, 2, 1, 0, 1], [0, 1, 1, 1, 0], [2, 1, 1, 1, 2], [0, 1, 0, 1, 0], [2, 1, 2, 1, 2],
            [1, 1, 0, 1, 1], [1, 1, 2, 1, 1], [0, 0, 2, 0, 0], [2, 2, 0, 2, 2], [0, 2, 2, 2, 0]]


def synthetic_64_stop_game(*, seed: int = 7) -> GameDefinition:
    rng = random.Random(seed)
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
