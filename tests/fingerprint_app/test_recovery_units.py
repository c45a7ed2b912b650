"""Unit tests of the recovery's building blocks: line labels and the line fit (lines.py), paytable
entries from label values (pays.py), and the likelihood-ratio weight pin (strips.py)."""
from fractions import Fraction

import numpy as np

from fingerprint_app.recovery.lines import LabelSpace, candidate_lines, fit_lines, line_labels
from fingerprint_app.recovery.pays import derive_pays, line_value, scatter_distribution, triples
from fingerprint_app.recovery.strips import grid_fit

A, K, W, S = 0, 1, 2, 3          # symbol ids of a tiny alphabet


def _labels(window: list[list[int]], wild: int = W, scatter: int = S) -> dict[tuple[int, ...], tuple[int, int, int]]:
    sym = np.array([window], dtype=np.int16)
    space = LabelSpace(4, len(window[0]))
    cands = candidate_lines(len(window), len(window[0]))
    codes = line_labels(sym, cands, space, wild, scatter)[0]
    return {tuple(line): space.decode(code) for line, code in zip(cands.tolist(), codes.tolist())}


def test_line_labels_follow_the_evaluator_rules():
    labels = _labels([[W, W, A, A, K], [A, S, W, K, K]])
    none = 4
    assert labels[(0, 0, 0, 0, 0)] == (A, 4, 2)          # two wilds lead a run of A: run 4, 2 wilds
    assert labels[(1, 1, 1, 1, 1)] == (A, 1, 0)          # A then a scatter: a run of 1
    assert labels[(0, 1, 0, 0, 0)] == (none, 1, 1)       # a wild cut by the scatter pays only as wilds
    assert labels[(1, 0, 1, 1, 1)] == (A, 3, 0)          # A W W K: the wilds extend A's run
    assert labels[(0, 0, 1, 0, 1)] == (A, 4, 3)          # W W W A K: three wilds lead a run of 4


def test_line_labels_without_wild_or_scatter():
    labels = _labels([[W, W, A], [A, A, A]], wild=-1, scatter=-1)
    assert labels[(1, 1, 1)] == (A, 3, 0) and labels[(0, 0, 0)] == (W, 2, 0)


def test_fit_lines_finds_the_paylines_and_pays_of_a_small_game():
    rng = np.random.default_rng(5)
    sym = rng.integers(0, 2, size=(3_000, 3, 5)).astype(np.int16)          # A and K only
    lines = [(0, 0, 0, 0, 0), (1, 1, 1, 1, 1), (0, 1, 2, 1, 0)]
    pays = {3: 2, 4: 5, 5: 20}                                            # A pays, K does not
    y = np.zeros(3_000, dtype=np.int64)
    for line in lines:
        cells = sym[:, [row for row in line], range(5)]
        run = np.ones(3_000, dtype=np.int64)
        for r in range(1, 5):
            run += (run == r) & (cells[:, r] == cells[:, 0])
        y += np.where(cells[:, 0] == A, np.vectorize(lambda c: pays.get(c, 0))(run), 0)
    fit = fit_lines(sym=sym, y=y, den=len(lines), wild=-1, scatter=-1)
    assert fit.exact and sorted(fit.lines) == sorted(lines)
    space = LabelSpace(2, 5)
    assert {c: fit.values[space.encode(A, c, 0)] for c in (3, 4, 5)} == {3: 2, 4: 5, 5: 20}
    assert fit.values.get(space.encode(K, 3, 0), Fraction(0)) == 0


def test_fit_lines_with_given_paylines_pins_zero_pays_from_zero_windows():
    sym = np.array([[[A, A, A]], [[A, A, A]], [[K, K, K]]] * 20, dtype=np.int16)
    y = np.array([0, 0, 3] * 20)
    fit = fit_lines(sym=sym, y=y, den=1, wild=-1, scatter=-1, lines=[(0, 0, 0)])
    space = LabelSpace(2, 3)
    assert fit.exact and fit.values[space.encode(K, 3, 0)] == 3 and fit.values[space.encode(A, 3, 0)] == 0


def test_derive_pays_resolves_the_wild_max_by_propagation():
    space = LabelSpace(3, 5)          # symbols A, K, W
    values = {space.encode(A, 3, 0): Fraction(5), space.encode(space.none, 3, 3): Fraction(20),
              space.encode(space.none, 1, 1): Fraction(0), space.encode(A, 4, 1): Fraction(10),
              space.encode(K, 3, 3): Fraction(20)}
    know = derive_pays(space=space, values=values, wild=W)
    assert know.pinned[(A, 3)] == 5 and know.pinned[(W, 3)] == 20 and not know.conflicts
    assert know.pinned[(A, 4)] == 10                      # max(pay(A, 4), pay(W, 1) = 0) = 10
    assert know.upper[(K, 3)] == 20                       # max(pay(K, 3), 20) = 20 bounds pay(K, 3) only
    assert line_value(know, values, space, W, K, 3, 3) == 20
    assert line_value(know, values, space, W, K, 4, 0) is None


def test_derive_pays_reports_conflicts_and_ambiguity():
    space = LabelSpace(3, 5)
    conflicting = {space.encode(A, 3, 0): Fraction(5), space.encode(space.none, 1, 1): Fraction(7),
                   space.encode(A, 3, 1): Fraction(6)}
    assert derive_pays(space=space, values=conflicting, wild=W).conflicts
    open_max = {space.encode(A, 4, 2): Fraction(9)}
    assert derive_pays(space=space, values=open_max, wild=W).ambiguous == [(A, 4, 2, Fraction(9))]


def test_triples_and_scatter_distribution_are_probability_laws():
    q = [[Fraction(1, 2), Fraction(1, 4), Fraction(1, 4), Fraction(0)] for _ in range(3)]
    total = sum(p for *_, p in triples(q=q, wild=W, scatter=-1, none=4))
    assert total == 1
    dist = scatter_distribution([{0: Fraction(3, 4), 1: Fraction(1, 4)}] * 2)
    assert dist == {0: Fraction(9, 16), 1: Fraction(6, 16), 2: Fraction(1, 16)}


def test_grid_fit_pins_the_true_weights_and_refuses_close_calls():
    truth = np.array([30, 25, 20, 15, 10])
    pinned = grid_fit(truth * 600, 100)                   # 60,000 cells exactly on the truth
    assert pinned.pinned and pinned.best.tolist() == truth.tolist() and pinned.gof_pvalue > 0.9
    halfway = grid_fit(np.array([3050, 2450, 2000, 1500, 1000]), 100)   # 30.5/24.5: two candidates tie
    assert not halfway.pinned and len(halfway.confidence_set) >= 2
    assert not grid_fit(np.array([5, 5, 0, 0, 0]), 100).pinned        # ten cells say little


def test_a_given_payline_set_is_tried_even_after_its_wild_and_scatter_were_searched():
    """The monotone-in-data fallback hands the search the structure found on the first half with
    the same wild and scatter the search has just tried: it must still run (random game 24 was
    exact at 10,000 spins and not at 20,000 while it was skipped)."""
    from fingerprint_app.recovery.search import SearchOutcome, _try
    from games_app.engine import load_demo_games

    from .recovery_kit import sample_set

    game = load_demo_games()["fruit-low"]
    obs = sample_set(game, 1_000, 7)
    outcome = SearchOutcome(fit=fit_lines(sym=obs.sym, y=obs.y, den=obs.den, wild=-1, scatter=-1, lines=[[0] * 5]))
    outcome.tried.append({"wild_id": -1, "scatter_id": -1, "lines": 1, "exact": False, "unexplained": 1,
                          "given": False, "restart": 0})
    assert not _try(obs, outcome, -1, -1)   # the same search again: skipped
    assert _try(obs, outcome, -1, -1, lines=tuple(tuple(line) for line in game.paylines), given=True)
    assert outcome.fit.exact and outcome.tried[-1]["given"]
