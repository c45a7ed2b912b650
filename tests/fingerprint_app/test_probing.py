from fractions import Fraction

import numpy as np
import pytest

from core.rng import FairRNG
from fingerprint_app.probing import (DETERMINISTIC_SPINS_PER_CHUNK, PROBE_BLOCK, REPLAY_CHECKS, deterministic_probe,
                                     is_vectorised, probe_batch, queries_for_chunk)
from games_app.engine import LocalSlotEngine

from .engines import BlackBox, Flaky, NoLineWins


def test_probe_batch_vectorised_is_a_function_of_seed_and_index(demo_definitions):
    engine = LocalSlotEngine(demo_definitions["classic-medium"])
    whole = probe_batch(engine, seed="s", start_index=0, count=PROBE_BLOCK + 500)
    start = PROBE_BLOCK - 200  # straddles a block boundary
    part = probe_batch(engine, seed="s", start_index=start, count=700)
    assert np.array_equal(part.windows, whole.windows[start:start + 700])
    assert part.numerators.tolist() == whole.numerators[start:start + 700].tolist()
    assert part.denominator == whole.denominator
    other = probe_batch(engine, seed="t", start_index=0, count=700)
    assert not np.array_equal(other.windows, whole.windows[:700])


def test_probe_batch_vectorised_matches_the_scalar_evaluator(demo_definitions):
    definition = demo_definitions["dragon-high"]
    batch = probe_batch(LocalSlotEngine(definition), seed="x", start_index=0, count=3000)
    from games_app.engine.evaluator import evaluate_window

    for i in range(0, 3000, 7):
        window = batch.window(i)
        assert evaluate_window(definition, window).total_multiplier == batch.multiplier(i)


def test_probe_batch_black_box_spins_fair_rng_per_index(demo_definitions):
    definition = demo_definitions["fruit-low"]
    engine = BlackBox(definition)
    assert not is_vectorised(engine)
    batch = probe_batch(engine, seed="seed-1", start_index=5, count=20)
    for i in range(20):
        expected = LocalSlotEngine(definition).spin(FairRNG("seed-1", "probe", 5 + i))
        assert batch.window(i) == expected.window
        assert batch.multiplier(i) == expected.total_multiplier
    assert batch.line_pays  # fruit-low pays often; the engine reports line wins
    assert all(v == {definition.pay(s, c)} for (s, c), v in batch.line_pays.items())


def test_probe_batch_rejects_bad_arguments(demo_definitions):
    engine = LocalSlotEngine(demo_definitions["fruit-low"])
    for kwargs in ({"seed": "", "start_index": 0, "count": 1}, {"seed": "s", "start_index": -1, "count": 1},
                   {"seed": "s", "start_index": 0, "count": 0}):
        with pytest.raises(ValueError):
            probe_batch(engine, **kwargs)


def test_queries_for_chunk_counts_audit_and_replay(demo_definitions):
    local = LocalSlotEngine(demo_definitions["fruit-low"])
    box = BlackBox(demo_definitions["fruit-low"])
    assert queries_for_chunk(engine=local, start_index=0, count=1000) == 1000 + DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS
    assert queries_for_chunk(engine=local, start_index=1000, count=10) == 20
    assert queries_for_chunk(engine=box, start_index=0, count=10) == 10 + 2 * REPLAY_CHECKS
    assert queries_for_chunk(engine=box, start_index=10, count=10) == 10


def test_deterministic_probe_replay_check(demo_definitions):
    definition = demo_definitions["fruit-low"]
    fair = deterministic_probe(BlackBox(definition), seed="r", start_index=0, count=100)
    assert fair.replay_checked == REPLAY_CHECKS and fair.replay_mismatches == []
    assert fair.shape == (3, 5)
    flaky = deterministic_probe(Flaky(definition), seed="r", start_index=0, count=100)
    assert flaky.replay_mismatches == list(range(REPLAY_CHECKS))
    later = deterministic_probe(NoLineWins(definition), seed="r", start_index=100, count=100)
    assert later.replay_checked == 0 and later.line_pays == {}


def test_deterministic_probe_audits_line_pays_of_local_engines(demo_definitions):
    definition = demo_definitions["classic-medium"]
    probe = deterministic_probe(LocalSlotEngine(definition), seed="a", start_index=0, count=10_000)
    assert probe.line_pays
    for (symbol, count), values in probe.line_pays.items():
        assert values == {definition.pay(symbol, count)}
    assert all(isinstance(v, Fraction) for values in probe.line_pays.values() for v in values)
