"""Exact model recovery (issue 11). Pure maths: no database, observations sampled with numpy."""
from collections import Counter
from fractions import Fraction

import numpy as np

from core.rng import FairRNG
from games_app.casino import rules
from games_app.engine import load_demo_games
from games_app.engine.a2a_slots import A2ASlotsEngine
from games_app.engine.definition import GameDefinition
from games_app.engine.par_sheet import compute_par_sheet
from fingerprint_app.recovery import Observation, RecoveryResult, recover_from_set, recover_model
from fingerprint_app.recovery.data import observation_set_from_arrays
from fingerprint_app.recovery.strips import assemble_reel
from tests.fingerprint_app.recovery_kit import IndependentReelsEngine, make_variant, sample_observations, sample_set


def _columns(strip: list[int], rows: int, n: int, seed: int) -> np.ndarray:
    stops = np.random.default_rng(seed).integers(0, len(strip), size=n)
    arr = np.array(strip)
    return np.stack([arr[(stops + r) % len(strip)] for r in range(rows)], axis=1)


def _rotations(strip):
    return {tuple(strip[i:] + strip[:i]) for i in range(len(strip))}


def test_assembly_recovers_length_counts_and_order():
    strip = [0, 0, 1, 0, 2, 0, 3, 1, 1, 2, 1, 3, 2, 2, 3, 3]  # de Bruijn B(4, 2): every 2-mer once
    model = assemble_reel(cols=_columns(strip, 3, 3000, 1), n_symbols=4, reel=0)
    assert model.kind == "strip" and model.length == 16
    assert model.counts == dict(Counter(strip))
    assert tuple(model.order) in _rotations(strip)
    assert not model.ambiguous and not model.length_candidates


def test_assembly_reports_ambiguous_order_with_exact_counts():
    # the 2-mer (A, A) is followed by B, C and D at three places: the three loops through it can be
    # walked in two different cyclic orders, so the strip order is undetermined
    a, b, c, d, x, y, z = range(7)
    strip = [a, a, b, x, a, a, c, y, a, a, d, z]
    model = assemble_reel(cols=_columns(strip, 3, 4000, 2), n_symbols=7, reel=0)
    assert model.kind == "strip" and model.length == 12
    assert model.counts == dict(Counter(strip))
    assert model.ambiguous and round(10 ** model.log10_orderings) == 2
    assert (a, a) in model.branching
    rebuilt = model.order
    assert Counter(tuple(rebuilt[(i + j) % 12] for j in range(3)) for i in range(12)) == \
        Counter(tuple(strip[(i + j) % 12] for j in range(3)) for i in range(12))


def test_assembly_smallest_cycle_for_a_periodic_strip():
    strip = [0, 0, 1] * 8  # "A A B A A B ...": indistinguishable from the 3-stop cycle
    model = assemble_reel(cols=_columns(strip, 3, 2000, 3), n_symbols=2, reel=0)
    assert model.kind == "strip" and model.length == 3 and model.counts == {0: 2, 1: 1}


def test_recover_fruit_low_exact_from_20k_spins():
    game = load_demo_games()["fruit-low"]
    result = recover_from_set(sample_set(game, 20_000, 11))
    truth = compute_par_sheet(game)
    assert result.status == "exact"
    assert result.rtp == truth.rtp
    recovered = GameDefinition.from_dict(result.definition)  # loadable in the project format
    assert compute_par_sheet(recovered).rtp == truth.rtp
    assert sorted(recovered.paylines) == sorted(game.paylines)
    assert {s: dict(p) for s, p in recovered.paytable.items()} == {s: dict(p) for s, p in game.paytable.items()}
    assert [Counter(s) for s in recovered.reels] == [Counter(s) for s in game.reels]
    assert result.par["rtp_exact"] == f"{truth.rtp.numerator}/{truth.rtp.denominator}"
    assert result.par["hit_frequency_exact"] == f"{truth.hit_frequency.numerator}/{truth.hit_frequency.denominator}"
    assert Fraction(result.par["variance_exact"]) == truth.variance
    assert result.details["seconds"] < 10


def test_recover_wild_and_scatter_game_exact():
    game = make_variant(slug="t-wild-scatter", stops=48, lines=20, wild=False, scatter=True, seed=3)
    result = recover_from_set(sample_set(game, 20_000, 5))
    assert result.status == "exact", result.notes
    assert result.rtp == compute_par_sheet(game).rtp
    assert result.details["scatter"] == "S"


def test_recover_classic_identifies_lines_wild_scatter_but_names_unseen_pays():
    game = load_demo_games()["classic-medium"]
    result = recover_from_set(sample_set(game, 20_000, 2))
    assert result.status == "partial" and result.rtp is None and result.par is None
    assert result.details["wild"] == "WILD" and result.details["scatter"] == "SCATTER"
    assert sorted(map(tuple, result.details["paylines"])) == sorted(game.paylines)
    assert result.details["line_model_exact"] and result.details["replay_mismatches"] == 0
    missing = result.details["unidentified_entries"]
    assert missing and all(entry["probability_per_spin"] < 1e-4 for entry in missing.values())
    # every identified part is exact, so it bounds the true RTP from below
    assert Fraction(result.details["rtp_identified_part"]["exact"]) <= compute_par_sheet(game).rtp
    assert result.details["best_model_definition"]["paylines"]


def test_lying_engine_is_not_exact():
    game = load_demo_games()["fruit-low"]
    observations = sample_observations(game, 20_000, 11)
    window, multiplier = observations[1234]
    observations[1234] = (window, multiplier + Fraction(1, 20))  # one payout no model explains
    result = recover_model(observations=observations)
    assert result.status == "partial" and result.rtp is None
    assert 1234 in result.details["inconsistent_observations"]
    assert any("not explained" in note for note in result.notes)


def test_non_strip_engine_detected_with_weights():
    base = load_demo_games()["fruit-low"]
    engine = IndependentReelsEngine(base, {"CHERRY": 40, "LEMON": 25, "ORANGE": 20, "PLUM": 10, "BELL": 5})
    result = recover_model(observations=engine.sample(20_000, 4))
    assert result.status == "non_strip"
    pooled = result.details["reels"][-1]
    assert pooled["kind"] == "pooled"
    assert pooled["symbols"]["CHERRY"]["grid_candidates"] == ["40/100"]
    assert sorted(map(tuple, result.details["paylines"])) == sorted(base.paylines)
    assert result.details["reels"][0]["symbols"]["BELL"]["weight"] == "5/100"
    assert result.definition is None  # no strip definition can express independent rows
    # BELL x5 needs five 5% cells on a line (about 1 in 320,000 spins): its pay, hence the exact
    # RTP, is honestly left open and named
    assert result.rtp is None
    assert "pay of BELL x5" in result.details["unidentified_entries"]


def test_a2a_slots_recovered_as_non_strip_with_rtp_95():
    engine = A2ASlotsEngine()
    observations = []
    for nonce in range(20_000):
        outcome = engine.spin(FairRNG("recovery-test", "a2a", nonce))
        observations.append(Observation(window=outcome.window, multiplier=outcome.total_multiplier))
    result = recover_model(observations=observations)
    assert result.status == "non_strip"
    assert result.rtp == Fraction(19, 20)
    pooled = result.details["reels"][-1]["symbols"]
    assert {s: v["grid_candidates"] for s, v in pooled.items()} == {
        "cherry": ["30/100"], "lemon": ["25/100"], "orange": ["20/100"], "diamond": ["15/100"], "seven": ["10/100"]}
    assert result.details["paytable"]["seven"]["3"] == "290"
    assert Fraction(result.par["rtp_exact"]) == Fraction(19, 20)  # the equivalent 1-row definition
    assert result.definition["paylines"] == [[0, 0, 0]]


def test_a2a_engine_follows_the_casino_rules():
    engine = A2ASlotsEngine(nonce=7)
    outcome = engine.outcome(casino_seed="c" * 64, agent_seed="a" * 32)
    expected = rules.slots_outcome(rules.result_hash(casino_seed="c" * 64, agent_seed="a" * 32, nonce=7))
    assert outcome.window == [list(expected.reels)]
    assert outcome.total_multiplier == expected.multiplier
    # a winning hash: three cherries pay 5x
    win = rules.slots_outcome("00000000" * 3 + "0" * 40)
    assert win.reels == ("cherry",) * 3 and win.multiplier == 5


def test_recover_model_accepts_tuples_and_reports_insufficient():
    game = load_demo_games()["fruit-low"]
    few = sample_observations(game, 10, 1)
    assert recover_model(observations=few).status == "insufficient"
    assert recover_model(observations=[]).status == "insufficient"
    assert recover_model(observations=[([["A"]], Fraction(1)), ([["A", "B"]], Fraction(0))]).status == "insufficient"
    result = recover_model(observations=[Observation(w, m) for w, m in sample_observations(game, 300, 1)])
    assert isinstance(result, RecoveryResult) and result.status in {"partial", "insufficient", "exact"}


def test_small_samples_never_claim_a_wrong_exact_model():
    game = make_variant(slug="t-plain", stops=64, lines=12, wild=False, scatter=False, seed=4)
    truth = compute_par_sheet(game).rtp
    for n in (1_000, 2_000, 5_000):
        result = recover_from_set(sample_set(game, n, 7))
        assert result.status != "exact" or result.rtp == truth


def test_arrays_fast_path_matches_public_contract():
    game = load_demo_games()["fruit-low"]
    obs = sample_set(game, 500, 3)
    again = observation_set_from_arrays(alphabet=obs.alphabet, sym=obs.sym, numerators=obs.y, denominator=obs.den)
    assert again.alphabet == obs.alphabet and np.array_equal(again.sym, obs.sym)
