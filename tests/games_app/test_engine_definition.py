"""Game definition parsing: schema + semantic validation, canonical form, content hash."""
import json
from decimal import Decimal
from fractions import Fraction

import pytest

from games_app.engine.definition import (
    DEMO_GAMES_DIR,
    GameDefinition,
    GameDefinitionError,
    format_decimal,
    load_definition,
    load_demo_games,
)
from tests.games_app import small_game


def test_definition_from_dict_parses_every_field():
    definition = GameDefinition.from_dict(small_game())
    assert definition.slug == "tiny"
    assert definition.n_reels == 5 and definition.rows == 3 and definition.n_lines == 6
    assert definition.paytable["A"][2] == Fraction(1, 2)
    assert definition.paytable["C"][3] == Fraction(3, 2)
    assert definition.scatter_pays[5] == Fraction(25, 2)
    assert (definition.wild, definition.scatter) == ("W", "S")
    assert (definition.min_bet, definition.max_bet) == (Decimal("0.10"), Decimal("100"))
    assert definition.symbols == ("A", "B", "C", "S", "W")
    assert definition.total_combinations == 7 * 6 * 7 * 6 * 7


def test_definition_rows_default_to_three():
    data = small_game()
    del data["rows"]
    assert GameDefinition.from_dict(data).rows == 3


def test_definition_to_dict_round_trips():
    definition = GameDefinition.from_dict(small_game())
    again = GameDefinition.from_dict(json.loads(json.dumps(definition.to_dict())))
    assert again == definition
    assert again.to_dict() == definition.to_dict()


def test_definition_to_dict_is_canonical():
    data = small_game()
    data["paytable"]["A"] = {"5": "20.0", "2": "0.50", "3": "2", "4": 5}
    data["max_bet"] = "100.00"
    canonical = GameDefinition.from_dict(data).to_dict()
    assert canonical["paytable"]["A"] == {"2": "0.5", "3": 2, "4": 5, "5": 20}
    assert canonical["max_bet"] == "100" and canonical["min_bet"] == "0.1"
    assert canonical["rows"] == 3


def test_definition_content_hash_ignores_formatting_but_not_maths():
    base = GameDefinition.from_dict(small_game())
    reformatted = small_game()
    reformatted["paytable"]["A"]["3"] = "2.00"
    reordered = dict(reversed(list(reformatted.items())))
    assert GameDefinition.from_dict(reordered).content_hash() == base.content_hash()
    changed = small_game()
    changed["paytable"]["A"]["3"] = 3
    assert GameDefinition.from_dict(changed).content_hash() != base.content_hash()
    moved = small_game()
    moved["reels"][0] = moved["reels"][0][1:] + moved["reels"][0][:1]
    assert GameDefinition.from_dict(moved).content_hash() != base.content_hash()
    assert len(base.content_hash()) == 64


def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(key):
    def mutate(data):
        del data[key]
    return mutate


INVALID_CASES = [
    ("missing slug", _delete("slug"), "slug", "required"),
    ("slug with spaces", _set(["slug"], "Bad Slug"), "slug", "does not match"),
    ("unknown field", _set(["colour"], "red"), "colour", "unknown field"),
    ("no reels", _set(["reels"], []), "reels", ""),
    ("empty strip", _set(["reels", 1], []), "reels[1]", ""),
    ("bad symbol name", _set(["reels", 2, 0], "A B"), "reels[2][0]", ""),
    ("zero rows", _set(["rows"], 0), "rows", ""),
    ("row out of range", _set(["paylines", 3, 2], 3), "paylines[3][2]", "row index 3 out of range 0..2"),
    ("short payline", _set(["paylines", 0], [1, 1, 1]), "paylines[0]", "expected 5"),
    ("duplicate payline", _set(["paylines", 1], [1, 1, 1, 1, 1]), "paylines[1]", "duplicate of paylines[0]"),
    ("negative row", _set(["paylines", 2, 4], -1), "paylines[2][4]", ""),
    ("symbol not on strips", _set(["paytable", "Z"], {"3": 1}), "paytable.Z", "does not appear"),
    ("count above reels", _set(["paytable", "A", "6"], 1), "paytable.A.6", "exceeds reel count 5"),
    ("zero count key", _set(["paytable", "A", "0"], 1), "paytable.A.0", "invalid key"),
    ("zero multiplier", _set(["paytable", "A", "3"], "0"), "paytable.A.3", "must be positive"),
    ("negative multiplier", _set(["paytable", "A", "3"], -2), "paytable.A.3", ""),
    ("float multiplier", _set(["paytable", "A", "3"], 2.5), "paytable.A.3", ""),
    ("non-decimal multiplier", _set(["paytable", "A", "3"], "1/3"), "paytable.A.3", ""),
    ("scatter in paytable", _set(["paytable", "S"], {"3": 1}), "paytable.S", "scatter_pays"),
    ("wild not on strips", _set(["wild"], "X"), "wild", "does not appear"),
    ("scatter not on strips", _set(["scatter"], "X"), "scatter", "does not appear"),
    ("scatter equals wild", _set(["scatter"], "W"), "scatter", "must differ"),
    ("scatter without pays", _delete("scatter_pays"), "scatter_pays", "required"),
    ("scatter count above window", _set(["scatter_pays", "16"], 1), "scatter_pays.16", "window size 15"),
    ("min above max", _set(["min_bet"], "200"), "min_bet", "exceeds max_bet"),
    ("zero min bet", _set(["min_bet"], "0"), "min_bet", "must be positive"),
    ("non-decimal bet", _set(["max_bet"], "ten"), "max_bet", ""),
    ("numeric bet", _set(["max_bet"], 10), "max_bet", ""),
]


@pytest.mark.parametrize(("mutate", "field", "fragment"), [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_definition_invalid_field_is_named(mutate, field, fragment):
    data = small_game()
    mutate(data)
    with pytest.raises(GameDefinitionError) as excinfo:
        GameDefinition.from_dict(data)
    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(f"{field}: ")
    assert fragment in excinfo.value.message


def test_definition_scatter_pays_without_scatter_is_rejected():
    data = small_game()
    del data["scatter"]
    data["reels"] = [[s for s in strip if s != "S"] for strip in data["reels"]]
    with pytest.raises(GameDefinitionError) as excinfo:
        GameDefinition.from_dict(data)
    assert excinfo.value.field == "scatter_pays"


def test_definition_without_any_pay_is_rejected():
    data = small_game()
    for key in ("scatter", "scatter_pays"):
        del data[key]
    data["paytable"] = {}
    with pytest.raises(GameDefinitionError) as excinfo:
        GameDefinition.from_dict(data)
    assert excinfo.value.field == "paytable"


def test_definition_non_object_is_rejected_at_root():
    with pytest.raises(GameDefinitionError) as excinfo:
        GameDefinition.from_dict(["not", "a", "dict"])
    assert excinfo.value.field == "<root>"


def test_definition_pay_uses_largest_defined_count_not_above_run():
    definition = GameDefinition.from_dict(small_game())
    assert definition.pay("B", 2) == 0
    assert definition.pay("B", 3) == 3
    assert definition.pay("B", 4) == 3  # no "4" entry: the "3" pay applies
    assert definition.pay("B", 5) == 30
    assert definition.pay("S", 5) == 0  # scatter never pays on lines
    assert definition.scatter_pay(4) == 5
    assert definition.scatter_pay(1) == 0


def test_definition_window_wraps_around_strip_end():
    definition = GameDefinition.from_dict(small_game())
    window = definition.window([6, 5, 0, 0, 6])
    assert window == [["B", "A", "W", "A", "C"], ["A", "B", "A", "C", "B"], ["W", "A", "B", "W", "A"]]
    with pytest.raises(ValueError):
        definition.window([0, 0])


def test_load_demo_games_has_three_distinct_valid_games():
    games = load_demo_games()
    assert {"fruit-low", "classic-medium", "dragon-high"} <= set(games)
    assert len({g.content_hash() for g in games.values()}) == len(games)
    for slug, game in games.items():
        assert 20 <= min(len(s) for s in game.reels) and max(len(s) for s in game.reels) <= 64
        assert load_definition(DEMO_GAMES_DIR / f"{slug}.json") == game


def test_load_definition_reports_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(GameDefinitionError) as excinfo:
        load_definition(path)
    assert excinfo.value.field == "<root>"


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(0), "0"), (Fraction(5, 2), "2.5"), (Fraction(7), "7"), (Fraction(1, 20), "0.05"),
    (Fraction(1, 3), "0.333333333333333333"), (Fraction(2, 3), "0.666666666666666666"),
])
def test_format_decimal_is_exact_or_truncated(value, expected):
    assert format_decimal(value) == expected
