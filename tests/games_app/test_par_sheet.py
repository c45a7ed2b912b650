"""Exact PAR sheet: every figure equals brute-force enumeration of all stop combinations."""
import itertools
from collections import Counter
from fractions import Fraction

import pytest

from games_app.engine import par_sheet
from games_app.engine.definition import GameDefinition, load_demo_games
from games_app.engine.evaluator import evaluate_spin
from games_app.engine.par_sheet import compute_par_sheet, format_par_sheet
from games_app.engine.synthetic import synthetic_64_stop_game
from tests.games_app import small_game

def no_wild_no_scatter_game() -> dict:
    return {
        "slug": "plain", "name": "Plain", "rows": 1,
        "reels": [["A", "B", "C", "A", "B", "B", "C", "A", "C"], ["B", "A", "C", "C", "A", "B", "A"],
                  ["C", "C", "A", "B", "B", "A", "C", "B"]],
        "paylines": [[0, 0, 0]],
        "paytable": {"A": {"1": "0.25", "2": 1, "3": 8}, "B": {"2": "1.5", "3": 5}, "C": {"3": 3}},
        "min_bet": "1", "max_bet": "1",
    }


def payless_wild_game() -> dict:
    return {
        "slug": "payless-wild", "name": "Payless wild", "rows": 4,
        "reels": [["A", "W", "B", "S", "A", "B"], ["W", "A", "S", "B", "B", "A", "W"],
                  ["B", "A", "W", "A", "S", "B"], ["A", "S", "B", "W", "A", "B", "A"]],
        "paylines": [[0, 1, 2, 3], [3, 2, 1, 0], [1, 1, 1, 1], [2, 0, 3, 1], [0, 0, 0, 0]],
        "paytable": {"A": {"2": 1, "3": 4, "4": 12}, "B": {"3": 6, "4": "20.5"}},
        "wild": "W", "scatter": "S", "scatter_pays": {"3": 2, "5": 40},
        "min_bet": "1", "max_bet": "5",
    }


def brute_force(definition: GameDefinition) -> dict:
    """Every figure by evaluating every stop combination with the scalar evaluator."""
    n_total = definition.total_combinations
    totals, lines, scatters = [], Counter(), Counter()
    for stops in itertools.product(*(range(len(strip)) for strip in definition.reels)):
        outcome = evaluate_spin(definition, stops)
        totals.append(outcome.total_multiplier)
        lines.update((win.symbol, win.count) for win in outcome.line_wins)
        if outcome.scatter_win:
            scatters[sum(row.count(definition.scatter) for row in outcome.window)] += 1
    rtp = sum(totals, Fraction(0)) / n_total
    top = max(totals)
    return {
        "rtp": rtp,
        "hit_frequency": Fraction(sum(1 for t in totals if t > 0), n_total),
        "variance": sum((t * t for t in totals), Fraction(0)) / n_total - rtp * rtp,
        "top_award": top,
        "top_award_probability": Fraction(totals.count(top), n_total),
        "line_probabilities": {key: Fraction(c, n_total * definition.n_lines) for key, c in lines.items()},
        "scatter_probabilities": {k: Fraction(c, n_total) for k, c in scatters.items()},
    }


@pytest.mark.parametrize("make", [small_game, no_wild_no_scatter_game, payless_wild_game])
def test_par_sheet_equals_brute_force_enumeration(make):
    definition = GameDefinition.from_dict(make())
    par = compute_par_sheet(definition)
    expected = brute_force(definition)
    assert par.total_combinations == definition.total_combinations
    assert par.rtp == expected["rtp"]
    assert par.hit_frequency == expected["hit_frequency"]
    assert par.variance == expected["variance"]
    assert par.top_award == expected["top_award"]
    assert par.top_award_probability == expected["top_award_probability"]
    assert {(c.symbol, c.count): c.probability for c in par.combinations if c.kind == "line"} \
        == expected["line_probabilities"]
    assert {c.count: c.probability for c in par.combinations if c.kind == "scatter"} \
        == expected["scatter_probabilities"]


def test_par_sheet_is_unchanged_when_states_are_expanded_in_small_chunks(monkeypatch):
    definition = GameDefinition.from_dict(small_game())
    whole = compute_par_sheet(definition)
    monkeypatch.setattr(par_sheet, "_CHUNK_CELLS", 50)
    chunked = compute_par_sheet(definition)
    assert (chunked.hit_frequency, chunked.top_award, chunked.top_award_probability) == \
        (whole.hit_frequency, whole.top_award, whole.top_award_probability)


def test_par_sheet_contributions_sum_to_rtp():
    par = compute_par_sheet(GameDefinition.from_dict(small_game()))
    assert sum(c.rtp_contribution for c in par.combinations) == par.rtp
    assert sum(c.rtp_contribution for c in par.combinations if c.kind == "line") == par.line_rtp
    assert par.line_rtp + par.scatter_rtp == par.rtp
    for c in par.combinations:
        assert c.rtp_contribution == c.probability * c.multiplier


def test_par_sheet_to_dict_gives_decimals_and_exact_fractions():
    par = compute_par_sheet(GameDefinition.from_dict(small_game()))
    data = par.to_dict()
    numerator, denominator = map(int, data["rtp_exact"].split("/"))
    assert Fraction(numerator, denominator) == par.rtp
    assert data["rtp"].startswith(str(float(par.rtp))[:8])
    assert Fraction(data["hit_frequency_exact"]) == par.hit_frequency
    assert Fraction(data["top_award_odds_exact"]) == 1 / par.top_award_probability
    assert Fraction(data["variance_exact"]) == par.variance
    assert len(data["combinations"]) == len(par.combinations)
    assert data["content_hash"] == GameDefinition.from_dict(small_game()).content_hash()


def test_par_sheet_std_dev_and_volatility_index_follow_variance():
    par = compute_par_sheet(GameDefinition.from_dict(small_game()))
    assert abs(float(par.std_dev) ** 2 - float(par.variance)) < 1e-9
    assert abs(float(par.volatility_index) - 1.96 * float(par.std_dev)) < 1e-9


def test_format_par_sheet_lists_figures_and_combinations():
    par = compute_par_sheet(GameDefinition.from_dict(small_game()))
    text = format_par_sheet(par)
    assert f"{float(par.rtp) * 100:.4f}%" in text
    assert "hit frequency" in text and "volatility index" in text and "top award" in text
    assert sum(1 for line in text.splitlines() if line.startswith(("line ", "scatter "))) == len(par.combinations)


@pytest.mark.slow
def test_par_sheet_of_a_64_stop_20_line_game_is_consistent():
    # Its time (the 2 s target) is measured by bench/simulate.py, not asserted here.
    definition = synthetic_64_stop_game()
    assert [len(s) for s in definition.reels] == [64] * 5
    par = compute_par_sheet(definition)
    assert par.total_combinations == 64**5
    assert par.rtp == par.line_rtp + par.scatter_rtp
    assert sum(c.rtp_contribution for c in par.combinations) == par.rtp
    assert 0 < par.hit_frequency < 1 and par.top_award_probability > 0


def test_demo_games_have_sensible_rtp_and_distinct_volatility():
    sheets = {slug: compute_par_sheet(game) for slug, game in load_demo_games().items()}
    for par in sheets.values():
        assert Fraction(90, 100) <= par.rtp <= Fraction(98, 100), par.slug
    low, medium, high = sheets["fruit-low"], sheets["classic-medium"], sheets["dragon-high"]
    assert low.std_dev < medium.std_dev < high.std_dev
    assert low.hit_frequency > high.hit_frequency
    assert high.top_award > medium.top_award > low.top_award


# Exact figures published in docs/games.md; a change to a demo game must update both.
DEMO_EXACT = {
    "fruit-low": ("16071933/16777216", "19457/32768"),
    "classic-medium": ("324035371/339738624", "74217433/127401984"),
    "dragon-high": ("256180405/268435456", "408431455/1073741824"),
}


@pytest.mark.parametrize("slug", sorted(DEMO_EXACT))
def test_demo_game_exact_figures_match_documentation(slug):
    par = compute_par_sheet(load_demo_games()[slug])
    assert (par.rtp, par.hit_frequency) == tuple(Fraction(v) for v in DEMO_EXACT[slug])
