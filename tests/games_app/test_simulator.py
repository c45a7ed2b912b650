"""Vectorised evaluator and simulator: exact agreement with the scalar evaluator."""
from fractions import Fraction

import numpy as np
import pytest

from games_app.engine import simulator
from games_app.engine.definition import GameDefinition, load_demo_games
from games_app.engine.evaluator import evaluate_spin
from games_app.engine.par_sheet import compute_par_sheet
from games_app.engine.simulator import (
    VectorEvaluator,
    evaluate_stops,
    multiplier_denominator,
    random_stops,
    simulate,
    window_indices,
)
from tests.games_app import small_game

DEMO = load_demo_games()


def scalar_numerators(definition: GameDefinition, stops: np.ndarray) -> list[int]:
    denominator = multiplier_denominator(definition)
    out = []
    for row in stops.tolist():
        value = evaluate_spin(definition, row).total_multiplier * denominator
        assert value.denominator == 1
        out.append(int(value))
    return out


@pytest.mark.parametrize("slug", sorted(DEMO))
def test_evaluate_stops_equals_scalar_evaluator_on_random_spins(slug):
    definition, n_spins = DEMO[slug], 20_000
    stops = random_stops(definition, n_spins, np.random.default_rng(2024))
    vectorised = evaluate_stops(definition, stops)
    assert vectorised.dtype == np.int64
    assert vectorised.tolist() == scalar_numerators(definition, stops)
    assert np.count_nonzero(vectorised) > n_spins // 10  # the sample really contains wins


def test_evaluate_stops_equals_scalar_on_every_small_game_combination():
    definition = GameDefinition.from_dict(small_game())
    grids = np.meshgrid(*(np.arange(len(s)) for s in definition.reels), indexing="ij")
    stops = np.stack([g.ravel() for g in grids], axis=1)
    assert evaluate_stops(definition, stops).tolist() == scalar_numerators(definition, stops)


def test_evaluate_stops_without_lookup_table_matches_table_path(monkeypatch):
    definition = DEMO["dragon-high"]
    stops = random_stops(definition, 5_000, np.random.default_rng(5))
    with_table = evaluate_stops(definition, stops)
    monkeypatch.setattr(simulator, "MAX_TABLE_SIZE", 0)
    fallback = VectorEvaluator(definition)
    assert fallback._table is None
    assert fallback.evaluate(stops).tolist() == with_table.tolist()


def test_window_indices_match_definition_window():
    definition = DEMO["classic-medium"]
    stops = random_stops(definition, 200, np.random.default_rng(9))
    windows = window_indices(definition, stops)
    assert windows.shape == (200, 3, 5)
    for row_stops, window in zip(stops.tolist(), windows):
        assert [[definition.symbols[i] for i in row] for row in window.tolist()] == definition.window(row_stops)


@pytest.mark.parametrize("bad", [np.zeros((3, 4), dtype=int), np.zeros(5, dtype=int),
                                 np.array([[0, 0, 0, 0, 48]]), np.array([[-1, 0, 0, 0, 0]])])
def test_evaluate_stops_rejects_bad_stops(bad):
    with pytest.raises(ValueError):
        evaluate_stops(DEMO["classic-medium"], bad)


def test_simulate_is_reproducible_and_seed_dependent():
    definition = DEMO["fruit-low"]
    first, again = simulate(definition, 50_000, seed=1), simulate(definition, 50_000, seed=1)
    assert np.array_equal(first.numerators, again.numerators)
    assert not np.array_equal(first.numerators, simulate(definition, 50_000, seed=2).numerators)


def test_simulate_summary_is_exact_over_its_sample():
    definition = DEMO["classic-medium"]
    result = simulate(definition, 10_000, seed=3)
    assert result.rtp == Fraction(int(result.numerators.sum()), 10_000 * result.denominator)
    assert result.hit_frequency == Fraction(int((result.numerators > 0).sum()), 10_000)
    assert result.max_multiplier == Fraction(int(result.numerators.max()), result.denominator)
    assert result.summary()["n_spins"] == 10_000


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(DEMO))
def test_simulate_agrees_with_exact_par_sheet(slug):
    definition = DEMO[slug]
    par = compute_par_sheet(definition)
    n_spins = 1_000_000
    result = simulate(definition, n_spins, seed=11)
    sigma = float(par.std_dev) / n_spins**0.5
    assert abs(float(result.rtp - par.rtp)) < 5 * sigma
    p = float(par.hit_frequency)
    assert abs(float(result.hit_frequency) - p) < 5 * (p * (1 - p) / n_spins) ** 0.5


def test_simulate_rejects_non_positive_spin_count():
    with pytest.raises(ValueError):
        simulate(DEMO["fruit-low"], 0, seed=1)
